#!/usr/bin/env bash
# Aggregate queries over N rows (default 3,000,000): the same query on a
# duckdb table and on a heap copy, same session, best of 3 runs each, and
# the heap/duckdb ratio. Needs a running cluster (scripts/cluster.sh start).
# Usage: benches/aggregates.sh [rows]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${1:-3000000}
bench_db duckam_bench_agg
psql -c "CREATE EXTENSION pg_duckam" -c "
CREATE TABLE d_big (id int, grp int, amt numeric(12,2), f float8, day date, name text) USING duckdb;
INSERT INTO d_big SELECT g, g % 100, (g % 10000) / 100.0, g * 0.5, date '2020-01-01' + g % 1500, 'n' || (g % 1000)
  FROM generate_series(1, $rows) g;
CREATE TABLE h_big AS SELECT * FROM d_big;" -c "VACUUM ANALYZE h_big"
queries=(
  "SELECT count(*), sum(amt), avg(id), max(f) FROM @T"
  "SELECT grp, count(*), avg(amt), sum(f) FROM @T GROUP BY grp"
  "SELECT date_trunc('month', day::timestamp), count(DISTINCT name) FROM @T WHERE amt > 50 GROUP BY 1"
  "SELECT grp, rank() OVER (ORDER BY sum(amt) DESC) FROM @T GROUP BY grp"
  "SELECT count(*) FROM @T a WHERE a.id IN (SELECT id * 2 FROM @T WHERE grp = 7)"
)
printf "%-92s %10s %10s %7s %s\n" "query ($rows rows)" "duckdb ms" "heap ms" "ratio" "in DuckDB"
for q in "${queries[@]}"; do
    d=$(best "${q//@T/d_big}"); h=$(best "${q//@T/h_big}")
    printf "%-92s %10s %10s %6.1fx %s\n" "$q" "$d" "$h" "$(echo "$h / $d" | bc -l)" "$(in_duckdb "${q//@T/d_big}")"
done
