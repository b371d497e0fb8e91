# Shared by the benches/*.sh scripts: the project environment, a fresh
# database for the bench (dropped again on exit) and psql on it.
# Usage: source "$(dirname "$0")/lib.sh"; bench_db <name>
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
bench_db() {
    db=$1
    "$PGBIN/dropdb" --if-exists "$db" && "$PGBIN/createdb" "$db"
    # --keep leaves the database for a closer look (EXPLAIN ANALYZE).
    [ "${KEEP_DB:-0}" = 1 ] || trap '"$PGBIN/dropdb" --if-exists "$db"' EXIT
}
psql() { "$PGBIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# best <sql>: the best of 3 wall times of <sql> in ms, in one session.
best() {
    psql -c '\timing on' -c "$1" -c "$1" -c "$1" | grep '^Time:' | awk '{print $2}' | sort -n | head -1
}
# in_duckdb <sql>: "yes" if <sql> runs as a DuckDB scan, else "no".
in_duckdb() {
    if [ "$(psql -c "EXPLAIN $1" | grep -c DuckDBScan)" -gt 0 ]; then echo yes; else echo no; fi
}
