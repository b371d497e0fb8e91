"""Soak with a ledger: 8 clients for a given time run a mix of single-row
and batch INSERTs, COPYs, UPDATEs, DELETEs, savepoint rollbacks, analytic
and heap ⨝ duckdb queries and occasional ALTER TABLE ADD COLUMN (on the
checked table) and TRUNCATE (on a second one). Every writing transaction
records what it did in a heap ledger in the same transaction. Each client
writes only its own rows, so its ledger alone says what they must be. At
the end the duckdb table must equal the ledger's replay: 0 lost, 0
duplicated, 0 changed rows; every error a client saw must be an expected
SQLSTATE (serialization failures and deadlocks, retried).

usage: soak.py <database> <seconds> <seed>"""
import random
import sys
import threading
import time

import psycopg

db, seconds, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
CLIENTS = 8
RETRIED = {"40001", "40P01"}
ID_SPACE = 1_000_000_000  # client c's ids: c * ID_SPACE + …

with psycopg.connect(dbname=db, autocommit=True) as c:
    c.execute("DROP TABLE IF EXISTS d, d_scratch, h, ledger")
    c.execute("CREATE TABLE d (id bigint, client int, v int) USING duckdb")
    c.execute("CREATE TABLE d_scratch (id bigint, v text) USING duckdb")
    c.execute("CREATE TABLE h (client int PRIMARY KEY, name text)")
    c.execute("INSERT INTO h SELECT g, 'client ' || g FROM generate_series(0, 7) g")
    c.execute("CREATE TABLE ledger (client int, seq int, op text, lo bigint, hi bigint, PRIMARY KEY (client, seq))")

stats = {"transactions": 0, "retries": 0, "queries": 0, "unexpected": []}
lock = threading.Lock()
deadline = time.time() + seconds


def client(n):
    rng = random.Random(seed * 100 + n)
    seq = 0
    next_id = n * ID_SPACE + 1
    live = []  # [lo, hi] ranges this client inserted and may still own
    alters = 0  # at most 3 a client: PostgreSQL allows 1,600 columns, dropped ones included
    with psycopg.connect(dbname=db, autocommit=True, application_name=f"soak {n}") as conn:
        while time.time() < deadline:
            op = rng.choices(["one", "batch", "copy", "update", "delete", "savepoint", "analytic", "mixed", "alter", "truncate"],
                             weights=[25, 15, 8, 12, 8, 6, 10, 10, 1, 2])[0]
            if op == "alter":
                if alters >= 3:
                    continue
                alters += 1
            if op in ("analytic", "mixed"):
                q = ("SELECT client, count(*), sum(v) FROM d GROUP BY client ORDER BY client" if op == "analytic" else
                     "SELECT h.name, count(*) FROM d JOIN h USING (client) WHERE d.v >= 0 GROUP BY h.name ORDER BY 1")
                try:
                    conn.execute(q).fetchall()
                    with lock:
                        stats["queries"] += 1
                except psycopg.Error as e:
                    with lock:
                        stats["unexpected"].append((op, e.sqlstate, str(e).splitlines()[0]))
                continue
            seq += 1
            done = False
            while True:
                lo = next_id
                try:
                    with conn.transaction():
                        if op == "one":
                            hi = lo
                            conn.execute("INSERT INTO d VALUES (%s, %s, 0)", (lo, n))
                        elif op == "batch":
                            hi = lo + 99
                            conn.execute("INSERT INTO d SELECT g, %s, 0 FROM generate_series(%s::bigint, %s::bigint) g", (n, lo, hi))
                        elif op == "copy":
                            hi = lo + 499
                            with conn.cursor().copy("COPY d (id, client, v) FROM STDIN") as cp:
                                for i in range(lo, hi + 1):
                                    cp.write_row((i, n, 0))
                        elif op == "savepoint":
                            hi = lo + 9
                            conn.execute("INSERT INTO d SELECT g, %s, 0 FROM generate_series(%s::bigint, %s::bigint) g", (n, lo, hi))
                            try:
                                with conn.transaction():
                                    conn.execute("INSERT INTO d SELECT g, %s, 0 FROM generate_series(%s::bigint, %s::bigint) g", (n, hi + 1, hi + 50))
                                    raise RuntimeError("roll back to the savepoint")
                            except RuntimeError:
                                pass
                        elif op in ("update", "delete"):
                            if not live:
                                lo = hi = 0
                            else:
                                lo, hi = rng.choice(live)
                            if op == "update":
                                conn.execute("UPDATE d SET v = v + 1 WHERE client = %s AND id BETWEEN %s AND %s", (n, lo, hi))
                            else:
                                conn.execute("DELETE FROM d WHERE client = %s AND id BETWEEN %s AND %s", (n, lo, hi))
                        elif op == "alter":
                            lo = hi = 0
                            conn.execute(f"ALTER TABLE d ADD COLUMN IF NOT EXISTS extra_{n}_{seq} int DEFAULT {n}")
                        elif op == "truncate":
                            lo = hi = 0
                            conn.execute("TRUNCATE d_scratch")
                            conn.execute("INSERT INTO d_scratch SELECT g, 'x' FROM generate_series(1, 1000) g")
                        conn.execute("INSERT INTO ledger VALUES (%s, %s, %s, %s, %s)", (n, seq, op, lo, hi))
                    done = True
                    break
                except psycopg.Error as e:
                    if e.sqlstate in RETRIED:
                        with lock:
                            stats["retries"] += 1
                        continue
                    with lock:
                        stats["unexpected"].append((op, e.sqlstate, str(e).splitlines()[0]))
                    break
            if not done:
                continue
            if op in ("one", "batch", "copy", "savepoint"):
                live.append((lo, hi))
                next_id = hi + 1 if op != "savepoint" else hi + 51
            elif op == "delete" and (lo, hi) in live:
                live.remove((lo, hi))
            with lock:
                stats["transactions"] += 1


threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

failures = 0
with psycopg.connect(dbname=db, autocommit=True) as c:
    want = {}
    for n, op, lo, hi in c.execute("SELECT client, op, lo, hi FROM ledger ORDER BY client, seq"):
        if op in ("one", "batch", "copy", "savepoint"):
            for i in range(lo, hi + 1):
                want[i] = (n, 0)
        elif op == "update":
            for i in range(lo, hi + 1):
                if i in want:
                    want[i] = (n, want[i][1] + 1)
        elif op == "delete":
            for i in range(lo, hi + 1):
                want.pop(i, None)
    got_rows = c.execute("SELECT id, client, v FROM d").fetchall()
    got = {i: (n, v) for i, n, v in got_rows}
    lost = sum(1 for i in want if i not in got)
    extra = sum(1 for i in got if i not in want)
    changed = sum(1 for i in want if i in got and got[i] != want[i])
    duplicated = len(got_rows) - len(got)
    extras = c.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = 'd'::regclass AND attname LIKE 'extra%' AND NOT attisdropped").fetchone()[0]
    altered = c.execute("SELECT count(*) FROM ledger WHERE op = 'alter'").fetchone()[0]
    print(f"soak: seed {seed}, {seconds:.0f} s, {CLIENTS} clients: {stats['transactions']} writing transactions "
          f"({stats['retries']} retries), {stats['queries']} queries; {len(want)} rows expected, {len(got_rows)} present; "
          f"lost {lost}, duplicated {duplicated}, not in the ledger {extra}, changed {changed}; "
          f"{len(stats['unexpected'])} unexpected errors; {extras} of {altered} added columns")
    for u in stats["unexpected"][:10]:
        print("unexpected error:", u)
    if lost or duplicated or extra or changed or stats["unexpected"] or extras != altered or stats["transactions"] == 0:
        failures += 1
sys.exit(1 if failures else 0)
