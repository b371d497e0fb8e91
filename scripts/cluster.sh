#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for pg_duckam, run as an unprivileged
# user on a loopback port.
#   cluster.sh start [--fresh] [--no-preload]   cluster.sh stop   cluster.sh restart
set -euo pipefail
source "$(dirname "$0")/env.sh"
DATA="${DUCKAM_DATA:-$DUCKAM_WORK/data}"
LOG="$DUCKAM_WORK/postgres.log"

cmd="${1:-start}"; shift || true
fresh=0; preload=1
for a in "$@"; do
    case "$a" in --fresh) fresh=1 ;; --no-preload) preload=0 ;; *) echo "unknown option $a"; exit 2 ;; esac
done

stop() {
    if [ -f "$DATA/postmaster.pid" ]; then
        as_user "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

case "$cmd" in
stop) stop ;;
start|restart)
    stop
    mkdir -p "$DUCKAM_WORK" && chown "$DUCKAM_OS_USER" "$DUCKAM_WORK" && rm -f "$LOG"
    if [ "$fresh" = 1 ]; then rm -rf "$DATA"; fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        as_user "$PGBIN/initdb" -D "$DATA" -U "$DUCKAM_OS_USER" --encoding=UTF8 --locale=C.UTF-8 -A trust >/dev/null
    fi
    as_user mkdir -p "$PGHOST"
    libs=""; [ "$preload" = 1 ] && libs="pg_duckam"
    # The cluster's settings live in their own file, included from
    # postgresql.conf, so ALTER SYSTEM (postgresql.auto.conf) survives.
    grep -q "^include_if_exists = 'duckam_cluster.conf'" "$DATA/postgresql.conf" \
        || echo "include_if_exists = 'duckam_cluster.conf'" >> "$DATA/postgresql.conf"
    cat > "$DATA/duckam_cluster.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $DUCKAM_PORT
unix_socket_directories = '$PGHOST'
shared_preload_libraries = '$libs'
max_prepared_transactions = 5
logging_collector = off
log_min_messages = warning
max_connections = 40
CONF
    chown "$DUCKAM_OS_USER" "$DATA/duckam_cluster.conf"
    # A backtrace in every error DETAIL would make test output unstable.
    as_user env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null
    ;;
*) echo "usage: $0 start|stop|restart [--fresh] [--no-preload]"; exit 2 ;;
esac
