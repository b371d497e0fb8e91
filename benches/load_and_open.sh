#!/usr/bin/env bash
# Issue-2 measurements, same cluster and same run:
#  1. COPY FROM throughput (rows/s) of one CSV file into a heap table and into
#     a duckdb table, and the storage each takes afterwards;
#  2. the per-transaction cost of opening/closing the DuckDB file: latency
#     of one-statement transactions on a tiny duckdb table vs the same on a
#     heap table (pgbench, one client).
# Usage: benches/load_and_open.sh [rows]   (default 5,000,000)
# Needs the extension installed and the cluster running (scripts/cluster.sh start).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
ROWS="${1:-5000000}"
DB=duckam_bench
q() { "$PGBIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$DB" -c "$*"; }
"$PGBIN/dropdb" --if-exists $DB && "$PGBIN/createdb" $DB
q "CREATE EXTENSION pg_duckam"
CSV="$DUCKAM_WORK/bench_load.csv"
q "COPY (SELECT g, timestamptz '2024-01-01' + g * interval '1 second', (ARRAY['click','view','buy'])[1 + g % 3],
        (g % 100000) / 100.0, md5((g % 1000)::text) FROM generate_series(1, $ROWS) g) TO '$CSV' (FORMAT csv)"
COLS="(id bigint, ts timestamptz, kind text, amount numeric(12,2), tag text)"
q "CREATE TABLE load_heap $COLS"
q "CREATE TABLE load_duck $COLS USING duckdb"
ms() { local t0 t1; t0=$(date +%s%N); q "$1" >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
q "CHECKPOINT"
heap_ms=$(ms "COPY load_heap FROM '$CSV' (FORMAT csv)")
duck_ms=$(ms "COPY load_duck FROM '$CSV' (FORMAT csv)")
q "CHECKPOINT"
heap_bytes=$(q "SELECT pg_total_relation_size('load_heap')")
duck_bytes=$(q "SELECT duckam.storage_size()")
echo "## COPY FROM, $ROWS rows ($(du -h "$CSV" | cut -f1) CSV)"
echo "| table | time | rows/s | storage |"
echo "|---|---|---|---|"
echo "| heap | ${heap_ms} ms | $(( ROWS * 1000 / heap_ms )) | $(( heap_bytes / 1048576 )) MiB |"
echo "| duckdb | ${duck_ms} ms | $(( ROWS * 1000 / duck_ms )) | $(( duck_bytes / 1048576 )) MiB |"
echo "load time duckdb/heap: $(awk "BEGIN {printf \"%.2f\", $duck_ms / $heap_ms}")," \
     "storage duckdb/heap: $(awk "BEGIN {printf \"%.3f\", $duck_bytes / $heap_bytes}")"
check=$(q "SELECT (SELECT count(*) || ':' || sum(id) || ':' || sum(amount) FROM load_heap) = (SELECT count(*) || ':' || sum(id) || ':' || sum(amount) FROM load_duck)")
echo "same rows in both: $check"
rm -f "$CSV"

q "CREATE TABLE tiny_heap (a int); INSERT INTO tiny_heap VALUES (1)"
q "CREATE TABLE tiny_duck (a int) USING duckdb; INSERT INTO tiny_duck VALUES (1)"
echo
echo "## per-transaction latency (pgbench, 1 client, 3000 transactions)"
echo "| transaction | heap | duckdb | added |"
echo "|---|---|---|---|"
for kind in "read:SELECT a FROM tiny_%s" "write:INSERT INTO tiny_%s VALUES (2)"; do
    name=${kind%%:*}; tmpl=${kind#*:}
    lat=()
    for t in heap duck; do
        printf "$tmpl;\n" "$t" > "$DUCKAM_WORK/bench.sql"
        l=$("$PGBIN/pgbench" -n -c 1 -t 3000 -f "$DUCKAM_WORK/bench.sql" $DB 2>/dev/null | awk '/latency average/ {print $4}')
        lat+=("$l")
    done
    echo "| $name | ${lat[0]} ms | ${lat[1]} ms | $(awk "BEGIN {printf \"%.3f\", ${lat[1]} - ${lat[0]}}") ms |"
done
rm -f "$DUCKAM_WORK/bench.sql"
