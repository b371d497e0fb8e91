-- UPDATE, DELETE and INSERT … SELECT on duckdb tables run in DuckDB. Each
-- statement runs on a duckdb table and on a heap copy with the same
-- constraints (d_ -> h_); the counts, the RETURNING rows and the tables
-- afterwards must be the same.
CREATE TABLE d_m (id int NOT NULL, grp text, n int DEFAULT 42, amt numeric(12,2), f float8, day date, tag varchar(6),
                  CHECK (n IS NULL OR n >= -100), CONSTRAINT amt_small CHECK (amt < 100000)) USING duckdb;
INSERT INTO d_m SELECT g, (ARRAY['a','b','c',NULL])[1 + g % 4], CASE WHEN g % 11 = 0 THEN NULL ELSE g % 17 END,
       (g % 500) / 8.0, CASE WHEN g % 13 = 0 THEN NULL ELSE g / 3.0 END, date '2023-12-25' + (g % 90), 't' || (g % 5)
  FROM generate_series(1, 2000) g;
CREATE TABLE h_m (LIKE d_m INCLUDING DEFAULTS INCLUDING CONSTRAINTS) USING heap;
INSERT INTO h_m SELECT * FROM d_m;
CREATE TABLE d_s (k int, label text) USING duckdb;
INSERT INTO d_s VALUES (1, 'one'), (2, 'two'), (3, NULL), (NULL, 'none');
CREATE TABLE h_s AS SELECT * FROM d_s;

-- runs a data-modifying statement on d_ and on h_ tables: compares the
-- row counts (ROW_COUNT, i.e. the command tag), the RETURNING rows and
-- then the whole changed table
CREATE OR REPLACE FUNCTION changes_same(stmt text, tbl text DEFAULT 'd_m') RETURNS text LANGUAGE plpgsql AS $$
DECLARE nd bigint; nh bigint; rec record; ret text; BEGIN
  IF stmt ILIKE '%RETURNING%' THEN
    ret := same(stmt);
    SELECT count(*) INTO nd FROM pd_duck; SELECT count(*) INTO nh FROM pd_heap;
  ELSE
    EXECUTE stmt; GET DIAGNOSTICS nd = ROW_COUNT;
    EXECUTE replace(stmt, 'd_', 'h_'); GET DIAGNOSTICS nh = ROW_COUNT;
    ret := 'no RETURNING';
  END IF;
  RETURN CASE WHEN nd = nh THEN nd || ' rows' ELSE 'COUNTS DIFFER ' || nd || '/' || nh END
    || ', ' || ret || ', table: ' || same('SELECT * FROM ' || tbl);
END $$;

-- all of these run in DuckDB
SELECT q, pushed(q) FROM (VALUES
  ('UPDATE d_m SET n = n + 1 WHERE grp = ''a'''),
  ('DELETE FROM d_m WHERE id % 10 = 3'),
  ('INSERT INTO d_m SELECT * FROM d_m WHERE id < 5'),
  ('UPDATE d_m SET n = k.k FROM d_s k WHERE d_m.n = k.k RETURNING d_m.id')
) t(q);

-- UPDATE
SELECT changes_same('UPDATE d_m SET n = n + 1 WHERE grp = ''a''');
SELECT changes_same('UPDATE d_m SET amt = amt * 1.5, f = f / 2 WHERE id % 7 = 0 RETURNING id, amt, f');
SELECT changes_same('UPDATE d_m SET grp = NULL WHERE n IS NULL');
SELECT changes_same('UPDATE d_m SET tag = left(grp, 2) || (id % 1000)::text WHERE id < 100 RETURNING *');
SELECT changes_same('UPDATE d_m SET tag = tag || ''   '' WHERE id BETWEEN 100 AND 120 RETURNING tag, length(tag)');
SELECT changes_same('UPDATE d_m SET tag = (grp || ''abcdefgh'')::varchar(4) WHERE id BETWEEN 121 AND 130');
SELECT changes_same('UPDATE d_m SET day = day + 30, amt = round(amt * 0.3, 1) WHERE day < date ''2024-01-10''');
SELECT changes_same('UPDATE d_m SET n = k.k * 10 FROM d_s k WHERE d_m.n = k.k RETURNING d_m.id, d_m.n, upper(d_m.grp)');
SELECT changes_same('UPDATE d_m SET amt = (SELECT max(amt) FROM d_m WHERE grp = ''b'') WHERE id = 5');
SELECT changes_same('UPDATE d_m SET n = DEFAULT, grp = ''dflt'' WHERE id IN (6, 7) RETURNING id, n, grp');
SELECT changes_same('WITH src AS (SELECT id FROM d_m WHERE n = 5) UPDATE d_m SET n = 3 FROM src WHERE d_m.id = src.id');
SELECT changes_same('UPDATE d_m SET n = n WHERE false');
SELECT changes_same('UPDATE d_m t SET amt = t.amt + 0.005 WHERE t.id BETWEEN 200 AND 300 RETURNING t.id, t.amt');

-- DELETE
SELECT changes_same('DELETE FROM d_m WHERE id % 10 = 3');
SELECT changes_same('DELETE FROM d_m WHERE grp IS NULL RETURNING id, grp, n');
SELECT changes_same('DELETE FROM d_m USING d_s k WHERE d_m.n = k.k AND k.label IS NULL');
SELECT changes_same('DELETE FROM d_m WHERE id IN (SELECT id FROM d_m WHERE amt > 60) RETURNING id');
SELECT changes_same('DELETE FROM d_m WHERE EXISTS (SELECT 1 FROM d_s WHERE d_s.k * 100 = d_m.id)');
SELECT changes_same('DELETE FROM d_m WHERE false RETURNING *');

-- INSERT … SELECT from duckdb tables
SELECT changes_same('INSERT INTO d_m SELECT id + 10000, grp, n, amt, f, day, tag FROM d_m WHERE id < 500');
SELECT changes_same('INSERT INTO d_m (id, grp) SELECT id + 20000, ''copy'' FROM d_m WHERE id < 10 RETURNING id, grp, n, amt');
SELECT changes_same('INSERT INTO d_m (id, amt, tag) SELECT k + 30000, k * 1.005, label FROM d_s WHERE k IS NOT NULL RETURNING *');
SELECT changes_same('INSERT INTO d_m (id, n) SELECT id + 40000, sum(n) OVER (ORDER BY id) % 50 FROM d_m WHERE id < 50');
SELECT changes_same('INSERT INTO d_m SELECT * FROM d_m WHERE false');
SELECT changes_same('INSERT INTO d_s SELECT n, grp FROM d_m WHERE id < 30 GROUP BY n, grp', 'd_s');

-- new rows are checked as PostgreSQL checks them, with its SQLSTATEs
SELECT q, sqlstate_of(q) AS duck, sqlstate_of(replace(q, 'd_', 'h_')) AS heap FROM (VALUES
  ('UPDATE d_m SET id = NULL WHERE id = 1'),
  ('UPDATE d_m SET n = -101 WHERE id = 1'),
  ('UPDATE d_m SET amt = amt * 100000 WHERE id = 30001'),
  ('UPDATE d_m SET amt = amt * 1e10 WHERE id = 30001'),
  ('UPDATE d_m SET n = n + 2147483647 WHERE id = 1'),
  ('UPDATE d_m SET n = n / 0 WHERE id = 1'),
  ('UPDATE d_m SET tag = tag || ''abcdefg'' WHERE id = 1'),
  ('INSERT INTO d_m (grp) SELECT grp FROM d_m WHERE id = 1'),
  ('INSERT INTO d_m (id, n) SELECT id, -500 FROM d_m WHERE id = 1'),
  ('INSERT INTO d_m (id, grp) SELECT id, grp FROM d_m WHERE false')
) t(q);
-- the failed statements changed nothing
SELECT same('SELECT * FROM d_m');
-- the error text is PostgreSQL's
UPDATE d_m SET id = NULL WHERE id = 1;
UPDATE d_m SET n = -101 WHERE id = 1;
UPDATE d_m SET amt = amt * 100000 WHERE id = 30001;
UPDATE d_m SET tag = tag || 'abcdefg' WHERE id = 1;

-- parameters: PREPARE / EXECUTE (custom and generic plans), PL/pgSQL
PREPARE up(int, numeric) AS UPDATE d_m SET amt = $2 WHERE id = $1 RETURNING id, amt;
PREPARE uph(int, numeric) AS UPDATE h_m SET amt = $2 WHERE id = $1 RETURNING id, amt;
EXECUTE up(2, 1.005); EXECUTE up(4, -2.675); EXECUTE up(8, NULL); EXECUTE up(9, 7); EXECUTE up(10, 8.125); EXECUTE up(12, 9.994);
EXECUTE uph(2, 1.005); EXECUTE uph(4, -2.675); EXECUTE uph(8, NULL); EXECUTE uph(9, 7); EXECUTE uph(10, 8.125); EXECUTE uph(12, 9.994);
EXECUTE up(14, 123456789);
PREPARE del(int) AS DELETE FROM d_m WHERE id = $1;
PREPARE delh(int) AS DELETE FROM h_m WHERE id = $1;
EXECUTE del(15); EXECUTE del(16); EXECUTE del(17); EXECUTE del(18); EXECUTE del(19); EXECUTE del(20); EXECUTE del(20);
EXECUTE delh(15); EXECUTE delh(16); EXECUTE delh(17); EXECUTE delh(18); EXECUTE delh(19); EXECUTE delh(20);
DO $$ DECLARE n bigint; lim int := 40; BEGIN
  UPDATE d_m SET grp = 'plpgsql' WHERE id < lim AND id > 30; GET DIAGNOSTICS n = ROW_COUNT; RAISE NOTICE 'duckdb rows %', n;
  UPDATE h_m SET grp = 'plpgsql' WHERE id < lim AND id > 30; GET DIAGNOSTICS n = ROW_COUNT; RAISE NOTICE 'heap rows %', n;
END $$;
SELECT same('SELECT * FROM d_m');

-- EXPLAIN shows the DuckDB statement
SELECT explain_text('UPDATE d_m SET n = n + 1 WHERE id = 3 RETURNING id, n');
SELECT explain_text('DELETE FROM d_m USING d_s WHERE d_m.n = d_s.k');

-- EXPLAIN ANALYZE adds DuckDB's own profile (times, the database's
-- number and the new-row checks, which DuckDB may fold using table
-- statistics, masked)
CREATE OR REPLACE FUNCTION explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text; BEGIN
  FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    CONTINUE WHEN l LIKE '%DuckDB SQL%';
    l := regexp_replace(l, 'r_[0-9]+', 'r_N', 'g');
    l := regexp_replace(l, 'db[0-9]+\.main', 'db_N.main', 'g');
    l := regexp_replace(l, '(time|cpu)=[0-9.]+ ms', '\1=N', 'g');
    RETURN NEXT regexp_replace(l, 'Projections=''CASE .* END rowid''', 'Projections=''CASE … END rowid''');
  END LOOP;
END $$;
SELECT explain_analyze('SELECT grp, count(*) FROM d_m WHERE n > 3 GROUP BY grp');
SELECT explain_analyze('UPDATE d_m SET n = n WHERE id = 2');
SELECT explain_analyze('DELETE FROM d_m WHERE id = -1 RETURNING id');

-- transactions: ROLLBACK undoes, the transaction sees its own changes
BEGIN;
UPDATE d_m SET n = 0;
DELETE FROM d_m WHERE id > 100;
SELECT count(*), sum(n) FROM d_m;
ROLLBACK;
SELECT same('SELECT * FROM d_m');
-- a failed UPDATE in a savepoint (nothing written before) leaves the transaction usable
BEGIN;
SAVEPOINT s;
UPDATE d_m SET n = -1000 WHERE id = 1;
ROLLBACK TO s;
UPDATE d_m SET n = 5 WHERE id = 1;
UPDATE h_m SET n = 5 WHERE id = 1;
COMMIT;
SELECT same('SELECT * FROM d_m');
-- rolling back a savepoint that changed rows dooms the transaction
BEGIN;
SAVEPOINT s;
DELETE FROM d_m WHERE id = 1;
ROLLBACK TO s;
SELECT count(*) FROM d_m;
ROLLBACK;
SELECT count(*) FROM d_m WHERE id = 1;

-- what does not run in DuckDB fails clearly (there is no row-by-row path)
SELECT sqlstate_of('UPDATE d_m SET grp = upper(grp)');
UPDATE d_m SET (grp, n) = (SELECT label, k FROM d_s WHERE k = d_m.n) WHERE id = 1;
WITH gone AS (DELETE FROM d_m WHERE id = 1 RETURNING *) SELECT count(*) FROM gone;
MERGE INTO d_m USING d_s ON d_m.n = d_s.k WHEN MATCHED THEN DELETE;
SET duckam.execution = off;
UPDATE d_m SET n = 1;
DELETE FROM d_m;
RESET duckam.execution;
-- triggers and generated columns keep UPDATE out of DuckDB; INSERT … SELECT
-- then goes through the access method
CREATE TABLE d_g (a int, b int GENERATED ALWAYS AS (a * 2) STORED) USING duckdb;
INSERT INTO d_g (a) SELECT k FROM d_s WHERE k IS NOT NULL;
SELECT * FROM d_g ORDER BY a;
UPDATE d_g SET a = 10;
CREATE FUNCTION note_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'row %', NEW.k; RETURN NEW; END $$;
CREATE TRIGGER d_s_ins AFTER INSERT ON d_s FOR EACH ROW EXECUTE FUNCTION note_row();
INSERT INTO d_s SELECT k + 10, label FROM d_s WHERE k = 1;
UPDATE d_s SET label = 'x' WHERE k = 1;
DROP TRIGGER d_s_ins ON d_s;
CREATE TRIGGER d_s_upd BEFORE UPDATE ON d_s FOR EACH ROW EXECUTE FUNCTION note_row();
UPDATE d_s SET label = 'x' WHERE k = 1;
DROP TRIGGER d_s_upd ON d_s;
DROP TABLE d_g;

-- privileges, row-level security and views WITH CHECK OPTION
CREATE ROLE dml_user;
GRANT SELECT, INSERT ON d_s TO dml_user;
GRANT UPDATE (label) ON d_s TO dml_user;
CREATE TABLE d_rls (owner text, v int) USING duckdb;
INSERT INTO d_rls VALUES ('alice', 1), ('alice', 2), ('bob', 3);
ALTER TABLE d_rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY p_all ON d_rls USING (owner = 'alice') WITH CHECK (v < 100);
GRANT SELECT, INSERT, UPDATE, DELETE ON d_rls TO dml_user;
CREATE VIEW d_sv AS SELECT * FROM d_s WHERE k < 10 WITH CHECK OPTION;
GRANT SELECT, UPDATE ON d_sv TO dml_user;
SET ROLE dml_user;
UPDATE d_s SET label = 'granted' WHERE k = 2;
UPDATE d_s SET k = 5 WHERE k = 2;
DELETE FROM d_s;
UPDATE d_rls SET v = v + 10 RETURNING *;
UPDATE d_rls SET v = 500 WHERE v = 11;
INSERT INTO d_rls SELECT owner, v * 100 FROM d_rls;
DELETE FROM d_rls WHERE v > 0 RETURNING *;
UPDATE d_sv SET k = 50 WHERE k = 1;
UPDATE d_sv SET label = 'via view' WHERE k = 1 RETURNING *;
RESET ROLE;
SELECT * FROM d_rls ORDER BY 1, 2;
SELECT * FROM d_s WHERE k IN (1, 2) ORDER BY 1, 2;
DROP VIEW d_sv;
DROP TABLE d_rls;
REVOKE ALL ON d_s FROM dml_user;
DROP ROLE dml_user;

-- empty tables
CREATE TABLE d_e (a int NOT NULL, b text) USING duckdb;
UPDATE d_e SET b = 'x';
DELETE FROM d_e RETURNING *;
INSERT INTO d_e SELECT * FROM d_e;
DROP TABLE d_e;
