-- Bug classes found in peers' trackers, each as the test that would have
-- caught it here. Each duckdb table has a heap twin given the same
-- statements; the results must agree.
CREATE TABLE pb_d (id int, v text) USING duckdb;
CREATE TABLE pb_h (id int, v text);
CREATE FUNCTION pb_same() RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN (SELECT count(*) FROM (SELECT * FROM pb_d EXCEPT ALL SELECT * FROM pb_h) x) = 0
               AND (SELECT count(*) FROM (SELECT * FROM pb_h EXCEPT ALL SELECT * FROM pb_d) x) = 0
              THEN 'same rows (' || (SELECT count(*) FROM pb_d) || ')' ELSE 'DIFFERENT' END $$;

-- pg_duckdb #820: a savepoint rolled back after a DuckDB write, then more
-- work in the same transaction (there: FATAL). Rows still buffered in the
-- savepoint are discarded and the transaction goes on:
BEGIN;
INSERT INTO pb_d VALUES (1, 'kept');
SAVEPOINT s;
INSERT INTO pb_d VALUES (2, 'rolled back');
ROLLBACK TO SAVEPOINT s;
INSERT INTO pb_d VALUES (3, 'after the savepoint');
SELECT * FROM pb_d ORDER BY id;
COMMIT;
INSERT INTO pb_h VALUES (1, 'kept'), (3, 'after the savepoint');
SELECT pb_same();
-- a write that reached DuckDB inside the savepoint (an UPDATE) cannot be
-- undone alone: a clear error for the rest of the transaction, no crash,
-- and the session is fine after ROLLBACK.
BEGIN;
SAVEPOINT s;
UPDATE pb_d SET v = 'changed' WHERE id = 1;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM pb_d;
ROLLBACK;
SELECT pb_same();

-- Citus #5326: savepoint + rollback, then reading the table in the same
-- transaction and after it.
BEGIN;
INSERT INTO pb_d VALUES (4, 'four');
SAVEPOINT a;
INSERT INTO pb_d SELECT g, 'bulk' FROM generate_series(100, 199) g;
ROLLBACK TO SAVEPOINT a;
SELECT count(*) FROM pb_d;
SAVEPOINT b;
INSERT INTO pb_d VALUES (5, 'five');
RELEASE SAVEPOINT b;
SELECT count(*) FROM pb_d;
COMMIT;
INSERT INTO pb_h VALUES (4, 'four'), (5, 'five');
SELECT pb_same();
-- Reading inside the savepoint sends its rows to DuckDB, which has no
-- savepoints: rolling back to it then dooms the transaction with a clear
-- error (README, "How it behaves"), where heap would go on. Nothing of it
-- stays.
BEGIN;
SAVEPOINT a;
INSERT INTO pb_d SELECT g, 'bulk' FROM generate_series(100, 199) g;
SELECT count(*) FROM pb_d;
ROLLBACK TO SAVEPOINT a;
SELECT count(*) FROM pb_d;
COMMIT;
SELECT pb_same();

-- pg_duckdb #974 (SIGABRT) and Hydra #169: a COPY and an INSERT … SELECT
-- into a duckdb table stopped midway (statement_timeout); then the table
-- reads as before and takes writes.
COPY (SELECT g, 'copied ' || g FROM generate_series(1, 3000000) g) TO '/tmp/pg_duckam_peer_bugs.csv' (FORMAT csv);
-- (terse: a stopped COPY's context names the line it reached)
\set VERBOSITY terse
SET statement_timeout = '300ms';
COPY pb_d FROM '/tmp/pg_duckam_peer_bugs.csv' (FORMAT csv);
INSERT INTO pb_d SELECT g, repeat('x', 100) FROM generate_series(1, 30000000) g;
RESET statement_timeout;
SELECT pb_same();
BEGIN;
SET LOCAL statement_timeout = '300ms';
COPY pb_d FROM '/tmp/pg_duckam_peer_bugs.csv' (FORMAT csv);
ROLLBACK;
\set VERBOSITY default
SELECT pb_same();
INSERT INTO pb_d VALUES (6, 'after the cancels');
INSERT INTO pb_h VALUES (6, 'after the cancels');
SELECT pb_same();

-- pg_duckdb #749: errors raised inside SQL and PL/pgSQL functions that
-- read duckdb tables, caught or not.
CREATE FUNCTION pb_raise(t regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
  IF n > 0 THEN RAISE EXCEPTION 'found % rows in %', n, t USING ERRCODE = 'P0001'; END IF;
  RETURN n;
END $$;
SELECT pb_raise('pb_d');
SELECT pb_raise('pb_h');
CREATE FUNCTION pb_div(t regclass) RETURNS SETOF numeric LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT 1 / (id - 3)::numeric FROM %s ORDER BY id', t);
END $$;
SELECT * FROM pb_div('pb_d');
SELECT * FROM pb_div('pb_h');
CREATE FUNCTION pb_sql_div() RETURNS bigint LANGUAGE sql AS $$ SELECT sum(10 / (id - 3)) FROM pb_d $$;
SELECT pb_sql_div();
CREATE FUNCTION pb_caught(t regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  BEGIN
    EXECUTE format('SELECT sum(10 / (id - 3)) FROM %s', t) INTO n;
  EXCEPTION WHEN division_by_zero THEN
    EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
    RETURN 'caught, then read ' || n || ' rows';
  END;
  RETURN 'no error';
END $$;
SELECT pb_caught('pb_d');
SELECT pb_caught('pb_h');

-- pg_mooncake #19: a prepared statement's generic plan after DDL on its
-- table (a new relfilenode after TRUNCATE and ALTER TYPE included).
PREPARE pb_q(int) AS SELECT id, count(*) OVER () FROM pb_d WHERE id >= $1 ORDER BY id;
PREPARE pb_qh(int) AS SELECT id, count(*) OVER () FROM pb_h WHERE id >= $1 ORDER BY id;
EXECUTE pb_q(1); EXECUTE pb_q(1); EXECUTE pb_q(1); EXECUTE pb_q(1); EXECUTE pb_q(1);
EXECUTE pb_q(4);
ALTER TABLE pb_d ADD COLUMN w int DEFAULT 7;
ALTER TABLE pb_h ADD COLUMN w int DEFAULT 7;
EXECUTE pb_q(4);
EXECUTE pb_qh(4);
ALTER TABLE pb_d DROP COLUMN v;
ALTER TABLE pb_h DROP COLUMN v;
EXECUTE pb_q(4);
EXECUTE pb_qh(4);
ALTER TABLE pb_d ALTER COLUMN w TYPE bigint;
ALTER TABLE pb_h ALTER COLUMN w TYPE bigint;
EXECUTE pb_q(5);
EXECUTE pb_qh(5);
BEGIN;
TRUNCATE pb_d;
INSERT INTO pb_d VALUES (10, 1), (11, 2);
EXECUTE pb_q(0);
ROLLBACK;
EXECUTE pb_q(0);
EXECUTE pb_qh(0);
ALTER TABLE pb_d ALTER COLUMN id TYPE bigint;
EXECUTE pb_q(0);
DEALLOCATE pb_q;
DEALLOCATE pb_qh;

-- pg_mooncake #147: nothing left behind in the DuckDB file after an
-- aborted CREATE, TRUNCATE or COPY.
CREATE TEMP TABLE pb_stored AS SELECT count(*) AS n FROM duckam.stored_tables();
BEGIN;
CREATE TABLE pb_gone (a int) USING duckdb;
INSERT INTO pb_gone SELECT generate_series(1, 1000);
ROLLBACK;
BEGIN;
TRUNCATE pb_d;
INSERT INTO pb_d VALUES (99, 99);
ROLLBACK;
CREATE TABLE pb_bad (id int, v int) USING duckdb;
COPY pb_bad FROM stdin (FORMAT csv);
1,1
2,2
3,not a number
\.
SELECT count(*) FROM pb_bad;
DROP TABLE pb_bad;
CREATE TABLE pb_as USING duckdb AS SELECT 1 / (g - 500) AS x FROM generate_series(1, 1000) g;
SELECT (SELECT count(*) FROM duckam.stored_tables()) - n AS left_behind FROM pb_stored;
SELECT duckam.cleanup_orphans();
SELECT * FROM pb_d ORDER BY id;

DROP FUNCTION pb_same, pb_raise, pb_div, pb_sql_div, pb_caught;
DROP TABLE pb_d, pb_h;
\! rm -f /tmp/pg_duckam_peer_bugs.csv
