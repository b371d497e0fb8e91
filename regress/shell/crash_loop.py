"""Crash loop: kill -9 a backend or the pg_duckam engine at a random moment
of a random writing transaction, again and again, and check after every
restart that the duckdb table holds exactly what the committed
transactions wrote.

Every writing transaction also records itself in a heap ledger table in
the same transaction, so after a crash the ledger says which transactions
committed; replaying it gives the table's expected contents (rows per
batch and their value). Transactions run one at a time, so the ledger's
order is the order they committed in.

usage: crash_loop.py <database> <iterations> <seed> <work directory>
A failure prints the seed; the same seed replays the same operations and
kill targets (the moments differ with timing)."""
import os
import random
import signal
import sys
import threading
import time

import psycopg

from testlib import Checks

db, iterations, seed, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
BATCH = 10_000_000  # ids of batch b are b * BATCH + 1 .. b * BATCH + n
check = Checks(f"seed {seed}")


def log(msg):
    print(msg, flush=True)


def connect(timeout=90):
    """A connection once the server accepts them again (crash restart)."""
    deadline = time.time() + timeout
    while True:
        try:
            return psycopg.connect(dbname=db, autocommit=True, application_name="crash_loop_check")
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def setup():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS t, h, ledger")
        c.execute("CREATE TABLE t (id bigint, batch int, v text) USING duckdb")
        c.execute("CREATE TABLE h (batch int PRIMARY KEY, n int)")
        c.execute("CREATE TABLE ledger (batch int PRIMARY KEY, op text NOT NULL, target int, n int)")


def operation(b):
    """(op, target, n, statements) of transaction number b."""
    op = rng.choice(["copy", "insert", "insert", "update", "delete", "mixed", "truncate", "alter", "savepoint"])
    target = rng.randrange(1, b) if b > 1 else 0
    n = rng.choice([1, 50, 20_000, 300_000, 1_000_000])
    rows = f"SELECT {b} * {BATCH}::bigint + g, {b}, 'i' FROM generate_series(1, {n}) g"
    if op == "copy":
        path = os.path.join(work, f"crash_loop_{b}.csv")
        with connect() as c:
            c.execute(f"COPY ({rows}) TO '{path}' (FORMAT csv)")
        body = [f"COPY t (id, batch, v) FROM '{path}' (FORMAT csv)"]
    elif op == "insert":
        body = [f"INSERT INTO t {rows}"]
    elif op == "update":
        body = [f"UPDATE t SET v = 'u{b}' WHERE batch = {target}"]
    elif op == "delete":
        body = [f"DELETE FROM t WHERE batch = {target}"]
    elif op == "mixed":
        body = [f"INSERT INTO h VALUES ({b}, {n})", f"INSERT INTO t {rows}"]
    elif op == "truncate":
        body = ["TRUNCATE t"]
    elif op == "alter":
        body = [f"ALTER TABLE t ADD COLUMN c{b} int DEFAULT {b}"]
    else:  # savepoint: rows written then rolled back to the savepoint, then more
        body = ["SAVEPOINT s", f"INSERT INTO t SELECT -g, {b}, 'x' FROM generate_series(1, 10) g",
                "ROLLBACK TO SAVEPOINT s", f"INSERT INTO t {rows}"]
    ledger = f"INSERT INTO ledger VALUES ({b}, '{op}', {target}, {n})"
    # The pause widens the time in which a kill lands inside the transaction.
    return op, target, n, ["BEGIN"] + body + [ledger, f"SELECT pg_sleep({rng.choice([0, 0.2, 0.5, 1.0])})", "COMMIT"]


def expected_contents(ledger):
    """{batch: (rows, value)} and the set of ALTERed columns, from the ledger."""
    batches, columns = {}, set()
    for b, op, target, n in ledger:
        if op in ("copy", "insert", "mixed", "savepoint"):
            batches[b] = (n, "i")
        elif op == "update" and target in batches:
            batches[target] = (batches[target][0], f"u{b}")
        elif op == "delete":
            batches.pop(target, None)
        elif op == "truncate":
            batches.clear()
        elif op == "alter":
            columns.add(b)
    return batches, columns


def run_client(statements, outcome):
    try:
        with psycopg.connect(dbname=db, autocommit=True, application_name="crash_loop") as c:
            outcome["pid"] = c.info.backend_pid
            outcome["started"].set()
            for s in statements:
                if s == "COMMIT":
                    outcome["committing"].set()
                c.execute(s)
            outcome["committed"] = True
    except psycopg.Error as e:
        outcome["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
    finally:
        outcome["started"].set()
        outcome["committing"].set()


def engine_pid():
    with connect() as c:
        return c.execute("SELECT pid FROM duckam.engine_status()").fetchone()[0]


def repair(c, got, want):
    """Brings the table back to what the ledger says (after an in-doubt
    commit), so later rounds are checked against a known state."""
    for b in set(got) | set(want):
        if got.get(b) != want.get(b):
            c.execute(f"DELETE FROM t WHERE batch = {b}")
            if b in want:
                n, v = want[b]
                c.execute(f"INSERT INTO t SELECT {b} * {BATCH}::bigint + g, {b}, '{v}' FROM generate_series(1, {n}) g")


def verify(round_no, client_committed, pending, killed_at_commit):
    """Checks the table against the ledger. A kill aimed at COMMIT may land
    between DuckDB's commit and PostgreSQL's: the transaction is then in
    DuckDB and not in PostgreSQL (a known defect, README "Limits"). That
    is told apart from any other difference exactly — the table equals the
    ledger replayed with this transaction committed — counted, reported,
    and repaired by the test."""
    with connect() as c:
        ledger = c.execute("SELECT batch, op, target, n FROM ledger ORDER BY batch").fetchall()
        want, columns = expected_contents(ledger)
        got = {b: (n, v) for b, n, v in c.execute("SELECT batch, count(*), min(v) FROM t GROUP BY batch").fetchall()}
        in_doubt = killed_at_commit and pending[0] not in {b for b, *_ in ledger}
        if got != want and in_doubt and got == expected_contents(ledger + [pending])[0]:
            in_doubt_commits.append(round_no)
            log(f"IN-DOUBT (known defect; seed {seed}): round {round_no}: DuckDB committed the {pending[1]} and PostgreSQL did not")
            repair(c, got, want)
            got = {b: (n, v) for b, n, v in c.execute("SELECT batch, count(*), min(v) FROM t GROUP BY batch").fetchall()}
        mixed = {b for b, op, _, _ in ledger if op == "mixed"}
        heap = {b for (b,) in c.execute("SELECT batch FROM h").fetchall()}
        check(f"round {round_no}: duckdb rows per batch match the ledger ({len(ledger)} transactions)", got, want)
        check(f"round {round_no}: one value per batch", c.execute("SELECT count(*) FROM (SELECT batch FROM t GROUP BY batch HAVING count(DISTINCT v) > 1) x").fetchone()[0], 0)
        check(f"round {round_no}: no duplicated ids", c.execute("SELECT count(*) - count(DISTINCT id) FROM t").fetchone()[0], 0)
        check(f"round {round_no}: heap half of mixed transactions matches", heap, mixed)
        have = {int(a[1:]) for (a,) in c.execute("SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped AND attname ~ '^c[0-9]+$'").fetchall()}
        check(f"round {round_no}: ALTERed columns", have, columns)
        for col in sorted(columns):
            check(f"round {round_no}: column c{col} holds its default in every row",
                  c.execute(f"SELECT count(*) FILTER (WHERE c{col} IS DISTINCT FROM {col}) FROM t").fetchone()[0], 0)
        if client_committed is not None:
            check(f"round {round_no}: a commit the client saw is in the ledger", client_committed in {b for b, *_ in ledger}, True)
        orphans = c.execute("SELECT count(*) FROM duckam.cleanup_orphans()").fetchone()[0]
        if orphans and in_doubt and pending[1] == "truncate":
            # TRUNCATE's new DuckDB table committed, PostgreSQL's new relfilenode did not
            in_doubt_commits.append(round_no)
            log(f"IN-DOUBT (known defect; seed {seed}): round {round_no}: TRUNCATE's DuckDB table is an orphan (dropped by cleanup_orphans)")
        else:
            check(f"round {round_no}: cleanup_orphans finds nothing", orphans, 0)


setup()
kills = {"backend": 0, "engine": 0, "at commit": 0, "missed": 0}
in_doubt_commits = []  # rounds whose transaction DuckDB committed and PostgreSQL did not
for b in range(1, iterations + 1):
    op, target, n, statements = operation(b)
    victim = rng.choice(["backend", "engine"])
    # a third of the kills aim at COMMIT (the DuckDB commit, then
    # PostgreSQL's, in the mixed-commit window): a few ms after the client
    # sends it; the rest at a random moment of the transaction
    at_commit = rng.random() < 1 / 3
    delay = rng.uniform(0, 0.004) if at_commit else rng.uniform(0, 1.0)
    outcome = {"started": threading.Event(), "committing": threading.Event(), "committed": False}
    client = threading.Thread(target=run_client, args=(statements, outcome))
    client.start()
    outcome["started"].wait(30)
    if at_commit:
        outcome["committing"].wait(120)
    time.sleep(delay)
    pid = outcome.get("pid") if victim == "backend" else engine_pid()
    killed = bool(client.is_alive() and pid)
    if killed:
        os.kill(pid, signal.SIGKILL)
        kills[victim] += 1
        kills["at commit"] += at_commit
        how = f"killed the {victim} {delay:.3f} s after {'COMMIT was sent' if at_commit else 'the start'}"
    else:
        kills["missed"] += 1
        how = "the transaction ended before the kill"
    client.join(120)
    log(f"round {b}: {op} (target {target}, {n} rows): {how}; client: "
        + ("committed" if outcome["committed"] else outcome.get("error", "?")))
    verify(b, b if outcome["committed"] else None, (b, op, target, n), at_commit and killed)

with connect() as c:
    c.execute(f"INSERT INTO t SELECT g, 0, 'after' FROM generate_series(1, 1000) g")
    check("the table takes new writes after the crashes", c.execute("SELECT count(*) FROM t WHERE batch = 0").fetchone()[0], 1000)
log(f"crash loop: seed {seed}, {iterations} rounds, kills: {kills['backend']} backend, {kills['engine']} engine "
    f"({kills['at commit']} of them aimed at COMMIT), "
    f"{kills['missed']} transactions ended first; {len(in_doubt_commits)} in-doubt commits (DuckDB yes, PostgreSQL no: "
    f"rounds {in_doubt_commits}); {check.failures} failures")
for f in os.listdir(work):
    if f.startswith("crash_loop_") and f.endswith(".csv"):
        os.remove(os.path.join(work, f))
sys.exit(1 if check.failures else 0)
