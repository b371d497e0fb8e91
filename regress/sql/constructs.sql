-- Query constructs DuckDB runs: each query runs on duckdb tables and on heap
-- copies (d_ -> h_) and must give the same rows; pushed() says whether it
-- ran as a DuckDB scan.
CREATE TABLE d_t (id int, grp text, n int, big int8, amt numeric(12,2), f float8, day date, ts timestamp, flag bool) USING duckdb;
INSERT INTO d_t SELECT g, (ARRAY['a','b','c',NULL])[1 + g % 4], CASE WHEN g % 11 = 0 THEN NULL ELSE g % 17 END,
       g::int8 * 100003, (g % 500) / 8.0, CASE WHEN g % 13 = 0 THEN NULL ELSE g / 3.0 END,
       date '2023-12-25' + (g % 90), timestamp '2024-02-28 22:00' + g * interval '7 hours 3 minutes', g % 3 = 0
  FROM generate_series(1, 3000) g;
INSERT INTO d_t (id, grp, day, ts) VALUES (-1, 'bc', date '0044-03-15 BC', timestamp '0044-03-15 12:00 BC'),
       (-2, 'inf', 'infinity', 'infinity'), (-3, 'inf', '-infinity', '-infinity'), (-4, 'a%b\_c', NULL, NULL);
CREATE TABLE h_t AS SELECT * FROM d_t;
CREATE TABLE d_k (k int, label text) USING duckdb;
INSERT INTO d_k VALUES (1, 'one'), (2, 'two'), (3, NULL), (NULL, 'none');
CREATE TABLE h_k AS SELECT * FROM d_k;

-- subqueries and sublinks
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT s.g, s.m FROM (SELECT grp AS g, max(n) AS m FROM d_t GROUP BY grp) s WHERE s.m > 3'),
  ('SELECT id FROM d_t t WHERE EXISTS (SELECT 1 FROM d_k k WHERE k.k = t.n)'),
  ('SELECT id FROM d_t t WHERE NOT EXISTS (SELECT 1 FROM d_k k WHERE k.k = t.n)'),
  ('SELECT id FROM d_t WHERE n IN (SELECT k FROM d_k)'),
  ('SELECT id FROM d_t WHERE n NOT IN (SELECT k FROM d_k)'),
  ('SELECT id FROM d_t WHERE n NOT IN (SELECT k FROM d_k WHERE k IS NOT NULL)'),
  ('SELECT id FROM d_t WHERE n > ALL (SELECT k FROM d_k WHERE k IS NOT NULL)'),
  ('SELECT id FROM d_t WHERE n < ANY (SELECT k FROM d_k)'),
  ('SELECT id, (SELECT label FROM d_k WHERE k = t.n) AS l FROM d_t t'),
  ('SELECT id, (SELECT count(*) FROM d_t u WHERE u.n = t.n AND u.id < t.id) AS c FROM d_t t WHERE id < 200'),
  ('SELECT id FROM d_t WHERE big > (SELECT avg(big) FROM d_t)')
) t(q);
SELECT sqlstate_of('SELECT (SELECT k FROM d_k) FROM d_t');

-- WITH, including recursive
SELECT q, pushed(q), same(q) FROM (VALUES
  ('WITH g AS (SELECT grp, count(*) AS c FROM d_t GROUP BY grp) SELECT * FROM g WHERE c > 10'),
  ('WITH a AS (SELECT id, n FROM d_t WHERE id < 100), b AS (SELECT n, count(*) c FROM a GROUP BY n) SELECT a.id, b.c FROM a JOIN b ON a.n = b.n'),
  ('WITH a AS MATERIALIZED (SELECT k FROM d_k) SELECT x.k, y.k FROM a x, a y'),
  ('WITH RECURSIVE r(i) AS (SELECT min(k) FROM d_k UNION ALL SELECT i + 1 FROM r WHERE i < 50) SELECT i FROM r'),
  ('WITH RECURSIVE r(i, l) AS (SELECT k, label FROM d_k WHERE k = 1 UNION SELECT k.k, k.label FROM d_k k JOIN r ON k.k = r.i + 1) SELECT * FROM r')
) t(q);

-- set operations
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT n FROM d_t UNION SELECT k FROM d_k'),
  ('SELECT n FROM d_t UNION ALL SELECT k FROM d_k'),
  ('SELECT n FROM d_t INTERSECT SELECT k FROM d_k'),
  ('SELECT n FROM d_t INTERSECT ALL SELECT k FROM d_k'),
  ('SELECT k FROM d_k EXCEPT SELECT n FROM d_t WHERE n > 2'),
  ('SELECT n FROM d_t EXCEPT ALL SELECT k FROM d_k'),
  ('SELECT big FROM d_t WHERE id < 5 UNION SELECT k FROM d_k'),
  ('(SELECT id FROM d_t ORDER BY id LIMIT 3) UNION ALL (SELECT k FROM d_k ORDER BY k NULLS FIRST LIMIT 2)')
) t(q);
SELECT n FROM d_t UNION SELECT k FROM d_k ORDER BY 1 NULLS FIRST LIMIT 4;

-- window functions
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT id, row_number() OVER (PARTITION BY grp ORDER BY id) FROM d_t'),
  ('SELECT id, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w FROM d_t WINDOW w AS (PARTITION BY grp ORDER BY n NULLS FIRST)'),
  ('SELECT id, ntile(4) OVER (ORDER BY id) FROM d_t'),
  ('SELECT id, lag(n) OVER (ORDER BY id), lead(n, 2, -1) OVER (ORDER BY id) FROM d_t'),
  ('SELECT id, first_value(id) OVER w, last_value(id) OVER w, nth_value(id, 2) OVER w FROM d_t WINDOW w AS (PARTITION BY n ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)'),
  ('SELECT id, sum(n) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING), count(*) OVER (PARTITION BY grp) FROM d_t'),
  ('SELECT id, sum(n) OVER (ORDER BY n GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW) FROM d_t'),
  ('SELECT id, min(id) OVER (ORDER BY n RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) FROM d_t WHERE n IS NOT NULL'),
  ('SELECT grp, sum(n), rank() OVER (ORDER BY sum(n) DESC) FROM d_t GROUP BY grp')
) t(q);

-- grouping sets, DISTINCT ON
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT grp, flag, count(*), grouping(grp, flag) FROM d_t GROUP BY ROLLUP (grp, flag)'),
  ('SELECT grp, flag, sum(n) FROM d_t GROUP BY CUBE (grp, flag)'),
  ('SELECT grp, n, count(*) FROM d_t GROUP BY GROUPING SETS ((grp), (n), ())'),
  ('SELECT DISTINCT ON (n) n, id FROM d_t ORDER BY n, id DESC')
) t(q);

-- aggregates
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT count(DISTINCT n), count(*) FILTER (WHERE flag), sum(n) FILTER (WHERE id % 2 = 0) FROM d_t'),
  ('SELECT grp, bool_and(flag), bool_or(flag), every(n > 0) FROM d_t GROUP BY grp'),
  ('SELECT avg(n), avg(big), avg(amt), avg(f), avg(DISTINCT n), avg(n) FILTER (WHERE flag) FROM d_t'),
  ('SELECT grp, avg(amt), sum(amt), sum(big), min(amt) FROM d_t GROUP BY grp'),
  ('SELECT avg(n) FROM d_t WHERE id < 0'),
  ('SELECT string_agg(label, '','' ORDER BY k DESC NULLS LAST), array_agg(k ORDER BY k NULLS FIRST) FROM d_k'),
  ('SELECT n, array_agg(id ORDER BY id) FROM d_t WHERE id < 60 GROUP BY n'),
  ('SELECT grp, round(avg(n), 2), sum(amt) / count(*) FROM d_t GROUP BY grp')
) t(q);
SELECT pg_typeof(avg(n)), pg_typeof(sum(big)), pg_typeof(avg(f)), pg_typeof(sum(amt)) FROM d_t;
SELECT avg(n), sum(big), avg(amt), sum(amt) FROM d_t;
SELECT avg(n), sum(big), avg(amt), sum(amt) FROM h_t;

-- expressions
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT id, CASE WHEN n > 10 THEN ''hi'' WHEN n > 5 THEN ''mid'' ELSE ''lo'' END, CASE grp WHEN ''a'' THEN 1 WHEN ''b'' THEN 2 END FROM d_t'),
  ('SELECT id, coalesce(n, -1), nullif(n, 3), greatest(n, 5, NULL), least(id, n) FROM d_t'),
  ('SELECT id FROM d_t WHERE n IN (1, 2, NULL) OR grp NOT IN (''a'', ''b'')'),
  ('SELECT id FROM d_t WHERE n IS DISTINCT FROM 3 AND flag IS NOT TRUE'),
  ('SELECT id, n / 4, n % 5, -n / 3, mod(id, -1), big / 7 FROM d_t WHERE n <> 0'),
  ('SELECT id, f * 2, f / 3, f + 0.5, f - 1e10 FROM d_t'),
  ('SELECT id, amt * 3, amt + 1.005, amt - big, -amt FROM d_t'),
  ('SELECT id, amt::int, f::int, (f / 7)::int8, n::float8, n::numeric, amt::numeric(8,1) FROM d_t'),
  ('SELECT id FROM d_t WHERE grp LIKE ''a%'' OR grp LIKE ''%\_%'' OR grp NOT LIKE ''_'''),
  ('SELECT id, grp FROM d_t WHERE grp ~ ''^[ab]$'' OR grp !~ ''\w'''),
  ('SELECT id, length(grp), octet_length(grp), strpos(grp, ''b''), substr(grp, 2), substring(grp, 1, 1), left(grp, -1), right(grp, 1) FROM d_t'),
  ('SELECT id, replace(grp, ''a'', ''xy''), btrim(''  '' || grp || '' ''), rtrim(grp, ''c''), concat(grp, n, ''!''), md5(grp), starts_with(grp, ''b'') FROM d_t'),
  ('SELECT id, grp || ''-'' || id::text, n::text FROM d_t'),
  ('SELECT id, date_trunc(''month'', ts), date_trunc(''week'', ts), date_trunc(''hour'', ts) FROM d_t'),
  ('SELECT id, extract(year FROM ts), extract(dow FROM day), date_part(''doy'', ts), extract(quarter FROM day), extract(isoyear FROM day) FROM d_t WHERE id > 0 OR id = -1'),
  ('SELECT id, date_part(''year'', ts), date_part(''month'', day), date_part(''isoyear'', ts) FROM d_t WHERE id < 0'),
  ('SELECT id, day + 30, day - 1, day - date ''2024-01-01'', ts + interval ''1 month 2 days'', day + interval ''3 hours'' FROM d_t WHERE id > 0'),
  ('SELECT v.x, v.y, count(t.id) FROM (VALUES (1, ''a''), (2, ''b'')) v(x, y) LEFT JOIN d_t t ON t.n = v.x GROUP BY v.x, v.y'),
  ('SELECT grp, count(*) FROM d_t GROUP BY grp HAVING avg(n) > 8')
) t(q);
-- errors keep PostgreSQL's SQLSTATEs
SELECT sqlstate_of('SELECT id / (n - n) FROM d_t WHERE n IS NOT NULL'),
       sqlstate_of('SELECT f / 0 FROM d_t'),
       sqlstate_of('SELECT f * 1e308 * 10 FROM d_t'),
       sqlstate_of('SELECT big * big * big FROM d_t'),
       sqlstate_of('SELECT extract(year FROM ts) FROM d_t');

-- finished by PostgreSQL over DuckDB columns
SELECT q, pushed(q), same(q) FROM (VALUES
  ('SELECT id, to_char(day, ''YYYY-MM''), lower(grp), amt / 3 FROM d_t'),
  ('SELECT grp, upper(grp), avg(n) * 2, sum(amt) / nullif(count(n), 0) FROM d_t GROUP BY grp')
) t(q);
SELECT explain_text('SELECT grp, upper(grp), avg(n) FROM d_t GROUP BY grp');

-- still run by PostgreSQL (named in the message)
SET duckam.fallback_message_level = notice;
SELECT count(*) FROM d_t GROUP BY lower(grp) ORDER BY 1;
SELECT count(*) FROM d_t, generate_series(1, 2) g WHERE id < 3;
SELECT count(*) FROM d_t WHERE grp ILIKE 'A';
RESET duckam.fallback_message_level;

-- EXPLAIN of nested constructs, and VERBOSE output names
SELECT explain_text('SELECT a.k, b.label FROM d_k a JOIN d_k b USING (k) WHERE a.k IN (SELECT n FROM d_t) UNION SELECT 1, ''x''');
SELECT explain_text('WITH w AS (SELECT k FROM d_k) SELECT k, row_number() OVER (ORDER BY k) FROM w');
