#!/usr/bin/env bash
# duckdb tables live in the DuckDB file: tablespaces are refused clearly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_tblspc
fresh_db $db
dir="$DUCKAM_WORK/tblspc"
rm -rf "$dir" && mkdir -p "$dir" && chown "$DUCKAM_OS_USER" "$dir"
val $db "DROP TABLESPACE IF EXISTS duckam_ts" >/dev/null 2>&1 || true
val $db "CREATE TABLESPACE duckam_ts LOCATION '$dir'"
trap 'val $db "DROP TABLE IF EXISTS h" >/dev/null; val postgres "DROP DATABASE $db" >/dev/null; val postgres "DROP TABLESPACE duckam_ts" >/dev/null' EXIT
out=$(val $db "CREATE TABLE t (a int) USING duckdb TABLESPACE duckam_ts" 2>&1 || true)
echo "$out" | grep -q "duckdb tables cannot be placed in a tablespace" || fail "CREATE TABLE ... TABLESPACE: $out"
echo "ok: CREATE TABLE ... TABLESPACE refused"
val $db "CREATE TABLE t (a int) USING duckdb"
val $db "INSERT INTO t VALUES (1)"
out=$(val $db "ALTER TABLE t SET TABLESPACE duckam_ts" 2>&1 || true)
echo "$out" | grep -q "SET TABLESPACE is not supported on duckdb tables" || fail "SET TABLESPACE: $out"
echo "ok: ALTER TABLE ... SET TABLESPACE refused"
expect "rows kept" "$(val $db "SELECT count(*) FROM t")" "1"
val $db "DROP TABLE t"
