#!/usr/bin/env bash
# Heap tables inside DuckDB queries: (1) streaming a heap table of N rows
# (default 3,000,000) into DuckDB — a DuckDB count over pg_heap — next to
# PostgreSQL's own sequential scan count of it; (2) a heap ⨝ duckdb
# aggregate with duckam.heap_scans on (DuckDB runs it) and off (PostgreSQL
# runs it). Same session, best of 3. Needs a running cluster.
# Usage: benches/mixed.sh [rows]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rows=${1:-3000000}
bench_db duckam_bench_mixed
psql -c "CREATE EXTENSION pg_duckam" -c "
CREATE TABLE h_orders (id int, customer int, amount numeric(12,2), note text);
INSERT INTO h_orders SELECT g, g % 50000, (g % 10000) / 100.0, 'order ' || g FROM generate_series(1, $rows) g;
CREATE TABLE d_customers (id int, region int, name text) USING duckdb;
INSERT INTO d_customers SELECT g, g % 20, 'customer ' || g FROM generate_series(0, 49999) g;" -c "VACUUM ANALYZE h_orders"
best() { # best <settings> <sql>: best of 3 wall times in ms, one session
    psql -c "$1" -c '\timing on' -c "$2" -c "$2" -c "$2" | grep '^Time:' | awk '{print $2}' | sort -n | head -1
}
scan_duck=$(best "SET duckam.heap_scans = on" "SELECT count(h.note), max(h.amount) FROM h_orders h, (SELECT 1 FROM d_customers LIMIT 1) one")
scan_pg=$(best "SET max_parallel_workers_per_gather = 0" "SELECT count(note), max(amount) FROM h_orders")
scan_pg_par=$(best "RESET max_parallel_workers_per_gather" "SELECT count(note), max(amount) FROM h_orders")
agg="SELECT c.region, count(*), sum(h.amount) FROM h_orders h JOIN d_customers c ON c.id = h.customer GROUP BY c.region"
agg_on=$(best "SET duckam.heap_scans = on" "$agg")
agg_off=$(best "SET duckam.heap_scans = off" "$agg")
pushed=$(psql -c "EXPLAIN $agg" | grep -c DuckDBScan || true)
rate() { echo "$rows / ($1 / 1000)" | bc -l | xargs printf "%.0f"; }
echo "heap table: $rows rows (id int, customer int, amount numeric(12,2), note text)"
printf "%-62s %10s ms  %12s rows/s\n" "stream heap rows into DuckDB (count, max over pg_heap)" "$scan_duck" "$(rate "$scan_duck")"
printf "%-62s %10s ms  %12s rows/s\n" "PostgreSQL sequential scan, same aggregate, no workers" "$scan_pg" "$(rate "$scan_pg")"
printf "%-62s %10s ms  %12s rows/s\n" "PostgreSQL sequential scan, same aggregate, parallel" "$scan_pg_par" "$(rate "$scan_pg_par")"
printf "%-62s %10s ms\n" "heap ⨝ duckdb GROUP BY, duckam.heap_scans = on (DuckDB)" "$agg_on"
printf "%-62s %10s ms   (%.1fx)\n" "same query, duckam.heap_scans = off (PostgreSQL)" "$agg_off" "$(echo "$agg_off / $agg_on" | bc -l)"
[ "$pushed" -gt 0 ] || echo "WARNING: the mixed aggregate did not run in DuckDB"

# INSERT INTO a heap table SELECT … aggregating a duckdb table: DuckDB runs
# the SELECT (on) or PostgreSQL reads the duckdb table through the access
# method and aggregates (duckam.execution = off). Each inside BEGIN … ROLLBACK.
load=$(psql -c "CREATE TABLE d_orders (id int, customer int, amount numeric(12,2), note text) USING duckdb" \
     -c '\timing on' -c "INSERT INTO d_orders SELECT * FROM h_orders" | grep '^Time:' | awk '{print $2}')
psql -c "CREATE TABLE h_totals (customer int, total numeric, n bigint)"
printf "%-62s %10s ms  %12s rows/s\n" "INSERT INTO duckdb SELECT * FROM heap (appenders, with commit)" "$load" "$(rate "$load")"
ins="INSERT INTO h_totals SELECT customer, sum(amount), count(*) FROM d_orders GROUP BY customer"
best_rb() { # best_rb <settings> <sql>: best of 3 times of <sql>, each alone timed inside BEGIN … ROLLBACK
    local once=(-c "BEGIN" -c '\timing on' -c "$2" -c '\timing off' -c "ROLLBACK")
    psql -c "$1" "${once[@]}" "${once[@]}" "${once[@]}" | grep '^Time:' | awk '{print $2}' | sort -n | head -1
}
ins_on=$(best_rb "SET duckam.execution = auto" "$ins")
ins_off=$(best_rb "SET duckam.execution = off" "$ins")
printf "%-62s %10s ms\n" "INSERT INTO heap SELECT … GROUP BY over duckdb (DuckDB)" "$ins_on"
printf "%-62s %10s ms   (%.1fx)\n" "same INSERT, duckam.execution = off (PostgreSQL)" "$ins_off" "$(echo "$ins_off / $ins_on" | bc -l)"

# Memory: the heap side streams. A session with DuckDB's memory limit at
# 64MB streams the whole heap table through DuckDB (count + max) and as the
# probe side of a join, while this script samples the backend's anonymous
# resident memory (RssAnon: private memory, not the shared buffers it reads
# through) every 20 ms; the peak is reported next to the table's size.
heap_mb=$(psql -c "SELECT pg_total_relation_size('h_orders') / 1048576")
psql -c "SET application_name = 'duckam_mem'" -c "SET duckam.memory_limit = '64MB'" -c "SELECT pg_sleep(0.3)" \
    -c "SELECT count(h.note), max(h.amount) FROM h_orders h, (SELECT 1 FROM d_customers LIMIT 1) one" \
    -c "SELECT count(*), sum(h.amount) FROM h_orders h JOIN d_customers c ON c.id = h.customer" >/dev/null &
job=$!
pid=""
while [ -z "$pid" ] && kill -0 $job 2>/dev/null; do
    pid=$(psql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'duckam_mem'")
done
peak=0
while kill -0 $job 2>/dev/null; do
    kb=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
    sleep 0.02
done
wait $job
printf "%-62s %10s MB peak RssAnon (heap table %s MB, memory_limit 64MB)\n" "stream + join the heap table in DuckDB" "$((peak / 1024))" "$heap_mb"
