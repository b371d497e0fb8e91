"""Memory of many sessions: N connections each run one query on a table of
schema a (heap) or b (duckdb) and stay open; the sum of their backends'
private memory (RSS minus shared: Private_Clean + Private_Dirty of
/proc/<pid>/smaps_rollup) is reported, and for b also the pg_duckam
engine's. Run as root (reads other processes' smaps).

Stage 1 (before the shared engine) cannot run beside this build, so it is
reproduced: each stage-1 backend held a DuckDB instance of its own with
the database file attached; `duckdb_standalone memory-probe` opens N such
instances on a copy of the file and runs the same count in each, and its
private memory growth is added to N heap-like backends ("stage1" row).

Usage: memory.py <dsn> <connections> <out csv> <duckdb_standalone> <threads>
Writes: system,connections,backends_private_kb,engine_private_kb,total_kb
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

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


def stage1(dsn, n, standalone, threads):
    """DuckDB memory of N stage-1 backends (kB), reproduced on a copy."""
    with psycopg.connect(dsn, autocommit=True) as c:
        datadir = c.execute("SHOW data_directory").fetchone()[0]
        oid = c.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
        table = c.execute("SELECT 'r_' || relfilenode FROM pg_class WHERE oid = 'b.nation'::regclass").fetchone()[0]
    time.sleep(3)  # the engine checkpoints a database 2 s after its last write
    src = os.path.join(datadir, "pg_duckam", f"{oid}.duckdb")
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "copy.duckdb")
        shutil.copy(src, copy)
        if os.path.exists(src + ".wal"):
            shutil.copy(src + ".wal", copy + ".wal")
        out = subprocess.run([standalone, "memory-probe", copy, table, str(n), str(threads), "1GB"],
                             check=True, capture_output=True, text=True).stdout
    before, after = (int(v) for v in out.strip().split(","))
    return after - before


def main():
    dsn, n, out, standalone, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    with open(out, "w") as f:
        f.write("system,connections,backends_private_kb,engine_private_kb,total_kb\n")
        heap_backends = None
        for schema in ("a", "b"):
            backends, engine = measure(dsn, schema, n)
            heap_backends = heap_backends or backends
            f.write(f"{schema},{n},{backends},{engine},{backends + engine}\n")
        duck = stage1(dsn, n, standalone, threads)
        f.write(f"stage1,{n},{heap_backends + duck},0,{heap_backends + duck}\n")


if __name__ == "__main__":
    main()
