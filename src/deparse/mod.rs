//! Deparser: an analyzed PostgreSQL Query → DuckDB SQL (crates/logic sql
//! tree). It accepts only constructs whose DuckDB semantics match
//! PostgreSQL's exactly; anything else is refused with the construct's name
//! and the query runs through PostgreSQL's executor instead.
//!
//! - `query`: FROM items, joins, subqueries, CTEs, set operations, grouping,
//!   ordering, limits — one Query level at a time.
//! - `expr`: expressions, aggregates, window functions, sublinks, params.
//! - `funcs`: which PostgreSQL functions and operators map to which DuckDB
//!   spelling, and under which argument types.
//! - `output`: the top-level target list — each output is computed by DuckDB
//!   or, when only its inputs can be, finished by PostgreSQL (avg(int),
//!   numeric division, to_char, …) over DuckDB-computed columns.

mod bpchar;
mod collation;
mod expr;
mod funcs;
mod heap;
mod into_heap;
mod modify;
mod output;
mod query;
mod row_scale;

use std::ffi::c_void;

use pgrx::pg_sys;
use pgrx::PgList;

use crate::hooks::is_duckdb_relid;

pub use expr::{literal_text, type_name};
pub use output::Deparsed;

/// Why a query cannot run in DuckDB: the construct, in words.
pub type Refusal = String;

pub(crate) fn refuse<T>(what: impl Into<String>) -> Result<T, Refusal> {
    Err(what.into())
}

/// One Query level being deparsed; `id` makes its aliases unique in the
/// whole statement.
pub(crate) struct Level {
    pub q: *mut pg_sys::Query,
    pub id: usize,
    /// Conditions applied inside heap relations' scans (heap::pushable),
    /// worked out on first use.
    pushed: Option<Vec<(u32, *mut pg_sys::Node)>>,
}

/// Deparsing state: the stack of Query levels (outermost first), so Vars
/// with `varlevelsup` resolve, and the statement's parameters.
pub(crate) struct Ctx {
    levels: Vec<Level>,
    next_id: usize,
    /// PostgreSQL parameter ids with their types, in DuckDB `$n` order.
    pub params: Vec<(i32, pg_sys::Oid)>,
    /// Stand-ins for CaseTestExpr inside `CASE x WHEN …` (innermost last).
    pub case_tests: Vec<*mut pg_sys::Node>,
    /// Range-table entries (level id, index) DuckDB knows by another name
    /// than their alias: INSERT's RETURNING and ON CONFLICT name the table
    /// itself, and the proposed row is `excluded`.
    pub renamed: Vec<(usize, u32, String)>,
    /// What each `pg_heap(k)` reads (heap::scan_source), in k order.
    pub heap_scans: Vec<*mut pg_sys::Node>,
}

impl Ctx {
    fn new() -> Ctx {
        Ctx { levels: Vec::new(), next_id: 0, params: Vec::new(), case_tests: Vec::new(), renamed: Vec::new(), heap_scans: Vec::new() }
    }

    /// Runs `f` with `q` as the innermost level.
    pub fn enter<R>(&mut self, q: *mut pg_sys::Query, f: impl FnOnce(&mut Ctx) -> R) -> R {
        self.levels.push(Level { q, id: self.next_id, pushed: None });
        self.next_id += 1;
        let r = f(self);
        self.levels.pop();
        r
    }

    pub fn level(&self, up: u32) -> Result<&Level, Refusal> {
        let n = self.levels.len();
        (up as usize).checked_add(1).filter(|k| *k <= n).map(|k| &self.levels[n - k]).ok_or_else(|| "a reference to an unknown query level".to_string())
    }

    pub fn query(&self) -> *mut pg_sys::Query {
        self.levels.last().expect("a query level").q
    }

    pub unsafe fn rte(&self, up: u32, index: u32) -> Result<*mut pg_sys::RangeTblEntry, Refusal> {
        let level = self.level(up)?;
        PgList::<pg_sys::RangeTblEntry>::from_pg((*level.q).rtable)
            .get_ptr((index as usize).wrapping_sub(1))
            .ok_or_else(|| "a reference outside the range table".to_string())
    }

    /// DuckDB alias of range-table entry `index` of the level `up` levels out.
    pub fn alias(&self, up: u32, index: u32) -> Result<String, Refusal> {
        let id = self.level(up)?.id;
        match self.renamed.iter().find(|(level, i, _)| *level == id && *i == index) {
            Some((_, _, name)) => Ok(name.clone()),
            None => Ok(format!("t{id}_{index}")),
        }
    }

    /// The CTE `name` defined `up` levels out, with its DuckDB name.
    pub unsafe fn cte(&self, up: u32, name: &std::ffi::CStr) -> Result<(String, *mut pg_sys::CommonTableExpr), Refusal> {
        let level = self.level(up)?;
        let ctes = PgList::<pg_sys::CommonTableExpr>::from_pg((*level.q).cteList);
        let (index, cte) = ctes
            .iter_ptr()
            .enumerate()
            .find(|(_, c)| std::ffi::CStr::from_ptr((**c).ctename) == name)
            .ok_or("a reference to an unknown WITH query")?;
        Ok((format!("w{}_{index}", level.id), cte))
    }

    /// The expression behind column `attno` of a join range-table entry.
    pub unsafe fn join_column(rte: *mut pg_sys::RangeTblEntry, attno: i16) -> Result<*mut pg_sys::Node, Refusal> {
        PgList::<pg_sys::Node>::from_pg((*rte).joinaliasvars)
            .get_ptr((attno as usize).wrapping_sub(1))
            .filter(|p| !p.is_null())
            .ok_or_else(|| "a dropped join column".to_string())
    }

    /// The current level's conditions PostgreSQL applies inside heap
    /// relations' scans, as (range-table index, conjunct).
    pub unsafe fn pushed(&mut self) -> &[(u32, *mut pg_sys::Node)] {
        if self.levels.last().expect("a query level").pushed.is_none() {
            let found = heap::pushable(self);
            self.levels.last_mut().expect("a query level").pushed = Some(found);
        }
        self.levels.last().and_then(|l| l.pushed.as_deref()).unwrap_or(&[])
    }

    /// The conditions pushed into the scan of range-table entry `index`.
    pub unsafe fn pushed_conditions(&mut self, index: u32) -> Vec<*mut pg_sys::Node> {
        self.pushed().iter().filter(|&&(r, _)| r == index).map(|&(_, c)| c).collect()
    }

    /// The DuckDB parameter number for PostgreSQL parameter `id`.
    pub fn param(&mut self, id: i32, typid: pg_sys::Oid) -> usize {
        match self.params.iter().position(|(p, _)| *p == id) {
            Some(i) => i + 1,
            None => {
                self.params.push((id, typid));
                self.params.len()
            }
        }
    }
}

/// Deparses a whole SELECT (before planning: the planner rewrites the Query).
pub unsafe fn deparse(q: *mut pg_sys::Query) -> Result<Deparsed, Refusal> {
    let mut ctx = Ctx::new();
    ctx.enter(q, |ctx| output::top_level(ctx, q))
}

/// Deparses UPDATE / DELETE / INSERT … SELECT on a duckdb table.
pub unsafe fn deparse_modify(q: *mut pg_sys::Query) -> Result<Deparsed, Refusal> {
    let mut ctx = Ctx::new();
    ctx.enter(q, |ctx| modify::statement(ctx, q))
}

/// Deparses the SELECT of an INSERT into a PostgreSQL table; the result's
/// targets are the new row's columns (into_heap.rs).
pub unsafe fn deparse_insert_source(q: *mut pg_sys::Query) -> Result<Deparsed, Refusal> {
    into_heap::source(q)
}

/// The duckdb table a data-modifying statement changes, if any.
pub unsafe fn duckdb_target(q: *mut pg_sys::Query) -> Option<pg_sys::Oid> {
    let index = (*q).resultRelation;
    if index <= 0 {
        return None;
    }
    let rte = PgList::<pg_sys::RangeTblEntry>::from_pg((*q).rtable).get_ptr(index as usize - 1)?;
    ((*rte).rtekind == pg_sys::RTEKind::RTE_RELATION && is_duckdb_relid((*rte).relid)).then_some((*rte).relid)
}

/// Does an INSERT read a duckdb table (in its source query, VALUES or
/// sublinks) — anything besides its target?
pub unsafe fn source_touches_duckdb(q: *mut pg_sys::Query) -> bool {
    let rtable = PgList::<pg_sys::RangeTblEntry>::from_pg((*q).rtable);
    let others = rtable.iter_ptr().enumerate().filter(|(i, _)| *i as i32 + 1 != (*q).resultRelation);
    let none = std::ptr::null_mut();
    for (_, rte) in others {
        let reads = match (*rte).rtekind {
            pg_sys::RTEKind::RTE_RELATION => is_duckdb_relid((*rte).relid),
            pg_sys::RTEKind::RTE_SUBQUERY => walk_query((*rte).subquery, none),
            pg_sys::RTEKind::RTE_VALUES => walker((*rte).values_lists as *mut pg_sys::Node, none),
            pg_sys::RTEKind::RTE_FUNCTION => walker((*rte).functions as *mut pg_sys::Node, none),
            _ => false,
        };
        if reads {
            return true;
        }
    }
    walker((*q).targetList as *mut pg_sys::Node, none) || walker((*q).cteList as *mut pg_sys::Node, none)
}

/// Does an expression read a duckdb table (in a sublink)?
pub unsafe fn touches_duckdb_node(node: *mut pg_sys::Node) -> bool {
    walker(node, std::ptr::null_mut())
}

/// Does the statement read any duckdb table, anywhere (subqueries, CTEs,
/// sublinks, views already expanded by the rewriter)?
pub unsafe fn touches_duckdb(q: *mut pg_sys::Query) -> bool {
    walk_query(q, std::ptr::null_mut())
}

unsafe fn walk_query(q: *mut pg_sys::Query, cx: *mut c_void) -> bool {
    pg_sys::query_tree_walker(q, Some(std::mem::transmute(walker as unsafe extern "C-unwind" fn(_, _) -> bool)), cx, pg_sys::QTW_EXAMINE_RTES_BEFORE as i32)
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn walker(node: *mut pg_sys::Node, cx: *mut c_void) -> bool {
    if node.is_null() {
        return false;
    }
    match (*node).type_ {
        pg_sys::NodeTag::T_RangeTblEntry => {
            let rte = node as *mut pg_sys::RangeTblEntry;
            (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION && is_duckdb_relid((*rte).relid)
        }
        pg_sys::NodeTag::T_Query => walk_query(node as *mut pg_sys::Query, cx),
        _ => pg_sys::expression_tree_walker(node, Some(std::mem::transmute(walker as unsafe extern "C-unwind" fn(_, _) -> bool)), cx),
    }
}
