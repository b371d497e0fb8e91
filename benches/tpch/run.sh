#!/usr/bin/env bash
# TPC-H on three systems, same machine, same run:
#   a  PostgreSQL heap tables with TPC-H's keys, default parallelism
#   b  the same schema in duckdb tables (pg_duckam)
#   c  standalone DuckDB (src/bin/duckdb_standalone.rs: same DuckDB build)
# Each query's result on b must equal a's (sorted rows as text), or the run
# fails. Writes results.csv, report.md and chart.png into the output dir.
#
# Usage: benches/tpch/run.sh [--sf N] [--quick] [--runs N] [--timeout S] [--out DIR] [--no-chart] [--keep]
#                            [--latency-tx N] [--seconds S]
#   --quick: scale factor 0.1, 30 s per statement;  default: SF 1, 3 runs, 300 s per statement,
#   out = benches/results/<date>-sf<N>. Needs a running cluster
#   (scripts/cluster.sh start) with pg_duckam installed. --keep leaves the
#   database duckam_bench_tpch (schemas a and b) in place afterwards.
#   --latency-tx / --seconds: pgbench transactions per latency test (2000)
#   and seconds per concurrency test (10), see pgbench.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

sf=1 runs=3 timeout="" out="" chart=1 latency_tx=2000 seconds=10 given="$*"
while (($#)); do
    case "$1" in
        --sf) sf=$2; shift ;;
        --quick) sf=0.1 quick=1 ;;
        --runs) runs=$2; shift ;;
        --timeout) timeout=$2; shift ;;
        --out) out=$2; shift ;;
        --no-chart) chart=0 ;;
        --keep) KEEP_DB=1 ;;
        --latency-tx) latency_tx=$2; shift ;;
        --seconds) seconds=$2; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
# --quick bounds each statement at 30 s (Q17 on heap tables takes minutes).
timeout=${timeout:-$([ "${quick:-0}" = 1 ] && echo 30 || echo 300)}
out=${out:-"$REPO_ROOT/benches/results/$(date +%Y-%m-%d)-sf$sf"}
mkdir -p "$out"
csv="$out/results.csv"
echo "system,query,run,ms,status" > "$csv"
tables="region nation supplier customer part partsupp orders lineitem"

# Data: generated once per scale factor, readable by the server's user.
data="$DUCKAM_WORK/tpch-sf$sf"
if [ ! -f "$data/lineitem.csv" ]; then
    mkdir -p "$data"
    "$BENCH_VENV/bin/tpchgen-cli" csv -s "$sf" --output-dir "$data"
fi
chmod -R a+rX "$data"

bench_db duckam_bench_tpch
psql -c "CREATE EXTENSION pg_duckam" -c "CREATE SCHEMA a" -c "CREATE SCHEMA b"
psql -c "SET search_path = a" -f <(sed 's/@USING@//' "$here/schema.sql")
psql -c "SET search_path = b" -f <(sed 's/@USING@/USING duckdb/' "$here/schema.sql")

since_ms() { echo "$(date +%s.%N) - $1" | bc -l | awk '{printf "%.3f", $1 * 1000}'; } # ms since a `date +%s.%N`
# Load: server-side COPY FROM the generated files, timed per system.
load() { # load <schema>
    local start
    start=$(date +%s.%N)
    for t in $tables; do
        psql -c "SET search_path = $1" -c "COPY $t FROM '$data/$t.csv' WITH (FORMAT csv, HEADER true)"
    done
    since_ms "$start"
}
echo "a,load,1,$(load a),ok" >> "$csv"
echo "b,load,1,$(load b),ok" >> "$csv"
start=$(date +%s.%N)
psql -c "SET search_path = a" -f "$here/keys.sql"
psql -c "VACUUM ANALYZE"
echo "a,keys+analyze,1,$(since_ms "$start"),ok" >> "$csv"
size_a=$(psql -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'a' AND c.relkind = 'r'")
size_b=$(psql -c "SELECT duckam.storage_size()")
size_csv=$(du -sb "$data" | cut -f1)

# Full-scan streaming: every lineitem row to the client's /dev/null.
scan() { # scan <schema>
    psql -c "SET search_path = $1" -c '\timing on' -c "COPY (SELECT * FROM lineitem) TO STDOUT" -c "COPY (SELECT * FROM lineitem) TO STDOUT" \
        | grep '^Time:' | awk '{print $2}' | sort -n | head -1
}
echo "a,scan,1,$(scan a),ok" >> "$csv"
echo "b,scan,1,$(scan b),ok" >> "$csv"
lineitem_rows=$(psql -c "SELECT count(*) FROM a.lineitem")

# Queries: first a checked run (rows kept), then the timed runs.
mkdir -p "$out/rows"
mismatches=()
run_query() { # run_query <system> <schema> <file> [name]: appends CSV lines
    local sys=$1 schema=$2 file=$3 name=${4:-} times status i=0
    name=${name:-$(basename "$file" .sql)}
    # rows, sorted, for the correctness check (statement_timeout applies)
    if ! psql -F '|' -c "SET search_path = $schema" -c "SET statement_timeout = '${timeout}s'" -f "$file" \
        > "$out/rows/$sys-$name.txt" 2> "$out/rows/$sys-$name.err"; then
        grep -q "statement timeout" "$out/rows/$sys-$name.err" && status=timeout || status=error
        echo "$sys,$name,1,$((timeout * 1000)),$status" >> "$csv"
        return
    fi
    sort -o "$out/rows/$sys-$name.txt" "$out/rows/$sys-$name.txt"
    # The session's first statement also pays its setup (for b: DuckDB's
    # instance); pgbench.sh measures that apart ("connect+count").
    local args=(-c "SET search_path = $schema" -c "SET statement_timeout = '${timeout}s'" -c "SELECT count(*) FROM nation" -c '\timing on' -c '\o /dev/null')
    for _ in $(seq "$runs"); do args+=(-f "$file"); done
    times=$(psql "${args[@]}" 2>&1 | grep '^Time:' | awk '{print $2}') || true
    for t in $times; do
        i=$((i + 1))
        echo "$sys,$name,$i,$t,ok" >> "$csv"
    done
}
check_rows() { # check_rows <name>: b's rows must be a's (when both finished)
    local name=$1
    if [ -f "$out/rows/a-$name.txt" ] && [ -f "$out/rows/b-$name.txt" ] && [ ! -s "$out/rows/a-$name.err" ] && [ ! -s "$out/rows/b-$name.err" ]; then
        if ! cmp -s "$out/rows/a-$name.txt" "$out/rows/b-$name.txt"; then
            mismatches+=("$name")
            diff "$out/rows/a-$name.txt" "$out/rows/b-$name.txt" | head -10 > "$out/rows/diff-$name.txt" || true
        fi
    fi
}
record_engine() { # record_engine <name> <file>: which engine ran b's statement
    local pushed
    pushed=$(psql -c "SET search_path = b" -c "EXPLAIN (FORMAT JSON) $(cat "$2")" | grep -c DuckDBScan || true)
    echo "b,$1,0,0,$([ "$pushed" -gt 0 ] && echo duckdb || echo postgresql)" >> "$csv"
}
for file in "$here"/queries/q*.sql; do
    name=$(basename "$file" .sql)
    run_query a a "$file"
    run_query b b "$file"
    check_rows "$name"
    record_engine "$name" "$file"
    echo "tpch: $name done"
done

# A heap ⨝ duckdb join (mixed/*.sql; @H@ = heap schema, @D@ = the other
# side): a = all heap, b = heap orders ⨝ duckdb lineitem.
for file in "$here"/mixed/*.sql; do
    name="mixed:$(basename "$file" .sql)"
    sed 's/@H@/a/g; s/@D@/a/g' "$file" > "$out/rows/$name-a.sql"
    sed 's/@H@/a/g; s/@D@/b/g' "$file" > "$out/rows/$name-b.sql"
    run_query a a "$out/rows/$name-a.sql" "$name"
    run_query b b "$out/rows/$name-b.sql" "$name"
    check_rows "$name"
    record_engine "$name" "$out/rows/$name-b.sql"
done

# Small statements and concurrency (pgbench): pgbench.csv.
"$here/pgbench.sh" "$db" "$out" "$latency_tx" "$seconds"
echo "tpch: pgbench done"

# c: standalone DuckDB with pg_duckam's thread count.
threads=$(psql -c "SHOW duckam.threads")
"$CARGO_TARGET_DIR/release/duckdb_standalone" "$data" "$here/schema.sql" "$here/queries" "$runs" "$threads" "$timeout" \
    "$latency_tx" "$out/pgbench.csv" >> "$csv"

cat > "$out/facts.env" <<EOF
sf=$sf
runs=$runs
timeout=$timeout
size_a=$size_a
size_b=$size_b
size_csv=$size_csv
lineitem_rows=$lineitem_rows
threads=$threads
command="benches/tpch/run.sh $given"
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), PostgreSQL $(psql -c 'SHOW server_version'), DuckDB $(psql -c 'SELECT duckam.duckdb_version()')"
mismatches="${mismatches[*]}"
EOF
"$BENCH_VENV/bin/python" "$here/report.py" "$out" $([ "$chart" = 1 ] || echo --no-chart)
if ((${#mismatches[@]})); then
    echo "tpch: RESULTS DIFFER between heap and duckdb tables: ${mismatches[*]} (see $out/rows/diff-*.txt)" >&2
    exit 1
fi
echo "tpch: report in $out/report.md"
