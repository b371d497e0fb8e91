-- CREATE TABLE ... USING duckdb and friends
CREATE TABLE events (id bigint, ts timestamptz, kind text, amount numeric(12,2)) USING duckdb;
\d+ events
SELECT c.relname, a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relname = 'events';
SELECT count(*) FROM events;
SELECT * FROM events;

-- CREATE TABLE AS and SELECT INTO
CREATE TABLE ctas USING duckdb AS SELECT g AS id, 'row ' || g AS label FROM generate_series(1, 5) g;
SELECT * FROM ctas ORDER BY id;
SELECT id * 2 AS twice INTO TABLE selinto FROM ctas WHERE id > 3;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relname = 'selinto';
SET default_table_access_method = duckdb;
SELECT id * 2 AS twice INTO TABLE selinto2 FROM ctas WHERE id > 3;
CREATE TABLE plain (x int);
RESET default_table_access_method;
SELECT c.relname, a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.relname IN ('selinto', 'selinto2', 'plain') ORDER BY 1;
SELECT * FROM selinto2 ORDER BY 1;
CREATE TABLE ctas_empty USING duckdb AS SELECT * FROM ctas WITH NO DATA;
SELECT count(*) FROM ctas_empty;

-- a table with no columns still has rows
CREATE TABLE nocols () USING duckdb;
INSERT INTO nocols DEFAULT VALUES;
INSERT INTO nocols SELECT FROM generate_series(1, 3);
SELECT count(*) FROM nocols;

-- partitions may be duckdb tables
CREATE TABLE parted (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10) USING duckdb;
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
INSERT INTO parted VALUES (1, 'one'), (15, 'fifteen'), (5, 'five');
SELECT tableoid::regclass, * FROM parted ORDER BY k;

-- refused, with the column and type named
CREATE TABLE bad3 (n numeric(50, 2)) USING duckdb;
CREATE TEMP TABLE bad6 (a int) USING duckdb;
CREATE UNLOGGED TABLE bad7 (a int) USING duckdb;
SELECT relname FROM pg_class WHERE relname LIKE 'bad%';
-- CREATE TABLE IF NOT EXISTS on an existing duckdb table
CREATE TABLE IF NOT EXISTS events (id int) USING duckdb;
