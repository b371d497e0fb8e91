#!/usr/bin/env bash
# Installs everything pg_duckam needs to build and test. Idempotent and
# quick when everything is already there.
set -euo pipefail
source "$(dirname "$0")/env.sh"

need_pkgs=()
for p in postgresql-15 postgresql-client-15 postgresql-server-dev-15 libclang-dev clang pkg-config python3-psycopg python3-venv; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
    echo "setup: installing ${need_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
# Debian's own cluster is not used; keep it from holding ports or memory.
if systemctl list-units 2>/dev/null | grep -q postgresql@15-main; then
    systemctl stop postgresql@15-main >/dev/null 2>&1 || true
fi

if ! cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then
    echo "setup: installing cargo-pgrx $PGRX_VERSION"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked --quiet
fi
if ! grep -q "^pg15" "$HOME/.pgrx/config.toml" 2>/dev/null; then
    cargo pgrx init --pg15 "$PG_CONFIG" >/dev/null
fi

# The benchmark's tools (benches/tpch): the TPC-H generator and the chart.
if ! "$BENCH_VENV/bin/python" -c "import matplotlib" 2>/dev/null || [ ! -x "$BENCH_VENV/bin/tpchgen-cli" ]; then
    echo "setup: installing tpchgen-cli and matplotlib into $BENCH_VENV"
    python3 -m venv "$BENCH_VENV"
    "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check "tpchgen-cli==4.0.0" "matplotlib==3.11.2"
fi

id "$DUCKAM_OS_USER" >/dev/null 2>&1 || useradd --system --create-home --shell /bin/bash "$DUCKAM_OS_USER"
mkdir -p "$DUCKAM_WORK" "$CARGO_TARGET_DIR"
chown "$DUCKAM_OS_USER" "$DUCKAM_WORK"
echo "setup: ok"
