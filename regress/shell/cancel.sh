#!/usr/bin/env bash
# Cancel and statement_timeout stop work running inside DuckDB (a VACUUM
# FULL copies the table inside DuckDB), a long query, an UPDATE, a query
# reading a heap table through DuckDB and a long scan, within about a second; the session and the table stay usable.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_cancel
fresh_db $db
val $db "CREATE TABLE big (a bigint, b text) USING duckdb"
val $db "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 4000000) g"
# stopped_by_timeout <what> <timeout> <sql>: the statement is stopped by
# statement_timeout within 5 s
stopped_by_timeout() {
    local t0 out ms
    t0=$(date +%s%N)
    out=$("$PGBIN/psql" -X -qAt -d $db -c "SET statement_timeout = '$2'" -c "$3" 2>&1 || true)
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "$out" | grep -q "canceling statement due to statement timeout" || fail "$1 not stopped: $out"
    echo "ok: statement_timeout stopped $1 after ${ms} ms"
    [ "$ms" -lt 5000 ] || fail "took ${ms} ms to stop"
}
stopped_by_timeout "a DuckDB-side copy (VACUUM FULL)" 100ms "VACUUM FULL big"
# an inequality self-join executed by DuckDB
stopped_by_timeout "a query running in DuckDB" 300ms "SELECT count(*) FROM big a, big b WHERE a.a < b.a"
# an UPDATE running in DuckDB (a correlated inequality subquery per row):
# stopped, it changes nothing
stopped_by_timeout "an UPDATE running in DuckDB" 300ms \
  "UPDATE big SET b = (SELECT count(*) FROM big c WHERE c.a < big.a)::text WHERE a < 1000000"
expect "stopped UPDATE changed nothing" "$(val $db "SELECT count(*) FROM big WHERE b !~ '^[0-9a-f]{32}\$'")" "0"
# a query DuckDB runs over a heap table: stopped while the main thread
# streams heap rows to DuckDB, and afterwards while DuckDB joins them
val $db "CREATE TABLE hbig AS SELECT g AS a, md5(g::text) AS b FROM generate_series(1, 2000000) g"
stopped_by_timeout "a heap scan serving DuckDB" 100ms "SELECT count(*) FROM hbig h JOIN big d ON d.b = h.b"
stopped_by_timeout "DuckDB joining heap rows" 600ms "SELECT count(*) FROM hbig h, big d WHERE h.a < d.a"
expect "mixed query after the stopped ones" "$(val $db "SELECT count(*) FROM hbig h JOIN big d ON d.a = h.a")" "2000000"
expect "session usable after a stopped DuckDB query" \
  "$("$PGBIN/psql" -X -qAt -d $db -c "SET statement_timeout = '300ms'" -c "SELECT count(*) FROM big a, big b WHERE a.a < b.a" -c "SELECT count(*) FROM big" 2>/dev/null || true)" "4000000"
# pg_cancel_backend during a long scan through the access method
( "$PGBIN/psql" -X -qAt -d $db -c "SET duckam.execution = off" -c "SELECT count(*) FROM big a, big b WHERE a.a = b.a + 0.5" > "$DUCKAM_WORK/cancel.out" 2>&1 || true ) &
bg=$!
pid=$(active_pid $db "SELECT count(*) FROM big a")
sleep 1
val $db "SELECT pg_cancel_backend($pid)" >/dev/null
wait $bg || true
grep -q "canceling statement due to user request" "$DUCKAM_WORK/cancel.out" || fail "not cancelled: $(cat "$DUCKAM_WORK/cancel.out")"
echo "ok: pg_cancel_backend stopped a scan"
val $db "INSERT INTO big VALUES (0, 'after')"
expect "table intact and writable" "$(val $db "SELECT count(*) FROM big")" "4000001"
