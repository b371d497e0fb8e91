//! PostgreSQL hooks (each chains the previous one):
//! - object_access_hook: DROP of a duckdb relation schedules its DuckDB
//!   table for removal after commit; DROP DATABASE schedules its file; DROP
//!   of a key index drops DuckDB's index.
//! - ExecutorStart_hook: a statement that uses duckdb tables gets its DuckDB
//!   snapshot (engine::snapshot) before its scans start; UPDATE/DELETE not
//!   run by DuckDB, and MERGE, are refused before any row is touched.
//! - ExecutorFinish_hook: rows buffered for tables with keys reach DuckDB
//!   (and its duplicate check) before the statement ends.
//! - set_rel_pathlist_hook: no parallel plans over duckdb tables (workers
//!   cannot share the leader's DuckDB instance or its unflushed rows).

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgList;

use crate::engine::{self, snapshot};
use crate::error::{Error, OrReport};

static mut PREV_OBJECT_ACCESS: pg_sys::object_access_hook_type = None;
static mut PREV_EXECUTOR_START: pg_sys::ExecutorStart_hook_type = None;
static mut PREV_SET_REL_PATHLIST: pg_sys::set_rel_pathlist_hook_type = None;
static mut PREV_EXECUTOR_FINISH: pg_sys::ExecutorFinish_hook_type = None;

pub fn init() {
    unsafe {
        PREV_OBJECT_ACCESS = pg_sys::object_access_hook;
        pg_sys::object_access_hook = Some(object_access);
        PREV_EXECUTOR_START = pg_sys::ExecutorStart_hook;
        pg_sys::ExecutorStart_hook = Some(executor_start);
        PREV_EXECUTOR_FINISH = pg_sys::ExecutorFinish_hook;
        pg_sys::ExecutorFinish_hook = Some(executor_finish);
        PREV_SET_REL_PATHLIST = pg_sys::set_rel_pathlist_hook;
        pg_sys::set_rel_pathlist_hook = Some(set_rel_pathlist);
    }
}

/// (relam, relfilenode, relkind) of a relation, from the syscache.
pub fn relation_info(relid: pg_sys::Oid) -> Option<(pg_sys::Oid, u32, u8)> {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(pg_sys::SysCacheIdentifier::RELOID as i32, pg_sys::Datum::from(relid));
        if tuple.is_null() {
            return None;
        }
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_class>(tuple);
        let info = ((*form).relam, (*form).relfilenode.to_u32(), (*form).relkind as u8);
        pg_sys::ReleaseSysCache(tuple);
        Some(info)
    }
}

/// Is `relid` a table stored by the duckdb access method?
pub fn is_duckdb_relid(relid: pg_sys::Oid) -> bool {
    let am = crate::am::access_method_oid();
    am != pg_sys::InvalidOid && relation_info(relid).is_some_and(|(relam, _, kind)| relam == am && kind == b'r')
}

#[pg_guard]
unsafe extern "C-unwind" fn object_access(
    access: pg_sys::ObjectAccessType::Type,
    class_id: pg_sys::Oid,
    object_id: pg_sys::Oid,
    sub_id: i32,
    arg: *mut std::ffi::c_void,
) {
    if let Some(prev) = PREV_OBJECT_ACCESS {
        prev(access, class_id, object_id, sub_id, arg);
    }
    if class_id == pg_sys::RelationRelationId && sub_id > 0 {
        // A column was added, altered or dropped: mirror it after the command.
        if matches!(
            access,
            pg_sys::ObjectAccessType::OAT_POST_CREATE | pg_sys::ObjectAccessType::OAT_POST_ALTER | pg_sys::ObjectAccessType::OAT_DROP
        ) {
            crate::ddl::note_column_change(object_id);
        }
        return;
    }
    if access != pg_sys::ObjectAccessType::OAT_DROP {
        return;
    }
    if class_id == pg_sys::RelationRelationId && sub_id == 0 {
        let am = crate::am::access_method_oid();
        if let Some((relam, filenode, kind)) = relation_info(object_id) {
            if am != pg_sys::InvalidOid && relam == am && kind == b'r' && filenode != 0 {
                engine::drop_after_commit(filenode);
            } else if kind == b'i' && relam == crate::keys::index_am_oid() {
                crate::keys::drop_index(object_id).or_report();
            }
        }
    } else if class_id == pg_sys::DatabaseRelationId {
        engine::drop_database_after_commit(object_id);
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: i32) {
    snapshot::new_statement();
    if eflags & pg_sys::EXEC_FLAG_EXPLAIN_ONLY as i32 == 0 {
        prepare_duckdb_statement(query_desc);
    }
    match PREV_EXECUTOR_START {
        Some(prev) => prev(query_desc, eflags),
        None => pg_sys::standard_ExecutorStart(query_desc, eflags),
    }
}

/// Before AFTER triggers fire: rows the statement buffered for tables with
/// keys are checked by DuckDB now (keys.rs).
#[pg_guard]
unsafe extern "C-unwind" fn executor_finish(query_desc: *mut pg_sys::QueryDesc) {
    crate::keys::check_pending().or_report();
    match PREV_EXECUTOR_FINISH {
        Some(prev) => prev(query_desc),
        None => pg_sys::standard_ExecutorFinish(query_desc),
    }
}

const NOT_IN_DUCKDB: &str = "SET duckam.execution = auto (or force) so that DuckDB executes the statement.";

/// Refuses UPDATE/DELETE of duckdb tables that DuckDB does not run (and
/// MERGE), then gives a statement that uses duckdb tables its DuckDB
/// snapshot: `reads` unless it only appends rows through the access method.
unsafe fn prepare_duckdb_statement(query_desc: *mut pg_sys::QueryDesc) {
    let stmt = (*query_desc).plannedstmt;
    let results = PgList::<std::ffi::c_void>::from_pg((*stmt).resultRelations);
    let result_rtis: Vec<i32> = (0..results.len()).filter_map(|i| results.get_int(i)).collect();
    let rtable = PgList::<pg_sys::RangeTblEntry>::from_pg((*stmt).rtable);
    let in_duckdb = crate::exec::is_duckdb_plan((*stmt).planTree) || crate::exec::has_duckdb_source((*stmt).planTree);
    let (mut touches, mut reads, mut modifies) = (in_duckdb, in_duckdb, None);
    for (i, rte) in rtable.iter_ptr().enumerate() {
        if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION || !is_duckdb_relid((*rte).relid) {
            continue;
        }
        touches = true;
        if !result_rtis.contains(&(i as i32 + 1)) {
            reads = true;
            continue;
        }
        // UPDATE and DELETE run only inside DuckDB (the planner hook has
        // replaced the ModifyTable by a DuckDB scan); MERGE never does.
        // A SELECT here has data-modifying WITH queries: their INSERTs go
        // through the access method, which refuses row updates and deletes.
        let plan = (*stmt).planTree;
        let upsert = !in_duckdb
            && !plan.is_null()
            && (*plan).type_ == pg_sys::NodeTag::T_ModifyTable
            && (*(plan as *mut pg_sys::ModifyTable)).onConflictAction != pg_sys::OnConflictAction::ONCONFLICT_NONE;
        let refusal = match (*stmt).commandType {
            // PostgreSQL's executor looks for conflicts in btree indexes
            // only; DuckDB's index decides them (planner.rs).
            pg_sys::CmdType::CMD_INSERT if upsert && crate::keys::has_keys((*rte).relid) => {
                Some(("INSERT … ON CONFLICT on duckdb tables with keys runs only in DuckDB", NOT_IN_DUCKDB))
            }
            pg_sys::CmdType::CMD_INSERT | pg_sys::CmdType::CMD_SELECT => None,
            _ if in_duckdb => {
                modifies = Some((*rte).relid);
                None
            }
            pg_sys::CmdType::CMD_UPDATE => Some(("UPDATE on duckdb tables runs only in DuckDB", NOT_IN_DUCKDB)),
            pg_sys::CmdType::CMD_DELETE => Some(("DELETE on duckdb tables runs only in DuckDB", NOT_IN_DUCKDB)),
            _ => Some(("MERGE is not supported on duckdb tables", "Use UPDATE, DELETE and INSERT … SELECT statements instead.")),
        };
        if let Some((message, hint)) = refusal {
            Error::unsupported(message).with_hint(hint).report();
        }
    }
    if touches {
        // One read-only DuckDB query: it may run in a DuckDB transaction of its own.
        let one_query = in_duckdb && !result_rtis.iter().any(|&rti| rtable.get_ptr(rti as usize - 1).is_some_and(|rte| is_duckdb_relid((*rte).relid)));
        snapshot::statement_start(query_desc, modifies, reads, one_query).or_report();
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn set_rel_pathlist(
    root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    rti: pg_sys::Index,
    rte: *mut pg_sys::RangeTblEntry,
) {
    if let Some(prev) = PREV_SET_REL_PATHLIST {
        prev(root, rel, rti, rte);
    }
    if (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION && is_duckdb_relid((*rte).relid) {
        (*rel).consider_parallel = false;
        (*rel).partial_pathlist = std::ptr::null_mut();
    }
}
