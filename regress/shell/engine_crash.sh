#!/usr/bin/env bash
# kill -9 of the engine process: PostgreSQL restarts the cluster (as for
# any crashed server process); committed rows are intact, the transactions
# that were in flight — an open writer, a long query, a COPY — fail with
# an error and leave nothing, and the next statements work. Repeated, with
# the engine killed during a COPY.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_engine_crash
fresh_db $db
val $db "CREATE TABLE t (id bigint, s text) USING duckdb"
val $db "CREATE TABLE h (id bigint)"
val $db "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100000) g"
# an open writer with uncommitted duckdb and heap rows
coproc W { "$PGBIN/psql" -X -qAt -d $db 2>&1; }
echo "BEGIN; INSERT INTO t VALUES (-1, 'uncommitted'); INSERT INTO h VALUES (-1); SELECT 'writer ready';" >&"${W[1]}"
read -r line <&"${W[0]}"; expect "writer in transaction" "$line" "writer ready"
# a long query running in the engine
( "$PGBIN/psql" -X -qAt -d $db -c "SELECT count(*) FROM t a, t b WHERE a.id < b.id" > "$DUCKAM_WORK/engine_crash_q.out" 2>&1 || true ) &
q=$!
active_pid $db "SELECT count(*) FROM t a" >/dev/null
sleep 0.5
kill -9 "$(engine_pid)"
wait $q || true
echo "long query: $(head -1 "$DUCKAM_WORK/engine_crash_q.out")"
grep -qiE "terminat|connection|lost" "$DUCKAM_WORK/engine_crash_q.out" || fail "the running query did not fail: $(cat "$DUCKAM_WORK/engine_crash_q.out")"
echo "COMMIT;" >&"${W[1]}" 2>/dev/null || true
exec {W[1]}>&- || true
wait "$W_PID" 2>/dev/null || true
wait_ready
expect "committed rows intact" "$(val $db "SELECT count(*) || ':' || sum(id) FROM t")" "100000:5000050000"
expect "uncommitted duckdb row absent" "$(val $db "SELECT count(*) FROM t WHERE id = -1")" "0"
expect "uncommitted heap row absent" "$(val $db "SELECT count(*) FROM h")" "0"
val $db "INSERT INTO t VALUES (100001, 'after')"
expect "writable after the crash" "$(val $db "SELECT count(*) FROM t")" "100001"

# the engine killed during a COPY, twice
data="$DUCKAM_WORK/engine_crash.csv"
val $db "COPY (SELECT g, md5(g::text) FROM generate_series(200001, 3200000) g) TO '$data' (FORMAT csv)"
for round in 1 2; do
    ( "$PGBIN/psql" -X -q -d $db -c "COPY t FROM '$data' (FORMAT csv)" >/dev/null 2>&1 || true ) &
    c=$!
    active_pid $db "COPY t FROM" >/dev/null
    sleep 1
    kill -9 "$(engine_pid)"
    wait $c || true
    wait_ready
    expect "round $round: the interrupted COPY left nothing" "$(val $db "SELECT count(*) FROM t")" "100001"
done
expect "no orphans" "$(val $db "SELECT count(*) FROM duckam.cleanup_orphans()")" "0"
val $db "COPY t FROM '$data' (FORMAT csv)"
expect "a COPY after the crashes" "$(val $db "SELECT count(*) FROM t")" "3100001"
rm -f "$data"
