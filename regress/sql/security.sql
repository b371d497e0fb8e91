-- Privileges, row-level security and security_barrier views with queries
-- that run in DuckDB, as a non-superuser.
CREATE TABLE d_acct (id int, owner text, balance numeric(12,2), secret text) USING duckdb;
INSERT INTO d_acct VALUES (1, 'alice', 100.50, 's1'), (2, 'bob', 20.00, 's2'), (3, 'alice', -5.25, 's3'), (4, 'carol', 0, 's4');
CREATE ROLE duckam_reader NOLOGIN;
CREATE ROLE duckam_other NOLOGIN;
GRANT SELECT (id, owner, balance) ON d_acct TO duckam_reader;

SET ROLE duckam_reader;
SELECT pushed('SELECT owner, sum(balance) FROM d_acct GROUP BY owner');
SELECT owner, sum(balance) FROM d_acct GROUP BY owner ORDER BY 2;
SELECT secret FROM d_acct;                       -- column not granted
SELECT count(*) FROM d_acct WHERE secret = 'x';  -- not even in WHERE
SELECT (SELECT max(secret) FROM d_acct) IS NULL; -- nor in a subquery
RESET ROLE;
SET ROLE duckam_other;
SELECT count(*) FROM d_acct;                     -- no privilege at all
RESET ROLE;

-- row-level security: policies are applied inside DuckDB
ALTER TABLE d_acct ENABLE ROW LEVEL SECURITY;
ALTER ROLE duckam_reader RENAME TO alice;
CREATE POLICY own_rows ON d_acct FOR SELECT TO alice USING (owner IN ('alice', 'carol'));
CREATE POLICY by_name ON d_acct FOR SELECT TO duckam_other USING (owner = current_user);
SET ROLE alice;
SET duckam.fallback_message_level = notice;
SELECT id, balance FROM d_acct ORDER BY id;
SELECT count(*), sum(balance) FROM d_acct;
-- a user condition that could leak hidden rows through errors is not
-- reordered by DuckDB: PostgreSQL runs such queries
SELECT count(*) FROM d_acct WHERE 100 / (balance::int - 20) <> 0;
SELECT pushed('SELECT count(*) FROM d_acct WHERE id > 1');
SELECT count(*) FROM d_acct WHERE id > 1;
RESET ROLE;
-- policies PostgreSQL must evaluate (current_user) keep the query there
GRANT SELECT ON d_acct TO duckam_other;
SET ROLE duckam_other;
SELECT count(*) FROM d_acct;
RESET ROLE;
REVOKE SELECT ON d_acct FROM duckam_other;
RESET duckam.fallback_message_level;
ALTER ROLE alice RENAME TO duckam_reader;

-- security_barrier views
ALTER TABLE d_acct DISABLE ROW LEVEL SECURITY;
CREATE VIEW v_positive WITH (security_barrier) AS SELECT id, owner, balance FROM d_acct WHERE balance > 0;
GRANT SELECT ON v_positive TO duckam_other;
SET ROLE duckam_other;
SELECT pushed('SELECT owner, count(*) FROM v_positive GROUP BY owner');
SELECT owner, count(*) FROM v_positive GROUP BY owner ORDER BY owner;
SELECT * FROM v_positive WHERE id = 1;
SELECT count(*) FROM d_acct;                     -- the table itself stays closed
RESET ROLE;
-- plain views expand into the DuckDB query
CREATE VIEW v_rich AS SELECT owner, sum(balance) AS total FROM d_acct GROUP BY owner;
SELECT pushed('SELECT * FROM v_rich WHERE total > 10');
SELECT * FROM v_rich WHERE total > 10 ORDER BY owner;

-- Who may do what: a role with no grants gets PostgreSQL's answers, and
-- nothing reaches the DuckDB file, its settings or the engine's state.
CREATE TABLE d_closed (id int, v text) USING duckdb;
INSERT INTO d_closed VALUES (1, 'private');
SET ROLE duckam_other;
SELECT q, sqlstate_of(q) FROM (VALUES
  ('SELECT * FROM d_closed'),
  ('INSERT INTO d_closed VALUES (2, ''x'')'),
  ('UPDATE d_closed SET v = ''y'''),
  ('DELETE FROM d_closed'),
  ('TRUNCATE d_closed'),
  ('ALTER TABLE d_closed ADD COLUMN w int'),
  ('DROP TABLE d_closed'),
  ('COPY d_acct FROM ''/etc/hostname'''),
  ('COPY (SELECT 1) TO ''/tmp/duckam_security'''),
  ('SELECT pg_read_binary_file(''pg_duckam/'' || (SELECT oid FROM pg_database WHERE datname = current_database()) || ''.duckdb'')'),
  ('SELECT pg_ls_dir(''pg_duckam'')'),
  ('SELECT * FROM duckam.engine_sessions'),
  ('SELECT * FROM duckam.engine_status()'),
  ('SELECT * FROM duckam.cleanup_orphans()'),
  ('SET duckam.memory_limit = ''100GB'''),
  ('SET duckam.threads = 64'),
  ('SET duckam.temp_directory = ''/tmp'''),
  ('LOAD ''pg_duckam'''),
  ('SELECT * FROM read_csv(''/etc/passwd'')'),
  ('SELECT * FROM read_parquet(''/etc/passwd'')')
) AS t(q);
-- (these two cannot run inside a function)
COPY d_closed TO stdout;
ALTER SYSTEM SET duckam.memory_limit = '100GB';
RESET ROLE;
SELECT * FROM d_closed;
DROP TABLE d_closed;

DROP VIEW v_positive, v_rich;
DROP TABLE d_acct;
DROP ROLE duckam_reader, duckam_other;

