-- Queries mixing heap and duckdb tables run wholly in DuckDB: DuckDB reads
-- the heap tables through PostgreSQL's own table scans (pg_heap). Each
-- query runs with duckam.heap_scans on and off (off: PostgreSQL runs it)
-- and must give the same rows; pushed() says whether DuckDB ran it.
CREATE TABLE d_f (id int, hid int, amount numeric(10,2), day date) USING duckdb;
INSERT INTO d_f SELECT g, g % 500, (g % 1000) / 4.0, date '2024-01-01' + g % 60 FROM generate_series(1, 20000) g;
CREATE TABLE h_dim (hid int, name text, flag bool, w float8, since timestamp, big text, gone int, pt point);
INSERT INTO h_dim SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'name ' || g END, g % 2 = 0,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g * 1.5 END, timestamp '2020-01-01' + g * interval '1 day',
       CASE WHEN g % 100 = 0 THEN repeat('x', 100000) || g END, g, point(g, g)
  FROM generate_series(0, 599) g;
ALTER TABLE h_dim DROP COLUMN gone;
CREATE TABLE h_small (k int, label text);
INSERT INTO h_small VALUES (1, 'one'), (2, 'two'), (NULL, 'none');

CREATE TEMP TABLE pd_on (r text);
CREATE TEMP TABLE pd_off (r text);
-- rows compared as text with DuckDB reading the heap tables and without
CREATE OR REPLACE FUNCTION same_both_ways(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a bigint; b bigint; n bigint; rec record; BEGIN
  TRUNCATE pd_on, pd_off;
  FOR rec IN EXECUTE q LOOP INSERT INTO pd_on VALUES (rec::text); END LOOP;
  SET LOCAL duckam.heap_scans = off;
  FOR rec IN EXECUTE q LOOP INSERT INTO pd_off VALUES (rec::text); END LOOP;
  SET LOCAL duckam.heap_scans = on;
  SELECT count(*) INTO n FROM pd_on;
  SELECT count(*) INTO a FROM (TABLE pd_on EXCEPT ALL TABLE pd_off) x;
  SELECT count(*) INTO b FROM (TABLE pd_off EXCEPT ALL TABLE pd_on) x;
  RETURN CASE WHEN a = 0 AND b = 0 THEN 'same ' || n || ' rows' ELSE 'DIFFERENT: ' || a || '/' || b END;
END $$;

SELECT q, pushed(q), same_both_ways(q) FROM (VALUES
  ('SELECT h.name, sum(f.amount), count(*) FROM d_f f JOIN h_dim h ON h.hid = f.hid GROUP BY h.name'),
  ('SELECT f.id, h.flag, h.w FROM d_f f LEFT JOIN h_dim h ON h.hid = f.hid * 2 WHERE f.id < 300'),
  ('SELECT h.hid, length(h.big), h.since FROM h_dim h JOIN d_f f ON f.id = h.hid WHERE h.big IS NOT NULL'),
  ('SELECT count(*) FROM d_f WHERE hid IN (SELECT k FROM h_small)'),
  ('SELECT count(*) FROM d_f f WHERE NOT EXISTS (SELECT 1 FROM h_dim h WHERE h.hid = f.hid AND h.flag)'),
  ('WITH hs AS (SELECT hid, w FROM h_dim WHERE w > 100) SELECT f.day, max(hs.w) FROM d_f f JOIN hs USING (hid) GROUP BY f.day'),
  ('SELECT hid FROM h_dim UNION SELECT hid FROM d_f'),
  ('SELECT a.hid, b.hid FROM h_dim a JOIN h_dim b ON a.hid = b.hid + 1 JOIN d_f f ON f.id = a.hid'),
  ('SELECT s.label, count(f.id) FROM h_small s LEFT JOIN d_f f ON f.hid = s.k GROUP BY s.label'),
  ('SELECT f.hid, h.name FROM d_f f JOIN h_dim h USING (hid) ORDER BY f.id LIMIT 5'),
  ('SELECT h.pt, f.id FROM h_dim h JOIN d_f f ON f.id = h.hid WHERE f.id < 3')
) t(q);

-- the transaction's own uncommitted heap rows are seen
BEGIN;
INSERT INTO h_small VALUES (3, 'three, uncommitted');
SELECT s.label, count(*) FROM h_small s JOIN d_f f ON f.hid = s.k GROUP BY 1 ORDER BY 1;
SELECT pushed('SELECT s.label, count(*) FROM h_small s JOIN d_f f ON f.hid = s.k GROUP BY 1');
ROLLBACK;

-- errors from the heap side surface with their SQLSTATE
CREATE TABLE h_bad (hid int, v numeric(10,2));
INSERT INTO h_bad VALUES (1, 1), (2, 'NaN');
SELECT sqlstate_of('SELECT * FROM h_bad b JOIN d_f f USING (hid)');
SELECT sqlstate_of('SELECT count(*) FROM d_f f JOIN h_small s ON s.k = f.hid WHERE f.id / (s.k - 1) > 0');
CREATE ROLE mixed_user;
GRANT SELECT ON d_f TO mixed_user;
SET ROLE mixed_user;
SELECT count(*) FROM d_f f JOIN h_small s ON s.k = f.hid;
RESET ROLE;
REVOKE ALL ON d_f FROM mixed_user;
DROP ROLE mixed_user;

-- a cursor stopped early, then more work in the same transaction
BEGIN;
DECLARE c CURSOR FOR SELECT f.id, h.name FROM d_f f JOIN h_dim h USING (hid) ORDER BY f.id;
FETCH 3 FROM c;
CLOSE c;
SELECT count(*) FROM d_f f JOIN h_small s ON s.k = f.hid;
COMMIT;

-- writes to duckdb tables from heap data
CREATE TABLE d_mix AS SELECT * FROM d_f WITH NO DATA;
ALTER TABLE d_mix SET ACCESS METHOD duckdb;
INSERT INTO d_mix SELECT f.id, h.hid, f.amount, f.day FROM d_f f JOIN h_dim h USING (hid) WHERE h.flag;
SELECT count(*), sum(amount) FROM d_mix;
SELECT pushed('INSERT INTO d_mix SELECT f.id, h.hid, f.amount, f.day FROM d_f f JOIN h_dim h USING (hid) WHERE h.flag');
UPDATE d_mix SET amount = 0 FROM h_small s WHERE s.k = d_mix.hid;
DELETE FROM d_mix USING h_dim h WHERE h.hid = d_mix.hid AND h.name IS NULL;
SELECT count(*), sum(amount), count(*) FILTER (WHERE amount = 0) FROM d_mix;
DROP TABLE d_mix, h_bad;

-- what DuckDB cannot read yet runs in PostgreSQL
CREATE TABLE h_part (k int) PARTITION BY RANGE (k);
CREATE TABLE h_part_1 PARTITION OF h_part FOR VALUES FROM (0) TO (100);
INSERT INTO h_part VALUES (1), (2);
SELECT pushed('SELECT count(*) FROM d_f f JOIN h_part p ON p.k = f.hid');
SELECT count(*) FROM d_f f JOIN h_part p ON p.k = f.hid;
DROP TABLE h_part;
