#!/usr/bin/env bash
# Without shared_preload_libraries, CREATE EXTENSION fails with a clear
# error and a hint.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export DUCKAM_DATA="$DUCKAM_WORK/data_nopreload" DUCKAM_PORT=$((DUCKAM_PORT + 1))
export PGPORT=$DUCKAM_PORT
"$REPO_ROOT/scripts/cluster.sh" start --fresh --no-preload
trap '"$REPO_ROOT/scripts/cluster.sh" stop' EXIT
out=$("$PGBIN/psql" -X -d postgres -c "CREATE EXTENSION pg_duckam" 2>&1 || true)
echo "$out"
echo "$out" | grep -q "ERROR:  pg_duckam must be loaded via shared_preload_libraries" || fail "no clear error"
echo "$out" | grep -q "HINT:  Add pg_duckam to shared_preload_libraries" || fail "no hint"
expect "extension not created" "$(val postgres "SELECT count(*) FROM pg_extension WHERE extname = 'pg_duckam'")" "0"
