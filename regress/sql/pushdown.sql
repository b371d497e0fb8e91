-- Queries over duckdb tables run wholly in DuckDB when the deparser can
-- express them exactly; results must equal PostgreSQL's on heap copies.
CREATE TABLE d_sales (id int, region text, qty int2, amount numeric(10,2), price float8, day date, at timestamptz, big int8) USING duckdb;
INSERT INTO d_sales SELECT g, (ARRAY['north','south','east', NULL])[1 + g % 4], (g % 50)::int2, (g % 1000) / 4.0,
       CASE WHEN g % 97 = 0 THEN 'NaN'::float8 ELSE g * 1.25 END, date '2024-01-01' + g % 400,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes', g::int8 * 1000003
  FROM generate_series(1, 20000) g;
INSERT INTO d_sales (id) VALUES (NULL), (0);
CREATE TABLE h_sales AS SELECT * FROM d_sales;
CREATE TABLE d_region (name text, manager text) USING duckdb;
INSERT INTO d_region VALUES ('north', 'ann'), ('south', 'bob'), ('west', 'cy');
CREATE TABLE h_region AS SELECT * FROM d_region;


SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT * FROM d_sales'),
  ('SELECT id, region FROM d_sales WHERE qty > 10 AND region IS NOT NULL'),
  ('SELECT count(*) AS n, count(region) AS nr, min(amount) AS lo, max(amount) AS hi, sum(qty) AS sq, sum(price) AS sp FROM d_sales'),
  ('SELECT region, count(*) AS n, sum(id) AS s, min(day) AS d, max(at) AS t FROM d_sales GROUP BY region'),
  ('SELECT region, count(*) FROM d_sales GROUP BY region HAVING count(*) > 5000'),
  ('SELECT DISTINCT qty FROM d_sales'),
  ('SELECT id FROM d_sales WHERE day >= date ''2024-06-01'' AND at < timestamptz ''2024-02-01 00:00:00+00'''),
  ('SELECT id FROM d_sales WHERE price = ''NaN''::float8 OR price > 24990'),
  ('SELECT id + 1 AS a, big * 2 AS b, -qty AS c, region || ''!'' AS d FROM d_sales WHERE id < 100'),
  ('SELECT s.id, r.manager FROM d_sales s JOIN d_region r ON s.region = r.name WHERE s.id < 50'),
  ('SELECT s.id, r.manager FROM d_sales s LEFT JOIN d_region r ON s.region = r.name WHERE s.id < 50'),
  ('SELECT r.name, s.id FROM d_sales s RIGHT JOIN d_region r ON s.region = r.name AND s.id < 3'),
  ('SELECT r.name, s.id FROM d_sales s FULL JOIN d_region r ON s.region = r.name AND s.id < 3'),
  ('SELECT count(*) FROM d_sales s, d_region r WHERE s.region = r.name'),
  ('SELECT id, amount FROM d_sales WHERE amount > 200.5 AND big <> 0'),
  ('SELECT id FROM d_sales WHERE id IS NULL OR NOT (id > 2)')
) t(q);

-- ORDER BY with NULLS FIRST/LAST and LIMIT/OFFSET: order checked directly
SELECT pushed('SELECT id, qty FROM d_sales ORDER BY qty DESC NULLS LAST, id LIMIT 5');
SELECT id, qty FROM d_sales ORDER BY qty DESC NULLS LAST, id LIMIT 5;
SELECT id, qty FROM h_sales ORDER BY qty DESC NULLS LAST, id LIMIT 5;
SELECT id, price FROM d_sales ORDER BY price DESC NULLS FIRST, id LIMIT 3 OFFSET 1;
SELECT id, price FROM h_sales ORDER BY price DESC NULLS FIRST, id LIMIT 3 OFFSET 1;
SELECT id FROM d_sales ORDER BY id NULLS FIRST LIMIT 2;

-- result types are PostgreSQL's
SELECT pg_typeof(count(*)), pg_typeof(sum(qty)), pg_typeof(sum(id)), pg_typeof(max(amount)) FROM d_sales;

-- what DuckDB can't express falls back (message level configurable) ...
SET duckam.fallback_message_level = notice;
SELECT count(*) FROM d_sales GROUP BY upper(region) ORDER BY 1;
SELECT count(*) FROM d_sales s JOIN h_region r ON s.region = r.name;
SELECT region FROM d_sales WHERE region < 'o' COLLATE "en-x-icu" GROUP BY region ORDER BY region;
RESET duckam.fallback_message_level;
-- ... or, under force, is an error naming the construct
SET duckam.execution = force;
SELECT upper(region), count(*) FROM d_sales GROUP BY 1;
SELECT count(*) FROM d_sales;
RESET duckam.execution;

SELECT explain_text('SELECT region, count(*) FROM d_sales WHERE qty > 3 GROUP BY region ORDER BY count(*) DESC NULLS LAST', false);

-- cursors over a DuckDB scan, with and without SCROLL
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM d_sales WHERE id <= 4 ORDER BY id;
FETCH 2 FROM c;
FETCH BACKWARD 1 FROM c;
FETCH ALL FROM c;
COMMIT;
-- rows the transaction wrote are visible to DuckDB queries
BEGIN;
INSERT INTO d_sales (id, region) VALUES (-1, 'new');
SELECT count(*), min(id) FROM d_sales WHERE region = 'new';
ROLLBACK;
SELECT count(*) FROM d_sales WHERE region = 'new';
-- errors raised inside DuckDB keep their meaning
SELECT sum(big * 1000000000) FROM d_sales;
SELECT max(qty * 1000::int2) FROM d_sales;
-- force applies to queries, not to writes
SET duckam.execution = force;
INSERT INTO d_region VALUES ('forced', 'dee');
SELECT count(*) FROM d_region;
RESET duckam.execution;
