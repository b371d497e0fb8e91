#!/usr/bin/env bash
# kill -9 of a backend in the middle of a COPY into a duckdb table: after
# crash recovery the committed rows are intact, the interrupted load is
# absent, and the table takes writes again.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_crash
fresh_db $db
val $db "CREATE TABLE t (id bigint, s text) USING duckdb"
val $db "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g"
data="$DUCKAM_WORK/crash.csv"
val $db "COPY (SELECT g, md5(g::text) FROM generate_series(1001, 4000000) g) TO '$data' (FORMAT csv)"
( "$PGBIN/psql" -X -q -d $db -c "COPY t FROM '$data' (FORMAT csv)" >/dev/null 2>&1 || true ) &
copier=$!
pid=$(active_pid $db "COPY t FROM")
sleep 1.5
kill -9 "$pid"
wait $copier || true
sleep 1
wait_ready
expect "committed rows after crash" "$(val $db "SELECT count(*) || ':' || sum(id) FROM t")" "1000:500500"
val $db "INSERT INTO t VALUES (5000001, 'after crash')"
expect "writable after crash" "$(val $db "SELECT count(*) FROM t")" "1001"
expect "no orphans" "$(val $db "SELECT count(*) FROM duckam.cleanup_orphans()")" "0"
rm -f "$data"
