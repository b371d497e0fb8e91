-- INSERT … ON CONFLICT on duckdb tables runs in DuckDB (its unique index
-- finds the conflicts); every statement is run on the heap twin too and
-- the rows, counts, RETURNING and errors compared.
\set VERBOSITY default
CREATE TABLE d_u (id int PRIMARY KEY, code text UNIQUE, n int NOT NULL DEFAULT 0, note text) USING duckdb;
CREATE TABLE h_u (id int PRIMARY KEY, code text UNIQUE, n int NOT NULL DEFAULT 0, note text);
INSERT INTO d_u SELECT g, 'c' || g, g, NULL FROM generate_series(1, 10) g;
INSERT INTO h_u SELECT g, 'c' || g, g, NULL FROM generate_series(1, 10) g;
SELECT pushed('INSERT INTO d_u VALUES (1, ''x'', 1) ON CONFLICT DO NOTHING');

-- DO NOTHING, with and without a target, one row and many
INSERT INTO d_u VALUES (1, 'x', 1) ON CONFLICT DO NOTHING;
INSERT INTO h_u VALUES (1, 'x', 1) ON CONFLICT DO NOTHING;
INSERT INTO d_u VALUES (11, 'c11', 11), (2, 'c2b', 0), (12, 'c1', 0) ON CONFLICT DO NOTHING RETURNING id, code;
INSERT INTO h_u VALUES (11, 'c11', 11), (2, 'c2b', 0), (12, 'c1', 0) ON CONFLICT DO NOTHING RETURNING id, code;
INSERT INTO d_u VALUES (13, 'c13', 13), (13, 'c13b', 0) ON CONFLICT (id) DO NOTHING;
INSERT INTO h_u VALUES (13, 'c13', 13), (13, 'c13b', 0) ON CONFLICT (id) DO NOTHING;
-- a conflict on another key than the target is an error
INSERT INTO d_u VALUES (14, 'c3', 0) ON CONFLICT (id) DO NOTHING;
INSERT INTO h_u VALUES (14, 'c3', 0) ON CONFLICT (id) DO NOTHING;
SELECT same('SELECT * FROM d_u');

-- DO UPDATE with EXCLUDED, the existing row, WHERE and RETURNING
INSERT INTO d_u VALUES (3, 'c3', 30, 'new') ON CONFLICT (id) DO UPDATE SET n = d_u.n + EXCLUDED.n, note = EXCLUDED.note RETURNING *;
INSERT INTO h_u VALUES (3, 'c3', 30, 'new') ON CONFLICT (id) DO UPDATE SET n = h_u.n + EXCLUDED.n, note = EXCLUDED.note RETURNING *;
INSERT INTO d_u AS t VALUES (4, 'c4', 40), (20, 'c20', 20) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n WHERE t.n < 5 RETURNING id, n;
INSERT INTO h_u AS t VALUES (4, 'c4', 40), (20, 'c20', 20) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n WHERE t.n < 5 RETURNING id, n;
INSERT INTO d_u AS t VALUES (5, 'c5', 50) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n WHERE t.n > 100;
INSERT INTO h_u AS t VALUES (5, 'c5', 50) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n WHERE t.n > 100;
INSERT INTO d_u VALUES (6, 'c6', 0) ON CONFLICT ON CONSTRAINT d_u_code_key DO UPDATE SET note = 'by code';
INSERT INTO h_u VALUES (6, 'c6', 0) ON CONFLICT ON CONSTRAINT h_u_code_key DO UPDATE SET note = 'by code';
-- from a query, with parameters
INSERT INTO d_u SELECT id + 5, code || '!', n * 2, 'from select' FROM d_u WHERE id BETWEEN 6 AND 9
  ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note || ' ' || EXCLUDED.code;
INSERT INTO h_u SELECT id + 5, code || '!', n * 2, 'from select' FROM h_u WHERE id BETWEEN 6 AND 9
  ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note || ' ' || EXCLUDED.code;
PREPARE up_d(int, text) AS INSERT INTO d_u VALUES ($1, $2, 1) ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code;
PREPARE up_h(int, text) AS INSERT INTO h_u VALUES ($1, $2, 1) ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code;
EXECUTE up_d(7, 'seven'); EXECUTE up_d(30, 'thirty');
EXECUTE up_h(7, 'seven'); EXECUTE up_h(30, 'thirty');
SELECT same('SELECT * FROM d_u');

-- PostgreSQL's errors: a row affected twice, NOT NULL in SET, a key clash
INSERT INTO d_u VALUES (8, 'a', 1), (8, 'b', 2) ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.code;
INSERT INTO h_u VALUES (8, 'a', 1), (8, 'b', 2) ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.code;
INSERT INTO d_u VALUES (40, 'a', 1), (40, 'b', 2) ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.code;
INSERT INTO h_u VALUES (40, 'a', 1), (40, 'b', 2) ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.code;
INSERT INTO d_u VALUES (8, 'a', 1) ON CONFLICT (id) DO UPDATE SET n = NULL;
INSERT INTO h_u VALUES (8, 'a', 1) ON CONFLICT (id) DO UPDATE SET n = NULL;
INSERT INTO d_u VALUES (8, 'a', 1) ON CONFLICT (id) DO UPDATE SET code = 'c9';
INSERT INTO h_u VALUES (8, 'a', 1) ON CONFLICT (id) DO UPDATE SET code = 'c9';
SELECT same('SELECT * FROM d_u');

-- in a transaction, then rolled back
BEGIN;
INSERT INTO d_u VALUES (1, 'c1', 0) ON CONFLICT (id) DO UPDATE SET note = 'rolled back';
INSERT INTO d_u VALUES (50, 'c50', 0) ON CONFLICT DO NOTHING;
ROLLBACK;
SELECT same('SELECT * FROM d_u');

-- what DuckDB cannot run is refused (there is no other path for it)
INSERT INTO d_u VALUES (1, 'c1', 0) ON CONFLICT (id) DO UPDATE SET id = 100;
INSERT INTO d_u VALUES (1, 'c1', 0) ON CONFLICT (id) DO UPDATE SET (n, note) = (SELECT 1, 'x');
SET duckam.execution = off;
INSERT INTO d_u VALUES (1, 'c1', 0) ON CONFLICT DO NOTHING;
RESET duckam.execution;
-- a table without keys: no conflicts, as in PostgreSQL
CREATE TABLE d_nokey (id int, v text) USING duckdb;
INSERT INTO d_nokey VALUES (1, 'a'), (1, 'b') ON CONFLICT DO NOTHING;
INSERT INTO d_nokey VALUES (1, 'a') ON CONFLICT (id) DO NOTHING;
SELECT * FROM d_nokey ORDER BY v;

DEALLOCATE up_d; DEALLOCATE up_h;
DROP TABLE d_u, h_u, d_nokey;
