#!/usr/bin/env bash
# What the storage of numeric without a precision (its text, computed on
# as DECIMAL(38,18)) costs: the same values in a duckdb numeric column, a
# duckdb numeric(12,2) column and a heap numeric column, same session,
# best of 3 runs each, with the ratios. Needs a running cluster.
# Usage: benches/numeric_storage.sh [rows]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${1:-3000000}
bench_db duckam_bench_numeric
psql -c "CREATE EXTENSION pg_duckam" -c "
CREATE TABLE d_text (id int, grp int, amt numeric) USING duckdb;
CREATE TABLE d_dec (id int, grp int, amt numeric(12,2)) USING duckdb;
INSERT INTO d_dec SELECT g, g % 100, (g % 1000000) / 100.0 FROM generate_series(1, $rows) g;
INSERT INTO d_text SELECT * FROM d_dec;
CREATE TABLE h_text AS SELECT * FROM d_text;" -c "VACUUM ANALYZE h_text"
queries=(
  "SELECT sum(amt), avg(amt) FROM @T"
  "SELECT grp, sum(amt), avg(amt) FROM @T GROUP BY grp"
  "SELECT count(*) FROM @T WHERE amt > 5000"
  "SELECT id, amt FROM @T ORDER BY amt DESC, id LIMIT 10"
)
printf "%-56s %12s %12s %10s %9s %9s %s\n" "query ($rows rows)" "numeric ms" "(12,2) ms" "heap ms" "text/dec" "heap/text" "in DuckDB"
for q in "${queries[@]}"; do
    t=$(best "${q//@T/d_text}"); d=$(best "${q//@T/d_dec}"); h=$(best "${q//@T/h_text}")
    printf "%-56s %12s %12s %10s %8.1fx %8.1fx %s\n" "$q" "$t" "$d" "$h" "$(echo "$t / $d" | bc -l)" "$(echo "$h / $t" | bc -l)" \
        "$(in_duckdb "${q//@T/d_text}")"
done
