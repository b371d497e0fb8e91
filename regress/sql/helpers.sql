-- Helper functions the suites share (pg_regress runs every file in its own
-- session but in one database; this suite runs first in the schedule, and
-- a single suite runs as `pg_regress helpers <suite>`).
-- pushed(q): does q run as a DuckDB scan?
CREATE OR REPLACE FUNCTION pushed(q text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE plan json; BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN plan::text LIKE '%DuckDBScan%';
END $$;
-- same(q): q on duckdb tables and on their heap copies (d_ -> h_) gives the
-- same multiset of rows, compared as text (so numeric scale and float
-- digits count)
CREATE OR REPLACE FUNCTION same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a bigint; b bigint; n bigint; rec record; BEGIN
  IF to_regclass('pg_temp.pd_duck') IS NULL THEN
    CREATE TEMP TABLE pd_duck (r text);
    CREATE TEMP TABLE pd_heap (r text);
  END IF;
  TRUNCATE pd_duck, pd_heap;
  FOR rec IN EXECUTE q LOOP INSERT INTO pd_duck VALUES (rec::text); END LOOP;
  FOR rec IN EXECUTE replace(q, 'd_', 'h_') LOOP INSERT INTO pd_heap VALUES (rec::text); END LOOP;
  SELECT count(*) INTO n FROM pd_duck;
  SELECT count(*) INTO a FROM (TABLE pd_duck EXCEPT ALL TABLE pd_heap) x;
  SELECT count(*) INTO b FROM (TABLE pd_heap EXCEPT ALL TABLE pd_duck) x;
  RETURN CASE WHEN a = 0 AND b = 0 THEN 'same ' || n || ' rows' ELSE 'DIFFERENT: ' || a || '/' || b END;
END $$;
-- sqlstate_of(q): the SQLSTATE q fails with, or 'ok'
CREATE OR REPLACE FUNCTION sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
END $$;
-- explain_text(q [, detailed]): q's plan (EXPLAIN VERBOSE when detailed),
-- DuckDB table names masked
CREATE OR REPLACE FUNCTION explain_text(q text, detailed bool DEFAULT true) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text; BEGIN
  FOR l IN EXECUTE 'EXPLAIN (' || CASE WHEN detailed THEN 'VERBOSE, ' ELSE '' END || 'COSTS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(l, 'r_[0-9]+', 'r_N', 'g');
  END LOOP;
END $$;
-- same_order(q): as same(), but the rows must also come in the same order
CREATE OR REPLACE FUNCTION same_order(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text[] := '{}'; b text[] := '{}'; rec record; BEGIN
  FOR rec IN EXECUTE q LOOP a := a || rec::text; END LOOP;
  FOR rec IN EXECUTE replace(q, 'd_', 'h_') LOOP b := b || rec::text; END LOOP;
  RETURN CASE WHEN a = b THEN 'same ' || cardinality(a) || ' rows in order' ELSE 'DIFFERENT: ' || array_to_string(a, ' ') || ' vs ' || array_to_string(b, ' ') END;
END $$;
