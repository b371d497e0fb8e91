-- Queries mixing heap and duckdb tables run wholly in DuckDB: DuckDB reads
-- the heap tables through PostgreSQL's own table scans (pg_heap). Each
-- query runs with duckam.heap_scans on and off (off: PostgreSQL runs it)
-- and must give the same rows; pushed() says whether DuckDB ran it.
CREATE TABLE d_f (id int, hid int, amount numeric(10,2), day date) USING duckdb;
INSERT INTO d_f SELECT g, g % 500, (g % 1000) / 4.0, date '2024-01-01' + g % 60 FROM generate_series(1, 20000) g;
CREATE TABLE h_dim (hid int, name text, flag bool, w float8, since timestamp, big text, gone int, pt point);
INSERT INTO h_dim SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'name ' || g END, g % 2 = 0,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g * 1.5 END, timestamp '2020-01-01' + g * interval '1 day',
       CASE WHEN g % 100 = 0 THEN repeat('x', 100000) || g END, g, point(g, g)
  FROM generate_series(0, 599) g;
ALTER TABLE h_dim DROP COLUMN gone;
CREATE TABLE h_small (k int, label text);
INSERT INTO h_small VALUES (1, 'one'), (2, 'two'), (NULL, 'none');

CREATE TEMP TABLE pd_on (r text);
CREATE TEMP TABLE pd_off (r text);
-- rows compared as text with DuckDB reading the heap tables and without
CREATE OR REPLACE FUNCTION same_both_ways(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a bigint; b bigint; n bigint; rec record; BEGIN
  TRUNCATE pd_on, pd_off;
  FOR rec IN EXECUTE q LOOP INSERT INTO pd_on VALUES (rec::text); END LOOP;
  SET LOCAL duckam.heap_scans = off;
  FOR rec IN EXECUTE q LOOP INSERT INTO pd_off VALUES (rec::text); END LOOP;
  SET LOCAL duckam.heap_scans = on;
  SELECT count(*) INTO n FROM pd_on;
  SELECT count(*) INTO a FROM (TABLE pd_on EXCEPT ALL TABLE pd_off) x;
  SELECT count(*) INTO b FROM (TABLE pd_off EXCEPT ALL TABLE pd_on) x;
  RETURN CASE WHEN a = 0 AND b = 0 THEN 'same ' || n || ' rows' ELSE 'DIFFERENT: ' || a || '/' || b END;
END $$;

SELECT q, pushed(q), same_both_ways(q) FROM (VALUES
  ('SELECT h.name, sum(f.amount), count(*) FROM d_f f JOIN h_dim h ON h.hid = f.hid GROUP BY h.name'),
  ('SELECT f.id, h.flag, h.w FROM d_f f LEFT JOIN h_dim h ON h.hid = f.hid * 2 WHERE f.id < 300'),
  ('SELECT h.hid, length(h.big), h.since FROM h_dim h JOIN d_f f ON f.id = h.hid WHERE h.big IS NOT NULL'),
  ('SELECT count(*) FROM d_f WHERE hid IN (SELECT k FROM h_small)'),
  ('SELECT count(*) FROM d_f f WHERE NOT EXISTS (SELECT 1 FROM h_dim h WHERE h.hid = f.hid AND h.flag)'),
  ('WITH hs AS (SELECT hid, w FROM h_dim WHERE w > 100) SELECT f.day, max(hs.w) FROM d_f f JOIN hs USING (hid) GROUP BY f.day'),
  ('SELECT hid FROM h_dim UNION SELECT hid FROM d_f'),
  ('SELECT a.hid, b.hid FROM h_dim a JOIN h_dim b ON a.hid = b.hid + 1 JOIN d_f f ON f.id = a.hid'),
  ('SELECT s.label, count(f.id) FROM h_small s LEFT JOIN d_f f ON f.hid = s.k GROUP BY s.label'),
  ('SELECT f.hid, h.name FROM d_f f JOIN h_dim h USING (hid) ORDER BY f.id LIMIT 5'),
  ('SELECT h.pt, f.id FROM h_dim h JOIN d_f f ON f.id = h.hid WHERE f.id < 3')
) t(q);

-- the transaction's own uncommitted heap rows are seen
BEGIN;
INSERT INTO h_small VALUES (3, 'three, uncommitted');
SELECT s.label, count(*) FROM h_small s JOIN d_f f ON f.hid = s.k GROUP BY 1 ORDER BY 1;
SELECT pushed('SELECT s.label, count(*) FROM h_small s JOIN d_f f ON f.hid = s.k GROUP BY 1');
ROLLBACK;

-- errors from the heap side surface with their SQLSTATE
CREATE TABLE h_bad (hid int, v numeric(10,2));
INSERT INTO h_bad VALUES (1, 1), (2, 'NaN');
SELECT sqlstate_of('SELECT * FROM h_bad b JOIN d_f f USING (hid)');
SELECT sqlstate_of('SELECT count(*) FROM d_f f JOIN h_small s ON s.k = f.hid WHERE f.id / (s.k - 1) > 0');
CREATE ROLE mixed_user;
GRANT SELECT ON d_f TO mixed_user;
SET ROLE mixed_user;
SELECT count(*) FROM d_f f JOIN h_small s ON s.k = f.hid;
RESET ROLE;
REVOKE ALL ON d_f FROM mixed_user;
DROP ROLE mixed_user;

-- a cursor stopped early, then more work in the same transaction
BEGIN;
DECLARE c CURSOR FOR SELECT f.id, h.name FROM d_f f JOIN h_dim h USING (hid) ORDER BY f.id;
FETCH 3 FROM c;
CLOSE c;
SELECT count(*) FROM d_f f JOIN h_small s ON s.k = f.hid;
COMMIT;

-- writes to duckdb tables from heap data
CREATE TABLE d_mix AS SELECT * FROM d_f WITH NO DATA;
ALTER TABLE d_mix SET ACCESS METHOD duckdb;
INSERT INTO d_mix SELECT f.id, h.hid, f.amount, f.day FROM d_f f JOIN h_dim h USING (hid) WHERE h.flag;
SELECT count(*), sum(amount) FROM d_mix;
SELECT pushed('INSERT INTO d_mix SELECT f.id, h.hid, f.amount, f.day FROM d_f f JOIN h_dim h USING (hid) WHERE h.flag');
UPDATE d_mix SET amount = 0 FROM h_small s WHERE s.k = d_mix.hid;
DELETE FROM d_mix USING h_dim h WHERE h.hid = d_mix.hid AND h.name IS NULL;
SELECT count(*), sum(amount), count(*) FILTER (WHERE amount = 0) FROM d_mix;
DROP TABLE d_mix, h_bad;

-- Conditions that read one heap relation are applied by PostgreSQL inside
-- that relation's scan (EXPLAIN: pg_heap(k): … WHERE …): its indexes serve
-- them, and DuckDB does not need to understand them.
CREATE TABLE h_idx (id int PRIMARY KEY, grp int, note text, pt point);
INSERT INTO h_idx SELECT g, g % 500, 'n' || g, point(g % 10, g % 7) FROM generate_series(1, 100000) g;
ANALYZE h_idx;
SELECT explain_text('SELECT f.id, i.note FROM d_f f JOIN h_idx i ON i.grp = f.hid WHERE i.id BETWEEN 4000 AND 4010 AND f.id < 50', false);
-- the primary key index served the scan: this transaction's counters
-- (which may include earlier, unflushed ones) grow by one index scan
BEGIN;
CREATE TEMP TABLE scans_before AS SELECT idx_scan, seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'h_idx';
SELECT f.id, i.note FROM d_f f JOIN h_idx i ON i.grp = f.hid WHERE i.id BETWEEN 4000 AND 4010 AND f.id < 1200 ORDER BY 1, 2;
SELECT a.idx_scan - b.idx_scan AS index_scans, a.seq_scan - b.seq_scan AS seq_scans
  FROM pg_stat_xact_user_tables a, scans_before b WHERE a.relname = 'h_idx';
ROLLBACK;
-- a point operator DuckDB has no equivalent for, evaluated by PostgreSQL;
-- outer joins: only conditions that may filter a relation first are pushed
SELECT q, pushed(q), same_both_ways(q) FROM (VALUES
  ('SELECT count(*), sum(f.amount) FROM d_f f JOIN h_idx i ON i.id = f.id WHERE i.pt <@ box ''((0,0),(3,3))'''),
  ('SELECT f.id, h.name FROM d_f f LEFT JOIN h_dim h ON h.hid = f.hid AND h.flag AND h.w > 10 WHERE f.id < 40'),
  ('SELECT f.id, h.name FROM d_f f LEFT JOIN h_dim h ON h.hid = f.hid WHERE h.name IS NULL AND f.id < 400'),
  ('SELECT h.hid, count(f.id) FROM h_dim h LEFT JOIN d_f f ON f.hid = h.hid AND h.flag GROUP BY h.hid'),
  ('SELECT h.hid, f.id FROM h_dim h FULL JOIN (SELECT * FROM d_f WHERE id < 20) f ON f.hid = h.hid AND h.hid < 10 WHERE coalesce(h.hid, 0) < 30'),
  ('WITH hs AS (SELECT hid, name FROM h_dim WHERE hid < 100) SELECT count(*) FROM hs a JOIN hs b ON a.hid = b.hid + 1 JOIN d_f f ON f.hid = a.hid'),
  ('SELECT count(*) FROM d_f f JOIN h_dim h USING (hid) WHERE h.name LIKE ''name 1%'' OR f.id < 10')
) t(q);
SELECT explain_text('SELECT f.id, h.name FROM d_f f LEFT JOIN h_dim h ON h.hid = f.hid AND h.flag WHERE h.name IS NULL', false);

-- parameters in pushed conditions, custom and generic plans
PREPARE hq(int) AS SELECT count(*) FROM d_f f JOIN h_idx i ON i.grp = f.hid WHERE i.id <= $1;
EXECUTE hq(10); EXECUTE hq(20); EXECUTE hq(30); EXECUTE hq(40); EXECUTE hq(50); EXECUTE hq(1000);
SET plan_cache_mode = force_generic_plan;
EXECUTE hq(10);
RESET plan_cache_mode;
SELECT count(*) FROM d_f f JOIN h_idx i ON i.grp = f.hid WHERE i.id <= 1000;
DEALLOCATE hq;

-- row-level security on the heap table: PostgreSQL applies the policy in
-- its scan, before a leaky condition sees the rows
CREATE TABLE h_secret (hid int, owner_name text, secret text);
INSERT INTO h_secret VALUES (1, 'mixed_rls', 'mine'), (2, 'someone', 'theirs'), (3, 'mixed_rls', 'also mine');
ALTER TABLE h_secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON h_secret USING (owner_name = current_user);
CREATE ROLE mixed_rls;
GRANT SELECT ON h_secret, d_f TO mixed_rls;
CREATE FUNCTION leak(text) RETURNS bool LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN RAISE NOTICE 'saw %', $1; RETURN true; END $$;
SET ROLE mixed_rls;
SELECT s.secret, count(*) FROM h_secret s JOIN d_f f ON f.hid = s.hid WHERE leak(s.secret) GROUP BY 1 ORDER BY 1;
SELECT pushed('SELECT s.secret, count(*) FROM h_secret s JOIN d_f f ON f.hid = s.hid WHERE leak(s.secret) GROUP BY 1');
RESET ROLE;
DROP FUNCTION leak(text);
REVOKE ALL ON h_secret, d_f FROM mixed_rls;
DROP ROLE mixed_rls;

-- partitioned tables (pruned by PostgreSQL), inheritance parents, temp,
-- unlogged and materialized views, TABLESAMPLE, foreign tables
CREATE TABLE h_part (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE h_part_1 PARTITION OF h_part FOR VALUES FROM (0) TO (100);
CREATE TABLE h_part_2 (v text, gone int, k int);
ALTER TABLE h_part_2 DROP COLUMN gone;
ALTER TABLE h_part ATTACH PARTITION h_part_2 FOR VALUES FROM (100) TO (1000);
INSERT INTO h_part SELECT g, 'p' || g FROM generate_series(0, 999, 7) g;
CREATE TABLE h_inh (k int, v text);
CREATE TABLE h_inh_child (extra int) INHERITS (h_inh);
INSERT INTO h_inh VALUES (1, 'parent'), (2, 'parent');
INSERT INTO h_inh_child VALUES (3, 'child', 0), (4, 'child', 0);
CREATE TEMP TABLE h_temp AS SELECT g AS k FROM generate_series(1, 50) g;
CREATE UNLOGGED TABLE h_unlogged AS SELECT g AS k FROM generate_series(40, 60) g;
CREATE MATERIALIZED VIEW h_mat AS SELECT hid, count(*) AS n FROM h_dim GROUP BY hid;
CREATE EXTENSION IF NOT EXISTS file_fdw;
CREATE SERVER mixed_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE h_foreign (k int, label text) SERVER mixed_files
  OPTIONS (program 'printf "5,five\n6,six\n7,seven\n"', format 'csv');
SELECT q, pushed(q), same_both_ways(q) FROM (VALUES
  ('SELECT p.v, count(*) FROM d_f f JOIN h_part p ON p.k = f.hid GROUP BY p.v'),
  ('SELECT p.k, p.v FROM h_part p JOIN d_f f ON f.id = p.k WHERE p.k BETWEEN 90 AND 130'),
  ('SELECT i.v, count(*) FROM h_inh i JOIN d_f f ON f.hid = i.k GROUP BY i.v'),
  ('SELECT count(*) FROM ONLY h_inh i JOIN d_f f ON f.hid = i.k'),
  ('SELECT count(*) FROM h_temp t JOIN d_f f ON f.hid = t.k'),
  ('SELECT count(*) FROM h_unlogged u JOIN d_f f ON f.hid = u.k'),
  ('SELECT sum(m.n) FROM h_mat m JOIN d_f f ON f.hid = m.hid'),
  ('SELECT count(*) FROM h_dim h TABLESAMPLE BERNOULLI (30) REPEATABLE (7) JOIN d_f f USING (hid)'),
  ('SELECT x.label, count(*) FROM h_foreign x JOIN d_f f ON f.hid = x.k GROUP BY x.label')
) t(q);
SELECT explain_text('SELECT count(*) FROM h_part p JOIN d_f f ON f.id = p.k WHERE p.k < 50', false);
-- a partition that is a duckdb table: PostgreSQL runs the query
CREATE TABLE h_part_3 PARTITION OF h_part FOR VALUES FROM (1000) TO (2000) USING duckdb;
SELECT pushed('SELECT count(*) FROM d_f f JOIN h_part p ON p.k = f.hid');
SELECT count(*) FROM d_f f JOIN h_part p ON p.k = f.hid;
DROP TABLE h_part, h_inh CASCADE;
DROP TABLE h_temp, h_unlogged, h_idx, h_secret;
DROP MATERIALIZED VIEW h_mat;
DROP SERVER mixed_files CASCADE;

-- INSERT INTO a heap table SELECT … FROM duckdb tables: DuckDB runs the
-- SELECT (here the aggregation), PostgreSQL's executor inserts the rows
-- (defaults and sequences, constraints, ON CONFLICT, RETURNING)
CREATE SEQUENCE s_ins;
CREATE TABLE h_tgt (id bigint DEFAULT nextval('s_ins'), hid int NOT NULL, total numeric(14,2), n bigint,
                    note text DEFAULT 'dflt', gone int, CHECK (n > 0));
ALTER TABLE h_tgt DROP COLUMN gone;
CREATE TABLE h_ref (LIKE h_tgt INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
CREATE FUNCTION same_inserts(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a bigint; b bigint; total_rows bigint; BEGIN
  TRUNCATE h_tgt, h_ref;
  EXECUTE q;
  SET LOCAL duckam.execution = off;
  EXECUTE replace(q, 'h_tgt', 'h_ref');
  SET LOCAL duckam.execution = auto;
  SELECT count(*) INTO total_rows FROM h_tgt;
  SELECT count(*) INTO a FROM (SELECT t.hid, t.total, t.n, t.note FROM h_tgt t EXCEPT ALL SELECT r.hid, r.total, r.n, r.note FROM h_ref r) x;
  SELECT count(*) INTO b FROM (SELECT r.hid, r.total, r.n, r.note FROM h_ref r EXCEPT ALL SELECT t.hid, t.total, t.n, t.note FROM h_tgt t) x;
  RETURN CASE WHEN a = 0 AND b = 0 THEN 'same ' || total_rows || ' rows' ELSE 'DIFFERENT: ' || a || '/' || b END;
END $$;
SELECT explain_text('INSERT INTO h_tgt (hid, total, n) SELECT hid, sum(amount), count(*) FROM d_f GROUP BY hid', false);
SELECT q, pushed(q), same_inserts(q) FROM (VALUES
  ('INSERT INTO h_tgt (hid, total, n) SELECT hid, sum(amount), count(*) FROM d_f GROUP BY hid'),
  ('INSERT INTO h_tgt (hid, total, n, note) SELECT f.hid, avg(f.amount), count(*), count(h.name) FROM d_f f JOIN h_dim h USING (hid) GROUP BY f.hid'),
  ('INSERT INTO h_tgt (n, hid) SELECT id, hid FROM d_f WHERE id % 97 = 0'),
  ('INSERT INTO h_tgt SELECT id, hid, amount, 1, day::text FROM d_f WHERE id < 100')
) t(q);
TRUNCATE h_tgt;
INSERT INTO h_tgt (hid, total, n) SELECT hid, sum(amount), count(*) FROM d_f GROUP BY hid;
SELECT count(id) = 500 AS sequence_used, count(DISTINCT id) = count(*) AS distinct_ids FROM h_tgt;
INSERT INTO h_tgt (hid, total, n) SELECT hid, sum(amount), count(*) FROM d_f WHERE hid < 3 GROUP BY hid ORDER BY hid
  RETURNING hid, total, n, note;
SELECT sqlstate_of('INSERT INTO h_tgt (hid, total, n) SELECT hid, sum(amount), count(*) - 40 FROM d_f GROUP BY hid');
SELECT sqlstate_of('INSERT INTO h_tgt (hid, n) SELECT NULL, 1 FROM d_f WHERE id = 1');
ALTER TABLE h_tgt ADD UNIQUE (hid, n);
TRUNCATE h_tgt;
INSERT INTO h_tgt (hid, n) SELECT hid, 1 FROM d_f GROUP BY hid ON CONFLICT DO NOTHING;
INSERT INTO h_tgt (hid, n) SELECT hid, 1 FROM d_f WHERE hid < 10 GROUP BY hid ON CONFLICT DO NOTHING;
PREPARE ins(int) AS INSERT INTO h_tgt (hid, n) SELECT hid, 2 FROM d_f WHERE hid < $1 GROUP BY hid;
EXECUTE ins(5);
SELECT n, count(*) FROM h_tgt GROUP BY n ORDER BY n;
DEALLOCATE ins;
DROP TABLE h_tgt, h_ref;
DROP SEQUENCE s_ins;
DROP FUNCTION same_inserts(text);
