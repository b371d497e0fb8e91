#!/usr/bin/env bash
# Builds and installs pg_duckam, starts a local cluster and shows it working.
# Leaves the cluster running: connect with the psql command printed at the end.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/scripts/build.sh"
"$REPO_ROOT/scripts/cluster.sh" start
"$PGBIN/dropdb" --if-exists duckam_demo
"$PGBIN/createdb" duckam_demo
"$PGBIN/psql" -X -d duckam_demo -v ON_ERROR_STOP=0 -e -f "$REPO_ROOT/scripts/demo.sql"
echo
echo "The cluster is still running. Connect with:"
echo "  $PGBIN/psql -h $PGHOST -p $PGPORT -U $PGUSER duckam_demo"
echo "Stop it with: $REPO_ROOT/scripts/cluster.sh stop"
