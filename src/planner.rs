//! The planner hook (ARCHITECTURE §5). When `duckam.execution` is not off
//! and a SELECT reads duckdb tables, the Query is deparsed *before*
//! standard planning (which rewrites the Query in place); the standard plan
//! is still built, so the PlannedStmt keeps its range table, permission
//! checks and plan-cache invalidation items, and only its plan tree is
//! replaced by a CustomScan that runs the SQL in DuckDB. A Query the
//! deparser refuses runs as planned by PostgreSQL (auto) or fails (force).

use std::ffi::c_char;

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::deparse;
use crate::error::Error;
use crate::exec;
use crate::gucs::{self, Execution};

static mut PREV_PLANNER: pg_sys::planner_hook_type = None;

pub fn init() {
    unsafe {
        PREV_PLANNER = pg_sys::planner_hook;
        pg_sys::planner_hook = Some(planner);
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn planner(
    parse: *mut pg_sys::Query,
    query_string: *const c_char,
    cursor_options: i32,
    bound_params: pg_sys::ParamListInfo,
) -> *mut pg_sys::PlannedStmt {
    let mode = gucs::EXECUTION.get();
    // Only reads are taken; writes go through the access method (INSERT,
    // COPY) or are refused by it (UPDATE/DELETE until pushdown exists).
    let is_select = (*parse).commandType == pg_sys::CmdType::CMD_SELECT;
    let attempt = if mode != Execution::Off && is_select && deparse::touches_duckdb(parse) {
        // Deparse now: planning scribbles on the Query. The result holds
        // its own copies of the expressions it needs.
        Some(deparse::deparse(parse))
    } else {
        None
    };
    let stmt = match PREV_PLANNER {
        Some(prev) => prev(parse, query_string, cursor_options, bound_params),
        None => pg_sys::standard_planner(parse, query_string, cursor_options, bound_params),
    };
    match attempt {
        None => stmt,
        Some(Ok(deparsed)) => {
            exec::install(stmt, &deparsed, cursor_options);
            stmt
        }
        Some(Err(construct)) => {
            if mode == Execution::Force {
                Error::unsupported(format!("this query cannot run in DuckDB: it uses {construct}"))
                    .with_hint("SET duckam.execution = auto to let PostgreSQL run such queries.")
                    .report();
            }
            pgrx::ereport!(
                gucs::fallback_level(),
                pgrx::PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
                format!("pg_duckam: query runs in PostgreSQL, not DuckDB: it uses {construct}")
            );
            stmt
        }
    }
}
