#!/usr/bin/env bash
# UPDATE / DELETE / INSERT … SELECT over N rows (default 3,000,000): the
# same statement on a duckdb table and on a heap copy, each run inside
# BEGIN … ROLLBACK so every run sees the same data (commit costs are not
# included), best of 3, and the heap/duckdb ratio. INSERT … SELECT is also
# timed with duckam.execution = off, i.e. through the access method's
# buffered appends instead of one DuckDB statement.
# Needs a running cluster (scripts/cluster.sh start). Usage: benches/dml.sh [rows]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${1:-3000000}
bench_db duckam_bench_dml
psql -c "CREATE EXTENSION pg_duckam" -c "
CREATE TABLE d_big (id int NOT NULL, grp int, amt numeric(12,2) CHECK (amt >= 0), f float8, name text) USING duckdb;
INSERT INTO d_big SELECT g, g % 100, (g % 10000) / 100.0, g * 0.5, 'n' || (g % 1000) FROM generate_series(1, $rows) g;
CREATE TABLE h_big (LIKE d_big INCLUDING ALL);
INSERT INTO h_big SELECT * FROM d_big;" -c "VACUUM ANALYZE h_big"
statements=(
  "UPDATE @T SET amt = amt * 1.1 WHERE grp < 50"
  "UPDATE @T SET name = name || 'x', f = f + 1"
  "DELETE FROM @T WHERE grp % 3 = 0"
  "INSERT INTO @T SELECT * FROM @T WHERE grp < 50"
)
best() { # best <settings> <sql>: best of 3 statement times in ms, each run in its own rolled-back transaction
    local out=()
    for _ in 1 2 3; do
        out+=("$(psql -c "BEGIN" -c "$1" -c '\timing on' -c "$2" -c '\timing off' -c "ROLLBACK" | grep '^Time:' | awk '{print $2}')")
    done
    printf "%s\n" "${out[@]}" | sort -n | head -1
}
printf "%-52s %10s %10s %7s %14s\n" "statement ($rows rows)" "duckdb ms" "heap ms" "ratio" "AM path ms"
for s in "${statements[@]}"; do
    d=$(best "SET duckam.execution = auto" "${s//@T/d_big}")
    h=$(best "SET duckam.execution = auto" "${s//@T/h_big}")
    am="-"
    [[ $s == INSERT* ]] && am=$(best "SET duckam.execution = off" "${s//@T/d_big}")
    printf "%-52s %10s %10s %6.1fx %14s\n" "$s" "$d" "$h" "$(echo "$h / $d" | bc -l)" "$am"
done
