#!/usr/bin/env bash
# Small statements and concurrency on the TPC-H data run.sh loaded, with
# pgbench, for heap tables (schema a) and duckdb tables (schema b):
#   latency   one client, N transactions each: a primary-key point lookup
#             (customer), a count over a 25-row table (nation), a one-row
#             INSERT (autocommit), and connect + that count (pgbench -C);
#             p50 / p99 / mean from pgbench's per-transaction log
#   analytic  TPC-H Q6 with 1, 2, 4 and 8 clients for S seconds each
#   mixed     one writer (one-row INSERTs) beside 3 clients running Q6,
#             S seconds, both measured
#   writers   8 clients each committing one-row INSERT transactions into
#             the same table, S seconds
#   memory    20 connections that each ran one query: their backends'
#             private memory, and the pg_duckam engine's (memory.csv)
# Writes <out>/pgbench.csv: system,test,clients,tx,tps,mean_ms,p50_ms,p99_ms
#
# Usage: pgbench.sh <database> <out dir> <latency transactions> <seconds>
# (called by run.sh after its query runs; needs the loaded database)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/env.sh"
db=$1 out=$2 tx=$3 seconds=$4
csv="$out/pgbench.csv"
echo "system,test,clients,tx,tps,mean_ms,p50_ms,p99_ms" > "$csv"
work=$(mktemp -d)
chmod 777 "$work"
trap 'rm -rf "$work"' EXIT

customers=$("$PGBIN/psql" -X -qAt -d "$db" -c "SELECT count(*) FROM a.customer")
for s in a b; do
    using=$([ $s = b ] && echo "USING duckdb" || true)
    "$PGBIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$db" \
        -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS $s.bench_history" \
        -c "CREATE TABLE $s.bench_history (id int, amount numeric(12,2), note text) $using"
done
cat > "$work/point.sql" <<EOF
\set k random(1, $customers)
SELECT * FROM customer WHERE c_custkey = :k;
EOF
echo "SELECT count(*) FROM nation;" > "$work/count.sql"
cat > "$work/insert.sql" <<EOF
\set k random(1, 1000000)
INSERT INTO bench_history VALUES (:k, :k * 0.01, 'pgbench');
EOF
cp "$here/queries/q06.sql" "$work/q06.sql"

# pgbench's own summary: "tps = X (without initial connection time)" and
# "latency average = Y ms".
summary() { # summary <pgbench output file> -> "tx tps mean"
    awk '/number of transactions actually processed/ {split($0, a, ": "); split(a[2], b, "/"); tx = b[1]}
         /^latency average/ {mean = $4}
         /^tps = / {tps = $3}
         END {printf "%s %s %s\n", tx, tps, mean}' "$1"
}
# p50 and p99 from pgbench -l logs (third field: latency in µs).
percentiles() { # percentiles <log prefix> -> "p50 p99"
    cat "$1".* | awk '{print $3}' | sort -n | awk '{v[NR] = $1} END {
        if (NR == 0) { print "0 0"; exit }
        i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
        i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
        printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }'
}
bench() { # bench <system> <test> <clients> <script> <pgbench limits…>
    local sys=$1 test=$2 clients=$3 script=$4 threads
    shift 4
    threads=$((clients < 2 ? 1 : 2))
    rm -f "$work"/log.*
    PGOPTIONS="-c search_path=$sys" "$PGBIN/pgbench" -n -d "$db" -c "$clients" -j "$threads" -f "$work/$script" \
        -l --log-prefix="$work/log" "$@" > "$work/out.txt" 2>&1 \
        || { cat "$work/out.txt" >&2; return 1; }
    record "$sys" "$test" "$clients" "$work/out.txt" "$work/log"
}
record() { # record <system> <test> <clients> <pgbench output> <log prefix>: one CSV line
    local n tps mean p50 p99
    read -r n tps mean < <(summary "$4")
    read -r p50 p99 < <(percentiles "$5")
    echo "$1,$2,$3,$n,$tps,$mean,$p50,$p99" >> "$csv"
}

for s in a b; do
    bench $s point 1 point.sql -t "$tx"
    bench $s count 1 count.sql -t "$tx"
    bench $s insert 1 insert.sql -t "$tx"
    bench $s connect+count 1 count.sql -C -t "$((tx / 4 + 1))"
done
for c in 1 2 4 8; do
    for s in a b; do
        bench $s q06 "$c" q06.sql -T "$seconds"
    done
done
# One writer beside three readers: two pgbench runs at once.
for s in a b; do
    rm -f "$work"/log.* "$work"/wlog.*
    PGOPTIONS="-c search_path=$s" "$PGBIN/pgbench" -n -d "$db" -c 1 -f "$work/insert.sql" -T "$seconds" \
        -l --log-prefix="$work/wlog" > "$work/writer.txt" 2>&1 &
    writer=$!
    bench $s "q06 beside writer" 3 q06.sql -T "$seconds"
    wait "$writer" || { cat "$work/writer.txt" >&2; exit 1; }
    record $s "insert beside 3 readers" 1 "$work/writer.txt" "$work/wlog"
done
for s in a b; do
    bench $s "insert x8" 8 insert.sql -T "$seconds"
done
for s in a b; do
    "$PGBIN/psql" -X -qAt -d "$db" -c "DROP TABLE $s.bench_history"
done
/usr/bin/python3 "$here/memory.py" "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db" 20 "$out/memory.csv" \
    "$CARGO_TARGET_DIR/release/duckdb_standalone" "$("$PGBIN/psql" -X -qAt -d "$db" -c "SHOW duckam.threads")"
