-- DDL on duckdb tables: what works, and what is refused clearly
CREATE TABLE d (a int, b text, c numeric(6,2)) USING duckdb;
INSERT INTO d VALUES (1, 'one', 1.10), (2, 'two', 2.20);

-- renames need nothing from DuckDB
ALTER TABLE d RENAME COLUMN b TO name;
ALTER TABLE d RENAME TO d2;
SELECT * FROM d2 ORDER BY a;
ALTER TABLE d2 RENAME TO d;

-- column changes
ALTER TABLE d ADD COLUMN e int;
ALTER TABLE d ADD COLUMN f text DEFAULT 'filled';
ALTER TABLE d ADD COLUMN g timestamptz DEFAULT now();
SELECT a, name, c, e, f, g IS NOT NULL AS has_g FROM d ORDER BY a;
INSERT INTO d (a, name, e) VALUES (3, 'three', 33);
ALTER TABLE d DROP COLUMN name;
SELECT a, c, e, f, g IS NOT NULL AS has_g FROM d ORDER BY a;
INSERT INTO d (a, c) VALUES (4, 4.4);
ALTER TABLE d ALTER COLUMN c TYPE numeric(10,3);
ALTER TABLE d ALTER COLUMN a TYPE bigint;
SELECT a, c, e, f FROM d ORDER BY a;
ALTER TABLE d ALTER COLUMN e SET NOT NULL;
ALTER TABLE d ALTER COLUMN e SET DEFAULT 0;
INSERT INTO d (a) VALUES (5);
SELECT a, e FROM d ORDER BY a;
ALTER TABLE d ADD CONSTRAINT c_pos CHECK (c > 0);
-- a precision-only change PostgreSQL does without a rewrite is mirrored
ALTER TABLE d ALTER COLUMN c TYPE numeric(14,3);
INSERT INTO d (a, c, e) VALUES (6, 12345678901.123, 6);
SELECT a, c FROM d WHERE a = 6;
SELECT pg_typeof(a), pg_typeof(c) FROM d LIMIT 1;

-- dropping every column keeps the rows; adding one back fills it
CREATE TABLE lone (x int) USING duckdb;
INSERT INTO lone VALUES (1), (2);
ALTER TABLE lone DROP COLUMN x;
SELECT count(*) FROM lone;
ALTER TABLE lone ADD COLUMN y text DEFAULT 'back';
SELECT * FROM lone;
DROP TABLE lone;

-- VACUUM, VACUUM FULL, ANALYZE
VACUUM d;
VACUUM FULL d;
ANALYZE d;
SELECT a, c FROM d ORDER BY a;

-- refused operations
CREATE INDEX ON d (a);
-- refused before any catalog change, CONCURRENTLY and parallel builds
-- too: no INVALID index is left behind, and TRUNCATE still works
CREATE INDEX CONCURRENTLY d_conc ON d (a);
SET max_parallel_maintenance_workers = 2;
CREATE UNIQUE INDEX d_par ON d (a);
RESET max_parallel_maintenance_workers;
SELECT count(*) AS indexes_left FROM pg_index WHERE indrelid = 'd'::regclass;
BEGIN; TRUNCATE d; ROLLBACK;
MERGE INTO d USING (SELECT 1 AS x) s ON d.a = s.x WHEN MATCHED THEN DELETE;
SELECT * FROM d FOR UPDATE;
SELECT * FROM d TABLESAMPLE SYSTEM (50);
ALTER TABLE d ADD PRIMARY KEY (a);
ALTER TABLE d ADD COLUMN bad numeric(50, 2);
SELECT count(*) FROM d;

-- ALTER TABLE ... SET ACCESS METHOD converts both ways
CREATE TABLE conv (x int, y text);
INSERT INTO conv SELECT g, g::text FROM generate_series(1, 100) g;
ALTER TABLE conv SET ACCESS METHOD duckdb;
SELECT a.amname, count(*), sum(x) FROM conv, pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relname = 'conv' GROUP BY 1;
ALTER TABLE conv SET ACCESS METHOD heap;
SELECT a.amname, count(*), sum(x) FROM conv, pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relname = 'conv' GROUP BY 1;

-- DROP TABLE / DROP SCHEMA CASCADE leave nothing behind in DuckDB
CREATE SCHEMA s;
CREATE TABLE s.t1 (a int) USING duckdb;
CREATE TABLE s.t2 (a int) USING duckdb;
INSERT INTO s.t1 VALUES (1);
CREATE VIEW s.v AS SELECT * FROM s.t1;
SELECT * FROM s.v;
DROP SCHEMA s CASCADE;
DROP TABLE d;
BEGIN;
DROP TABLE conv;
ROLLBACK;
SELECT count(*) FROM conv;
SELECT duckam.cleanup_orphans();
-- every DuckDB table belongs to a live duckdb relation
SELECT count(*) AS unreferenced FROM duckam.stored_tables() t
 WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE 'r_' || c.relfilenode = t);
SELECT count(*) = (SELECT count(*) FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'duckdb') AS one_per_relation
  FROM duckam.stored_tables();
