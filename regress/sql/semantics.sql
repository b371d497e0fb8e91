-- Shapes whose PostgreSQL meaning DuckDB does not share on its own, spelled
-- so that it does (TPC-H needs each of them): char(n) comparison, grouping
-- and ordering; text ordering under the C.UTF-8 collation; interval
-- constants and parameters in date/timestamp arithmetic; sums over numeric
-- values whose scale differs row by row. Every query is compared with
-- PostgreSQL's own execution on heap copies, and must run in DuckDB.

-- char(n): PostgreSQL pads stored values to n and ignores trailing spaces
-- when comparing; a tab sorts before the padding's spaces.
CREATE TABLE d_ch (id int, c5 char(5), c1 char(1), cx bpchar, v varchar(8), t text) USING duckdb;
INSERT INTO d_ch VALUES
  (1, 'ab', 'a', 'ab', 'ab', 'ab'), (2, 'ab  ', 'a', 'ab ', 'ab ', 'ab '), (3, 'abc', 'b', 'abc', 'abc', 'abc'),
  (4, NULL, NULL, NULL, NULL, NULL), (5, E'a\t', 'a', E'a\t', E'a\t', E'a\t'), (6, 'é', 'é', 'é', 'é', 'é'),
  (7, '', ' ', '', '', ''), (8, 'ABC', 'A', 'ABC', 'ABC', 'ABC'), (9, 'a', 'a', 'a', 'a', 'a');
CREATE TABLE h_ch AS SELECT * FROM d_ch;

SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT id FROM d_ch WHERE c5 = ''ab'''),
  ('SELECT id FROM d_ch WHERE c5 = ''ab   '''),
  ('SELECT id FROM d_ch WHERE c5 = ''abcdefg'''),
  ('SELECT id, c5 <> ''ab'' AS ne, c5 = '''' AS empty, c1 = '' '' AS blank FROM d_ch'),
  ('SELECT id, c5 < ''ab'' AS lt, c5 >= ''a'' AS ge, cx > c5 AS gt FROM d_ch'),
  ('SELECT id FROM d_ch WHERE c5 IN (''ab'', ''ABC'', NULL)'),
  ('SELECT id FROM d_ch WHERE c5 IN (''ab'', ''toolongvalue'')'),
  ('SELECT id FROM d_ch WHERE c5 NOT IN (''ab'', ''abc'')'),
  ('SELECT id FROM d_ch WHERE c1 = ANY (ARRAY[''a'', ''b'']::char(1)[])'),
  ('SELECT id FROM d_ch WHERE cx = ''ab'''),
  ('SELECT id FROM d_ch WHERE cx IN (''ab'', ''a'')'),
  ('SELECT a.id, b.id FROM d_ch a JOIN d_ch b ON a.c5 = b.c5'),
  ('SELECT a.id, b.id FROM d_ch a JOIN d_ch b ON a.c5 = b.cx'),
  ('SELECT a.id, b.id FROM d_ch a JOIN d_ch b ON a.c1 = b.c5'),
  ('SELECT c5, count(*) FROM d_ch GROUP BY c5'),
  ('SELECT DISTINCT c1 FROM d_ch'),
  ('SELECT c5 FROM d_ch UNION SELECT c5 FROM d_ch'),
  ('SELECT id, c5::text || ''|'' AS t, c5::varchar AS v, length(c5::text) AS n FROM d_ch'),
  ('SELECT id FROM d_ch WHERE c5 LIKE ''ab%'''),
  ('SELECT id FROM d_ch WHERE c5 LIKE ''%b '''),
  ('SELECT id FROM d_ch WHERE c5::text = t'),
  ('SELECT id FROM d_ch WHERE c5 IS DISTINCT FROM c5'),
  ('SELECT id FROM d_ch a WHERE c5 IN (SELECT c5 FROM d_ch b WHERE b.id > 5)')
) t(q);
-- the padded fast path: constants padded to the column, no trimming
SELECT * FROM explain_text('SELECT id FROM d_ch WHERE c5 IN (''ab'', ''x'') AND c5 <> ''q'' AND c5 = c5') WHERE explain_text LIKE '%DuckDB SQL%';
-- ordering: by the value without trailing spaces
SELECT pushed('SELECT id, c5 FROM d_ch ORDER BY c5, id'), same_order('SELECT id, c5 FROM d_ch ORDER BY c5, id');
SELECT same_order('SELECT id, cx FROM d_ch ORDER BY cx DESC NULLS LAST, id');
SELECT id, c5 FROM d_ch ORDER BY c5 NULLS FIRST, id;
-- min/max over char(n) stays in PostgreSQL (padding vs. control characters)
SELECT pushed('SELECT min(c5) FROM d_ch');

-- text ordering under the database's C.UTF-8 collation: code point order
SHOW lc_collate;
CREATE TABLE d_words (w text) USING duckdb;
INSERT INTO d_words VALUES ('apple'), ('Apple'), ('äpfel'), ('zebra'), ('Zebra'), ('_under'), ('a b'), ('ab'), (''), ('日本'), ('😀'), ('é'), ('e'), ('E'), (NULL), ('a-b'), ('a.b'), ('10'), ('9');
CREATE TABLE h_words AS SELECT * FROM d_words;
SELECT pushed('SELECT w FROM d_words ORDER BY w'), same_order('SELECT w FROM d_words ORDER BY w');
SELECT same_order('SELECT w, min(w) OVER (ORDER BY w DESC) FROM d_words ORDER BY w DESC NULLS FIRST');
SELECT same('SELECT min(w), max(w), min(w COLLATE "C") FROM d_words');
SELECT pushed('SELECT max(w) FROM d_words'), pushed('SELECT w FROM d_words ORDER BY w COLLATE "C"');

-- interval constants: months, then days, then microseconds, month ends
-- clamped, in both systems
CREATE TABLE d_days (id int, d date, ts timestamp) USING duckdb;
INSERT INTO d_days VALUES (1, '2020-01-31', '2020-01-31 23:59:59.999999'), (2, '2020-02-29', '2020-02-29 00:00:00'),
  (3, '2019-12-31', '2019-12-31 12:00:00'), (4, NULL, NULL), (5, '2021-03-31', '2021-03-31 00:00:01'), (6, '0001-01-01', '1999-12-31 23:00:00');
CREATE TABLE h_days AS SELECT * FROM d_days;
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT id, d + interval ''1 month'', d - interval ''1'' month, d + interval ''1 year 2 days 3 hours'' FROM d_days'),
  ('SELECT id, d + interval ''-1 mon 40 days 0.000001 sec'', ts + interval ''1 day'', ts - interval ''36 hours 1 minute'' FROM d_days'),
  ('SELECT id, ts + interval ''1 month -1 day'', ts - interval ''-2 years'' FROM d_days'),
  ('SELECT id FROM d_days WHERE d <= date ''2020-03-31'' - interval ''1'' month'),
  ('SELECT id FROM d_days WHERE d >= date ''2020-01-01'' AND d < date ''2020-01-01'' + interval ''1'' year'),
  ('SELECT id FROM d_days WHERE ts < timestamp ''2020-02-29 12:00'' - interval ''12:00:00.000001''')
) t(q);
PREPARE shift(interval) AS SELECT id, d + $1 AS moved FROM d_days ORDER BY id;
SELECT pushed('EXECUTE shift(''1 mon'')');
EXECUTE shift('1 mon 1 day');
EXECUTE shift('-3 years');
DEALLOCATE shift;

-- sums over CASE/COALESCE whose branches have different numeric scales:
-- PostgreSQL's sum has the largest scale among the values it added
CREATE TABLE d_mix (g int, p numeric(10,2), q numeric(10,3), f bool) USING duckdb;
INSERT INTO d_mix VALUES (1, 1.50, 2.125, true), (1, 2.25, NULL, false), (2, NULL, 1.000, true), (2, 3.00, 1.5, false),
  (3, 1.00, 1.000, false), (4, NULL, NULL, true), (5, 99999999.99, 9999999.999, true), (5, -99999999.99, 0.001, true);
CREATE TABLE h_mix AS SELECT * FROM d_mix;
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT g, sum(CASE WHEN f THEN p * q ELSE 0 END) FROM d_mix GROUP BY g'),
  ('SELECT g, sum(CASE WHEN f THEN p END), sum(COALESCE(q, p, 0)), sum(CASE WHEN f THEN p ELSE 0 END) FILTER (WHERE g > 1) FROM d_mix GROUP BY g'),
  ('SELECT g, 100.00 * sum(CASE WHEN f THEN p * q ELSE 0 END) / NULLIF(sum(p * q), 0) FROM d_mix GROUP BY g'),
  ('SELECT sum(CASE WHEN f THEN p ELSE 0 END) + sum(q) FROM d_mix'),
  ('SELECT sum(CASE WHEN g > 100 THEN p ELSE 0 END) FROM d_mix WHERE g > 100'),
  ('SELECT sum(CASE WHEN f THEN -p ELSE q - 1 END) FROM d_mix'),
  ('SELECT g, sum(CASE WHEN f THEN p ELSE 0 END) FROM d_mix WHERE NOT f GROUP BY g'),
  -- products of narrow decimals past 18 digits (DuckDB alone overflows)
  ('SELECT g, p * q, p * q * p, sum(p * q) FROM d_mix GROUP BY g, p, q')
) t(q);
