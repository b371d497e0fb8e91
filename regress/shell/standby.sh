#!/usr/bin/env bash
# On a hot standby (a pg_basebackup copy in recovery) the DuckDB file is a
# stale copy that WAL replay does not update: queries on duckdb tables fail
# with a clear error and a hint instead of returning stale rows; heap
# tables work as on any standby.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_standby
fresh_db $db
val $db "CREATE TABLE d (id int) USING duckdb; INSERT INTO d VALUES (1)"
val $db "CREATE TABLE h (id int); INSERT INTO h VALUES (1)"
standby="$DUCKAM_WORK/standby"
port=$((DUCKAM_PORT + 2))
rm -rf "$standby"
as_user "$PGBIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$standby" -R -X stream >/dev/null
cat >> "$standby/postgresql.auto.conf" <<CONF
port = $port
hot_standby = on
CONF
as_user env -u RUST_BACKTRACE "$PGBIN/pg_ctl" -D "$standby" -l "$DUCKAM_WORK/standby.log" -w -t 60 start >/dev/null
trap 'as_user "$PGBIN/pg_ctl" -D "$standby" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$standby"' EXIT
val $db "INSERT INTO d VALUES (2); INSERT INTO h VALUES (2)"
sleep 1
out=$("$PGBIN/psql" -X -qAt -p $port -d $db -c "SELECT count(*) FROM d" 2>&1 || true)
echo "$out"
echo "$out" | grep -q "ERROR:  duckdb tables cannot be used on a standby server" || fail "no clear error on the standby"
echo "$out" | grep -q "HINT:  The DuckDB files on a standby are stale copies" || fail "no hint"
expect "heap tables on the standby" "$("$PGBIN/psql" -X -qAt -p $port -d $db -c "SELECT count(*) FROM h")" "2"
expect "no engine on the standby" "$(pgrep -P "$(head -1 "$standby/postmaster.pid")" -f "pg_duckam engine" | wc -l)" "0"
