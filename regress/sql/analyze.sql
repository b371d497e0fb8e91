-- ANALYZE fills pg_statistic for duckdb tables (issue 15 item 6): DuckDB
-- hands PostgreSQL's ANALYZE a reservoir sample of the rows it asks for,
-- and PostgreSQL computes the statistics as for any table. A table smaller
-- than the sample is read whole, so its statistics equal its heap twin's.
CREATE TABLE d_an (id int, grp int, t text, n numeric(10,2), d date, f float8) USING duckdb;
INSERT INTO d_an SELECT g, g % 7, CASE WHEN g % 10 = 0 THEN NULL ELSE 'v' || (g % 50) END,
                      (g % 13) / 4.0, date '2024-01-01' + (g % 400), CASE WHEN g % 3 = 0 THEN 'NaN' ELSE g / 8.0 END
  FROM generate_series(1, 20000) g;
CREATE TABLE h_an AS SELECT * FROM d_an;
ANALYZE d_an;
ANALYZE h_an;
SELECT relname, reltuples FROM pg_class WHERE relname IN ('d_an', 'h_an') ORDER BY 1;
-- every column's statistics but avg_width (heap stores short values with
-- 1-byte headers) and correlation (physical order)
CREATE FUNCTION an_stats(tab name) RETURNS TABLE (attname name, stats text) LANGUAGE sql AS $$
  SELECT attname, concat_ws(' | ', null_frac, n_distinct, most_common_vals, most_common_freqs, histogram_bounds)
  FROM pg_stats WHERE schemaname = 'public' AND tablename = tab $$;
SELECT attname, left(stats, 60) AS stats FROM an_stats('d_an') ORDER BY 1;
SELECT count(*) AS columns_differing FROM (
  (SELECT * FROM an_stats('d_an') EXCEPT SELECT * FROM an_stats('h_an'))
  UNION ALL (SELECT * FROM an_stats('h_an') EXCEPT SELECT * FROM an_stats('d_an'))) x;
-- the planner uses them: row estimates of a query PostgreSQL runs over
-- the access method equal the heap twin's
CREATE FUNCTION an_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE plan json; BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SET duckam.execution = off;
SELECT an_rows('SELECT * FROM d_an WHERE grp = 3') AS duck, an_rows('SELECT * FROM h_an WHERE grp = 3') AS heap;
SELECT an_rows('SELECT * FROM d_an WHERE t IS NULL') AS duck, an_rows('SELECT * FROM h_an WHERE t IS NULL') AS heap;
SELECT an_rows('SELECT * FROM d_an WHERE d < ''2024-02-01''') AS duck, an_rows('SELECT * FROM h_an WHERE d < ''2024-02-01''') AS heap;
RESET duckam.execution;
-- a table larger than the sample (300 × the statistics target rows):
-- the row count is exact, the figures are the sample's
SET default_statistics_target = 10;
INSERT INTO d_an SELECT g, g % 7, NULL, 1, date '2024-01-01', 0 FROM generate_series(20001, 100000) g;
ANALYZE d_an;
RESET default_statistics_target;
SELECT reltuples FROM pg_class WHERE relname = 'd_an';
-- (sample figures checked within bounds: true values 7 and 45 distinct,
-- and 0 and 0.82 of NULLs)
SELECT attname,
       CASE attname WHEN 'grp' THEN n_distinct = 7 ELSE n_distinct BETWEEN 40 AND 50 END AS n_distinct_as_expected,
       CASE attname WHEN 'grp' THEN null_frac = 0 ELSE null_frac BETWEEN 0.75 AND 0.89 END AS null_frac_as_expected
FROM pg_stats WHERE tablename = 'd_an' AND attname IN ('grp', 't') ORDER BY 1;
-- an empty table
CREATE TABLE d_an_empty (a int) USING duckdb;
ANALYZE d_an_empty;
SELECT reltuples, (SELECT count(*) FROM pg_stats WHERE tablename = 'd_an_empty') AS stats FROM pg_class WHERE relname = 'd_an_empty';
DROP TABLE d_an, h_an, d_an_empty;
DROP FUNCTION an_stats(name), an_rows(text);
