#!/usr/bin/env bash
# max_connections (100, PostgreSQL's default) sessions all using duckdb
# tables at once (many_sessions.py).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_many
restore() {
    val postgres "ALTER SYSTEM RESET max_connections" >/dev/null 2>&1 || true
    "$REPO_ROOT/scripts/cluster.sh" restart >/dev/null 2>&1 || true
}
trap restore EXIT
fresh_db $db
val postgres "ALTER SYSTEM SET max_connections = 100"
"$REPO_ROOT/scripts/cluster.sh" restart
expect "max_connections" "$(val $db "SHOW max_connections")" "100"
/usr/bin/python3 "$(dirname "$0")/many_sessions.py" $db
