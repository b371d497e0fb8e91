#!/usr/bin/env bash
# Runs every test suite of pg_duckam from a fresh clone: installs what is
# missing, builds and installs the extension, starts a throwaway cluster,
# runs unit tests, pg_regress suites, isolation specs and shell tests
# (crash recovery, dump/restore, loading), and prints "N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
PASS=0; FAIL=0; FAILED=()
pass() { PASS=$((PASS + $1)); }
failed() { FAIL=$((FAIL + 1)); FAILED+=("$1"); }
summary() {
    echo
    ((${#FAILED[@]})) && printf 'failed: %s\n' "${FAILED[@]}"
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
t0=$(date +%s)

if ! scripts/build.sh; then failed "build"; summary; exit 1; fi

echo "== unit tests (duckam_logic)"
out=$(cargo test --release -q -p duckam_logic 2>&1); rc=$?
echo "$out" | grep -E "test result|panicked|FAILED" || true
n=$(echo "$out" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
pass "$n"
[ $rc -eq 0 ] || failed "unit tests"

scripts/cluster.sh start --fresh || { failed "cluster start"; summary; exit 1; }
trap 'scripts/cluster.sh stop' EXIT
PGXS_TEST="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test"
OUT="$DUCKAM_WORK/regress_out"; rm -rf "$OUT"; mkdir -p "$OUT"

run_regress() { # tool schedule outdir
    local tool="$1" schedule="$2" out="$3"
    mkdir -p "$out"
    "$tool" --inputdir=regress --outputdir="$out" --bindir="$PGBIN" --host="$PGHOST" --port="$PGPORT" \
        --user="$PGUSER" --dbname=duckam_regress --load-extension=pg_duckam --schedule="$schedule" > "$out/run.log" 2>&1
    local rc=$?
    cat "$out/run.log" | grep -E '^(test| +|ok|not ok)' | grep -E 'ok|FAILED|failed' || true
    while read -r name; do failed "$name"; done < <(grep -E '\.\.\. FAILED|^not ok' "$out/run.log" | sed -E 's/^(test )?\s*([a-z_0-9]+).*/\2/;s/^not ok [0-9]+ +- +([a-z_0-9]+).*/\1/')
    pass "$(grep -cE '\.\.\. ok|^ok ' "$out/run.log")"
    if [ $rc -ne 0 ] && ! grep -qE '\.\.\. FAILED|^not ok' "$out/run.log"; then
        failed "$(basename "$schedule") (pg_regress exited $rc)"; tail -5 "$out/run.log"
    fi
    [ -f "$out/regression.diffs" ] && head -150 "$out/regression.diffs"
}
echo "== pg_regress"
run_regress "$PGXS_TEST/regress/pg_regress" regress/schedule "$OUT/regress"
echo "== isolation"
run_regress "$PGXS_TEST/isolation/pg_isolation_regress" regress/isolation_schedule "$OUT/isolation"

echo "== shell tests"
for t in regress/shell/*.sh; do
    name=$(basename "$t" .sh)
    [ "$name" = lib ] && continue
    if "$t" > "$OUT/$name.log" 2>&1; then pass 1; echo "shell $name ... ok"; else failed "shell $name"; echo "shell $name ... FAILED"; tail -20 "$OUT/$name.log"; fi
done

echo "total time: $(( $(date +%s) - t0 ))s"
summary
