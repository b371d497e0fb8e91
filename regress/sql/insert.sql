-- INSERT paths: VALUES, SELECT, defaults, constraints, triggers, RETURNING
CREATE TABLE t (
    id int NOT NULL,
    name text DEFAULT 'anon',
    qty int CHECK (qty >= 0),
    created date DEFAULT '2024-01-01',
    total numeric(10,2) GENERATED ALWAYS AS (qty * 1.5) STORED
) USING duckdb;
INSERT INTO t (id, qty) VALUES (1, 10);
INSERT INTO t VALUES (2, 'two', 20, '2024-02-02') RETURNING *;
INSERT INTO t (id, name, qty) VALUES (3, NULL, 0), (4, 'four', NULL) RETURNING id, name, total;
SELECT * FROM t ORDER BY id;
-- constraint violations
INSERT INTO t (id, qty) VALUES (NULL, 1);
INSERT INTO t (id, qty) VALUES (5, -1);
INSERT INTO t (id, total) VALUES (5, 1);
SELECT count(*) FROM t;

-- INSERT ... SELECT from heap and from duckdb
CREATE TABLE heap_src (id int, name text);
INSERT INTO heap_src SELECT g, 'h' || g FROM generate_series(100, 104) g;
INSERT INTO t (id, name, qty) SELECT id, name, id % 7 FROM heap_src;
INSERT INTO t (id, name, qty) SELECT id + 1000, upper(name), qty FROM t WHERE id >= 100;
SELECT id, name, qty FROM t WHERE id >= 100 ORDER BY id;

-- rows written earlier in the same transaction are visible
BEGIN;
INSERT INTO t (id, qty) VALUES (7, 7);
SELECT count(*) FROM t WHERE id = 7;
INSERT INTO t (id, qty) SELECT 8, qty + 1 FROM t WHERE id = 7;
SELECT id, qty FROM t WHERE id IN (7, 8) ORDER BY id;
COMMIT;

-- triggers
CREATE TABLE audit (op text, id int, name text);
CREATE FUNCTION t_before() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.name := coalesce(NEW.name, '') || '!'; RETURN NEW; END $$;
CREATE FUNCTION t_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit VALUES (TG_OP, NEW.id, NEW.name); RETURN NULL; END $$;
CREATE FUNCTION t_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit VALUES ('stmt ' || TG_OP, NULL, NULL); RETURN NULL; END $$;
CREATE TRIGGER tb BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_before();
CREATE TRIGGER ta AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_after();
CREATE TRIGGER ts AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION t_stmt();
INSERT INTO t (id, name, qty) VALUES (20, 'x', 1), (21, NULL, 2) RETURNING id, name;
SELECT * FROM audit ORDER BY op, id;
DROP TRIGGER tb ON t; DROP TRIGGER ta ON t; DROP TRIGGER ts ON t;
-- a BEFORE trigger that skips the row
CREATE FUNCTION t_skip() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER tskip BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_skip();
INSERT INTO t (id, qty) VALUES (30, 1);
DROP TRIGGER tskip ON t;
SELECT count(*) FROM t WHERE id = 30;

-- foreign key from a duckdb table to a heap table (an AFTER ROW trigger)
CREATE TABLE parent (id int PRIMARY KEY);
INSERT INTO parent VALUES (1), (2);
CREATE TABLE child (pid int REFERENCES parent (id), note text) USING duckdb;
INSERT INTO child VALUES (1, 'ok'), (2, 'ok too');
INSERT INTO child VALUES (3, 'no parent');
SELECT * FROM child ORDER BY pid;

-- a large insert crosses the buffer threshold and DuckDB vector boundaries
SET duckam.insert_buffer_rows = 5000;
CREATE TABLE big (i int, s text) USING duckdb;
INSERT INTO big SELECT g, repeat('x', g % 50) FROM generate_series(1, 20001) g;
SELECT count(*), sum(i), sum(length(s)), min(i), max(i) FROM big;
RESET duckam.insert_buffer_rows;
