-- Every supported type, both directions, exact round trips.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE ty (
    k int, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
    n numeric(38,10), n2 numeric(5,2), n3 numeric(3,-2), t text, vc varchar(10), ch char(5), nm name,
    by bytea, d date, tm time, ts timestamp, tz timestamptz, iv interval, u uuid,
    j json, jb jsonb, e mood, dom posint
) USING duckdb;
CREATE TABLE ty_heap (LIKE ty);
INSERT INTO ty_heap VALUES
 (1, true, 32767, 2147483647, 9223372036854775807, 3.4028235e38, 1.7976931348623157e308,
  '9999999999999999999999999999.9999999999', 999.99, 99900, 'héllo wörld ✓', 'ten chars!', 'ab', 'a name',
  '\x00ff10', '5874897-12-31', '24:00:00', '294246-12-31 23:59:59.999999', '2024-06-01 12:00:00+02', '178000000 years 11 months 30 days 23:59:59.999999',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, null]}', '{"b": {"c": true}, "a": 1}', 'happy', 1),
 (2, false, -32768, -2147483648, -9223372036854775808, -1.17549435e-38, 2.2250738585072014e-308,
  '-9999999999999999999999999999.9999999999', -999.99, -99900, '', '', '', '',
  '\x', '4713-01-01 BC', '00:00:00', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '-178000000 years -1 second',
  '00000000-0000-0000-0000-000000000000', '[]', '[]', 'sad', 2147483647),
 (3, NULL, NULL, NULL, NULL, 'NaN', 'NaN', 0, 0, 0, NULL, NULL, NULL, NULL,
  NULL, 'infinity', NULL, 'infinity', '-infinity', NULL, NULL, NULL, NULL, NULL, NULL),
 (4, NULL, 0, 0, 0, 'Infinity', '-Infinity', 0.0000000001, 0.01, 100, 'a''quote"and\backslash', NULL, 'x    ', NULL,
  NULL, '-infinity', '12:34:56.789', '-infinity', 'infinity', '0', NULL, '"str"', 'null', 'ok', NULL),
 (5, NULL, NULL, NULL, NULL, '-0', '-0', NULL, NULL, NULL, repeat('long text ', 10000), NULL, NULL, NULL,
  decode(repeat('deadbeef', 5000), 'hex'), '2000-01-01', NULL, '2000-01-01 00:00:00', '1970-01-01 00:00:00+00', '1 mon -1 day 1 us', 'ffffffff-ffff-ffff-ffff-ffffffffffff', NULL, NULL, NULL, NULL),
 (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO ty SELECT * FROM ty_heap;
-- exact round trip: no row differs in either direction (text forms too)
SELECT count(*) AS differing FROM (
  (SELECT ty::text FROM ty EXCEPT SELECT ty_heap::text FROM ty_heap)
  UNION ALL
  (SELECT ty_heap::text FROM ty_heap EXCEPT SELECT ty::text FROM ty)) x;
SELECT k, b, i2, i4, i8, f4, f8 FROM ty ORDER BY k;
SELECT k, n, n2, n3 FROM ty ORDER BY k;
-- numerics come back in PostgreSQL's own binary form (digits, weight,
-- display scale), the same bytes numeric_in makes of the heap twin's text
SELECT count(*) AS binary_differences FROM ty d JOIN ty_heap h USING (k)
 WHERE numeric_send(d.n) IS DISTINCT FROM numeric_send(h.n) OR numeric_send(d.n2) IS DISTINCT FROM numeric_send(h.n2)
    OR numeric_send(d.n3) IS DISTINCT FROM numeric_send(h.n3) OR pg_column_size(d.n) IS DISTINCT FROM pg_column_size(h.n);
CREATE TABLE ty_num (k int, a numeric(38,0), b numeric(20,9), c numeric(4,4), e numeric(12,2)) USING duckdb;
CREATE TABLE ty_num_heap (LIKE ty_num);
INSERT INTO ty_num_heap VALUES (1, 99999999999999999999999999999999999999, 99999999999.999999999, 0.9999, -0.00),
  (2, -10000000000000000000000000000000000000, -0.000000001, -0.0001, 10000.50), (3, 0, 12345678901.234567891, 0, 0.05),
  (4, 10000, 10000.0001, 0.1, -123456789.12);
INSERT INTO ty_num SELECT * FROM ty_num_heap;
SELECT count(*) AS binary_differences FROM ty_num d JOIN ty_num_heap h USING (k)
 WHERE (numeric_send(d.a), numeric_send(d.b), numeric_send(d.c), numeric_send(d.e))
   IS DISTINCT FROM (numeric_send(h.a), numeric_send(h.b), numeric_send(h.c), numeric_send(h.e));
SELECT * FROM ty_num ORDER BY k;
DROP TABLE ty_num, ty_num_heap;
SELECT k, t, vc, ch, length(ch::text) AS chlen, octet_length(ch) AS choctets, nm FROM ty WHERE k < 5 ORDER BY k;
SELECT k, by, d, tm FROM ty WHERE k <> 5 ORDER BY k;
SET timezone = 'America/New_York';
SELECT k, ts, tz, iv FROM ty ORDER BY k;
RESET timezone;
SELECT k, u, j, jb, e, dom FROM ty ORDER BY k;
SELECT k, length(t), md5(t), length(by), md5(by) FROM ty WHERE k = 5;
SELECT pg_typeof(n2), pg_typeof(e), pg_typeof(dom), pg_typeof(jb) FROM ty LIMIT 1;
-- float specials keep their identity
SELECT k, f8 = 'NaN'::float8 AS is_nan, f4::text, f8::text FROM ty WHERE k IN (3, 4, 5) ORDER BY k;

-- values DuckDB cannot hold are errors, never changed values
CREATE TABLE ty_bad (ts timestamp, tz timestamptz, n numeric(10,2)) USING duckdb;
INSERT INTO ty_bad (ts) VALUES ('294270-01-01 00:00:00');
INSERT INTO ty_bad (tz) VALUES ('294270-01-01 00:00:00+00');
INSERT INTO ty_bad (n) VALUES ('NaN');
INSERT INTO ty_bad (n) VALUES (123456789.99);
-- PostgreSQL itself rounds to the column scale first, as for heap tables
INSERT INTO ty_bad (n) VALUES (12345678.999);
SELECT * FROM ty_bad;
-- enum with a label added later, domain check on insert
ALTER TYPE mood ADD VALUE 'ecstatic';
INSERT INTO ty (k, e) VALUES (7, 'ecstatic');
INSERT INTO ty (k, dom) VALUES (8, 0);
SELECT k, e FROM ty WHERE k = 7;
-- SQLSTATEs of the errors above
SELECT q, sqlstate_of(q) FROM (VALUES
  ('CREATE TABLE ty_x (n numeric(50, 2)) USING duckdb'),
  ('INSERT INTO ty_bad (n) VALUES (''NaN'')'),
  ('INSERT INTO ty_bad (n) VALUES (''Infinity'')'),
  ('INSERT INTO ty_bad (ts) VALUES (''294270-01-01'')'),
  ('MERGE INTO ty_bad USING (SELECT 1 AS x) s ON true WHEN MATCHED THEN DELETE'),
  ('CREATE INDEX ON ty_bad (n)'),
  ('SELECT * FROM (VALUES (1)) v, ty_bad FOR SHARE')) AS t(q);
-- one-dimensional arrays are DuckDB lists, NULL elements included
CREATE TABLE arr (k int, ia int[], ta text[], na numeric(6,2)[], da date[], tza timestamptz[],
                  ua uuid[], ba bytea[], ea mood[], fa float8[], ja jsonb[]) USING duckdb;
CREATE TABLE arr_heap (LIKE arr);
INSERT INTO arr_heap VALUES
 (1, '{1,2,3}', '{a,NULL,"c d",""}', '{1.50,NULL,-9999.99}', '{2024-01-01,infinity,-infinity}', '{2024-01-01 00:00:00+00}',
  '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{"\\x00ff",NULL}', '{sad,happy}', '{NaN,-Infinity,-0,1.5}', '{"{\"a\": 1}",null}'),
 (2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
 (3, NULL, '{NULL}', '{NULL,NULL}', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, array_fill(7, ARRAY[3000]), ARRAY[repeat('x', 5000)], NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO arr SELECT * FROM arr_heap;
SELECT count(*) AS differing FROM (
  (SELECT arr::text FROM arr EXCEPT SELECT arr_heap::text FROM arr_heap)
  UNION ALL
  (SELECT arr_heap::text FROM arr_heap EXCEPT SELECT arr::text FROM arr)) x;
SELECT k, ia, ta, na, da, ua, ba, ea, fa, ja FROM arr WHERE k < 4 ORDER BY k;
SELECT k, cardinality(ia), array_lower(ia, 1), length(ta[1]) FROM arr ORDER BY k;
-- what a DuckDB list cannot hold is refused
INSERT INTO arr (k, ia) VALUES (5, '{{1,2},{3,4}}');
INSERT INTO arr (k, ia) VALUES (6, '[0:1]={1,2}');
INSERT INTO arr (k, na) VALUES (7, '{NaN}');
SELECT count(*) FROM arr WHERE k >= 5;

-- The heap side: DuckDB reads every type from heap tables (pg_heap, joined
-- with the duckdb copy) and hands the values back unchanged; CREATE TABLE
-- AS keeps what came back, compared as text with the heap rows.
SELECT pushed('SELECT h.* FROM ty_heap h JOIN ty d ON d.k = h.k'), pushed('SELECT h.* FROM arr_heap h JOIN arr d ON d.k = h.k');
SET timezone = 'America/New_York';
CREATE TEMP TABLE ty_via AS SELECT h.* FROM ty_heap h JOIN ty d ON d.k = h.k;
CREATE TEMP TABLE arr_via AS SELECT h.* FROM arr_heap h JOIN arr d ON d.k = h.k;
RESET timezone;
SELECT count(*) AS rows_back, (SELECT count(*) FROM (
  (SELECT ty_via::text FROM ty_via EXCEPT SELECT ty_heap::text FROM ty_heap)
  UNION ALL
  (SELECT ty_heap::text FROM ty_heap EXCEPT SELECT ty_via::text FROM ty_via)) x) AS differing FROM ty_via;
SELECT count(*) AS rows_back, (SELECT count(*) FROM (
  (SELECT arr_via::text FROM arr_via EXCEPT SELECT arr_heap::text FROM arr_heap)
  UNION ALL
  (SELECT arr_heap::text FROM arr_heap EXCEPT SELECT arr_via::text FROM arr_via)) x) AS differing FROM arr_via;
-- conditions on heap columns of every kind, evaluated by PostgreSQL
SELECT h.k FROM ty_heap h JOIN ty d ON d.k = h.k
 WHERE h.f8 = 'NaN' OR h.tz = '-infinity' OR h.jb @> '{"b": {"c": true}}' OR h.e = 'ok' OR h.u = 'ffffffff-ffff-ffff-ffff-ffffffffffff'
 ORDER BY 1;
