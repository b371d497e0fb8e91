-- Transactions: rollback, savepoints, exception blocks, 2PC
CREATE TABLE tx (id int, v text) USING duckdb;
INSERT INTO tx VALUES (1, 'committed');
BEGIN;
INSERT INTO tx VALUES (2, 'rolled back');
SELECT count(*) FROM tx;
ROLLBACK;
SELECT * FROM tx ORDER BY id;

-- DDL rolls back too: a table created and filled, then rolled back
BEGIN;
CREATE TABLE tx_gone (a int) USING duckdb;
INSERT INTO tx_gone VALUES (1);
ROLLBACK;
SELECT to_regclass('tx_gone');
SELECT duckam.cleanup_orphans();

-- TRUNCATE rolls back: the old rows come back
BEGIN;
TRUNCATE tx;
SELECT count(*) FROM tx;
INSERT INTO tx VALUES (3, 'after truncate');
SELECT * FROM tx ORDER BY id;
ROLLBACK;
SELECT * FROM tx ORDER BY id;
-- and commits
BEGIN;
TRUNCATE tx;
INSERT INTO tx VALUES (4, 'after truncate');
COMMIT;
SELECT * FROM tx ORDER BY id;
SELECT duckam.cleanup_orphans();

-- heap and duckdb writes in one transaction, both kept or both gone
CREATE TABLE tx_heap (id int);
BEGIN;
INSERT INTO tx VALUES (5, 'mixed');
INSERT INTO tx_heap VALUES (5);
ROLLBACK;
BEGIN;
INSERT INTO tx VALUES (6, 'mixed');
INSERT INTO tx_heap VALUES (6);
COMMIT;
SELECT (SELECT array_agg(id ORDER BY id) FROM tx) AS duck, (SELECT array_agg(id) FROM tx_heap) AS heap;

-- ROLLBACK TO SAVEPOINT discards rows not yet written to DuckDB
BEGIN;
INSERT INTO tx VALUES (7, 'kept');
SAVEPOINT s1;
INSERT INTO tx VALUES (8, 'discarded');
ROLLBACK TO s1;
INSERT INTO tx VALUES (9, 'kept');
RELEASE s1;
COMMIT;
SELECT id FROM tx ORDER BY id;

-- a table created in a rolled-back savepoint disappears
BEGIN;
SAVEPOINT s;
CREATE TABLE tx_sp (a int) USING duckdb;
INSERT INTO tx_sp VALUES (1);
SELECT count(*) FROM tx_sp;
ROLLBACK TO s;
INSERT INTO tx VALUES (10, 'after');
COMMIT;
SELECT to_regclass('tx_sp'), (SELECT count(*) FROM tx WHERE id = 10) AS n;
SELECT duckam.cleanup_orphans();

-- rows already in DuckDB cannot be taken back by ROLLBACK TO: the
-- transaction must roll back as a whole, and says so
BEGIN;
SAVEPOINT s;
INSERT INTO tx VALUES (11, 'flushed');
SELECT count(*) FROM tx WHERE id = 11;
ROLLBACK TO s;
SELECT count(*) FROM tx;
COMMIT;
SELECT count(*) FROM tx WHERE id = 11;

-- PL/pgSQL exception blocks: an error inside the block rolls back its rows
CREATE FUNCTION add_rows(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE ok int := 0;
BEGIN
  FOR i IN 1..n LOOP
    BEGIN
      INSERT INTO tx VALUES (100 + i, 'loop');
      IF i % 2 = 0 THEN RAISE EXCEPTION 'even %', i; END IF;
      ok := ok + 1;
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
  END LOOP;
  RETURN ok;
END $$;
SELECT add_rows(6);
SELECT id FROM tx WHERE id > 100 ORDER BY id;

-- an error inside a statement leaves no partial rows
INSERT INTO tx SELECT g, (10 / (g - 205))::text FROM generate_series(201, 210) g;
SELECT count(*) FROM tx WHERE id > 200;

-- two-phase commit
BEGIN;
INSERT INTO tx VALUES (300, 'prepared');
PREPARE TRANSACTION 'p1';
SELECT count(*) FROM tx WHERE id = 300;
SELECT gid FROM pg_prepared_xacts;
-- a transaction that only read duckdb tables may be prepared
BEGIN;
SELECT count(*) > 0 AS has_rows FROM tx;
PREPARE TRANSACTION 'p2';
INSERT INTO tx VALUES (301, 'writer not blocked by p2');
COMMIT PREPARED 'p2';
SELECT count(*) FROM tx WHERE id = 301;

-- a DuckDB error caught by a PL/pgSQL exception block: DuckDB aborts its
-- transaction; a transaction that had not written carries on, one that
-- had written must roll back
CREATE TABLE d_caught (a int) USING duckdb;
INSERT INTO d_caught VALUES (1), (0);
CREATE FUNCTION caught_sqlstate(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$;
BEGIN;
SELECT caught_sqlstate('SELECT 1 / a FROM d_caught');
SELECT caught_sqlstate('SELECT (SELECT a FROM d_caught) FROM d_caught');
SELECT count(*) FROM d_caught;
INSERT INTO d_caught VALUES (2);
COMMIT;
SELECT count(*) FROM d_caught;
BEGIN;
INSERT INTO d_caught VALUES (3);
SELECT caught_sqlstate('SELECT 1 / a FROM d_caught');
SELECT count(*) FROM d_caught;
ROLLBACK;
SELECT count(*) FROM d_caught;
DROP TABLE d_caught;

-- snapshots taken again when the engine finds that a commit of heap and
-- duckdb tables raced the statement (forced here: each check fails once
-- per retry asked for); the results are the same
CREATE TABLE d_retry (a int) USING duckdb;
INSERT INTO d_retry SELECT g FROM generate_series(1, 100) g;
CREATE TABLE h_retry AS SELECT g AS a FROM generate_series(1, 10) g;
SET duckam.test_snapshot_retries = 3;
SELECT count(*), sum(a) FROM d_retry;                                  -- one DuckDB query
SHOW duckam.test_snapshot_retries;
SET duckam.test_snapshot_retries = 2;
SELECT count(*) FROM d_retry d JOIN h_retry h USING (a);              -- with a heap scan
SET duckam.test_snapshot_retries = 2;
SET duckam.execution = off;
SELECT count(*), sum(a) FROM d_retry;                                  -- the access method's scan
RESET duckam.execution;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL duckam.test_snapshot_retries = 2;
SELECT count(*) FROM d_retry;
SELECT count(*) FROM d_retry;
COMMIT;
RESET duckam.test_snapshot_retries;
DROP TABLE d_retry, h_retry;
