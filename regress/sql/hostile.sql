-- Hostile input: schema, table and column names with quotes, spaces,
-- semicolons, Unicode and reserved words, through DDL mirroring, the
-- deparser (pushed-down reads, UPDATE, DELETE, INSERT … SELECT), COPY and
-- EXPLAIN; values that look like SQL. Each against a heap twin.
CREATE SCHEMA "we""ird; schema";
SET search_path = "we""ird; schema", public;
CREATE TABLE "d_Tab le; DROP TABLE x; --" (
  "sel""ect" int, "a b" text, "列" numeric(10,2), "order" date, "$1" text, "" text
) USING duckdb;
CREATE TABLE "h_Tab le; DROP TABLE x; --" (
  "sel""ect" int, "a b" text, "列" numeric(10,2), "order" date, "$1" text, "" text
);
-- a zero-length name is refused by PostgreSQL itself (above): try again
-- without it
CREATE TABLE "d_Tab le; DROP TABLE x; --" (
  "sel""ect" int, "a b" text, "列" numeric(10,2), "order" date, "$1" text, "'; SELECT 1; --" text
) USING duckdb;
CREATE TABLE "h_Tab le; DROP TABLE x; --" (
  "sel""ect" int, "a b" text, "列" numeric(10,2), "order" date, "$1" text, "'; SELECT 1; --" text
);
INSERT INTO "d_Tab le; DROP TABLE x; --" VALUES
  (1, 'x''); DROP TABLE "h_Tab le; DROP TABLE x; --"; --', 1.5, '2024-01-01', '$1', E'back\\slash'),
  (2, '{"a": "'' OR 1=1 --"}', -2.25, '2024-02-29', '$$ dollar $$', 'tab	and
newline'),
  (3, NULL, NULL, NULL, NULL, NULL),
  (4, 'ünïcødé ✓ 😀', 0, 'infinity', 'E''\x41''', '"quoted"');
COPY "d_Tab le; DROP TABLE x; --" ("sel""ect", "a b", "列") FROM stdin (FORMAT csv);
5,"copied ""quoted"" ; DROP",3.75
6,,
\.
INSERT INTO "h_Tab le; DROP TABLE x; --" SELECT * FROM "d_Tab le; DROP TABLE x; --";
SELECT same($q$SELECT * FROM "d_Tab le; DROP TABLE x; --"$q$);
SELECT pushed($q$SELECT "a b", sum("列") FROM "d_Tab le; DROP TABLE x; --" WHERE "sel""ect" > 1 AND "a b" <> '''' GROUP BY "a b"$q$);
SELECT same($q$SELECT "a b", sum("列"), max("order"), count("$1") FROM "d_Tab le; DROP TABLE x; --"
               WHERE "sel""ect" > 1 OR "a b" LIKE '%''%' GROUP BY "a b"$q$);
SELECT same($q$SELECT "sel""ect", "a b" FROM "d_Tab le; DROP TABLE x; --" WHERE "a b" = 'x''); DROP TABLE "h_Tab le; DROP TABLE x; --"; --'$q$);
SELECT "sel""ect", "a b", "列", "order", "$1", "'; SELECT 1; --" FROM "d_Tab le; DROP TABLE x; --" ORDER BY 1;
SELECT count(*) FROM explain_text($q$SELECT "a b" FROM "d_Tab le; DROP TABLE x; --" WHERE "列" > 0$q$) l WHERE l LIKE '%DuckDB%';
-- writes through the deparser
UPDATE "d_Tab le; DROP TABLE x; --" SET "a b" = "a b" || ' ; --', "$1" = '$2' WHERE "列" > 0;
UPDATE "h_Tab le; DROP TABLE x; --" SET "a b" = "a b" || ' ; --', "$1" = '$2' WHERE "列" > 0;
DELETE FROM "d_Tab le; DROP TABLE x; --" WHERE "'; SELECT 1; --" = '"quoted"';
DELETE FROM "h_Tab le; DROP TABLE x; --" WHERE "'; SELECT 1; --" = '"quoted"';
INSERT INTO "d_Tab le; DROP TABLE x; --" ("sel""ect", "a b") SELECT "sel""ect" + 10, "a b" FROM "d_Tab le; DROP TABLE x; --" WHERE "sel""ect" < 3;
INSERT INTO "h_Tab le; DROP TABLE x; --" ("sel""ect", "a b") SELECT "sel""ect" + 10, "a b" FROM "h_Tab le; DROP TABLE x; --" WHERE "sel""ect" < 3;
SELECT same($q$SELECT * FROM "d_Tab le; DROP TABLE x; --"$q$);
-- DDL mirroring: rename the table and a column, add one, then read
ALTER TABLE "d_Tab le; DROP TABLE x; --" RENAME COLUMN "a b" TO "b""; c";
ALTER TABLE "h_Tab le; DROP TABLE x; --" RENAME COLUMN "a b" TO "b""; c";
ALTER TABLE "d_Tab le; DROP TABLE x; --" ADD COLUMN "SELECT" text DEFAULT 'it''s';
ALTER TABLE "h_Tab le; DROP TABLE x; --" ADD COLUMN "SELECT" text DEFAULT 'it''s';
ALTER TABLE "d_Tab le; DROP TABLE x; --" RENAME TO "d_ren""amed";
ALTER TABLE "h_Tab le; DROP TABLE x; --" RENAME TO "h_ren""amed";
SELECT same($q$SELECT "b""; c", "SELECT", "列" FROM "d_ren""amed" WHERE "SELECT" = 'it''s'$q$);
-- COPY out, as PostgreSQL prints it
COPY (SELECT "sel""ect", "b""; c", "$1" FROM "d_ren""amed" ORDER BY 1) TO stdout (FORMAT csv, HEADER);
-- the heap twin is still there: no statement text leaked into SQL
SELECT count(*) FROM "h_ren""amed";
DROP SCHEMA "we""ird; schema" CASCADE;
RESET search_path;
