#!/usr/bin/env bash
# Soak with a ledger (soak.py): 8 clients of mixed writes, queries and DDL;
# at the end the duckdb table equals what the heap ledger says, no client
# saw an unexpected error, and the server log shows no crash.
#   SOAK_SECONDS (default 60; the long run: 600), SOAK_SEED (default random)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_soak
fresh_db $db
seconds="${SOAK_SECONDS:-60}"
seed="${SOAK_SEED:-$(( $(date +%s) % 100000 ))}"
log="$DUCKAM_WORK/postgres.log"
before=$(wc -l < "$log" 2>/dev/null || echo 0)
/usr/bin/python3 "$(dirname "$0")/soak.py" $db "$seconds" "$seed"
crashes=$(tail -n +"$((before + 1))" "$log" 2>/dev/null | grep -cE "terminated by signal|PANIC|was terminated|server process .* exited with exit code [^0]" || true)
expect "server processes that crashed during the soak" "$crashes" "0"
