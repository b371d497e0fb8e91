#!/usr/bin/env bash
# A backend that goes away — terminated in the middle of a query, or with
# an open write transaction — has its engine session ended and its DuckDB
# transaction rolled back, while the engine goes on serving everyone else.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_backend_exit
fresh_db $db
val $db "CREATE TABLE t (id bigint) USING duckdb"
val $db "INSERT INTO t SELECT g FROM generate_series(1, 200000) g"
engine=$(engine_pid)
# a long query in the engine, its backend terminated
( "$PGBIN/psql" -X -qAt -d $db -c "SELECT count(*) FROM t a, t b WHERE a.id < b.id" > "$DUCKAM_WORK/backend_exit.out" 2>&1 || true ) &
q=$!
pid=$(active_pid $db "SELECT count(*) FROM t a")
sleep 0.5
val postgres "SELECT pg_terminate_backend($pid)" >/dev/null
wait $q || true
grep -q "terminating connection due to administrator command" "$DUCKAM_WORK/backend_exit.out" || fail "not terminated: $(cat "$DUCKAM_WORK/backend_exit.out")"
echo "ok: a backend running a DuckDB query was terminated"
# a writer with an open transaction, terminated
coproc W { "$PGBIN/psql" -X -qAt -d $db 2>&1; }
echo "BEGIN; INSERT INTO t SELECT -g FROM generate_series(1, 1000) g; SELECT pg_backend_pid();" >&"${W[1]}"
read -r wpid <&"${W[0]}"
val postgres "SELECT pg_terminate_backend($wpid)" >/dev/null
exec {W[1]}>&- || true
wait "$W_PID" 2>/dev/null || true
expect "the engine is the same process" "$(engine_pid)" "$engine"
expect "the terminated writer's rows are absent" "$(val $db "SELECT count(*) FROM t WHERE id < 0")" "0"
for _ in $(seq 1 50); do
    n=$(val $db "SELECT count(*) FROM duckam.engine_sessions WHERE pid IN ($pid, $wpid)")
    [ "$n" = 0 ] && break
    sleep 0.1
done
expect "their engine sessions are gone" "$n" "0"
expect "others are served" "$(val $db "SELECT count(*) FROM t")" "200000"
val $db "INSERT INTO t VALUES (0)"
expect "and can write" "$(val $db "SELECT count(*) FROM t")" "200001"
