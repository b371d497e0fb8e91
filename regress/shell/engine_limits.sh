#!/usr/bin/env bash
# DuckDB running out of memory or of disk (its spill directory full)
# reaches the client as a PostgreSQL error with its SQLSTATE (53200,
# 53100) and a hint, leaves nothing of the transaction behind, and the
# session and the engine go on working. The engine gets a 64 MB memory
# limit and a 16 MB tmpfs to spill into.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_limits
spill="$DUCKAM_WORK/spill"
mkdir -p "$spill"
mountpoint -q "$spill" || mount -t tmpfs -o size=16m tmpfs "$spill"
chown "$DUCKAM_OS_USER" "$spill"
restore() {
    val postgres "ALTER SYSTEM RESET duckam.memory_limit" >/dev/null 2>&1 || true
    val postgres "ALTER SYSTEM RESET duckam.temp_directory" >/dev/null 2>&1 || true
    "$REPO_ROOT/scripts/cluster.sh" restart >/dev/null 2>&1 || true
    umount "$spill" 2>/dev/null || true
}
trap restore EXIT
fresh_db $db
val $db "CREATE TABLE big (a bigint, b text) USING duckdb"
val $db "INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 3000000) g"
val postgres "ALTER SYSTEM SET duckam.memory_limit = '64MB'"
val postgres "ALTER SYSTEM SET duckam.temp_directory = '$spill'"
"$REPO_ROOT/scripts/cluster.sh" restart
expect "the engine's memory limit" "$(val $db "SELECT memory_limit FROM duckam.engine_status()")" "61.0 MiB"
# a sort of ~200 MB that may spill only 16 MB: out of disk (or memory)
out=$("$PGBIN/psql" -X -q -d $db -v VERBOSITY=verbose \
    -c "BEGIN" -c "INSERT INTO big VALUES (-1, 'in the failed transaction')" \
    -c "SELECT a, b FROM big ORDER BY b, a LIMIT 5 OFFSET 2000000" -c "COMMIT" 2>&1 || true)
echo "$out"
echo "$out" | grep -qE "ERROR:  (53100: duckdb: |53200: out of memory in the pg_duckam engine)" || fail "no disk-full or out-of-memory error: $out"
echo "$out" | grep -qE "HINT:  (The disk holding the DuckDB file|Raise duckam.memory_limit)" || fail "no hint"
echo "$out" | grep -q "SET threads" && fail "DuckDB's advice reached the client: $out"
echo "ok: DuckDB running out of space is a PostgreSQL error with its SQLSTATE"
expect "nothing of the failed transaction" "$(val $db "SELECT count(*) FROM big WHERE a = -1")" "0"
expect "the table is intact" "$(val $db "SELECT count(*) FROM big")" "3000000"
val $db "INSERT INTO big VALUES (0, 'after')"
expect "and takes writes" "$(val $db "SELECT count(*) FROM big")" "3000001"
# a hash join whose build side cannot fit in 64 MB without spilling
out=$("$PGBIN/psql" -X -q -d $db -v VERBOSITY=verbose -c "SELECT count(*) FROM big x JOIN big y ON x.b = y.b" 2>&1 || true)
echo "$out" | head -3
echo "$out" | grep -qE "ERROR:  (53100: duckdb: |53200: out of memory in the pg_duckam engine)|^ *3000001$" || fail "join: $out"
echo "ok: a join over the memory limit either spilled and finished or failed cleanly"
expect "the engine still serves" "$(val $db "SELECT count(*) FROM big WHERE a <= 10")" "11"
