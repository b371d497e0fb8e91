-- pg_duckam 0.1.0 → 0.2.0. 0.2.0 (the shared engine, issue 13, and the
-- reliability work of issue 14) changed no SQL object: the library is
-- replaced and the data files are read as they are. Each later release
-- adds its script pg_duckam--<from>--<to>.sql with the statements that turn
-- the previous release's objects into its own; regress/shell/upgrade.sh
-- checks that an upgraded database has exactly a fresh install's objects.
\echo Use "ALTER EXTENSION pg_duckam UPDATE" to load this file. \quit
