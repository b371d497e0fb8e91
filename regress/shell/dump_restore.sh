#!/usr/bin/env bash
# pg_dump -> pg_restore of a database with duckdb tables: same tables, same
# access method, same rows, same keys (still enforced by DuckDB).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
src=duckam_dump_src; dst=duckam_dump_dst
fresh_db $src
psql_db $src <<'SQL'
CREATE TYPE color AS ENUM ('red', 'green');
CREATE TABLE facts (id bigint, at timestamptz, amount numeric(12,2), tag text, c color, raw bytea, u uuid, j jsonb) USING duckdb;
INSERT INTO facts SELECT g, '2024-01-01'::timestamptz + g * interval '1 hour', g / 7.0, 't' || g % 5,
  (ARRAY['red','green'])[1 + g % 2]::color, decode(md5(g::text), 'hex'), md5(g::text)::uuid, jsonb_build_object('g', g)
  FROM generate_series(1, 5000) g;
INSERT INTO facts (id) VALUES (NULL);
CREATE TABLE dims (tag text PRIMARY KEY, label text);
INSERT INTO dims VALUES ('t0', 'zero'), ('t1', 'one');
CREATE TABLE empty_duck (a int) USING duckdb;
CREATE TABLE keyed (id int PRIMARY KEY, code text CONSTRAINT keyed_code UNIQUE, a int, b int) USING duckdb;
CREATE UNIQUE INDEX keyed_ab ON keyed (a, b);
INSERT INTO keyed SELECT g, 'k' || g, g % 10, g FROM generate_series(1, 100) g;
CREATE VIEW v AS SELECT tag, sum(amount) AS total FROM facts GROUP BY tag;
SQL
dump="$DUCKAM_WORK/dump.custom"
"$PGBIN/pg_dump" -Fc -f "$dump" $src
"$PGBIN/dropdb" --if-exists $dst
"$PGBIN/createdb" $dst
"$PGBIN/pg_restore" --exit-on-error -d $dst "$dump"
q_am="SELECT string_agg(c.relname || ':' || a.amname, ',' ORDER BY c.relname) FROM pg_class c JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
expect "access methods restored" "$(val $dst "$q_am")" "$(val $src "$q_am")"
q_rows="SELECT count(*) || ':' || md5(string_agg(f::text, '|' ORDER BY id NULLS FIRST)) FROM facts f"
expect "facts rows" "$(val $dst "$q_rows")" "$(val $src "$q_rows")"
q_view="SELECT string_agg(tag || '=' || total, ',' ORDER BY tag) FROM v"
expect "view over duckdb table" "$(val $dst "$q_view")" "$(val $src "$q_view")"
expect "empty table" "$(val $dst "SELECT count(*) FROM empty_duck")" "0"
q_keys="SELECT string_agg(indexrelid::regclass || ':' || pg_get_indexdef(indexrelid), ',' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = 'keyed'::regclass"
expect "keys restored" "$(val $dst "$q_keys")" "$(val $src "$q_keys")"
if psql_db $dst -c "INSERT INTO keyed VALUES (1, 'new', 0, 0)" 2>"$DUCKAM_WORK/dup.err"; then
  fail "a duplicate key was accepted after restore"
fi
expect "duplicate after restore names the constraint" "$(grep -c 'violates unique constraint "keyed_pkey"' "$DUCKAM_WORK/dup.err")" "1"
# a plain-SQL dump restores through psql as well
"$PGBIN/pg_dump" -f "$dump.sql" $src
"$PGBIN/dropdb" $dst && "$PGBIN/createdb" $dst
psql_db $dst -f "$dump.sql" >/dev/null
expect "facts rows (plain dump)" "$(val $dst "$q_rows")" "$(val $src "$q_rows")"
dst_oid=$(val $src "SELECT oid FROM pg_database WHERE datname = '$dst'")
expect "restored database has a DuckDB file" "$(ls "$DUCKAM_WORK/data/pg_duckam/" | grep -c "^$dst_oid\.duckdb$" || true)" "1"
"$PGBIN/dropdb" $dst
expect "DROP DATABASE removes its DuckDB file" "$(ls "$DUCKAM_WORK/data/pg_duckam/" | grep -c "^$dst_oid\." || true)" "0"
rm -f "$dump" "$dump.sql"
