#!/usr/bin/env bash
# Builds pg_duckam (release) and installs it into the system PostgreSQL 15.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/scripts/setup.sh"
cd "$REPO_ROOT"
start=$(date +%s)
if ! cargo pgrx install --release --pg-config "$PG_CONFIG" > "$DUCKAM_WORK/build.log" 2>&1; then
    grep -vE '^\s+(Compiling|Checking|Fresh)' "$DUCKAM_WORK/build.log" | tail -60
    echo "build: FAILED (full log: $DUCKAM_WORK/build.log)"
    exit 1
fi
echo "build: installed in $(( $(date +%s) - start ))s"
