#!/usr/bin/env bash
# Differential fuzzing against heap twins (fuzz.py): random queries over
# duckdb tables and identical heap tables must give the same multisets of
# rows; a lost connection, an internal error (XX000) or a wrong result
# fails the test; error-vs-success divergences are reported.
#   FUZZ_QUERIES (default 2000; the long run: 20000)
#   FUZZ_SEED    (default 14; a new seed explores new queries)
#   FUZZ_REPORT  (optional: a JSON file with the summary and every finding)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_fuzz
fresh_db $db
queries="${FUZZ_QUERIES:-2000}"
seed="${FUZZ_SEED:-14}"
echo "fuzz: $queries queries, seed $seed (FUZZ_SEED=$seed replays them)"
log="$DUCKAM_WORK/postgres.log"
before=$(wc -l < "$log" 2>/dev/null || echo 0)
/usr/bin/python3 "$(dirname "$0")/fuzz.py" $db "$queries" "$seed" ${FUZZ_REPORT:+"$FUZZ_REPORT"}
crashes=$(tail -n +"$((before + 1))" "$log" 2>/dev/null | grep -cE "terminated by signal|PANIC|was terminated" || true)
expect "server processes that crashed during fuzzing" "$crashes" "0"
