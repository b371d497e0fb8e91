-- Reading duckdb tables through PostgreSQL's executor (the scan path)
SET duckam.execution = off;  -- this suite is about the access method's own scans
CREATE TABLE r (id int, grp text, val float8) USING duckdb;
INSERT INTO r SELECT g, 'g' || (g % 3), g * 0.5 FROM generate_series(1, 3000) g;
CREATE TABLE h (grp text, label text);
INSERT INTO h VALUES ('g0', 'zero'), ('g1', 'one'), ('g2', 'two');
ANALYZE h;
-- the planner sees the real row count
EXPLAIN (COSTS OFF) SELECT * FROM r;
CREATE FUNCTION est_rows(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE l text; BEGIN
  FOR l IN EXECUTE 'EXPLAIN ' || q LOOP RETURN (regexp_match(l, 'rows=(\d+)'))[1]::int; END LOOP;
END $$;
SELECT est_rows('SELECT * FROM r') AS estimated, (SELECT count(*) FROM r) AS actual;
SELECT count(*), sum(val), min(id), max(id) FROM r;
SELECT grp, count(*), avg(val) FROM r GROUP BY grp ORDER BY grp;
SELECT * FROM r WHERE id BETWEEN 10 AND 12 ORDER BY id;
-- joins with heap and with itself
SELECT h.label, count(*) FROM r JOIN h USING (grp) GROUP BY h.label ORDER BY 1;
SELECT count(*) FROM r a JOIN r b ON a.id = b.id + 1;
SELECT count(*) FROM r a WHERE EXISTS (SELECT 1 FROM r b WHERE b.id = a.id * 1000);
-- nested loop rescans the inner duckdb scan
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
SELECT count(*) FROM h JOIN r ON r.grp = h.grp AND r.id < 10;
RESET enable_hashjoin; RESET enable_mergejoin; RESET enable_material;
-- no parallel plans over duckdb tables
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT count(*) FROM r;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
-- cursors, including scrolling backwards and two open at once
BEGIN;
DECLARE c1 SCROLL CURSOR FOR SELECT id FROM r ORDER BY id;
DECLARE c2 CURSOR FOR SELECT id FROM r WHERE id > 2990;
FETCH 2 FROM c1;
FETCH 3 FROM c2;
FETCH 2 FROM c1;
FETCH BACKWARD 1 FROM c1;
FETCH ALL FROM c2;
CLOSE c1; CLOSE c2;
COMMIT;
-- a WITH HOLD cursor survives its transaction
BEGIN;
DECLARE ch CURSOR WITH HOLD FOR SELECT id FROM r WHERE id <= 3 ORDER BY id;
COMMIT;
FETCH ALL FROM ch;
CLOSE ch;
-- views, CTEs, set operations, window functions, LIMIT
CREATE VIEW rv AS SELECT grp, sum(val) AS s FROM r GROUP BY grp;
SELECT * FROM rv ORDER BY grp;
WITH top AS (SELECT id FROM r ORDER BY val DESC LIMIT 3) SELECT * FROM top ORDER BY id;
SELECT id FROM r WHERE id < 3 UNION ALL SELECT id FROM r WHERE id > 2998 ORDER BY 1;
SELECT id, sum(val) OVER (ORDER BY id ROWS 1 PRECEDING) FROM r WHERE id <= 4 ORDER BY id;
SELECT * FROM r ORDER BY id LIMIT 2 OFFSET 2998;
-- PL/pgSQL loop reading a duckdb table
DO $$ DECLARE s float8 := 0; x record; BEGIN
  FOR x IN SELECT val FROM r LOOP s := s + x.val; END LOOP;
  RAISE NOTICE 'sum %', s; END $$;
-- empty table
CREATE TABLE e (a int) USING duckdb;
SELECT count(*), max(a) FROM e;
SELECT * FROM e;
-- reading in a read-only transaction and on a hot path with writes interleaved
BEGIN READ ONLY;
SELECT count(*) FROM r;
COMMIT;
BEGIN;
SELECT count(*) FROM r;
INSERT INTO r VALUES (5000, 'g9', 1);
SELECT count(*) FROM r;
COMMIT;
-- writing while a cursor over a duckdb table is open: the cursor keeps
-- reading its snapshot, later statements see the new row, ROLLBACK drops it
BEGIN;
DECLARE cr CURSOR FOR SELECT id FROM r WHERE id > 4990 ORDER BY id;
FETCH 1 FROM cr;
INSERT INTO r VALUES (5001, 'g9', 1);
FETCH ALL FROM cr;
SELECT count(*) FROM r WHERE id > 4990;
ROLLBACK;
SELECT count(*) FROM r WHERE id > 4990;
-- pg_relation_size of the PostgreSQL-side file is 0; data lives in DuckDB
SELECT pg_relation_size('r'), duckam.storage_size() > 0 AS has_storage;
