"""Memory of many sessions: N connections each run one query on a table of
schema a (heap) or b (duckdb) and stay open; the sum of their backends'
private memory (RSS minus shared: Private_Clean + Private_Dirty of
/proc/<pid>/smaps_rollup) is reported, and for b also the pg_duckam
engine's. Run as root (reads other processes' smaps).

Usage: memory.py <dsn> <connections> <out csv>
Writes: system,connections,backends_private_kb,engine_private_kb,total_kb
"""
import sys

import psycopg


def private_kb(pid):
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def measure(dsn, schema, n):
    conns = [psycopg.connect(dsn, autocommit=True) for _ in range(n)]
    pids = []
    for c in conns:
        c.execute(f"SET search_path = {schema}")
        c.execute("SELECT count(*), sum(n_nationkey) FROM nation").fetchall()
        pids.append(c.execute("SELECT pg_backend_pid()").fetchone()[0])
    backends = sum(private_kb(p) for p in pids)
    engine = 0
    if schema == "b":
        row = conns[0].execute("SELECT pid FROM duckam.engine_status()").fetchone()
        engine = private_kb(row[0]) if row else 0
    for c in conns:
        c.close()
    return backends, engine


def main():
    dsn, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(out, "w") as f:
        f.write("system,connections,backends_private_kb,engine_private_kb,total_kb\n")
        for schema in ("a", "b"):
            backends, engine = measure(dsn, schema, n)
            f.write(f"{schema},{n},{backends},{engine},{backends + engine}\n")


if __name__ == "__main__":
    main()
