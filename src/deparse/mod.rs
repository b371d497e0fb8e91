//! Deparser: an analyzed PostgreSQL Query → DuckDB SQL (crates/logic sql
//! tree). It accepts only constructs whose DuckDB semantics match
//! PostgreSQL's exactly; anything else is refused with the construct's name
//! and the query runs through PostgreSQL's executor instead.
//!
//! Covered so far: SELECT over duckdb tables (comma joins and inner/outer
//! JOIN … ON), WHERE, GROUP BY, HAVING, DISTINCT, ORDER BY … NULLS
//! FIRST/LAST, LIMIT/OFFSET; columns, constants, comparisons, integer
//! + - *, text ||, AND/OR/NOT, IS [NOT] NULL; count, min, max, sum.

mod expr;

use std::ffi::CStr;

use duckam_logic::naming;
use duckam_logic::sql::{From, JoinKind, OrderItem, Select};
use pgrx::pg_sys;
use pgrx::PgList;

use crate::hooks::{is_duckdb_relid, relation_info};

unsafe extern "C-unwind" {
    // catalog/pg_inherits.h, not in pgrx's bindings
    fn has_subclass(relid: pg_sys::Oid) -> bool;
}

/// Why a query cannot run in DuckDB: the construct, in words.
pub type Refusal = String;

pub(crate) fn refuse<T>(what: impl Into<String>) -> Result<T, Refusal> {
    Err(what.into())
}

/// Does the query read any duckdb table (at any level we look at)?
pub unsafe fn touches_duckdb(q: *mut pg_sys::Query) -> bool {
    let rtable = PgList::<pg_sys::RangeTblEntry>::from_pg((*q).rtable);
    rtable.iter_ptr().any(|rte| match (*rte).rtekind {
        pg_sys::RTEKind::RTE_RELATION => is_duckdb_relid((*rte).relid),
        pg_sys::RTEKind::RTE_SUBQUERY => !(*rte).subquery.is_null() && touches_duckdb((*rte).subquery),
        _ => false,
    }) || PgList::<pg_sys::CommonTableExpr>::from_pg((*q).cteList).iter_ptr().any(|cte| {
        let inner = (*cte).ctequery as *mut pg_sys::Query;
        !inner.is_null() && (*inner).type_ == pg_sys::NodeTag::T_Query && touches_duckdb(inner)
    })
}

/// One output column of the deparsed query.
pub struct Output {
    pub tle: *mut pg_sys::TargetEntry,
}

pub struct Deparsed {
    pub sql: String,
    /// The query's non-junk target entries, in output order.
    pub outputs: Vec<Output>,
}

pub(crate) struct Ctx {
    pub q: *mut pg_sys::Query,
}

impl Ctx {
    pub unsafe fn rte(&self, index: u32) -> Result<*mut pg_sys::RangeTblEntry, Refusal> {
        PgList::<pg_sys::RangeTblEntry>::from_pg((*self.q).rtable)
            .get_ptr(index as usize - 1)
            .ok_or_else(|| "a reference outside the range table".to_string())
    }
}

pub fn alias(index: u32) -> String {
    format!("t{index}")
}

pub unsafe fn deparse(q: *mut pg_sys::Query) -> Result<Deparsed, Refusal> {
    let qr = &*q;
    if qr.commandType != pg_sys::CmdType::CMD_SELECT || !qr.utilityStmt.is_null() {
        return refuse("a statement other than SELECT");
    }
    let checks: [(bool, &str); 12] = [
        (qr.hasWindowFuncs, "window functions"),
        (qr.hasTargetSRFs, "set-returning functions"),
        (qr.hasSubLinks, "subqueries in expressions"),
        (qr.hasDistinctOn, "DISTINCT ON"),
        (qr.hasRecursive, "WITH RECURSIVE"),
        (qr.hasModifyingCTE, "data-modifying WITH"),
        (qr.hasForUpdate, "FOR UPDATE/SHARE"),
        (qr.hasRowSecurity, "row-level security"),
        (!qr.cteList.is_null(), "WITH (common table expressions)"),
        (!qr.setOperations.is_null(), "UNION/INTERSECT/EXCEPT"),
        (!qr.groupingSets.is_null(), "GROUPING SETS/ROLLUP/CUBE"),
        (qr.limitOption == pg_sys::LimitOption::LIMIT_OPTION_WITH_TIES, "FETCH … WITH TIES"),
    ];
    if let Some((_, what)) = checks.iter().find(|(hit, _)| *hit) {
        return refuse(*what);
    }
    let ctx = Ctx { q };
    let mut select = Select::default();

    let from = PgList::<pg_sys::Node>::from_pg((*qr.jointree).fromlist);
    if from.is_empty() {
        return refuse("a query without FROM");
    }
    for item in from.iter_ptr() {
        select.from.push(from_item(&ctx, item)?);
    }
    if !(*qr.jointree).quals.is_null() {
        select.filter = Some(expr::deparse(&ctx, (*qr.jointree).quals)?);
    }

    let tlist = PgList::<pg_sys::TargetEntry>::from_pg(qr.targetList);
    let mut outputs = Vec::new();
    for tle in tlist.iter_ptr() {
        if (*tle).resjunk {
            continue;
        }
        let e = expr::deparse_output(&ctx, (*tle).expr as *mut pg_sys::Node)?;
        select.targets.push((e, format!("o{}", outputs.len() + 1)));
        outputs.push(Output { tle });
    }
    if outputs.is_empty() {
        return refuse("a query without output columns");
    }

    for sgc in PgList::<pg_sys::SortGroupClause>::from_pg(qr.groupClause).iter_ptr() {
        select.group_by.push(expr::deparse(&ctx, sort_group_expr(q, sgc)?)?);
    }
    if !qr.havingQual.is_null() {
        select.having = Some(expr::deparse(&ctx, qr.havingQual)?);
    }
    if !qr.distinctClause.is_null() {
        select.distinct = true;
    }
    for sgc in PgList::<pg_sys::SortGroupClause>::from_pg(qr.sortClause).iter_ptr() {
        let node = sort_group_expr(q, sgc)?;
        let op = CStr::from_ptr(pg_sys::get_opname((*sgc).sortop)).to_string_lossy().into_owned();
        let descending = match op.as_str() {
            "<" => false,
            ">" => true,
            _ => return refuse("ORDER BY with a non-default ordering operator"),
        };
        expr::check_orderable(node)?;
        select.order_by.push(OrderItem { expr: expr::deparse(&ctx, node)?, descending, nulls_first: (*sgc).nulls_first });
    }
    if !qr.limitCount.is_null() {
        select.limit = expr::limit(&ctx, qr.limitCount)?;
    }
    if !qr.limitOffset.is_null() {
        select.offset = expr::limit(&ctx, qr.limitOffset)?;
    }
    Ok(Deparsed { sql: select.render(), outputs })
}

unsafe fn sort_group_expr(q: *mut pg_sys::Query, sgc: *mut pg_sys::SortGroupClause) -> Result<*mut pg_sys::Node, Refusal> {
    let tle = pg_sys::get_sortgroupref_tle((*sgc).tleSortGroupRef, (*q).targetList);
    if tle.is_null() {
        return refuse("a sort/group reference without a target");
    }
    Ok((*tle).expr as *mut pg_sys::Node)
}

unsafe fn from_item(ctx: &Ctx, node: *mut pg_sys::Node) -> Result<From, Refusal> {
    match (*node).type_ {
        pg_sys::NodeTag::T_RangeTblRef => {
            let index = (*(node as *mut pg_sys::RangeTblRef)).rtindex as u32;
            let rte = ctx.rte(index)?;
            if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION {
                return refuse("a FROM item that is not a table");
            }
            if !is_duckdb_relid((*rte).relid) {
                return refuse("a heap table joined with duckdb tables");
            }
            if !(*rte).tablesample.is_null() {
                return refuse("TABLESAMPLE");
            }
            if !(*rte).securityQuals.is_null() {
                return refuse("row-level security policies");
            }
            if (*rte).inh && pg_sys::ffi::pg_guard_ffi_boundary(|| has_subclass((*rte).relid)) {
                return refuse("a table with inheritance children");
            }
            let (_, filenode, _) = relation_info((*rte).relid).ok_or("a dropped table")?;
            Ok(From::Table { name: naming::table_name(filenode), alias: alias(index) })
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
            if !j.alias.is_null() {
                return refuse("an aliased join");
            }
            let on = if j.quals.is_null() { duckam_logic::sql::Expr::Bool(true) } else { expr::deparse(ctx, j.quals)? };
            Ok(From::Join { kind, left: Box::new(from_item(ctx, j.larg)?), right: Box::new(from_item(ctx, j.rarg)?), on })
        }
        _ => refuse("a FROM item of an unsupported kind"),
    }
}
