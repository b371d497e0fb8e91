-- pg_duckam 0.1.0 → 0.2.0. The shared engine (issue 13) and the
-- reliability work (issue 14) changed no SQL object: the library is
-- replaced and the data files are read as they are. Each later release
-- adds its script pg_duckam--<from>--<to>.sql with the statements that turn
-- the previous release's objects into its own; regress/shell/upgrade.sh
-- checks that an upgraded database has exactly a fresh install's objects.
\echo Use "ALTER EXTENSION pg_duckam UPDATE" to load this file. \quit

-- Keys of duckdb tables (issue 15): the duckdb_key index access method.
CREATE FUNCTION duckdb_key_handler(internal) RETURNS index_am_handler
    LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'duckdb_key_handler';
CREATE ACCESS METHOD duckdb_key TYPE INDEX HANDLER duckdb_key_handler;
COMMENT ON ACCESS METHOD duckdb_key IS 'primary keys and unique constraints of duckdb tables, enforced by DuckDB';
CREATE OPERATOR CLASS duckdb_key_ops DEFAULT FOR TYPE anyelement USING duckdb_key AS STORAGE anyelement;
