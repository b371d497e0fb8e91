-- PRIMARY KEY and UNIQUE on duckdb tables, enforced by DuckDB. Each
-- statement runs on a duckdb table (d_) and its heap twin (h_): the same
-- errors (SQLSTATE 23505, PostgreSQL's message and detail), the same rows.
\set VERBOSITY default
CREATE TABLE d_k (id int PRIMARY KEY, code text UNIQUE, n numeric(10,2), at date) USING duckdb;
CREATE TABLE h_k (id int PRIMARY KEY, code text UNIQUE, n numeric(10,2), at date);
\d d_k
SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'd_k'::regclass ORDER BY conname;
SELECT constraint_name, constraint_type FROM information_schema.table_constraints
 WHERE table_name = 'd_k' AND constraint_type <> 'CHECK' ORDER BY 1;

-- one statement, several statements, NULLs (never equal keys)
INSERT INTO d_k VALUES (1, 'a', 1, '2024-01-01'), (2, 'b', 2, NULL), (3, NULL, 3, NULL), (4, NULL, 4, NULL);
INSERT INTO h_k VALUES (1, 'a', 1, '2024-01-01'), (2, 'b', 2, NULL), (3, NULL, 3, NULL), (4, NULL, 4, NULL);
INSERT INTO d_k VALUES (1, 'x', 0, NULL);
INSERT INTO h_k VALUES (1, 'x', 0, NULL);
INSERT INTO d_k VALUES (5, 'a', 0, NULL);
INSERT INTO h_k VALUES (5, 'a', 0, NULL);
INSERT INTO d_k VALUES (6, 'f', 0, NULL), (6, 'g', 0, NULL);
INSERT INTO h_k VALUES (6, 'f', 0, NULL), (6, 'g', 0, NULL);
INSERT INTO d_k VALUES (NULL, 'n', 0, NULL);
INSERT INTO h_k VALUES (NULL, 'n', 0, NULL);
-- the failed statement left nothing; the next one works
INSERT INTO d_k VALUES (6, 'f', 6, NULL) RETURNING id, code;
INSERT INTO h_k VALUES (6, 'f', 6, NULL) RETURNING id, code;
SELECT same('SELECT * FROM d_k');

-- COPY: a duplicate inside the data and against the table
COPY d_k FROM stdin;
7	g	7	\N
7	h	7	\N
\.
COPY d_k FROM stdin;
8	a	8	\N
\.
COPY d_k FROM stdin;
8	h	8	\N
9	i	9	\N
\.
COPY h_k FROM stdin;
8	h	8	\N
9	i	9	\N
\.

-- INSERT … SELECT and UPDATE run in DuckDB; DuckDB's index checks them
SELECT pushed('INSERT INTO d_k SELECT id + 100, code, n, at FROM d_k');
INSERT INTO d_k SELECT id + 1, NULL, n, at FROM d_k WHERE id = 9;
INSERT INTO h_k SELECT id + 1, NULL, n, at FROM h_k WHERE id = 9;
INSERT INTO d_k SELECT 50, 'dup', n, at FROM d_k WHERE id < 3;
INSERT INTO h_k SELECT 50, 'dup', n, at FROM h_k WHERE id < 3;
INSERT INTO d_k SELECT id + 10, code || '+', n, at FROM d_k WHERE id < 3;
INSERT INTO h_k SELECT id + 10, code || '+', n, at FROM h_k WHERE id < 3;
UPDATE d_k SET code = 'b' WHERE id = 1;
UPDATE h_k SET code = 'b' WHERE id = 1;
UPDATE d_k SET id = id + 1000 WHERE id > 10;
UPDATE h_k SET id = id + 1000 WHERE id > 10;
SELECT same('SELECT * FROM d_k');

-- ROLLBACK takes the rows away, and their keys with them
BEGIN;
INSERT INTO d_k VALUES (20, 't', 0, NULL);
ROLLBACK;
INSERT INTO d_k VALUES (20, 't', 0, NULL);
INSERT INTO h_k VALUES (20, 't', 0, NULL);
-- a transaction that deletes a key may insert it again
BEGIN;
DELETE FROM d_k WHERE id = 20;
INSERT INTO d_k VALUES (20, 't2', 0, NULL);
COMMIT;
BEGIN;
DELETE FROM h_k WHERE id = 20;
INSERT INTO h_k VALUES (20, 't2', 0, NULL);
COMMIT;
-- a duplicate in an open transaction fails that statement, and (DuckDB
-- having no savepoints) the transaction
BEGIN;
INSERT INTO d_k VALUES (21, 'u', 0, NULL);
INSERT INTO d_k VALUES (21, 'v', 0, NULL);
SELECT 1;
ROLLBACK;
SELECT same('SELECT * FROM d_k');

-- constraints added, dropped, renamed; existing duplicates refuse a key
CREATE TABLE d_a (id int, x int, y text) USING duckdb;
INSERT INTO d_a VALUES (1, 1, 'a'), (1, 2, 'b'), (2, NULL, 'c'), (3, NULL, 'c');
ALTER TABLE d_a ADD CONSTRAINT d_a_y UNIQUE (y);
UPDATE d_a SET y = 'cc' WHERE id = 3;
ALTER TABLE d_a ADD PRIMARY KEY (id);
ALTER TABLE d_a ADD CONSTRAINT d_a_y UNIQUE (y);
ALTER TABLE d_a ADD CONSTRAINT d_a_x UNIQUE (x);
INSERT INTO d_a VALUES (4, 1, 'd');
ALTER INDEX d_a_x RENAME TO d_a_x2;
INSERT INTO d_a VALUES (4, 1, 'd');
ALTER TABLE d_a DROP CONSTRAINT d_a_x2;
INSERT INTO d_a VALUES (4, 1, 'd');
CREATE UNIQUE INDEX d_a_xy ON d_a (x, y);
INSERT INTO d_a VALUES (5, 1, 'd');
INSERT INTO d_a VALUES (5, 1, 'e');
DROP INDEX d_a_xy;
INSERT INTO d_a VALUES (6, 1, 'd');
-- a rolled-back DROP keeps the key. (DuckDB enforces a key dropped in a
-- transaction until that transaction commits: a documented difference.)
BEGIN;
ALTER TABLE d_a DROP CONSTRAINT d_a_y;
INSERT INTO d_a VALUES (7, 7, 'a');
ROLLBACK;
INSERT INTO d_a VALUES (7, 7, 'a');
SELECT * FROM d_a ORDER BY id, x, y;

-- rebuilds keep the key: TRUNCATE, REINDEX, a rewriting ALTER, VACUUM FULL
CREATE TABLE d_r (id int PRIMARY KEY, v text) USING duckdb;
INSERT INTO d_r VALUES (1, 'a');
TRUNCATE d_r;
INSERT INTO d_r VALUES (1, 'a'), (2, 'b');
INSERT INTO d_r VALUES (1, 'a');
REINDEX TABLE d_r;
INSERT INTO d_r VALUES (2, 'b');
-- a key column's type cannot change (the key would come back as btree);
-- another column's can
ALTER TABLE d_r ALTER COLUMN id TYPE bigint;
ALTER TABLE d_r ALTER COLUMN v TYPE char(3);
INSERT INTO d_r VALUES (2, 'b');
VACUUM FULL d_r;
INSERT INTO d_r VALUES (2, 'b');
SELECT * FROM d_r ORDER BY id;

-- keys of other types: text with spaces, composite keys, uuid, timestamps,
-- inet (compared by its bytes), enums
CREATE TYPE key_mood AS ENUM ('sad', 'ok');
CREATE TABLE d_t (a text, b int, u uuid UNIQUE, ts timestamptz UNIQUE, ip inet UNIQUE, m key_mood, PRIMARY KEY (a, b)) USING duckdb;
INSERT INTO d_t VALUES ('x y', 1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-01 00:00+00', '10.0.0.1', 'ok');
INSERT INTO d_t VALUES ('x y', 1, NULL, NULL, NULL, NULL);
INSERT INTO d_t VALUES ('x y', 2, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL, NULL, NULL);
INSERT INTO d_t VALUES ('x y', 3, NULL, '2024-01-01 01:00+01', NULL, NULL);
INSERT INTO d_t VALUES ('x y', 4, NULL, NULL, '10.0.0.1', NULL);
INSERT INTO d_t VALUES ('x y', 5, NULL, NULL, '10.0.0.1/32', NULL);
CREATE UNIQUE INDEX d_t_m ON d_t (m);
INSERT INTO d_t VALUES ('z', 1, NULL, NULL, NULL, 'ok');

-- refused up front, with nothing created
CREATE TABLE d_f (x float8 PRIMARY KEY) USING duckdb;
CREATE TABLE d_n (x numeric PRIMARY KEY) USING duckdb;
CREATE TABLE d_j (x jsonb UNIQUE) USING duckdb;
CREATE TABLE d_e (x int, UNIQUE (x) INCLUDE (x)) USING duckdb;
CREATE TABLE d_g (x int UNIQUE DEFERRABLE) USING duckdb;
CREATE TABLE d_z (x int UNIQUE NULLS NOT DISTINCT) USING duckdb;
CREATE UNIQUE INDEX ON d_a ((id + 1));
CREATE UNIQUE INDEX ON d_a (id) WHERE id > 0;
CREATE INDEX ON d_a (id);
CREATE INDEX CONCURRENTLY ON d_a (id);
CREATE UNIQUE INDEX ON d_a USING hash (id);
SELECT count(*) FROM pg_class WHERE relname IN ('d_f', 'd_n', 'd_j', 'd_e', 'd_g', 'd_z');
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'd_a'::regclass ORDER BY 1;
-- a key index is for duckdb tables only
CREATE TABLE h_x (id int);
CREATE UNIQUE INDEX ON h_x USING duckdb_key (id);

-- SET ACCESS METHOD duckdb keeps PRIMARY KEY and UNIQUE (same names)
CREATE TABLE c_k (id int PRIMARY KEY, code text CONSTRAINT c_k_code UNIQUE, n int);
INSERT INTO c_k SELECT g, 'c' || g, g FROM generate_series(1, 100) g;
ALTER TABLE c_k SET ACCESS METHOD duckdb;
\d c_k
INSERT INTO c_k VALUES (1, 'new', 0);
INSERT INTO c_k VALUES (101, 'c5', 0);
INSERT INTO c_k VALUES (101, 'c101', 0);
SELECT count(*), count(DISTINCT id) FROM c_k;
-- back to heap: the keys must go first
ALTER TABLE c_k SET ACCESS METHOD heap;
-- another index is refused before anything changes
CREATE TABLE c_i (id int, n int);
CREATE INDEX c_i_n ON c_i (n);
ALTER TABLE c_i SET ACCESS METHOD duckdb;
SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relname = 'c_i';

-- pg_dump shows the keys as constraints (restored through the same hook)
SELECT pg_get_indexdef('d_t_m'::regclass);

DROP TABLE d_k, h_k, d_a, d_r, d_t, h_x, c_k, c_i;
DROP TYPE key_mood;
