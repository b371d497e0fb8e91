#!/usr/bin/env bash
# Builds pg_duckam (release) and installs it into the system PostgreSQL 15.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/scripts/setup.sh"
cd "$REPO_ROOT"
start=$(date +%s)
# Download what Cargo.lock names (a no-op once present), then build offline:
# the build itself never needs the network (DuckDB is bundled).
for attempt in 1 2 3; do
    timeout 600 cargo fetch --locked -q && break
    echo "build: cargo fetch failed (attempt $attempt), retrying"
    sleep 5
done
export CARGO_NET_OFFLINE=true
if ! cargo pgrx install --release --pg-config "$PG_CONFIG" > "$DUCKAM_WORK/build.log" 2>&1; then
    grep -vE '^\s+(Compiling|Checking|Fresh)' "$DUCKAM_WORK/build.log" | tail -60
    echo "build: FAILED (full log: $DUCKAM_WORK/build.log)"
    exit 1
fi
# The benchmark's standalone DuckDB: a target of this package, so it links
# the DuckDB just compiled (seconds, no second DuckDB compile).
# Earlier releases' install scripts (sql/pg_duckam--<version>.sql, frozen):
# cargo pgrx install copies only the upgrade scripts, and CREATE EXTENSION
# … VERSION '<earlier>' needs them (regress/shell/upgrade.sh).
for script in sql/pg_duckam--*.sql; do
    case "$script" in *--*--*) ;; *) install -m 644 "$script" "$("$PG_CONFIG" --sharedir)/extension/" ;; esac
done
if ! cargo build --release --bin duckdb_standalone >> "$DUCKAM_WORK/build.log" 2>&1; then
    tail -30 "$DUCKAM_WORK/build.log"
    echo "build: FAILED building duckdb_standalone"
    exit 1
fi
echo "build: installed in $(( $(date +%s) - start ))s"
