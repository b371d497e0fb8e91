# Helpers for the shell tests. Each test exits 0 on success.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
psql_db() { local db="$1"; shift; "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
val() { local db="$1"; shift; "$PGBIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$db" -c "$*"; }
fail() { echo "FAIL: $*"; exit 1; }
expect() { # expect <what> <got> <wanted>
    if [ "$2" != "$3" ]; then fail "$1: got '$2', wanted '$3'"; fi
    echo "ok: $1 = $3"
}
fresh_db() {
    "$PGBIN/dropdb" --if-exists "$1" && "$PGBIN/createdb" "$1" && val "$1" "CREATE EXTENSION pg_duckam" >/dev/null
}
wait_ready() {
    for _ in $(seq 1 120); do
        "$PGBIN/pg_isready" -q && return 0
        sleep 0.5
    done
    fail "server did not come back"
}
active_pid() { # active_pid <db> <query prefix>: pid of the backend running it (waits up to 10 s)
    local pid=""
    for _ in $(seq 1 100); do
        pid=$(val "$1" "SELECT pid FROM pg_stat_activity WHERE query LIKE '$2%' AND state = 'active'")
        [ -n "$pid" ] && { echo "$pid"; return 0; }
        sleep 0.1
    done
    fail "no backend started: $2"
}
engine_pid() { # pid of the pg_duckam engine of the cluster in $1 (default: the test cluster), waiting up to 15 s
    local data="${1:-${DUCKAM_DATA:-$DUCKAM_WORK/data}}" pid="" postmaster
    for _ in $(seq 1 150); do
        postmaster=$(head -1 "$data/postmaster.pid" 2>/dev/null || true)
        [ -n "$postmaster" ] && pid=$(pgrep -P "$postmaster" -f "pg_duckam engine" || true)
        [ -n "$pid" ] && { echo "$pid"; return 0; }
        sleep 0.1
    done
    fail "the pg_duckam engine is not running"
}
RESET_SETTINGS=()
reset_server_settings() {
    for s in "${RESET_SETTINGS[@]}"; do val postgres "ALTER SYSTEM RESET $s" >/dev/null 2>&1 || true; done
    "$REPO_ROOT/scripts/cluster.sh" restart >/dev/null 2>&1 || true
}
set_server_setting() { # set_server_setting <name> <value>: ALTER SYSTEM and restart; undone (and restarted) when the test exits
    RESET_SETTINGS+=("$1")
    trap reset_server_settings EXIT
    val postgres "ALTER SYSTEM SET $1 = '$2'" >/dev/null
    "$REPO_ROOT/scripts/cluster.sh" restart
}
