"""Differential fuzzing against heap twins.

A generator that knows the constructs the deparser takes (and some it
does not, so the fallback path is fuzzed too) writes random SELECTs over
duckdb tables; each runs twice: as generated (duckdb tables, and now and
then a heap table in the same query: a mixed query) and with every table
replaced by its heap twin. Results are compared as multisets of text
values, floats with a relative tolerance. Every few queries a random
UPDATE or DELETE runs on the duckdb table d_t2 and on its twin and the
two tables are compared.

Counted: queries run, share that ran in DuckDB (EXPLAIN shows
DuckDBScan), wrong results, crashes (lost connection), internal errors
(XX000), and divergences where one side errors and the other does not
(or both with different SQLSTATEs), reported separately.

usage: fuzz.py <database> <queries> <seed> [report.json]
Exit status 1 on any wrong result, crash or internal error."""
import collections
import datetime
import decimal
import json
import math
import random
import re
import sys
import time

import psycopg
from psycopg.types.string import TextLoader

db, total, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
report_path = sys.argv[4] if len(sys.argv) > 4 else None
rng = random.Random(seed)

# ---------------------------------------------------------------- schema
# column name -> type family; every table has a unique, non-null id.
TABLES = {
    "t1": {"id": "int", "i2": "int2", "i4": "int", "i8": "int8", "f4": "float4", "f8": "float",
           "n": "num", "t": "text", "vc": "text", "b": "bool", "d": "date", "ts": "ts",
           "tz": "tstz", "iv": "interval", "u": "uuid", "by": "bytea", "ai": "intarr", "at": "textarr"},
    "t2": {"id": "int", "k": "int", "t": "text", "n": "num", "d": "date", "f8": "float", "b": "bool"},
    "t3": {"id": "int", "k": "int", "name": "text"},
}
DDL = {
    "t1": "id int NOT NULL, i2 smallint, i4 int, i8 bigint, f4 real, f8 float8, n numeric(12,3), t text, "
          "vc varchar(20), b bool, d date, ts timestamp, tz timestamptz, iv interval, u uuid, by bytea, "
          "ai int[], at text[]",
    "t2": "id int NOT NULL, k int, t text, n numeric(14,2), d date, f8 float8, b bool",
    "t3": "id int NOT NULL, k int, name text",
}
ROWS = {"t1": 300, "t2": 150, "t3": 12}
NUMERIC_FAMILIES = ("int", "int2", "int8", "num", "float", "float4")

TEXTS = ["", "a", "abc", "A", "b", "ab", " a", "a ", "ü", "Ünïcödé", "日本語", "😀", "it's", "x'; DROP TABLE d_t1; --",
         "%_\\", "NULL", "$1", "a,b", "{\"k\": 1}", "line\nbreak", "tab\there", "zzz", "Zürich", "0", "10", "9"]
LIKE_PATTERNS = ["a%", "%b%", "_", "%", "A_c", "%\\_%", "ü%"]


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


SQL_TYPE = {"int": "int", "int2": "smallint", "int8": "bigint", "num": "numeric", "float": "float8", "float4": "real",
            "text": "text", "bool": "bool", "date": "date", "ts": "timestamp", "tstz": "timestamptz",
            "interval": "interval", "uuid": "uuid", "bytea": "bytea", "intarr": "int[]", "textarr": "text[]"}


def value(rng, family):
    """A random value of the family as a typed SQL literal: mostly small, some extremes, some NULLs."""
    r = rng.random()
    if r < 0.07:
        return f"NULL::{SQL_TYPE[family]}"
    extreme = r > 0.93
    if family in ("int", "int2", "int8"):
        if extreme:
            v = rng.choice({"int": ["2147483647", "-2147483648"], "int2": ["32767", "-32768"],
                            "int8": ["9223372036854775807", "-9223372036854775808"]}[family])
        else:
            v = str(rng.randint(-6, 12))
        return v if family == "int" and not v.startswith("-") else f"({v})::{SQL_TYPE[family]}"
    if family == "num":
        v = (rng.choice(["999999999.999", "-999999999.999", "0.001", "-0.001"]) if extreme
             else f"{rng.randint(-500, 500) / rng.choice([1, 4, 8, 1000]):.3f}")
        return f"({v})" if v.startswith("-") else v
    if family in ("float", "float4"):
        v = (rng.choice(["NaN", "Infinity", "-Infinity", "-0", "1e300" if family == "float" else "1e30",
                         "1e-300" if family == "float" else "1e-30"]) if extreme
             else repr(rng.randint(-40, 40) / rng.choice([1, 2, 3, 8])))
        return f"'{v}'::{SQL_TYPE[family]}"
    if family == "text":
        return sql_text(rng.choice(TEXTS))
    if family == "bool":
        return rng.choice(["true", "false"])
    if family == "date":
        if extreme:
            return rng.choice(["'infinity'", "'-infinity'", "'4713-01-01 BC'", "'5874897-12-31'", "'0001-01-01'"]) + "::date"
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randint(-400, 400))
        return f"date '{day}'"
    if family in ("ts", "tstz"):
        kw = SQL_TYPE[family]
        if extreme:
            return rng.choice(["'infinity'", "'-infinity'", "'4713-01-01 00:00 BC'", "'294246-12-31 23:59:59'"]) + f"::{kw}"
        t = datetime.datetime(2024, 2, 29, 12) + datetime.timedelta(minutes=rng.randint(-9000, 9000) * rng.randint(1, 60),
                                                                    microseconds=rng.choice([0, 0, 1, 999999]))
        return f"{kw} '{t}'"
    if family == "interval":
        return "interval " + sql_text(rng.choice(["1 day", "1 mon", "30 days", "-3 hours", "1 year 2 mons 3 days 04:05:06.789",
                                                "0", "-1 mon 1 day", "24 hours", "00:00:00.000001", "100 years"]))
    if family == "uuid":
        return sql_text(rng.choice(["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
                                    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "7fffffff-0000-0000-0000-000000000000",
                                    "80000000-0000-0000-0000-000000000000"])) + "::uuid"
    if family == "bytea":
        return rng.choice(["'\\x'", "'\\x00'", "'\\x00ff'", "'\\xff'", "'\\x616263'", "'\\x7f80'"]) + "::bytea"
    if family == "intarr":
        return rng.choice(["'{}'", "'{1,2,3}'", "'{NULL}'", "'{3,NULL,-1}'", "'{2147483647}'", "'{1}'"]) + "::int[]"
    if family == "textarr":
        return rng.choice(["'{}'", "'{a,b}'", "'{\"\",NULL}'", "'{\"it''s\",ü}'", "'{\"a,b\",\"{}\"}'"]) + "::text[]"
    raise ValueError(family)


def populate(conn):
    for name, ddl in DDL.items():
        conn.execute(f"DROP TABLE IF EXISTS d_{name}, h_{name}")
        conn.execute(f"CREATE TABLE d_{name} ({ddl}) USING duckdb")
        conn.execute(f"CREATE TABLE h_{name} ({ddl})")
        data = random.Random(seed * 7 + len(name))
        cols = TABLES[name]
        rows = []
        for i in range(1, ROWS[name] + 1):
            vals = [str(i)] + [str(data.randint(0, 15)) if c == "k" else
                               f"({value(data, f)})::varchar(20)" if c == "vc" else value(data, f)
                               for c, f in cols.items() if c != "id"]
            rows.append("(" + ", ".join(vals) + ")")
        values = ", ".join(rows)
        conn.execute(f"INSERT INTO d_{name} VALUES {values}")
        conn.execute(f"INSERT INTO h_{name} SELECT * FROM d_{name}")


# ------------------------------------------------------------- generator
FAMILIES = ["int", "num", "float", "text", "date", "ts", "tstz", "bool", "interval", "uuid", "bytea"]
FAMILY_WEIGHTS = [6, 3, 3, 5, 3, 3, 1, 2, 1, 1, 1]


def unify(f):
    """Families that compare with each other."""
    return {"int2": "int", "int8": "int", "float4": "float"}.get(f, f)


class Scope:
    """The columns a query level may reference: (qualified name, family, unique?)."""

    def __init__(self, cols):
        self.cols = cols

    def of(self, families):
        return [c for c in self.cols if unify(c[1]) in families or c[1] in families]


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.refs = []  # base table of each table reference, in order

    def chance(self, p):
        return self.rng.random() < p

    def table_ref(self, name):
        self.refs.append(name)
        return f"§{len(self.refs) - 1}§"

    # ---- expressions
    def expr(self, family, scope, depth=0):
        """An expression of the (unified) family. Constructs the deparser
        takes weigh 4, those it does not (PostgreSQL computes them, or the
        query falls back) weigh 1."""
        rng = self.rng
        cols = scope.of({family})
        if depth > 2 or self.chance(0.35):
            if cols and self.chance(0.8):
                return rng.choice(cols)[0]
            return value(rng, family)
        d = depth + 1
        e = lambda f=family: self.expr(f, scope, d)
        if family == "bool":
            return f"({self.pred(scope, d)})"
        pushed, other = [], []
        if family == "int":
            pushed = [lambda: f"({e()} {rng.choice(['+', '-', '*'])} {e()})", lambda: f"({e()} {rng.choice(['/', '%'])} {e()})",
                      lambda: f"abs({e()})", lambda: f"length({e('text')})", lambda: f"octet_length({e('text')})",
                      lambda: f"strpos({e('text')}, {value(rng, 'text')})", lambda: f"extract(year from {e('date')})::int",
                      lambda: f"({e('date')} - {e('date')})", lambda: f"{e('float')}::int", lambda: f"{e('num')}::int",
                      lambda: f"mod({e()}, {e()})"]
            other = [lambda: f"cardinality({self.col_or('intarr', scope)})", lambda: f"array_length({self.col_or('textarr', scope)}, 1)",
                     lambda: f"round({e('float')})::int8"]
        elif family == "num":
            pushed = [lambda: f"({e()} {rng.choice(['+', '-', '*'])} {e()})", lambda: f"round({e()}, {rng.randint(-1, 4)})",
                      lambda: f"trunc({e()}, {rng.randint(0, 3)})", lambda: f"ceil({e()})", lambda: f"floor({e()})",
                      lambda: f"abs({e()})", lambda: f"{e('int')}::numeric", lambda: f"{e('int')}::numeric(20,2)",
                      lambda: f"round({e()})"]
            other = [lambda: f"({e()} / {e()})", lambda: f"{e('float')}::numeric(20,4)"]
        elif family == "float":
            pushed = [lambda: f"({e()} {rng.choice(['+', '-', '*', '/'])} {e()})", lambda: f"{e('int')}::float8",
                      lambda: f"abs({e()})", lambda: f"trunc({e()})", lambda: f"ceil({e()})"]
            other = [lambda: f"{e('num')}::float8", lambda: f"sqrt(abs({e()}))", lambda: f"extract(epoch from {e('interval')})::float8"]
        elif family == "text":
            pushed = [lambda: f"({e()} || {e()})", lambda: f"substr({e()}, {rng.randint(-1, 4)}, {rng.randint(0, 4)})",
                      lambda: f"substr({e()}, {rng.randint(1, 3)})",
                      lambda: f"left({e()}, {rng.randint(-2, 3)})", lambda: f"right({e()}, {rng.randint(-2, 3)})",
                      lambda: f"replace({e()}, {value(rng, 'text')}, {value(rng, 'text')})",
                      lambda: f"{rng.choice(['btrim', 'ltrim', 'rtrim'])}({e()})", lambda: f"btrim({e()}, 'a ')",
                      lambda: f"concat({e()}, {e()})", lambda: f"md5({e()})", lambda: f"{e('int')}::text",
                      lambda: f"{e('bool')}::text", lambda: f"{e('uuid')}::text"]
            other = [lambda: f"upper({e()})", lambda: f"lower({e()})", lambda: f"{e('num')}::text", lambda: f"{e('date')}::text",
                     lambda: f"lpad({e()}, {rng.randint(0, 6)}, 'x')", lambda: f"reverse({e()})",
                     lambda: f"split_part({e()}, 'b', {rng.randint(1, 2)})", lambda: f"concat({e()}, {e('int')})"]
        elif family == "date":
            pushed = [lambda: f"({e()} + {e('int')}::int)", lambda: f"({e()} - {rng.randint(0, 40)})", lambda: f"{e('ts')}::date",
                      lambda: f"date_trunc('month', {e()}::timestamp)::date"]
            other = [lambda: f"date_trunc('month', {e()})::date"]
        elif family == "ts":
            unit = lambda: sql_text(rng.choice(['year', 'month', 'day', 'hour', 'week', 'quarter', 'minute']))
            pushed = [lambda: f"date_trunc({unit()}, {e()})", lambda: f"({e()} + {value(rng, 'interval')})",
                      lambda: f"({e()} - {value(rng, 'interval')})", lambda: f"{e('date')}::timestamp",
                      lambda: f"({e('date')} + {value(rng, 'interval')})"]
            other = [lambda: f"({e()} + {e('interval')})"]
        elif family == "tstz":
            other = [lambda: f"({e()} + {e('interval')})", lambda: f"{e('ts')}::timestamptz"]
        elif family == "interval":
            other = [lambda: f"({e()} + {e()})", lambda: f"({e('ts')} - {e('ts')})", lambda: f"({e()} * 2)"]
        # CASE / COALESCE / NULLIF / GREATEST / LEAST work for any family
        pushed += [lambda: f"CASE WHEN {self.pred(scope, d)} THEN {e()} ELSE {e()} END",
                   lambda: f"COALESCE({e()}, {e()})", lambda: f"NULLIF({e()}, {e()})",
                   lambda: f"{rng.choice(['GREATEST', 'LEAST'])}({e()}, {e()})"]
        return rng.choices(pushed + other, weights=[4] * len(pushed) + [1] * len(other))[0]()

    def group_key(self, family, scope):
        """(family, a GROUP BY expression that reads a column): PostgreSQL
        refuses GROUP BY a non-integer constant."""
        for _ in range(5):
            key = self.expr(family, scope, 2)
            if re.search(r"\b[as]\d+\.\w", key):
                return family, key
        col = self.rng.choice([c for c in scope.cols if unify(c[1]) in FAMILIES])
        return unify(col[1]), col[0]

    def col_or(self, family, scope):
        cols = scope.of({family})
        return self.rng.choice(cols)[0] if cols else value(self.rng, family)

    def pred(self, scope, depth=0):
        rng = self.rng
        d = depth + 1
        if depth > 2 or self.chance(0.3):
            fam = rng.choices(FAMILIES, weights=FAMILY_WEIGHTS)[0]
            a = self.expr(fam, scope, d)
            kind = rng.random()
            if kind < 0.55:
                return f"{a} {rng.choice(['=', '<>', '<', '<=', '>', '>='])} {self.expr(fam, scope, d)}"
            if kind < 0.65:
                return f"{a} IS {rng.choice(['', 'NOT '])}NULL"
            if kind < 0.72:
                return f"{a} IS {rng.choice(['', 'NOT '])}DISTINCT FROM {self.expr(fam, scope, d)}"
            if kind < 0.80:
                return f"{a} {rng.choice(['', 'NOT '])}BETWEEN {value(rng, fam)} AND {value(rng, fam)}"
            if kind < 0.88:
                return f"{a} {rng.choice(['', 'NOT '])}IN ({', '.join(value(rng, fam) for _ in range(rng.randint(1, 4)))})"
            if kind < 0.94 or fam != "text":
                if fam == "bool":
                    return f"{a} IS {rng.choice(['', 'NOT '])}{rng.choice(['TRUE', 'FALSE', 'UNKNOWN'])}"
                return f"{a} {rng.choice(['=', '<'])} ANY ('{{{rng.randint(-3, 5)},{rng.randint(0, 9)}}}'::int[])" if fam == "int" \
                    else f"{a} = {self.expr(fam, scope, d)}"
            return f"{a} {rng.choice(['LIKE', 'NOT LIKE', 'ILIKE'])} {sql_text(rng.choice(LIKE_PATTERNS))}"
        kind = rng.random()
        if kind < 0.35:
            return f"({self.pred(scope, d)} {rng.choice(['AND', 'OR'])} {self.pred(scope, d)})"
        if kind < 0.45:
            return f"NOT ({self.pred(scope, d)})"
        if kind < 0.7 and depth < 2:
            return self.subquery_pred(scope, d)
        bools = scope.of({"bool"})
        if bools and kind < 0.8:
            return rng.choice(bools)[0]
        return self.pred(scope, d)

    def subquery_pred(self, outer, depth):
        rng = self.rng
        name = rng.choice(list(TABLES))
        alias = f"s{len(self.refs)}"
        ref = self.table_ref(name)
        inner = Scope([(f"{alias}.{c}", f, c == "id") for c, f in TABLES[name].items()])
        where = ""
        if self.chance(0.6):
            both = Scope(inner.cols + (outer.cols if self.chance(0.5) else []))  # correlated or not
            where = f" WHERE {self.pred(both, depth + 1)}"
        kind = rng.random()
        if kind < 0.4:
            return f"{rng.choice(['', 'NOT '])}EXISTS (SELECT 1 FROM {ref} {alias}{where})"
        fam = rng.choice(["int", "text", "num", "date"])
        icols = inner.of({fam})
        if not icols:
            return "true"
        sub = f"SELECT {rng.choice(icols)[0]} FROM {ref} {alias}{where}"
        if kind < 0.75:
            return f"{self.expr(fam, outer, depth + 1)} {rng.choice(['', 'NOT '])}IN ({sub})"
        if kind < 0.9:
            return f"{self.expr(fam, outer, depth + 1)} {rng.choice(['=', '<', '>='])} {rng.choice(['ANY', 'ALL'])} ({sub})"
        agg = "count(*)" if fam == "int" and self.chance(0.5) else f"max({rng.choice(icols)[0]})"
        return f"{self.expr(fam, outer, depth + 1)} {rng.choice(['=', '<', '>'])} (SELECT {agg} FROM {ref} {alias}{where})"

    def agg(self, scope):
        rng = self.rng
        fam = rng.choice(["int", "int", "num", "float", "text", "date", "bool", "interval", "ts"])
        x = self.expr(fam, scope, 1)
        filt = f" FILTER (WHERE {self.pred(scope, 2)})" if self.chance(0.15) else ""
        if fam in ("int", "num", "float"):
            f = rng.choice(["sum", "avg", "min", "max", "count", "count_distinct"] + (["stddev", "variance"] if fam != "float" else []))
        elif fam == "text":
            f = rng.choice(["min", "max", "count", "count_distinct", "string_agg"])
        elif fam == "bool":
            f = rng.choice(["bool_and", "bool_or", "count", "every"])
        elif fam == "interval":
            f = rng.choice(["min", "max", "count"])
        else:
            f = rng.choice(["min", "max", "count", "count_distinct"])
        if f == "count_distinct":
            return f"count(DISTINCT {x}){filt}", "int"
        if f == "string_agg":
            return f"string_agg({x}, ',' ORDER BY {x}){filt}", "text"
        result = {"count": "int", "avg": "num" if fam != "float" else "float", "bool_and": "bool", "bool_or": "bool",
                  "every": "bool", "stddev": "float", "variance": "num"}.get(f, fam)
        return f"{f}({x}){filt}", result

    # ---- FROM
    def from_clause(self, depth):
        rng = self.rng
        n = rng.choice([1, 1, 1, 2, 2, 3]) if depth == 0 else 1
        parts, cols = [], []
        for i in range(n):
            alias = f"a{depth}{i}"
            if depth < 1 and self.chance(0.15):
                sub, fams = self.select(depth + 1, want_cols=rng.randint(1, 3))
                name = None
                src = f"({sub}) {alias}({', '.join(f'c{j}' for j in range(len(fams)))})"
                new = [(f"{alias}.c{j}", f, False) for j, f in enumerate(fams)]
            else:
                name = "t3" if i == 2 else rng.choice(["t1", "t1", "t2", "t2", "t3"])
                src = f"{self.table_ref(name)} {alias}"
                new = [(f"{alias}.{c}", f, c == "id" and n == 1) for c, f in TABLES[name].items()]
            if not parts:
                parts.append(src)
            else:
                join = rng.choice(["JOIN", "JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN"])
                if join == "CROSS JOIN" and name != "t3":
                    join = "JOIN"
                left = [c for c in cols if unify(c[1]) == "int"]
                right = [c for c in new if unify(c[1]) == "int"]
                if join == "CROSS JOIN":
                    parts.append(f"CROSS JOIN {src}")
                elif not left or not right:
                    # no integer key: join on a random condition (a cross
                    # join of the larger tables would be millions of rows)
                    parts.append(f"{'JOIN' if join == 'FULL JOIN' else join} {src} ON {self.pred(Scope(cols + new), 2)}")
                else:
                    on = f"{rng.choice(left)[0]} = {rng.choice(right)[0]}"
                    if join != "FULL JOIN" and self.chance(0.3):
                        on += f" AND {self.pred(Scope(cols + new), 2)}"
                    parts.append(f"{join} {src} ON {on}")
            cols += new
        return " ".join(parts), Scope(cols)

    # ---- SELECT
    def select(self, depth=0, want_cols=None, want_fams=None):
        """(sql, output families). With want_fams, the output has exactly those families."""
        rng = self.rng
        frm, scope = self.from_clause(depth)
        where = f" WHERE {self.pred(scope)}" if self.chance(0.7) else ""
        ncols = len(want_fams) if want_fams else (want_cols or rng.randint(1, 4))
        shape = rng.random()
        unique = [c for c in scope.cols if c[2]]
        if shape < 0.35 and not want_fams:  # aggregate
            keys = [self.group_key(rng.choice(["int", "text", "bool", "date", "num"]), scope) for _ in range(rng.randint(0, 2))]
            gfams, groups = [f for f, _ in keys], [k for _, k in keys]
            aggs = [self.agg(scope) for _ in range(max(1, ncols - len(groups)))]
            items = groups + [a for a, _ in aggs]
            sql = f"SELECT {', '.join(items)} FROM {frm}{where}"
            if groups:
                how = rng.choice(["", "", "ROLLUP", "CUBE"]) if depth == 0 else ""
                sql += f" GROUP BY {how}({', '.join(groups)})" if how else f" GROUP BY {', '.join(groups)}"
                if self.chance(0.3):
                    sql += f" HAVING count(*) {rng.choice(['>', '>=', '<'])} {rng.randint(0, 3)}"
            fams = gfams + [f for _, f in aggs]
        elif shape < 0.5 and unique and not want_fams and depth == 0:  # window functions over a unique order
            key = unique[0][0]
            part = self.expr(rng.choice(["int", "text", "bool"]), scope, 2)
            x = self.expr("int", scope, 2)
            win = rng.choice([f"row_number() OVER (PARTITION BY {part} ORDER BY {key})",
                              f"rank() OVER (ORDER BY {part})", f"dense_rank() OVER (ORDER BY {part} DESC)",
                              f"sum({x}) OVER (PARTITION BY {part})", f"count(*) OVER (ORDER BY {part})",
                              f"lag({x}) OVER (ORDER BY {key})", f"lead({x}, 2) OVER (PARTITION BY {part} ORDER BY {key})",
                              f"first_value({x}) OVER (PARTITION BY {part} ORDER BY {key})",
                              f"sum({x}) OVER (ORDER BY {key} ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
                              f"max({x}) OVER (PARTITION BY {part} ORDER BY {key} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING)",
                              f"ntile(3) OVER (ORDER BY {key})"])
            sql = f"SELECT {key}, {win} FROM {frm}{where}"
            fams = ["int", "int"]
        else:
            fams = list(want_fams) if want_fams else rng.choices(FAMILIES, weights=FAMILY_WEIGHTS, k=ncols)
            items = [self.expr(f, scope) for f in fams]
            if not want_fams and self.chance(0.15):
                arr = scope.of({"intarr", "textarr"})
                if arr:
                    items.append(rng.choice(arr)[0])
                    fams.append("arr")
            distinct = "DISTINCT " if self.chance(0.2) else ""
            sql = f"SELECT {distinct}{', '.join(items)} FROM {frm}{where}"
        if depth == 0 and not want_fams and "OVER" not in sql and self.chance(0.25):
            sql += f" ORDER BY {', '.join(str(i + 1) for i in range(len(fams)))}"
            if self.chance(0.6):
                sql += f" LIMIT {rng.randint(0, 20)}" + (f" OFFSET {rng.randint(0, 5)}" if self.chance(0.3) else "")
        return sql, fams

    def query(self):
        """A top-level query: a SELECT, a set operation or a CTE."""
        rng = self.rng
        r = rng.random()
        if r < 0.12:
            fams = [rng.choice(["int", "text", "date", "num"]) for _ in range(rng.randint(1, 2))]
            a, _ = self.select(1, want_fams=fams)
            b, _ = self.select(1, want_fams=fams)
            return f"({a}) {rng.choice(['UNION', 'UNION ALL', 'INTERSECT', 'EXCEPT', 'EXCEPT ALL', 'INTERSECT ALL'])} ({b})"
        if r < 0.2:
            inner, fams = self.select(1, want_cols=rng.randint(1, 3))
            cols = [(f"c.c{j}", unify(f), False) for j, f in enumerate(fams)]
            scope = Scope(cols)
            out = [self.expr(rng.choice([c[1] for c in cols if c[1] in FAMILIES] or ["int"]), scope) for _ in range(rng.randint(1, 3))]
            where = f" WHERE {self.pred(scope, 1)}" if self.chance(0.5) else ""
            return (f"WITH c({', '.join(f'c{j}' for j in range(len(fams)))}) AS ({inner}) "
                    f"SELECT {', '.join(out)} FROM c{where}")
        return self.select()[0]


def render(template, refs, heap_refs):
    """The duckdb version (the references in heap_refs read heap tables: a mixed query) and the heap version."""
    choice = [("h_" if i in heap_refs else "d_") + r for i, r in enumerate(refs)]
    duck = re.sub(r"§(\d+)§", lambda m: choice[int(m.group(1))], template)
    heap = re.sub(r"§(\d+)§", lambda m: "h_" + refs[int(m.group(1))], template)
    return duck, heap


# ------------------------------------------------------------- comparison
MAX_ROWS = 200_000  # larger results are not compared (both sides count as refused)
FLOAT_OIDS = {700: 6, 701: 12}  # significant digits compared


NUMERIC_OID, INTERVAL_OID = 1700, 1186
INTERVAL_UNITS = {"year": 12 * 30 * 86400e6, "mon": 30 * 86400e6, "day": 86400e6}


def interval_value(text):
    """PostgreSQL's interval output as microseconds, months counting 30
    days and days 24 hours, as its interval comparison does."""
    total = 0.0
    for n, unit in re.findall(r"([+-]?\d+) (year|mon|day)s?", text):
        total += int(n) * INTERVAL_UNITS[unit]
    t = re.search(r"([+-])?(\d+):(\d+):(\d+(?:\.\d+)?)", text)
    if t:
        sign = -1 if t.group(1) == "-" else 1
        total += sign * ((int(t.group(2)) * 60 + int(t.group(3))) * 60 + float(t.group(4))) * 1e6
    return total


def normalize(rows, oids, canonical=False):
    """The rows as a multiset. Floats are rounded to their significant
    digits. With canonical (grouping, DISTINCT and set operations), values
    that are equal but print differently (1.5 and 1.50, '1 mon' and
    '30 days') compare as equal: which of them a group shows is
    unspecified in PostgreSQL too."""
    out = []
    for row in rows:
        norm = []
        for v, oid in zip(row, oids):
            if v is not None and canonical and oid == NUMERIC_OID and v != "NaN":
                norm.append(str(decimal.Decimal(v).normalize()))
            elif v is not None and canonical and oid == INTERVAL_OID:
                norm.append(interval_value(v))
            elif v is not None and oid in FLOAT_OIDS:
                x = float(v)
                if math.isnan(x) or math.isinf(x):
                    norm.append(v)
                else:
                    norm.append(f"{x:.{FLOAT_OIDS[oid] - 2}g}" if x != 0 else "0")
            else:
                norm.append(v)
        out.append(tuple(norm))
    return collections.Counter(out)


def close_enough(a, b, oids):
    """A second look when the rounded multisets differ: rows sorted and compared with a relative tolerance."""
    if len(a) != len(b):
        return False
    key = lambda r: tuple("" if v is None else (v if oid not in FLOAT_OIDS else "") for v, oid in zip(r, oids))
    for ra, rb in zip(sorted(a, key=key), sorted(b, key=key)):
        for x, y, oid in zip(ra, rb, oids):
            if oid in FLOAT_OIDS and x is not None and y is not None:
                fx, fy = float(x), float(y)
                if not (fx == fy or (math.isnan(fx) and math.isnan(fy)) or
                        math.isclose(fx, fy, rel_tol=10 ** -(FLOAT_OIDS[oid] - 3), abs_tol=1e-12)):
                    return False
            elif x != y:
                return False
    return True


def connect():
    deadline = time.time() + 90
    while True:
        try:
            conn = psycopg.connect(dbname=db, autocommit=True, application_name="fuzz",
                                   options="-c TimeZone=UTC -c statement_timeout=20s -c extra_float_digits=1 "
                                           "-c duckam.fallback_message_level=notice")
            break
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    for (oid,) in conn.execute("SELECT oid FROM pg_type").fetchall():
        conn.adapters.register_loader(oid, TextLoader)
    return conn


def run(conn, sql):
    """('ok', oids, rows) or ('error', sqlstate, message); ('crash', …) when the connection is lost."""
    try:
        cur = conn.execute(sql)
        if cur.description is None:
            return "ok", [], []
        rows = cur.fetchmany(MAX_ROWS + 1)
        if len(rows) > MAX_ROWS:
            return "error", "too many rows", f"more than {MAX_ROWS} rows: not compared"
        return "ok", [d.type_code for d in cur.description], rows
    except psycopg.OperationalError as e:
        if conn.closed or conn.broken:
            return "crash", None, str(e).splitlines()[0] if str(e) else "connection lost"
        return "error", e.sqlstate, str(e).splitlines()[0]
    except psycopg.Error as e:
        return "error", e.sqlstate, str(e).splitlines()[0]


stats = collections.Counter()
notices = []
fallbacks = collections.Counter()  # why queries did not run in DuckDB
errors = collections.Counter()  # SQLSTATEs of queries both sides refused
findings = {"wrong": [], "crash": [], "internal": [], "divergence": []}


def record(kind, **what):
    findings[kind].append(what)
    print(f"{kind.upper()} (seed {seed}, query {stats['queries']}): " + json.dumps(what, ensure_ascii=False), flush=True)


def compare(conn, duck_sql, heap_sql, counts=True, ran_in_duckdb=False):
    duck = run(conn, duck_sql)
    if duck[0] == "crash":
        record("crash", query=duck_sql, error=duck[2])
        return connect()
    heap = run(conn, heap_sql)
    if heap[0] == "crash":
        record("crash", query=heap_sql, error=heap[2], side="heap")
        return connect()
    if duck[0] == "error" and duck[1] == "XX000":
        record("internal", query=duck_sql, error=duck[2])
    if duck[0] == "ok" and heap[0] == "ok":
        if counts:
            stats["both ran"] += 1
            stats["ran in DuckDB"] += ran_in_duckdb
        canonical = bool(re.search(r"GROUP BY|DISTINCT|UNION|INTERSECT|EXCEPT", duck_sql))
        a, b = normalize(duck[2], duck[1], canonical), normalize(heap[2], heap[1], canonical)
        if a != b and not close_enough(duck[2], heap[2], duck[1]):
            only_duck = list((a - b).elements())[:3]
            only_heap = list((b - a).elements())[:3]
            record("wrong", query=duck_sql, duck_rows=len(duck[2]), heap_rows=len(heap[2]),
                   only_duckdb=only_duck, only_heap=only_heap)
    elif duck[0] == "error" and heap[0] == "error":
        if counts:
            stats["both failed"] += 1
            errors[heap[1]] += 1
        if duck[1] != heap[1]:
            record("divergence", query=duck_sql, duckdb=f"{duck[1]}: {duck[2]}", heap=f"{heap[1]}: {heap[2]}")
    else:
        record("divergence", query=duck_sql,
               duckdb=f"{duck[1]}: {duck[2]}" if duck[0] == "error" else f"{len(duck[2])} rows",
               heap=f"{heap[1]}: {heap[2]}" if heap[0] == "error" else f"{len(heap[2])} rows")
    return conn


def in_duckdb(conn, sql):
    notices.clear()
    result = run(conn, "EXPLAIN (COSTS OFF) " + sql)
    if result[0] == "ok" and any("DuckDBScan" in r[0] for r in result[2]):
        return True
    reason = next((n for n in notices if "DuckDB" in n), None) if result[0] == "ok" else "EXPLAIN failed"
    fallbacks[re.sub(r"\d+", "N", reason or "no reason given")] += 1
    return False


def dml(gen, conn):
    """A random UPDATE or DELETE on d_t2 and h_t2; then the two tables must be equal."""
    scope = Scope([(c, f, False) for c, f in TABLES["t2"].items()])
    where = gen.pred(scope, 1)
    if gen.chance(0.3):
        stmt = f"DELETE FROM §§ WHERE {where}"
    else:
        col = gen.rng.choice(["k", "t", "n", "d", "f8", "b"])
        stmt = f"UPDATE §§ SET {col} = {gen.expr(unify(TABLES['t2'][col]), scope, 1)} WHERE {where}"
    duck_sql = render(stmt.replace("§§", "d_t2"), gen.refs, set())[0]
    heap_sql = render(stmt.replace("§§", "h_t2"), gen.refs, set())[1]
    duck, heap = run(conn, duck_sql), run(conn, heap_sql)
    stats["dml"] += 1
    if "crash" in (duck[0], heap[0]):
        record("crash", query=duck_sql, error=duck[2] if duck[0] == "crash" else heap[2])
        conn = connect()
        return conn
    if duck[0] == "error" and duck[1] == "XX000":
        record("internal", query=duck_sql, error=duck[2])
    if duck[0] != heap[0] or (duck[0] == "error" and duck[1] != heap[1]):
        record("divergence", query=duck_sql, duckdb=f"{duck[1]}: {duck[2]}" if duck[0] == "error" else "ok",
               heap=f"{heap[1]}: {heap[2]}" if heap[0] == "error" else "ok")
        resync(conn)
        return conn
    before = len(findings["wrong"])
    conn = compare(conn, "SELECT * FROM d_t2", "SELECT * FROM h_t2", counts=False)
    if len(findings["wrong"]) > before:
        findings["wrong"][-1]["after"] = duck_sql
        resync(conn)
    return conn


def resync(conn):
    conn.execute("TRUNCATE d_t2")
    conn.execute("INSERT INTO d_t2 SELECT * FROM h_t2")


conn = connect()
populate(conn)
gen_rng = random.Random(seed)
start = time.time()
for i in range(total):
    gen = Gen(random.Random(gen_rng.getrandbits(64)))
    if i % 25 == 24:
        conn = dml(gen, conn)
        continue
    template = gen.query()
    mixed = gen.chance(0.25)
    heap_refs = {i for i in range(len(gen.refs)) if mixed and gen.chance(0.4)}
    if len(heap_refs) == len(gen.refs):
        heap_refs = set()
    duck_sql, heap_sql = render(template, gen.refs, heap_refs)
    stats["queries"] += 1
    pushed = in_duckdb(conn, duck_sql)
    if conn.broken:
        record("crash", query="EXPLAIN " + duck_sql, error="connection lost")
        conn = connect()
    conn = compare(conn, duck_sql, heap_sql, ran_in_duckdb=pushed)

elapsed = time.time() - start
summary = {
    "seed": seed, "queries": stats["queries"], "dml statements": stats["dml"],
    "both ran": stats["both ran"], "both failed": stats["both failed"],
    "in DuckDB % of those that ran": round(100.0 * stats["ran in DuckDB"] / max(1, stats["both ran"]), 1),
    "wrong results": len(findings["wrong"]), "crashes": len(findings["crash"]),
    "internal errors": len(findings["internal"]), "divergences": len(findings["divergence"]),
    "seconds": round(elapsed, 1),
}
print("fuzz: " + ", ".join(f"{k} {v}" for k, v in summary.items()), flush=True)
print("SQLSTATEs of queries both refused: " + ", ".join(f"{k} {v}" for k, v in errors.most_common()))
print("most frequent reasons for running in PostgreSQL:")
for reason, n in fallbacks.most_common(12):
    print(f"  {n:5}  {reason}")
if report_path:
    with open(report_path, "w") as f:
        json.dump({"summary": summary, "errors both sides": errors.most_common(), "fallback reasons": fallbacks.most_common(), "findings": findings}, f, indent=1, ensure_ascii=False)
sys.exit(1 if findings["wrong"] or findings["crash"] or findings["internal"] else 0)
