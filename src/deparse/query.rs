//! One Query level → a DuckDB SELECT (or set operation): FROM items and
//! joins, WHERE (with row-level security quals), GROUP BY / grouping sets,
//! HAVING, DISTINCT [ON], ORDER BY, LIMIT/OFFSET, WITH [RECURSIVE].
//! Columns of a nested query are named `o<resno>`; range-table entries are
//! aliased `t<level>_<index>`, CTEs `w<level>_<index>`.

use std::ffi::CStr;

use duckam_logic::naming;
use duckam_logic::sql::{self, Cte, Expr, From, GroupingSet, JoinKind, OrderItem, Select, SetOp};
use pgrx::pg_sys;
use pgrx::PgList;

use super::bpchar;
use super::expr::{self, check_equality, check_orderable, duck_type};
use super::{heap, refuse, Ctx, Refusal};
use crate::hooks::{is_duckdb_relid, relation_info};

unsafe extern "C-unwind" {
    // catalog/pg_inherits.h, not in pgrx's bindings
    fn has_subclass(relid: pg_sys::Oid) -> bool;
}

/// Does the table have inheritance children (which a scan of it includes)?
pub unsafe fn has_children(relid: pg_sys::Oid) -> bool {
    pg_sys::ffi::pg_guard_ffi_boundary(|| has_subclass(relid))
}

pub fn output_name(resno: i16) -> String {
    format!("o{resno}")
}

/// Constructs refused at any level, checked up front.
unsafe fn check_query(q: *mut pg_sys::Query) -> Result<(), Refusal> {
    let qr = &*q;
    if qr.commandType != pg_sys::CmdType::CMD_SELECT || !qr.utilityStmt.is_null() {
        return refuse("a statement other than SELECT");
    }
    let checks: [(bool, &str); 4] = [
        (qr.hasTargetSRFs, "set-returning functions in the select list"),
        (qr.hasModifyingCTE, "data-modifying WITH"),
        (qr.hasForUpdate, "FOR UPDATE/SHARE"),
        (qr.limitOption == pg_sys::LimitOption::LIMIT_OPTION_WITH_TIES, "FETCH … WITH TIES"),
    ];
    match checks.iter().find(|(hit, _)| *hit) {
        Some((_, what)) => refuse(*what),
        None => Ok(()),
    }
}

/// The SELECT for the current level, without its target list (the caller
/// fills it: nested levels name every column `o<resno>`, the top level
/// decides per output).
pub unsafe fn select_body(ctx: &mut Ctx) -> Result<Select, Refusal> {
    let q = ctx.query();
    check_query(q)?;
    let qr = &*q;
    let mut select = Select { recursive: qr.hasRecursive, ..Default::default() };
    for cte in PgList::<pg_sys::CommonTableExpr>::from_pg(qr.cteList).iter_ptr() {
        select.with.push(common_table_expr(ctx, cte, select.with.len())?);
    }

    if !qr.setOperations.is_null() {
        // The target list reads the leftmost branch's columns.
        let leftmost = leftmost_rtindex(qr.setOperations);
        let sql = set_operation_sql(ctx, qr.setOperations as *mut pg_sys::SetOperationStmt)?;
        select.from.push(From::Subquery { sql, alias: ctx.alias(0, leftmost)? });
    } else {
        let from = PgList::<pg_sys::Node>::from_pg((*qr.jointree).fromlist);
        for item in from.iter_ptr() {
            select.from.push(from_item(ctx, item)?);
        }
        select.filter = where_clause(ctx)?;
    }

    if !qr.groupingSets.is_null() {
        for gs in PgList::<pg_sys::Node>::from_pg(qr.groupingSets).iter_ptr() {
            select.grouping_sets.push(grouping_set(ctx, gs)?);
        }
    } else {
        select.group_by = equality_keys(ctx, qr.groupClause)?;
    }
    if !qr.havingQual.is_null() {
        select.having = Some(expr::deparse(ctx, qr.havingQual)?);
    }
    if !qr.distinctClause.is_null() {
        let on = equality_keys(ctx, qr.distinctClause)?;
        if qr.hasDistinctOn {
            select.distinct_on = on;
        } else {
            select.distinct = true;
        }
    }
    select.order_by = order_items(ctx, qr.sortClause, qr.targetList)?;
    if !qr.limitCount.is_null() {
        select.limit = expr::limit(ctx, qr.limitCount)?;
    }
    if !qr.limitOffset.is_null() {
        select.offset = expr::limit(ctx, qr.limitOffset)?;
    }
    Ok(select)
}

/// A nested query (FROM subquery, CTE, sublink, set-operation branch):
/// every non-junk column named `o<resno>`.
pub unsafe fn nested_sql(ctx: &mut Ctx, q: *mut pg_sys::Query) -> Result<String, Refusal> {
    ctx.enter(q, |ctx| {
        let mut select = select_body(ctx)?;
        for tle in PgList::<pg_sys::TargetEntry>::from_pg((*q).targetList).iter_ptr() {
            if (*tle).resjunk {
                continue;
            }
            select.targets.push((expr::deparse(ctx, (*tle).expr as *mut pg_sys::Node)?, output_name((*tle).resno)));
        }
        if select.targets.is_empty() {
            return refuse("a subquery without columns");
        }
        Ok(select.render())
    })
}

/// ORDER BY items (also used for window and aggregate ORDER BY).
pub unsafe fn order_items(ctx: &mut Ctx, clauses: *mut pg_sys::List, tlist: *mut pg_sys::List) -> Result<Vec<OrderItem>, Refusal> {
    let mut items = Vec::new();
    for sgc in PgList::<pg_sys::SortGroupClause>::from_pg(clauses).iter_ptr() {
        let tle = pg_sys::get_sortgroupref_tle((*sgc).tleSortGroupRef, tlist);
        if tle.is_null() {
            return refuse("a sort reference without a target");
        }
        let node = (*tle).expr as *mut pg_sys::Node;
        if (*node).type_ == pg_sys::NodeTag::T_Const {
            // Ordering by a constant orders nothing; DuckDB refuses it
            // ("ORDER BY non-integer literal has no effect").
            continue;
        }
        let op = CStr::from_ptr(pg_sys::get_opname((*sgc).sortop)).to_string_lossy().into_owned();
        let descending = match op.as_str() {
            "<" => false,
            ">" => true,
            _ => return refuse("ORDER BY with a non-default ordering operator"),
        };
        let key = if pg_sys::exprType(node) == pg_sys::BPCHAROID {
            bpchar::sort_key(ctx, node)?
        } else {
            check_orderable(node)?;
            expr::deparse(ctx, node)?
        };
        items.push(OrderItem { expr: key, descending, nulls_first: (*sgc).nulls_first });
    }
    Ok(items)
}

/// A GROUP BY / DISTINCT / PARTITION BY key of the current level: values
/// are compared for equality, which must agree in both systems.
pub unsafe fn equality_key(ctx: &mut Ctx, sortgroupref: u32) -> Result<Expr, Refusal> {
    let node = sort_group_expr(ctx.query(), sortgroupref)?;
    check_equality(node)?;
    expr::deparse(ctx, node)
}

/// The keys of a list of SortGroupClauses, in order.
pub unsafe fn equality_keys(ctx: &mut Ctx, clauses: *mut pg_sys::List) -> Result<Vec<Expr>, Refusal> {
    PgList::<pg_sys::SortGroupClause>::from_pg(clauses).iter_ptr().map(|c| equality_key(ctx, (*c).tleSortGroupRef)).collect()
}

pub unsafe fn sort_group_expr(q: *mut pg_sys::Query, sortgroupref: u32) -> Result<*mut pg_sys::Node, Refusal> {
    let tle = pg_sys::get_sortgroupref_tle(sortgroupref, (*q).targetList);
    if tle.is_null() {
        return refuse("a sort/group reference without a target");
    }
    Ok((*tle).expr as *mut pg_sys::Node)
}

unsafe fn grouping_set(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<GroupingSet, Refusal> {
    let gs = node as *mut pg_sys::GroupingSet;
    let nested = |ctx: &mut Ctx| -> Result<Vec<GroupingSet>, Refusal> {
        PgList::<pg_sys::Node>::from_pg((*gs).content).iter_ptr().map(|n| grouping_set(ctx, n)).collect()
    };
    match (*gs).kind {
        pg_sys::GroupingSetKind::GROUPING_SET_EMPTY => Ok(GroupingSet::Simple(vec![])),
        pg_sys::GroupingSetKind::GROUPING_SET_SIMPLE => {
            let refs = PgList::<std::ffi::c_void>::from_pg((*gs).content);
            let keys = (0..refs.len()).map(|i| equality_key(ctx, refs.get_int(i).unwrap_or(0) as u32));
            Ok(GroupingSet::Simple(keys.collect::<Result<_, _>>()?))
        }
        pg_sys::GroupingSetKind::GROUPING_SET_ROLLUP => Ok(GroupingSet::Rollup(nested(ctx)?)),
        pg_sys::GroupingSetKind::GROUPING_SET_CUBE => Ok(GroupingSet::Cube(nested(ctx)?)),
        _ => Ok(GroupingSet::Sets(nested(ctx)?)),
    }
}

pub unsafe fn common_table_expr(ctx: &mut Ctx, cte: *mut pg_sys::CommonTableExpr, index: usize) -> Result<Cte, Refusal> {
    let c = &*cte;
    if !c.search_clause.is_null() || !c.cycle_clause.is_null() {
        return refuse("WITH … SEARCH/CYCLE");
    }
    let inner = c.ctequery as *mut pg_sys::Query;
    if inner.is_null() || (*inner).type_ != pg_sys::NodeTag::T_Query {
        return refuse("a data-modifying WITH query");
    }
    // A recursive CTE must be a bare UNION for DuckDB to see the recursion.
    let sql = if c.cterecursive {
        if (*inner).setOperations.is_null() || !(*inner).sortClause.is_null() || !(*inner).limitCount.is_null() {
            return refuse("a recursive WITH query that is not a plain UNION");
        }
        ctx.enter(inner, |ctx| {
            check_query(inner)?;
            set_operation_sql(ctx, (*inner).setOperations as *mut pg_sys::SetOperationStmt)
        })?
    } else {
        nested_sql(ctx, inner)?
    };
    let materialized = match c.ctematerialized {
        pg_sys::CTEMaterialize::CTEMaterializeAlways => Some(true),
        pg_sys::CTEMaterialize::CTEMaterializeNever => Some(false),
        _ => None,
    };
    Ok(Cte { name: format!("w{}_{index}", ctx.level(0)?.id), sql, materialized })
}

unsafe fn leftmost_rtindex(node: *mut pg_sys::Node) -> u32 {
    let mut n = node;
    while (*n).type_ == pg_sys::NodeTag::T_SetOperationStmt {
        n = (*(n as *mut pg_sys::SetOperationStmt)).larg;
    }
    (*(n as *mut pg_sys::RangeTblRef)).rtindex as u32
}

/// A set-operation tree of the current level. Each branch is wrapped so
/// its columns are cast to the operation's column types and named
/// `o1`, `o2`, … (the names the target list and CTE references use).
unsafe fn set_operation_sql(ctx: &mut Ctx, top: *mut pg_sys::SetOperationStmt) -> Result<String, Refusal> {
    let types: Vec<(pg_sys::Oid, i32)> = {
        let t = PgList::<std::ffi::c_void>::from_pg((*top).colTypes);
        let m = PgList::<std::ffi::c_void>::from_pg((*top).colTypmods);
        (0..t.len()).map(|i| (t.get_oid(i).unwrap_or(pg_sys::InvalidOid), m.get_int(i).unwrap_or(-1))).collect()
    };
    let collations = PgList::<std::ffi::c_void>::from_pg((*top).colCollations);
    set_operation_node(ctx, top as *mut pg_sys::Node, &types, &collations)
}

unsafe fn set_operation_node(
    ctx: &mut Ctx,
    node: *mut pg_sys::Node,
    types: &[(pg_sys::Oid, i32)],
    collations: &PgList<std::ffi::c_void>,
) -> Result<String, Refusal> {
    if (*node).type_ == pg_sys::NodeTag::T_RangeTblRef {
        let index = (*(node as *mut pg_sys::RangeTblRef)).rtindex as u32;
        let rte = ctx.rte(0, index)?;
        if (*rte).rtekind != pg_sys::RTEKind::RTE_SUBQUERY {
            return refuse("a set-operation branch that is not a query");
        }
        let sub = (*rte).subquery;
        let branch = nested_sql(ctx, sub)?;
        let columns: Vec<i16> = PgList::<pg_sys::TargetEntry>::from_pg((*sub).targetList)
            .iter_ptr()
            .filter(|t| !(**t).resjunk)
            .map(|t| (*t).resno)
            .collect();
        if columns.len() != types.len() {
            return refuse("a set-operation branch with a different column count");
        }
        let mut wrap = Select { from: vec![From::Subquery { sql: branch, alias: "s".into() }], ..Default::default() };
        for (i, (resno, (typid, typmod))) in columns.iter().zip(types).enumerate() {
            let ty = duck_type(*typid, *typmod)?;
            wrap.targets.push((
                Expr::Cast { arg: Box::new(Expr::column("s", &output_name(*resno))), ty },
                output_name(i as i16 + 1),
            ));
        }
        return Ok(wrap.render());
    }
    let s = &*(node as *mut pg_sys::SetOperationStmt);
    let op = match s.op {
        pg_sys::SetOperation::SETOP_UNION => SetOp::Union,
        pg_sys::SetOperation::SETOP_INTERSECT => SetOp::Intersect,
        pg_sys::SetOperation::SETOP_EXCEPT => SetOp::Except,
        _ => return refuse("an unknown set operation"),
    };
    if !(s.all && op == SetOp::Union) {
        // Duplicates are found by equality: it must agree in both systems.
        for (i, (typid, typmod)) in types.iter().enumerate() {
            expr::check_type_equality(*typid, *typmod, collations.get_oid(i).unwrap_or(pg_sys::InvalidOid))?;
        }
    }
    let left = set_operation_node(ctx, s.larg, types, collations)?;
    let right = set_operation_node(ctx, s.rarg, types, collations)?;
    Ok(sql::set_operation(op, s.all, &left, &right))
}

/// The level's WHERE: row-level security quals first, then its own
/// conditions.
pub unsafe fn where_clause(ctx: &mut Ctx) -> Result<Option<Expr>, Refusal> {
    let mut filters = security_quals(ctx)?;
    filters.extend(remaining_conditions(ctx, (*(*ctx.query()).jointree).quals)?);
    Ok(and(filters))
}

fn and(mut filters: Vec<Expr>) -> Option<Expr> {
    match filters.len() {
        0 => None,
        1 => filters.pop(),
        _ => Some(Expr::Logical { and: true, args: filters }),
    }
}

/// The conjuncts of a WHERE or ON condition that DuckDB evaluates: all but
/// those PostgreSQL applies inside heap relations' scans.
unsafe fn remaining_conditions(ctx: &mut Ctx, quals: *mut pg_sys::Node) -> Result<Vec<Expr>, Refusal> {
    let pushed: Vec<*mut pg_sys::Node> = ctx.pushed().iter().map(|&(_, c)| c).collect();
    let mut list = Vec::new();
    heap::conjuncts(quals, &mut list);
    let mut out = Vec::new();
    for c in list.into_iter().filter(|c| !pushed.contains(c)) {
        out.push(expr::deparse(ctx, c)?);
    }
    Ok(out)
}

/// Row-level security quals of the level's relations, ANDed before the
/// query's own conditions. DuckDB may evaluate conditions in any order, so
/// this is only done when the query's own conditions cannot leak values
/// (PostgreSQL's leakproof rule); otherwise PostgreSQL runs the query.
unsafe fn security_quals(ctx: &mut Ctx) -> Result<Vec<Expr>, Refusal> {
    let q = ctx.query();
    let rtable = PgList::<pg_sys::RangeTblEntry>::from_pg((*q).rtable);
    let mut quals = Vec::new();
    let mut barrier = false;
    for rte in rtable.iter_ptr() {
        // A heap relation's quals are applied by PostgreSQL in its own scan.
        if (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION && !is_duckdb_relid((*rte).relid) {
            continue;
        }
        barrier |= (*rte).security_barrier || !(*rte).securityQuals.is_null();
        for qual in PgList::<pg_sys::Node>::from_pg((*rte).securityQuals).iter_ptr() {
            quals.push(expr::deparse(ctx, qual)?);
        }
    }
    if barrier && user_conditions_leak(q) {
        return refuse("row-level security or a security_barrier view together with a condition that is not leakproof");
    }
    Ok(quals)
}

unsafe fn user_conditions_leak(q: *mut pg_sys::Query) -> bool {
    let mut conditions = vec![(*(*q).jointree).quals];
    fn joins(node: *mut pg_sys::Node, out: &mut Vec<*mut pg_sys::Node>) {
        unsafe {
            if !node.is_null() && (*node).type_ == pg_sys::NodeTag::T_JoinExpr {
                let j = node as *mut pg_sys::JoinExpr;
                out.push((*j).quals);
                joins((*j).larg, out);
                joins((*j).rarg, out);
            }
        }
    }
    for item in PgList::<pg_sys::Node>::from_pg((*(*q).jointree).fromlist).iter_ptr() {
        joins(item, &mut conditions);
    }
    conditions.push((*q).havingQual);
    conditions.into_iter().any(|c| !c.is_null() && pg_sys::contain_leaked_vars(c))
}

pub unsafe fn from_item(ctx: &mut Ctx, node: *mut pg_sys::Node) -> Result<From, Refusal> {
    match (*node).type_ {
        pg_sys::NodeTag::T_RangeTblRef => {
            let index = (*(node as *mut pg_sys::RangeTblRef)).rtindex as u32;
            let rte = ctx.rte(0, index)?;
            let alias = ctx.alias(0, index)?;
            if (*rte).lateral {
                return refuse("LATERAL");
            }
            match (*rte).rtekind {
                pg_sys::RTEKind::RTE_RELATION => {
                    if !is_duckdb_relid((*rte).relid) {
                        return heap_relation(ctx, index, rte, alias);
                    }
                    if !(*rte).tablesample.is_null() {
                        return refuse("TABLESAMPLE");
                    }
                    if (*rte).inh && has_children((*rte).relid) {
                        return refuse("a table with inheritance children");
                    }
                    let (_, filenode, _) = relation_info((*rte).relid).ok_or("a dropped table")?;
                    Ok(From::Table { name: naming::table_name(filenode), alias })
                }
                pg_sys::RTEKind::RTE_SUBQUERY => Ok(From::Subquery { sql: nested_sql(ctx, (*rte).subquery)?, alias }),
                pg_sys::RTEKind::RTE_CTE => {
                    let (name, _) = ctx.cte((*rte).ctelevelsup, CStr::from_ptr((*rte).ctename))?;
                    Ok(From::Table { name, alias })
                }
                pg_sys::RTEKind::RTE_VALUES => Ok(From::Subquery { sql: values_sql(ctx, rte)?, alias }),
                pg_sys::RTEKind::RTE_FUNCTION => refuse("a function in FROM"),
                _ => refuse("a FROM item of an unsupported kind"),
            }
        }
        pg_sys::NodeTag::T_JoinExpr => {
            let j = &*(node as *mut pg_sys::JoinExpr);
            let kind = match j.jointype {
                pg_sys::JoinType::JOIN_INNER => JoinKind::Inner,
                pg_sys::JoinType::JOIN_LEFT => JoinKind::Left,
                pg_sys::JoinType::JOIN_RIGHT => JoinKind::Right,
                pg_sys::JoinType::JOIN_FULL => JoinKind::Full,
                _ => return refuse("a semi- or anti-join"),
            };
            let left = from_item(ctx, j.larg)?;
            let right = from_item(ctx, j.rarg)?;
            let on = and(remaining_conditions(ctx, j.quals)?).unwrap_or(Expr::Bool(true));
            Ok(From::Join { kind, left: Box::new(left), right: Box::new(right), on })
        }
        _ => refuse("a FROM item of an unsupported kind"),
    }
}

/// A PostgreSQL relation DuckDB reads through `pg_heap(k)` (see heap.rs).
unsafe fn heap_relation(ctx: &mut Ctx, index: u32, rte: *mut pg_sys::RangeTblEntry, alias: String) -> Result<From, Refusal> {
    if !crate::gucs::HEAP_SCANS.get() {
        return refuse("a heap table (duckam.heap_scans is off)");
    }
    let source = heap::scan_source(ctx, index, rte)?;
    ctx.heap_scans.push(source);
    Ok(From::Function { call: format!("pg_heap({})", ctx.heap_scans.len() - 1), alias })
}

/// VALUES (…), (…) with every value cast to the column's type.
unsafe fn values_sql(ctx: &mut Ctx, rte: *mut pg_sys::RangeTblEntry) -> Result<String, Refusal> {
    let types = PgList::<std::ffi::c_void>::from_pg((*rte).coltypes);
    let typmods = PgList::<std::ffi::c_void>::from_pg((*rte).coltypmods);
    let mut rows = Vec::new();
    for row in PgList::<pg_sys::List>::from_pg((*rte).values_lists).iter_ptr() {
        let mut cells = Vec::new();
        for (i, cell) in PgList::<pg_sys::Node>::from_pg(row).iter_ptr().enumerate() {
            let ty = duck_type(types.get_oid(i).unwrap_or(pg_sys::InvalidOid), typmods.get_int(i).unwrap_or(-1))?;
            cells.push(Expr::Cast { arg: Box::new(expr::deparse(ctx, cell)?), ty }.render());
        }
        rows.push(format!("({})", cells.join(", ")));
    }
    let names: Vec<String> = (1..=types.len()).map(|i| naming::quote_ident(&output_name(i as i16))).collect();
    Ok(format!("SELECT * FROM (VALUES {}) AS v({})", rows.join(", "), names.join(", ")))
}
