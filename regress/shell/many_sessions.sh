#!/usr/bin/env bash
# max_connections (100, PostgreSQL's default) sessions all using duckdb
# tables at once (many_sessions.py).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_many
fresh_db $db
set_server_setting max_connections 100
expect "max_connections" "$(val $db "SHOW max_connections")" "100"
/usr/bin/python3 "$(dirname "$0")/many_sessions.py" $db
