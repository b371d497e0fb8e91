#!/usr/bin/env bash
# DROP EXTENSION ... CASCADE leaves no DuckDB table behind; huge values
# round-trip; an engine that cannot start (a bad DuckDB setting) gives
# backends a clear error with a hint, not a hang, and starts once fixed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_lifecycle
fresh_db $db
val $db "CREATE TABLE a (x int) USING duckdb; CREATE TABLE b (y text) USING duckdb; INSERT INTO a VALUES (1)"
expect "tables before" "$(val $db "SELECT count(*) FROM duckam.stored_tables()")" "2"
val $db "DROP EXTENSION pg_duckam CASCADE" 2>/dev/null
val $db "CREATE EXTENSION pg_duckam"
expect "DuckDB tables after DROP EXTENSION CASCADE" "$(val $db "SELECT count(*) FROM duckam.stored_tables()")" "0"

# 64 MB text and bytea values
val $db "CREATE TABLE huge (t text, b bytea) USING duckdb"
val $db "INSERT INTO huge SELECT repeat('0123456789abcdef', 4 * 1024 * 1024), decode(repeat('ff00', 32 * 1024 * 1024), 'hex')"
expect "64 MB values round-trip" "$(val $db "SELECT length(t) || ':' || md5(t) || ':' || length(b) || ':' || md5(b) FROM huge")" \
    "$(val $db "SELECT length(t) || ':' || md5(t) || ':' || length(b) || ':' || md5(b) FROM (SELECT repeat('0123456789abcdef', 4 * 1024 * 1024) AS t, decode(repeat('ff00', 32 * 1024 * 1024), 'hex') AS b) x")"

# a bad setting: the engine cannot start; backends get its reason at once
val $db "ALTER SYSTEM SET duckam.memory_limit = 'lots'"
"$REPO_ROOT/scripts/cluster.sh" restart
t0=$(date +%s)
out=$("$PGBIN/psql" -X -qAt -d $db -c "SELECT count(*) FROM huge" 2>&1 || true)
echo "$out"
echo "$out" | grep -q "the pg_duckam engine could not start: DuckDB did not start: invalid DuckDB setting memory_limit = 'lots'" || fail "no clear error for a bad setting"
echo "$out" | grep -q "HINT:  Fix the cause" || fail "no hint"
[ $(( $(date +%s) - t0 )) -lt 20 ] || fail "the error took more than 20 s"
val $db "ALTER SYSTEM RESET duckam.memory_limit"
"$REPO_ROOT/scripts/cluster.sh" restart
expect "works once fixed" "$(val $db "SELECT count(*) FROM huge")" "1"
