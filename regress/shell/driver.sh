#!/usr/bin/env bash
# Extended-protocol parameters from a real client driver (psycopg 3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=duckam_driver
fresh_db $db
# Debian's python3 (python3-psycopg, installed by scripts/setup.sh), not any other on PATH
/usr/bin/python3 "$(dirname "$0")/driver.py" $db
