#!/usr/bin/env bash
# The largest values PostgreSQL holds: a 1 GB text and a 1 GB bytea (as
# large as a heap row takes them: 1 GB less the row header), and
# 10,000-element arrays, through INSERT, queries in DuckDB and reading
# back into PostgreSQL, checked against PostgreSQL's own md5 of the same
# value. First, under the default 1 GB engine memory limit, a value DuckDB
# cannot hold is an out-of-memory error with a hint and nothing else
# happens (it used to abort the engine, and with it the cluster: a C++
# exception unwinding into Rust).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_big
fresh_db $db
max=1073741700  # 1 GB less 124 bytes: about the largest value a heap row takes (PostgreSQL's
                # own "tuple is too big" comes at 1073741819, the field limit, less the row header)
val $db "CREATE TABLE big_d (id int, t text, b bytea) USING duckdb"
engine=$(engine_pid)
postmaster_pid() { head -1 "${DUCKAM_DATA:-$DUCKAM_WORK/data}/postmaster.pid"; }
postmaster=$(postmaster_pid)
out=$("$PGBIN/psql" -X -q -d $db -v VERBOSITY=verbose -c "INSERT INTO big_d (id, t) VALUES (1, repeat('x', 700 * 1024 * 1024))" 2>&1 || true)
echo "$out"
echo "$out" | grep -q "ERROR:  53200: out of memory in the pg_duckam engine" || fail "no out-of-memory error: $out"
expect "the engine survived" "$(engine_pid)" "$engine"
expect "and the postmaster did not restart the cluster" "$(postmaster_pid)" "$postmaster"
expect "nothing was stored" "$(val $db "SELECT count(*) FROM big_d")" "0"

set_server_setting duckam.memory_limit 6GB
val $db "INSERT INTO big_d (id, t) VALUES (1, repeat('x', $max))"
val $db "INSERT INTO big_d (id, b) VALUES (2, repeat('y', $max)::bytea)"
expect "the text's length, in DuckDB" "$(val $db "SELECT length(t) FROM big_d WHERE id = 1")" "$max"
expect "the bytea's length" "$(val $db "SELECT length(b) FROM big_d WHERE id = 2")" "$max"
expect "md5 of the text, in DuckDB" "$(val $db "SELECT md5(t) = md5(repeat('x', $max)) FROM big_d WHERE id = 1")" "t"
val $db "CREATE TABLE big_h AS SELECT * FROM big_d"
expect "read back into PostgreSQL, the same values" \
    "$(val $db "SELECT md5(t) = md5(repeat('x', $max)), (SELECT md5(b) = md5(repeat('y', $max)::bytea) FROM big_h WHERE id = 2) FROM big_h WHERE id = 1")" "t|t"
val $db "DROP TABLE big_d, big_h"

# 10,000-element arrays with NULLs, and text arrays of odd elements
val $db "CREATE TABLE arr_d (id int, a int[], t text[]) USING duckdb"
val $db "INSERT INTO arr_d SELECT k, array_agg(CASE WHEN g % 97 = 0 THEN NULL ELSE g * k END ORDER BY g),
                array_agg(CASE WHEN g % 89 = 0 THEN NULL WHEN g % 2 = 0 THEN '' ELSE 'é,\"{}' || g END ORDER BY g)
         FROM generate_series(1, 10000) g, generate_series(1, 3) k GROUP BY k"
val $db "CREATE TABLE arr_h AS SELECT * FROM arr_d"
expect "arrays read back equal" "$(val $db "SELECT count(*) FROM arr_d d JOIN arr_h h USING (id) WHERE d.a = h.a AND d.t = h.t")" "3"
expect "array sizes, in DuckDB" "$(val $db "SELECT string_agg(cardinality(a) || '/' || cardinality(t), ' ' ORDER BY id) FROM arr_d")" "10000/10000 10000/10000 10000/10000"
expect "NULL elements kept" "$(val $db "SELECT sum(array_length(a, 1) - cardinality(array_remove(a, NULL))) FROM arr_d")" "309"
echo "ok: 1 GB text and bytea values and 10,000-element arrays round-trip"
