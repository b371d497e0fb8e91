#!/usr/bin/env bash
# Crash loop (crash_loop.py): kill -9 a backend or the engine at random
# moments of COPY, INSERT, UPDATE, DELETE, TRUNCATE, ALTER TABLE, savepoint
# and mixed heap+duckdb transactions; after every restart the duckdb table
# must equal what its heap ledger says committed.
#   CRASH_LOOP_ROUNDS (default 6; the long run: 40)
#   CRASH_LOOP_SEED   (default: random; printed, replays the same choices)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_crash_loop
fresh_db $db
rounds="${CRASH_LOOP_ROUNDS:-6}"
seed="${CRASH_LOOP_SEED:-$(( $(date +%s) % 100000 ))}"
echo "crash loop: $rounds rounds, seed $seed (CRASH_LOOP_SEED=$seed replays it)"
/usr/bin/python3 "$(dirname "$0")/crash_loop.py" $db "$rounds" "$seed" "$DUCKAM_WORK"
