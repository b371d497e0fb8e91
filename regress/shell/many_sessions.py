"""max_connections sessions at once, every one of them in a transaction
that reads and writes duckdb tables (each its own engine session and
DuckDB connection), all open together, then all committed; one more
connection gets PostgreSQL's own refusal; afterwards every session's
rows are there once and the engine has let go of every session.

usage: many_sessions.py <database>"""
import sys
import threading
import time

import psycopg

from testlib import Checks

db = sys.argv[1]
check = Checks()
with psycopg.connect(dbname=db, autocommit=True) as c:
    limit = int(c.execute("SHOW max_connections").fetchone()[0])
    c.execute("DROP TABLE IF EXISTS many")
    c.execute("CREATE TABLE many (session int, n int) USING duckdb")
    c.execute("INSERT INTO many SELECT -1, g FROM generate_series(1, 1000) g")

# this connection closed: all max_connections slots are free (superuser may use the reserved ones)
conns, errors = [], []
for i in range(limit):
    conns.append(psycopg.connect(dbname=db, application_name=f"many {i}"))
written = threading.Barrier(limit)  # every session has an open DuckDB transaction
counted = threading.Barrier(limit)
open_in_engine = []


def session(i, conn):
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*), sum(n) FROM many WHERE session = -1")
        assert cur.fetchone() == (1000, 500500)
        cur.execute("INSERT INTO many SELECT %s, g FROM generate_series(1, 100) g", (i,))
        cur.execute("SELECT count(*) FROM many WHERE session IN (-1, %s)", (i,))
        assert cur.fetchone()[0] == 1100, "own uncommitted rows visible"
        written.wait(120)
        if i == 0:
            cur.execute("SELECT count(*) FROM duckam.engine_sessions WHERE in_transaction")
            open_in_engine.append(cur.fetchone()[0])
        counted.wait(120)
        conn.commit()
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append(f"session {i}: {e}")
        written.abort()
        counted.abort()


threads = [threading.Thread(target=session, args=(i, c)) for i, c in enumerate(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join(300)
check(f"{limit} sessions read, wrote and committed without error", errors[:3], [])
check("the engine held a DuckDB transaction for each at once", open_in_engine, [limit])
try:
    psycopg.connect(dbname=db).close()
    refused = "connected"
except psycopg.OperationalError as e:
    refused = "too many clients" if "too many clients" in str(e) else str(e)
check("connection max_connections + 1 gets PostgreSQL's refusal", refused, "too many clients")
for c in conns:
    c.close()
with psycopg.connect(dbname=db, autocommit=True) as c:
    check("every session's rows, once", c.execute(
        "SELECT count(DISTINCT session), count(*) FROM many WHERE session >= 0").fetchone(), (limit, limit * 100))
    for _ in range(50):  # sessions end asynchronously after their backends exit
        left = c.execute("SELECT count(*) FROM duckam.engine_sessions WHERE pid <> pg_backend_pid()").fetchone()[0]
        if left == 0:
            break
        time.sleep(0.2)
    check("the engine let go of every session", left, 0)
sys.exit(1 if check.failures else 0)
