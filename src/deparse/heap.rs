//! PostgreSQL relations inside a DuckDB query (ARCHITECTURE §6). Each is
//! read through `pg_heap(k)`, which runs a small PostgreSQL plan
//! `SELECT <columns DuckDB asks for> FROM <relation> WHERE <conditions>`
//! on the backend's main thread. The conditions are the query's own
//! conditions that read only that relation and may filter its scan, so
//! PostgreSQL evaluates them and its indexes, partition pruning and
//! row-level security apply; DuckDB no longer sees them.

use pgrx::pg_sys;
use pgrx::PgList;

use super::{refuse, Ctx, Refusal};
use crate::hooks::{is_duckdb_relid, relation_info};

unsafe extern "C-unwind" {
    // catalog/pg_inherits.h, not in pgrx's bindings
    fn find_all_inheritors(relid: pg_sys::Oid, lockmode: pg_sys::LOCKMODE, parents: *mut *mut pg_sys::List) -> *mut pg_sys::List;
}

/// The conjuncts of an AND tree (a single condition is its own conjunct).
pub unsafe fn conjuncts(node: *mut pg_sys::Node, out: &mut Vec<*mut pg_sys::Node>) {
    if node.is_null() {
        return;
    }
    if (*node).type_ == pg_sys::NodeTag::T_BoolExpr {
        let b = node as *mut pg_sys::BoolExpr;
        if (*b).boolop == pg_sys::BoolExprType::AND_EXPR {
            for arg in PgList::<pg_sys::Node>::from_pg((*b).args).iter_ptr() {
                conjuncts(arg, out);
            }
            return;
        }
    }
    out.push(node);
}

/// Range-table indexes of the relations a join tree node scans whose rows
/// a condition at that node may filter before the join: both sides of an
/// inner join, the preserved side of an outer join, nothing under FULL.
unsafe fn filterable(node: *mut pg_sys::Node, out: &mut Vec<u32>) {
    match (*node).type_ {
        pg_sys::NodeTag::T_RangeTblRef => out.push((*(node as *mut pg_sys::RangeTblRef)).rtindex as u32),
        pg_sys::NodeTag::T_JoinExpr => {
            let j = &*(node as *mut pg_sys::JoinExpr);
            match j.jointype {
                pg_sys::JoinType::JOIN_INNER => {
                    filterable(j.larg, out);
                    filterable(j.rarg, out);
                }
                pg_sys::JoinType::JOIN_LEFT => filterable(j.larg, out),
                pg_sys::JoinType::JOIN_RIGHT => filterable(j.rarg, out),
                _ => {}
            }
        }
        pg_sys::NodeTag::T_FromExpr => {
            for item in PgList::<pg_sys::Node>::from_pg((*(node as *mut pg_sys::FromExpr)).fromlist).iter_ptr() {
                filterable(item, out);
            }
        }
        _ => {}
    }
}

/// The conditions of the current level that PostgreSQL applies inside a
/// heap relation's scan, as (range-table index, conjunct). A conjunct
/// qualifies when every column it reads belongs to one heap relation of
/// this level, it has no sublinks or outer references, and it sits where
/// filtering that relation's rows first gives the same join result: the
/// WHERE clause or an inner join's ON for relations not on the nullable
/// side of an outer join below it, and an outer join's ON for relations
/// of its nullable side.
pub unsafe fn pushable(ctx: &Ctx) -> Vec<(u32, *mut pg_sys::Node)> {
    let q = ctx.query();
    let mut out = Vec::new();
    if !(*q).setOperations.is_null() || (*q).jointree.is_null() {
        return out;
    }
    let mut sites = Vec::new();
    collect_sites((*q).jointree as *mut pg_sys::Node, &mut sites);
    for (quals, targets) in sites {
        let mut list = Vec::new();
        conjuncts(quals, &mut list);
        for c in list {
            let Some(r) = single_relation(c) else { continue };
            if !targets.contains(&r) {
                continue;
            }
            let Ok(rte) = ctx.rte(0, r) else { continue };
            if (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION && !is_duckdb_relid((*rte).relid) {
                out.push((r, c));
            }
        }
    }
    out
}

/// Each condition of the join tree with the relations it may filter.
unsafe fn collect_sites(node: *mut pg_sys::Node, out: &mut Vec<(*mut pg_sys::Node, Vec<u32>)>) {
    match (*node).type_ {
        pg_sys::NodeTag::T_FromExpr => {
            let f = &*(node as *mut pg_sys::FromExpr);
            let mut targets = Vec::new();
            filterable(node, &mut targets);
            out.push((f.quals, targets));
            for item in PgList::<pg_sys::Node>::from_pg(f.fromlist).iter_ptr() {
                collect_sites(item, out);
            }
        }
        pg_sys::NodeTag::T_JoinExpr => {
            let j = &*(node as *mut pg_sys::JoinExpr);
            let mut targets = Vec::new();
            match j.jointype {
                pg_sys::JoinType::JOIN_INNER => filterable(node, &mut targets),
                // ON conditions of an outer join filter its nullable side only.
                pg_sys::JoinType::JOIN_LEFT => filterable(j.rarg, &mut targets),
                pg_sys::JoinType::JOIN_RIGHT => filterable(j.larg, &mut targets),
                _ => {}
            }
            out.push((j.quals, targets));
            collect_sites(j.larg, out);
            collect_sites(j.rarg, out);
        }
        _ => {}
    }
}

/// The one range-table entry of this level whose user columns a condition
/// reads, if it reads exactly one and nothing that needs the enclosing
/// query (sublinks, outer references, aggregates, executor parameters).
unsafe fn single_relation(node: *mut pg_sys::Node) -> Option<u32> {
    struct Found {
        varno: Option<u32>,
        bad: bool,
    }
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn walk(node: *mut pg_sys::Node, cx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        let found = &mut *(cx as *mut Found);
        match (*node).type_ {
            pg_sys::NodeTag::T_Var => {
                let v = &*(node as *mut pg_sys::Var);
                if v.varlevelsup != 0 || v.varattno <= 0 || found.varno.is_some_and(|n| n != v.varno as u32) {
                    found.bad = true;
                    return true;
                }
                found.varno = Some(v.varno as u32);
                false
            }
            pg_sys::NodeTag::T_Param => {
                found.bad = (*(node as *mut pg_sys::Param)).paramkind != pg_sys::ParamKind::PARAM_EXTERN;
                found.bad
            }
            pg_sys::NodeTag::T_SubLink
            | pg_sys::NodeTag::T_Aggref
            | pg_sys::NodeTag::T_GroupingFunc
            | pg_sys::NodeTag::T_WindowFunc
            | pg_sys::NodeTag::T_PlaceHolderVar
            | pg_sys::NodeTag::T_CurrentOfExpr => {
                found.bad = true;
                true
            }
            _ => pg_sys::expression_tree_walker(node, Some(std::mem::transmute(walk as unsafe extern "C-unwind" fn(_, _) -> bool)), cx),
        }
    }
    let mut found = Found { varno: None, bad: false };
    walk(node, &mut found as *mut Found as *mut std::ffi::c_void);
    if found.bad {
        None
    } else {
        found.varno
    }
}

/// What `pg_heap(k)` reads, kept in the plan: a copy of the relation's
/// range-table entry (as index 1 of the scan's own query; its row-level
/// security quals, TABLESAMPLE and inheritance flag included, permission
/// checks left to the statement's range table) and the pushed conditions.
pub unsafe fn scan_source(ctx: &mut Ctx, index: u32, rte: *mut pg_sys::RangeTblEntry) -> Result<*mut pg_sys::Node, Refusal> {
    let (_, _, kind) = relation_info((*rte).relid).ok_or("a dropped table")?;
    if !matches!(kind, b'r' | b'm' | b'p' | b'f') {
        return refuse("a relation kind DuckDB cannot read");
    }
    if (*rte).inh && super::query::has_children((*rte).relid) {
        let all = PgList::<std::ffi::c_void>::from_pg(pg_sys::ffi::pg_guard_ffi_boundary(|| {
            find_all_inheritors((*rte).relid, pg_sys::AccessShareLock as i32, std::ptr::null_mut())
        }));
        if (0..all.len()).filter_map(|i| all.get_oid(i)).any(is_duckdb_relid) {
            return refuse("a table with duckdb tables among its partitions or inheritance children");
        }
    }
    if !(*rte).securityQuals.is_null() && super::touches_duckdb_node((*rte).securityQuals as *mut pg_sys::Node) {
        return refuse("a row-level security policy that reads a duckdb table");
    }
    let copy = pg_sys::copyObjectImpl(rte as *const std::ffi::c_void) as *mut pg_sys::RangeTblEntry;
    (*copy).requiredPerms = 0;
    (*copy).checkAsUser = pg_sys::InvalidOid;
    (*copy).selectedCols = std::ptr::null_mut();
    (*copy).insertedCols = std::ptr::null_mut();
    (*copy).updatedCols = std::ptr::null_mut();
    (*copy).extraUpdatedCols = std::ptr::null_mut();
    (*copy).rellockmode = pg_sys::AccessShareLock as i32;
    pg_sys::ChangeVarNodes((*copy).securityQuals as *mut pg_sys::Node, index as i32, 1, 0);
    let mut quals = PgList::<pg_sys::Node>::new();
    for c in ctx.pushed_conditions(index) {
        quals.push(pg_sys::copyObjectImpl(c as *const std::ffi::c_void) as *mut pg_sys::Node);
    }
    let qual = pg_sys::make_ands_explicit(quals.into_pg()) as *mut pg_sys::Node;
    pg_sys::ChangeVarNodes(qual, index as i32, 1, 0);
    let mut source = PgList::<pg_sys::Node>::new();
    source.push(copy as *mut pg_sys::Node);
    source.push(qual);
    Ok(source.into_pg() as *mut pg_sys::Node)
}
