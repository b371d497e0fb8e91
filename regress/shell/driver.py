"""Client-driver test: psycopg 3 over the extended protocol (server-side
parameters, named prepared statements, generic plans after five runs).
Every query runs on a duckdb table and on a heap copy; results must match,
and the duckdb side must run in DuckDB."""
import datetime
import decimal
import sys

import psycopg

from testlib import Checks

check = Checks()


with psycopg.connect(dbname=sys.argv[1], autocommit=True, prepare_threshold=0) as conn:
    cur = conn.cursor()
    cur.execute("CREATE TABLE d_drv (id int, name text, day date, amt numeric(10,2), f float8) USING duckdb")
    cur.execute("""INSERT INTO d_drv SELECT g, 'n' || g, date '2024-01-01' + g, g / 4.0, g * 1.5
                   FROM generate_series(1, 1000) g""")
    cur.execute("INSERT INTO d_drv VALUES (NULL, NULL, NULL, NULL, NULL)")
    cur.execute("CREATE TABLE h_drv AS SELECT * FROM d_drv")
    query = """SELECT count(*), sum(amt), avg(id), min(day), count(DISTINCT name)
               FROM {t} WHERE id > %s AND day < %s AND name <> %s AND f >= %s"""
    cases = [
        (10, datetime.date(2024, 6, 1), "n20", 0.0),
        (500, datetime.date(2026, 1, 1), "x", 900.0),
        (0, datetime.date(2030, 1, 1), "", -1.0),
        (None, datetime.date(2030, 1, 1), "", -1.0),
        (999, datetime.date(2030, 1, 1), "", -1.0),
        (3, datetime.date(2024, 1, 10), "n5", 1.5),
        (3, datetime.date(2024, 1, 10), "n5", 1.5),
    ]
    for i, params in enumerate(cases):
        duck = cur.execute(query.format(t="d_drv"), params).fetchall()
        heap = cur.execute(query.format(t="h_drv"), params).fetchall()
        check(f"execution {i + 1} with {params}", duck, heap)
    check("types come back as Python's", [type(v) for v in duck[0]],
          [int, decimal.Decimal, decimal.Decimal, datetime.date, int])
    plan = cur.execute("EXPLAIN " + query.format(t="d_drv"), cases[0]).fetchall()
    check("runs in DuckDB", any("DuckDBScan" in row[0] for row in plan), True)
    # binary result format through the same conversions
    bcur = conn.cursor(binary=True)
    rows = bcur.execute("SELECT id, name, day, amt, f FROM d_drv WHERE id <= %s ORDER BY id", (3,)).fetchall()
    check("binary results", rows, [(i, f"n{i}", datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
                                    decimal.Decimal(i) / 4, i * 1.5) for i in (1, 2, 3)])
    # a server-side cursor fetching in batches
    with conn.transaction():
        with conn.cursor(name="c") as sc:
            sc.execute("SELECT id FROM d_drv WHERE id > %s ORDER BY id", (990,))
            check("named cursor", [r[0] for r in sc.fetchmany(4)], [991, 992, 993, 994])
    cur.execute("DROP TABLE d_drv, h_drv")

sys.exit(1 if check.failures else 0)
