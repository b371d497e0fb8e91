-- Q12's shape over a heap orders table (@H@) and a lineitem table in @D@:
-- a = both heap (PostgreSQL), b = heap orders ⨝ duckdb lineitem (DuckDB,
-- reading orders through PostgreSQL's own scan).
select o_orderpriority, l_shipmode, count(*) as lines, sum(l_quantity) as quantity
from @H@.orders join @D@.lineitem on o_orderkey = l_orderkey
where l_shipmode in ('MAIL', 'SHIP') and l_commitdate < l_receiptdate and l_shipdate < l_commitdate
  and l_receiptdate >= date '1994-01-01' and l_receiptdate < date '1995-01-01'
group by o_orderpriority, l_shipmode
order by o_orderpriority, l_shipmode;
