\pset footer off
CREATE EXTENSION pg_duckam;
SELECT duckam.duckdb_version();

-- A table stored in this database's DuckDB file.
CREATE TABLE events (id bigint, ts timestamptz, kind text, amount numeric(12,2)) USING duckdb;
\d+ events

-- COPY a million rows in (columnar, compressed), and a few INSERTs.
COPY (SELECT g, timestamptz '2024-01-01' + g * interval '1 second',
             (ARRAY['click','view','buy'])[1 + g % 3], (g % 1000) / 10.0
        FROM generate_series(1, 1000000) g) TO '/tmp/pg_duckam_demo.csv' (FORMAT csv);
\timing on
COPY events FROM '/tmp/pg_duckam_demo.csv' (FORMAT csv);
\timing off
INSERT INTO events VALUES (0, now(), 'signup', 0) RETURNING *;

SELECT kind, count(*), sum(amount) FROM events GROUP BY kind ORDER BY kind;

-- Transactions work: this insert is rolled back.
BEGIN;
INSERT INTO events VALUES (-1, now(), 'oops', 1);
SELECT count(*) AS inside_transaction FROM events;
ROLLBACK;
SELECT count(*) AS after_rollback FROM events;

-- Heap tables join in the same query.
CREATE TABLE kinds (kind text PRIMARY KEY, label text);
INSERT INTO kinds VALUES ('click', 'Clicks'), ('view', 'Views'), ('buy', 'Purchases');
SELECT k.label, count(*) FROM events e JOIN kinds k USING (kind) GROUP BY k.label ORDER BY 1;

-- Where the data lives.
SELECT pg_size_pretty(duckam.storage_size()) AS duckdb_file_size;
SELECT * FROM duckam.stored_tables();
\! rm -f /tmp/pg_duckam_demo.csv
