#!/usr/bin/env bash
# The TPC-H benchmark at a tiny scale (SF 0.01, one run, 10 s statement
# timeout, no chart): it runs end to end on all three systems, every
# query's rows on duckdb tables equal the heap tables' (run.sh fails
# otherwise), and the report names all 22 queries. No timing is checked.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$REPO_ROOT/benches/tpch/run.sh" --sf 0.01 --runs 1 --timeout 10 --out "$out" --no-chart --latency-tx 20 --seconds 1
expect "queries in the report" "$(grep -c '^| q[0-9][0-9] |' "$out/report.md")" 22
expect "standalone DuckDB answered every query" "$(grep -c '^c,q[0-9][0-9],1,[0-9.]*,ok$' "$out/results.csv")" 22
expect "correctness line" "$(grep -c 'all equal' "$out/report.md")" 1
expect "heap ⨝ duckdb join ran in DuckDB" "$(grep -c '^b,mixed:orders_heap,0,0,duckdb$' "$out/results.csv")" 1
expect "pgbench rows (4 latency + 4 concurrency + 2 mixed + 1 eight-writer per system, 3 standalone floors)" "$(tail -n +2 "$out/pgbench.csv" | wc -l)" 25
expect "memory rows (heap, duckdb, stage 1 reproduced)" "$(tail -n +2 "$out/memory.csv" | wc -l)" 3
expect "report has the eight-writer and memory sections" "$(grep -c '^## Eight writers\|^## Memory' "$out/report.md")" 2
