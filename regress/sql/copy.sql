-- COPY FROM (text, csv, binary) and COPY TO
CREATE TABLE c (id int, name text, price numeric(8,2), day date, note text) USING duckdb;
COPY c FROM STDIN;
1	apple	1.50	2024-01-01	\N
2	pear	2.25	2024-01-02	tab\there
3	plum	\N	\N	back\\slash
\.
COPY c FROM STDIN (FORMAT csv, HEADER true);
id,name,price,day,note
4,"quoted, comma",9.99,2024-02-29,"multi
line"
5,,0,2024-03-01,""
\.
SELECT * FROM c ORDER BY id;
COPY c TO STDOUT;
COPY c TO STDOUT (FORMAT csv, HEADER true);
COPY (SELECT id, name FROM c WHERE id > 3 ORDER BY id) TO STDOUT (FORMAT csv);

-- binary round trip through a file, duckdb -> file -> duckdb and heap
COPY c TO '/tmp/pg_duckam_regress_c.bin' (FORMAT binary);
CREATE TABLE c2 (LIKE c) USING duckdb;
COPY c2 FROM '/tmp/pg_duckam_regress_c.bin' (FORMAT binary);
CREATE TABLE c_heap (LIKE c);
COPY c_heap FROM '/tmp/pg_duckam_regress_c.bin' (FORMAT binary);
SELECT count(*) FROM c2;
(SELECT * FROM c EXCEPT SELECT * FROM c2) UNION ALL (SELECT * FROM c2 EXCEPT SELECT * FROM c_heap);

-- bad input aborts the whole COPY: nothing of it is kept
COPY c FROM STDIN (FORMAT csv);
10,ten,1.00,2024-01-01,x
11,eleven,notanumber,2024-01-01,x
\.
COPY c FROM STDIN (FORMAT csv);
12,twelve,123456789.00,2024-01-01,x
\.
SELECT count(*) FROM c WHERE id >= 10;

-- COPY with a column list and defaults
CREATE TABLE cd (id int, tag text DEFAULT 'dflt', n int) USING duckdb;
COPY cd (id, n) FROM STDIN (FORMAT csv);
1,10
2,20
\.
SELECT * FROM cd ORDER BY id;
-- COPY FREEZE is a heap feature
BEGIN;
CREATE TABLE cf (a int) USING duckdb;
COPY cf FROM STDIN (FREEZE);
1
\.
SELECT * FROM cf;
COMMIT;
