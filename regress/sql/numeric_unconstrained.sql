-- numeric without a precision: stored as its text (each value's digits and
-- display scale), computed on in DuckDB as DECIMAL(38,18); a value that
-- does not fit is an error at insert naming the column.
CREATE TABLE h_nu (k int, x numeric, y numeric, g int);
INSERT INTO h_nu VALUES
 (1, 1.5, 2, 1), (2, 1.50, -0.001, 1), (3, 0, 1e-18, 1), (4, -123456789.123456789012345678, 10, 2),
 (5, 99999999999999999999.999999999999999999, -99999999999999999999, 2), (6, NULL, 7.000, 2),
 (7, 100, NULL, 3), (8, 0.000000000000000001, 0.1, 3), (9, -0.0, 3.14159265358979323, 3), (10, 1.00, 1, 3);
CREATE TABLE d_nu (LIKE h_nu) USING duckdb;
INSERT INTO d_nu SELECT * FROM h_nu;
-- every value and scale as PostgreSQL prints it
SELECT k, x, y FROM d_nu ORDER BY k;
SELECT same($$SELECT * FROM d_nu$$);
SELECT pushed($$SELECT k, x FROM d_nu$$) AS moved;
-- comparisons and ordering by value (1.5 = 1.50), in DuckDB
SELECT pushed($$SELECT k FROM d_nu WHERE x = 1.5$$) AS compared,
       pushed($$SELECT k, x FROM d_nu ORDER BY x, k$$) AS ordered;
SELECT k FROM d_nu WHERE x = 1.5 ORDER BY k;
SELECT same_order($$SELECT k, x FROM d_nu ORDER BY x NULLS FIRST, k$$);
SELECT same($$SELECT k FROM d_nu WHERE x > y$$);
SELECT same($$SELECT a.k, b.k FROM d_nu a JOIN d_nu b ON a.x = b.y$$);
-- sum and avg: PostgreSQL's value and scale, in DuckDB
SELECT pushed($$SELECT sum(x), avg(x) FROM d_nu$$) AS aggregated,
       pushed($$SELECT g, sum(x), avg(y), count(x) FROM d_nu GROUP BY g$$) AS grouped;
SELECT sum(x), avg(x), sum(y), avg(y) FROM d_nu WHERE k <> 5;
SELECT same($$SELECT sum(x), avg(x), sum(y), avg(y) FROM d_nu WHERE k <> 5$$);
SELECT same($$SELECT g, sum(x), avg(y), count(x), sum(x) FILTER (WHERE k > 2) FROM d_nu WHERE k <> 5 GROUP BY g$$);
SELECT same($$SELECT sum(x + y), sum(CASE WHEN k > 3 THEN x ELSE y END), avg(coalesce(x, y)) FROM d_nu WHERE k NOT IN (4, 5)$$);
SELECT same($$SELECT sum(x), avg(x) FROM d_nu WHERE false$$);
-- arithmetic is PostgreSQL's, over the values DuckDB returns
SELECT same($$SELECT k, x * y, x / 7, round(x, 2), x + 1 FROM d_nu WHERE k <> 5$$);
SELECT same($$SELECT k, x + y FROM d_nu WHERE k <> 5 ORDER BY k$$);
-- grouping by such a column: PostgreSQL (1.5 and 1.50 are one group,
-- printed as one of them)
SELECT pushed($$SELECT x, count(*) FROM d_nu GROUP BY x$$) AS grouped_by_it;
SELECT x = 1.5 AS is_one_and_a_half, count(*) FROM d_nu GROUP BY x HAVING x = 1.5;
SELECT count(DISTINCT x) FROM d_nu;
-- min and max: the extreme value's own text, in DuckDB
SELECT pushed($$SELECT min(x), max(y) FROM d_nu$$) AS extremes;
SELECT same($$SELECT min(x), max(x), min(y), max(y) FROM d_nu$$);
SELECT same($$SELECT g, min(x), max(y) FILTER (WHERE k > 1) FROM d_nu GROUP BY g$$);
SELECT same($$SELECT min(x), max(x) FROM d_nu WHERE false$$);
-- values DuckDB cannot compute on exactly are refused at insert, naming
-- the column; nothing is rounded
INSERT INTO d_nu (k, x) VALUES (11, 100000000000000000000);
INSERT INTO d_nu (k, x) VALUES (11, 0.0000000000000000001);
INSERT INTO d_nu (k, y) VALUES (11, 1.0000000000000000000);
INSERT INTO d_nu (k, x) VALUES (11, 'NaN');
INSERT INTO d_nu (k, x) VALUES (11, '-Infinity');
SELECT q, sqlstate_of(q) FROM (VALUES
  ('INSERT INTO d_nu (k, x) VALUES (11, 1e20)'),
  ('INSERT INTO d_nu (k, x) VALUES (11, ''NaN'')')) AS t(q);
SELECT count(*) FROM d_nu WHERE k = 11;
-- COPY, UPDATE, DELETE, ALTER
COPY d_nu (k, x, y) FROM stdin;
12	12.340	-0.5000
13	\N	1e3
\.
INSERT INTO h_nu (k, x, y) VALUES (12, 12.340, -0.5000), (13, NULL, 1e3);
-- UPDATE runs whole in DuckDB: assignments whose scale DuckDB can tell
-- (constants, copies, sums and CASEs of such columns) are stored with
-- PostgreSQL's text; a product is refused
UPDATE d_nu SET y = y + 0.5 WHERE k IN (1, 6);
UPDATE h_nu SET y = y + 0.5 WHERE k IN (1, 6);
UPDATE d_nu SET x = 4.250, y = x WHERE k = 3;
UPDATE h_nu SET x = 4.250, y = x WHERE k = 3;
UPDATE d_nu SET x = 7 WHERE k = 10;
UPDATE h_nu SET x = 7 WHERE k = 10;
UPDATE d_nu SET x = CASE WHEN k > 8 THEN y ELSE x - 1 END WHERE k IN (8, 9);
UPDATE h_nu SET x = CASE WHEN k > 8 THEN y ELSE x - 1 END WHERE k IN (8, 9);
UPDATE d_nu SET x = x * 10 WHERE k = 2;
UPDATE d_nu SET x = x + 99999999999999999999 WHERE k = 1;
SELECT sqlstate_of($$UPDATE d_nu SET x = x + 99999999999999999999 WHERE k = 1$$);
UPDATE d_nu SET x = 1.0000000000000000001 WHERE k = 1;
UPDATE d_nu SET x = 12345678901234567.89 * 10000 WHERE k = 1;
DELETE FROM d_nu WHERE x = 100;
DELETE FROM h_nu WHERE x = 100;
SELECT same($$SELECT * FROM d_nu$$);
ALTER TABLE d_nu ADD COLUMN z numeric DEFAULT 2.50;
ALTER TABLE h_nu ADD COLUMN z numeric DEFAULT 2.50;
SELECT same($$SELECT k, z, sum(z) OVER () FROM d_nu$$);
-- numeric(p,s) relaxed to numeric keeps its values and scales
CREATE TABLE d_nu2 (k int, v numeric(10,3)) USING duckdb;
INSERT INTO d_nu2 VALUES (1, 1.5), (2, -1234567.891);
ALTER TABLE d_nu2 ALTER COLUMN v TYPE numeric;
SELECT k, v, sum(v) OVER () FROM d_nu2 ORDER BY k;
-- arrays of unconstrained numerics
CREATE TABLE d_nu3 (k int, a numeric[]) USING duckdb;
INSERT INTO d_nu3 VALUES (1, '{1.5,1.50,NULL,-0.001}'), (2, '{}');
SELECT * FROM d_nu3 ORDER BY k;
INSERT INTO d_nu3 VALUES (3, '{1e30}');
-- CREATE TABLE AS with an unconstrained result
CREATE TABLE d_nu4 USING duckdb AS SELECT k, x * 2 AS x2, 1.5 AS c FROM h_nu WHERE k < 4;
SELECT * FROM d_nu4 ORDER BY k;
-- converting a heap table
CREATE TABLE nu_convert AS SELECT * FROM h_nu WHERE k <> 5;
ALTER TABLE nu_convert SET ACCESS METHOD duckdb;
SELECT count(*) AS differing FROM ((TABLE nu_convert EXCEPT TABLE h_nu) UNION ALL (SELECT * FROM h_nu WHERE k <> 5 EXCEPT TABLE nu_convert)) x;
-- a heap table's unconstrained numeric in a mixed query: PostgreSQL reads it
SELECT pushed($$SELECT d.k, h.x FROM d_nu d JOIN h_nu h USING (k)$$) AS heap_numeric;
SELECT same($$SELECT d.k, d.x, h.x FROM d_nu d JOIN h_nu h USING (k)$$);
