"""The TPC-H report: report.md (+ chart.png) from results.csv and facts.env
in the output directory that benches/tpch/run.sh filled.

Usage: report.py <dir> [--no-chart]
"""
import csv
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

SYSTEMS = {"a": "PostgreSQL heap", "b": "pg_duckam (duckdb tables)", "c": "standalone DuckDB"}


def facts(path):
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value.strip('"')
    return out


def load(path):
    times = defaultdict(list)   # (system, query) -> [ms]
    status = {}                 # (system, query) -> ok / timeout / error
    engine = {}                 # query -> duckdb / postgresql (who ran b)
    with path.open() as f:
        for row in csv.DictReader(f):
            key = (row["system"], row["query"])
            if row["run"] == "0":
                engine[row["query"]] = row["status"]
                continue
            if status.get(key, "ok") == "ok":  # the first failure sticks
                status[key] = row["status"]
            if row["status"] == "ok":
                times[key].append(float(row["ms"]))
            else:
                times[key] = [float(row["ms"])]
    return times, status, engine


def geomean(values):
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def fmt(ms, state="ok"):
    if state != "ok":
        return f"{state} (>{ms / 1000:.0f} s)" if state == "timeout" else state
    return f"{ms:,.1f}"


def main():
    out = Path(sys.argv[1])
    f = facts(out / "facts.env")
    times, status, engine = load(out / "results.csv")
    queries = sorted({q for (_, q) in times if q.startswith("q")})
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    ok = lambda s, q: status.get((s, q)) == "ok"
    both = lambda x, y: [q for q in queries if ok(x, q) and ok(y, q)]
    ratio_ab = geomean([best[("a", q)] / best[("b", q)] for q in both("a", "b")])
    ratio_bc = geomean([best[("b", q)] / best[("c", q)] for q in both("b", "c")])
    mismatches = f.get("mismatches", "").split()

    lines = [
        f"# TPC-H SF{f['sf']}: PostgreSQL heap (a) vs pg_duckam (b) vs standalone DuckDB (c)",
        "",
        f"- Machine: {f['machine']}; DuckDB threads: {f['threads']} (b and c)",
        f"- Command: `{f['command']}` — best and median of {f['runs']} runs per query, statement timeout {f['timeout']} s",
        "- a: heap tables with TPC-H's primary and foreign keys, after VACUUM ANALYZE, PostgreSQL's default parallelism; "
        "b: the same schema in duckdb tables; c: the same DuckDB build (src/bin/duckdb_standalone.rs) on the same CSV files, in memory.",
        f"- Correctness: every query's rows on b compared with a's (sorted, as text): "
        + ("**all equal**" if not mismatches else f"**DIFFERENT: {' '.join(mismatches)}**"),
        "",
        "## Summary",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| geometric mean a/b (speed-up of b over heap; queries both finished) | {ratio_ab:.2f}× |",
        f"| geometric mean b/c (b's time over standalone DuckDB's) | {ratio_bc:.2f}× |",
    ]
    la, lb, lc = best.get(("a", "load")), best.get(("b", "load")), best.get(("c", "load"))
    if la and lb:
        keys = best.get(("a", "keys+analyze"), 0)
        lines.append(f"| load, COPY FROM CSV: a / b / c (ms) | {la:,.0f} (+ {keys:,.0f} keys and ANALYZE) / {lb:,.0f} / {lc or 0:,.0f}; b/a = {lb / la:.2f} |")
    sa, sb, sc = int(f["size_a"]), int(f["size_b"]), int(f["size_csv"])
    lines.append(f"| storage: a (tables + indexes) / b (DuckDB file) / CSV | {sa / 2**20:,.0f} MB / {sb / 2**20:,.0f} MB / {sc / 2**20:,.0f} MB; b/a = {sb / sa:.2f} |")
    rows = int(f["lineitem_rows"])
    sa_ms, sb_ms = best.get(("a", "scan")), best.get(("b", "scan"))
    if sa_ms and sb_ms:
        lines.append(f"| full scan `COPY (SELECT * FROM lineitem) TO STDOUT`: a / b | {sa_ms:,.0f} ms ({rows / sa_ms * 1000 / 1e6:.2f}M rows/s) / "
                     f"{sb_ms:,.0f} ms ({rows / sb_ms * 1000 / 1e6:.2f}M rows/s); b/a throughput = {sa_ms / sb_ms:.2f} |")
    bench = out / "pgbench.csv"
    if bench.exists():
        with bench.open() as fh:
            p50 = {(r["system"], r["test"]): float(r["p50_ms"]) for r in csv.DictReader(fh) if r["clients"] == "1"}
        added = {t: p50[("b", t)] - p50[("a", t)] for t in ("point", "count", "insert") if ("a", t) in p50 and ("b", t) in p50}
        if added:
            lines.append("| added small-statement latency, p50 b − a (ms) | " + ", ".join(f"{t} {v:+.2f}" for t, v in added.items()) + " |")
    lines += ["", "## Per query (ms)", "",
              "| query | a best | a median | b best | b median | c best | c median | b ran in | a/b | b/c |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for q in queries:
        cells = [q]
        for s in "abc":
            st = status.get((s, q), "missing")
            cells += [fmt(best[(s, q)], st), fmt(median[(s, q)], st) if st == "ok" else ""] if (s, q) in best else ["", ""]
        cells.append(engine.get(q, "?"))
        cells.append(f"{best[('a', q)] / best[('b', q)]:.1f}" if ok("a", q) and ok("b", q) else "")
        cells.append(f"{best[('b', q)] / best[('c', q)]:.1f}" if ok("b", q) and ok("c", q) else "")
        lines.append("| " + " | ".join(cells) + " |")
    slow = sorted(both("b", "c"), key=lambda q: best[("b", q)] / best[("c", q)], reverse=True)[:3]
    lines += ["", "Slowest relative to standalone DuckDB: " + ", ".join(f"{q} ({best[('b', q)] / best[('c', q)]:.1f}×)" for q in slow), ""]
    mixed = sorted({q for (_, q) in times if q.startswith("mixed:")})
    if mixed:
        lines += ["## Heap ⨝ duckdb (ms)", "",
                  "a: both tables heap; b: heap `orders` ⨝ duckdb `lineitem`, run by DuckDB reading the heap table through PostgreSQL's scan.", "",
                  "| query | a best | a median | b best | b median | b ran in | a/b |", "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
        for q in mixed:
            cells = [q.removeprefix("mixed:")]
            for sys_ in "ab":
                st = status.get((sys_, q), "missing")
                cells += [fmt(best[(sys_, q)], st), fmt(median[(sys_, q)], st) if st == "ok" else ""] if (sys_, q) in best else ["", ""]
            cells.append(engine.get(q, "?"))
            cells.append(f"{best[('a', q)] / best[('b', q)]:.1f}" if ok("a", q) and ok("b", q) else "")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    bench = out / "pgbench.csv"
    if bench.exists():
        lines += pgbench_sections(bench)
    if "--no-chart" not in sys.argv:
        chart(out / "chart.png", queries, best, status, f)
        lines += ["![per-query times, log scale](chart.png)", ""]
    lines += ["Raw figures: results.csv (system, query, run, ms, status; row `run = 0` says which engine ran b's query) and "
              "pgbench.csv (system, test, clients, transactions, tps, mean/p50/p99 latency in ms)."]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def pgbench_sections(path):
    """Small-statement latency and concurrency tables from pgbench.csv."""
    rows = {}
    with path.open() as f:
        for r in csv.DictReader(f):
            rows[(r["system"], r["test"], int(r["clients"]))] = r
    num = lambda r, k: float(r[k])
    lines = ["## Small statements (pgbench, one client, autocommit; ms)", "",
             "c: the same statement prepared in standalone DuckDB (same build, in memory: no WAL), executed as often "
             "— DuckDB's own floor on this machine.", "",
             "| statement | a p50 | a p99 | a mean | b p50 | b p99 | b mean | added p50 (b − a) | c p50 | b − c p50 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    labels = {"point": "point lookup `customer` by primary key", "count": "`count(*)` of `nation` (25 rows)",
              "insert": "one-row INSERT", "connect+count": "new connection + the count (pgbench -C)"}
    for test, label in labels.items():
        a, b, c = rows.get(("a", test, 1)), rows.get(("b", test, 1)), rows.get(("c", test, 1))
        if not (a and b):
            continue
        floor = f"{num(c, 'p50_ms'):.2f} | {num(b, 'p50_ms') - num(c, 'p50_ms'):+.2f}" if c else " | "
        lines.append(f"| {label} | {num(a, 'p50_ms'):.2f} | {num(a, 'p99_ms'):.2f} | {num(a, 'mean_ms'):.2f} | "
                     f"{num(b, 'p50_ms'):.2f} | {num(b, 'p99_ms'):.2f} | {num(b, 'mean_ms'):.2f} | {num(b, 'p50_ms') - num(a, 'p50_ms'):+.2f} | {floor} |")
    lines += ["", "## Concurrency: TPC-H Q6 from N clients (pgbench)", "",
              "| clients | a tps | b tps | b/a tps | a mean ms | b mean ms | a p99 ms | b p99 ms |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for c in (1, 2, 4, 8):
        a, b = rows.get(("a", "q06", c)), rows.get(("b", "q06", c))
        if a and b:
            lines.append(f"| {c} | {num(a, 'tps'):.1f} | {num(b, 'tps'):.1f} | {num(b, 'tps') / num(a, 'tps'):.2f} | {num(a, 'mean_ms'):.1f} | "
                         f"{num(b, 'mean_ms'):.1f} | {num(a, 'p99_ms'):.1f} | {num(b, 'p99_ms'):.1f} |")
    lines += ["", "## One writer beside three Q6 readers (pgbench, two runs at once)", "",
              "| | a tps | b tps | a mean ms | b mean ms | a p99 ms | b p99 ms |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for test, c in (("q06 beside writer", 3), ("insert beside 3 readers", 1)):
        a, b = rows.get(("a", test, c)), rows.get(("b", test, c))
        if a and b:
            lines.append(f"| {test} | {num(a, 'tps'):.1f} | {num(b, 'tps'):.1f} | {num(a, 'mean_ms'):.2f} | {num(b, 'mean_ms'):.2f} | "
                         f"{num(a, 'p99_ms'):.2f} | {num(b, 'p99_ms'):.2f} |")
    a, b = rows.get(("a", "insert x8", 8)), rows.get(("b", "insert x8", 8))
    if a and b:
        lines += ["", "## Eight writers: one-row INSERT transactions into one table from 8 clients (pgbench)", "",
                  "| | a | b | b/a |", "| --- | ---: | ---: | ---: |",
                  f"| commits/s | {num(a, 'tps'):.0f} | {num(b, 'tps'):.0f} | {num(b, 'tps') / num(a, 'tps'):.2f} |",
                  f"| mean ms | {num(a, 'mean_ms'):.2f} | {num(b, 'mean_ms'):.2f} | |",
                  f"| p99 ms | {num(a, 'p99_ms'):.2f} | {num(b, 'p99_ms'):.2f} | |"]
    memory = path.parent / "memory.csv"
    if memory.exists():
        with memory.open() as f:
            mem = {r["system"]: r for r in csv.DictReader(f)}
        lines += ["", "## Memory: 20 connections, each ran one query (private memory = RSS minus shared, MB)", "",
                  "stage1: b before the shared engine (each backend held its own DuckDB instance with the file attached), "
                  "reproduced by memory.py: 20 such instances on a copy of the file, plus 20 backends as in a.", "",
                  "| | backends (sum) | pg_duckam engine | total |", "| --- | ---: | ---: | ---: |"]
        for sys_ in ("a", "b", "stage1"):
            if sys_ in mem:
                r = mem[sys_]
                lines.append(f"| {sys_} | {int(r['backends_private_kb']) / 1024:.1f} | {int(r['engine_private_kb']) / 1024:.1f} | "
                             f"{int(r['total_kb']) / 1024:.1f} |")
    return lines + [""]


def chart(path, queries, best, status, f):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(14, 5))
    width = 0.27
    for i, (s, label) in enumerate(SYSTEMS.items()):
        xs = [j + (i - 1) * width for j in range(len(queries))]
        ys = [best.get((s, q), 0) for q in queries]
        bars = ax.bar(xs, ys, width, label=label)
        for bar, q in zip(bars, queries):
            if status.get((s, q)) == "timeout":
                bar.set_hatch("//")
    ax.set_yscale("log")
    ax.set_xticks(range(len(queries)))
    ax.set_xticklabels(queries)
    ax.set_ylabel("best time, ms (log scale; hatched: timed out)")
    ax.set_title(f"TPC-H SF{f['sf']}, best of {f['runs']} runs")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
