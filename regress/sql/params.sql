-- Parameters: PREPARE/EXECUTE (custom and generic plans), PL/pgSQL
-- variables, plan invalidation after DDL.
CREATE TABLE d_p (id int, name text, day date, ts timestamp, f float8, b bool) USING duckdb;
INSERT INTO d_p SELECT g, 'n' || g, date '2024-01-01' + g, timestamp '2024-01-01' + g * interval '1 hour', g / 4.0, g % 2 = 0
  FROM generate_series(1, 100) g;

PREPARE q1(int, text, date, timestamp, float8, bool) AS
  SELECT count(*), min(id), max(id) FROM d_p
   WHERE id > $1 AND name <> $2 AND day >= $3 AND ts < $4 AND f <> $5 AND b = $6;
-- seven executions: the first five use custom plans, later ones a generic plan
EXECUTE q1(10, 'n12', '2024-01-05', '2024-01-04 06:00', 3.0, true);
EXECUTE q1(20, 'n22', '2024-01-05', '2024-01-04 06:00', 3.0, false);
EXECUTE q1(0, 'x', '2023-01-01', '2030-01-01', -1, true);
EXECUTE q1(0, 'x', '2023-01-01', '2030-01-01', -1, false);
EXECUTE q1(50, 'n60', '2024-02-01', '2030-01-01', 20, true);
EXECUTE q1(50, 'n60', '2024-02-01', '2030-01-01', 20, true);
EXECUTE q1(NULL, 'x', '2023-01-01', '2030-01-01', -1, true);
SELECT explain_text('EXECUTE q1(1, ''a'', ''2024-01-01'', ''2024-01-01'', 1, true)', false);

PREPARE q2(int) AS SELECT id, name FROM d_p WHERE id BETWEEN $1 AND $1 + 2 ORDER BY id;
EXECUTE q2(5);
-- TRUNCATE gives the table new storage: cached plans are replanned
TRUNCATE d_p;
INSERT INTO d_p (id, name) VALUES (6, 'six');
EXECUTE q2(5);
-- a column added after PREPARE: SELECT * plans keep their column list
PREPARE q3 AS SELECT * FROM d_p WHERE id = 6;
EXECUTE q3;
ALTER TABLE d_p ADD COLUMN extra int DEFAULT 7;
EXECUTE q3;
DEALLOCATE ALL;

-- PL/pgSQL variables are parameters too
CREATE FUNCTION count_above(lim int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint; BEGIN
  SELECT count(*) INTO n FROM d_p WHERE id > lim;
  RETURN n;
END $$;
INSERT INTO d_p (id) SELECT generate_series(1, 20);
SELECT count_above(0), count_above(10), count_above(NULL);
-- SQL functions
CREATE FUNCTION ids_between(lo int, hi int) RETURNS SETOF int LANGUAGE sql AS
  'SELECT id FROM d_p WHERE id BETWEEN lo AND hi ORDER BY id';
SELECT * FROM ids_between(3, 6);
-- numeric parameters are not sent to DuckDB (the query runs in PostgreSQL)
SET duckam.fallback_message_level = notice;
PREPARE q4(numeric) AS SELECT count(*) FROM d_p WHERE id > $1;
EXECUTE q4(2.5);
RESET duckam.fallback_message_level;
