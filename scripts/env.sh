# Shared settings of every pg_duckam script. Source it; do not run it.
# One build style everywhere (release, same flags, same target dir) so the
# bundled DuckDB is compiled once per machine and reused by every clone.
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/pg_duckam/target}"
# Without this, cargo-pgrx adds linker flags on install that change the
# fingerprint of every crate, compiling DuckDB a second time.
export CARGO_PGRX_DISABLE_GC_SECTIONS_WORKAROUND=1
export PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
export PGBIN="$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)"
export PGRX_VERSION=0.18.1
# Python tools of the benchmark (tpchgen-cli, matplotlib), outside the clone.
export BENCH_VENV="${BENCH_VENV:-/var/cache/pg_duckam/venv}"
# Test clusters run as this unprivileged OS user (PostgreSQL refuses root).
export DUCKAM_OS_USER="${DUCKAM_OS_USER:-pgduckam}"
export DUCKAM_WORK="${DUCKAM_WORK:-/var/tmp/pg_duckam}"
export DUCKAM_PORT="${DUCKAM_PORT:-54329}"
export PGHOST="$DUCKAM_WORK/sock"
export PGPORT="$DUCKAM_PORT"
export PGUSER="$DUCKAM_OS_USER"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
as_user() { runuser -u "$DUCKAM_OS_USER" -- "$@"; }
