//! The planner hook (ARCHITECTURE §5). When `duckam.execution` is not off
//! and a SELECT reads duckdb tables (or an UPDATE, DELETE or INSERT …
//! SELECT changes one, or an INSERT … SELECT into a PostgreSQL table reads
//! them), the Query is deparsed *before*
//! standard planning (which rewrites the Query in place); the standard plan
//! is still built, so the PlannedStmt keeps its range table, permission
//! checks and plan-cache invalidation items, and only its plan tree is
//! replaced by a CustomScan that runs the SQL in DuckDB. A Query the
//! deparser refuses runs as planned by PostgreSQL (auto) or fails (force);
//! an UPDATE or DELETE it refuses always fails (there is no row-by-row path).

use std::ffi::c_char;

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::deparse;
use crate::error::Error;
use crate::exec;
use crate::gucs::{self, Execution};

static mut PREV_PLANNER: pg_sys::planner_hook_type = None;

thread_local! {
    static PLANNING_FOR_DUCKDB: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Is the planner building a plan that a DuckDB scan will replace?
pub fn planning_for_duckdb() -> bool {
    PLANNING_FOR_DUCKDB.with(|p| p.get())
}

/// Sets the flag for one planner call and restores the outer value when
/// dropped (also when a PostgreSQL error unwinds through the planner).
struct PlanningForDuckdb(bool);

impl PlanningForDuckdb {
    fn enter(on: bool) -> PlanningForDuckdb {
        PlanningForDuckdb(PLANNING_FOR_DUCKDB.with(|p| p.replace(on)))
    }
}

impl Drop for PlanningForDuckdb {
    fn drop(&mut self) {
        PLANNING_FOR_DUCKDB.with(|p| p.set(self.0));
    }
}

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
    let command = (*parse).commandType;
    // What DuckDB is asked to run: reads of duckdb tables, and UPDATE /
    // DELETE / INSERT … SELECT whose target is one (an INSERT only when
    // its source reads duckdb tables; other INSERTs go through the access
    // method's buffered appends); for an INSERT … SELECT into a PostgreSQL
    // table reading duckdb tables, its SELECT.
    let upsert = command == pg_sys::CmdType::CMD_INSERT && !(*parse).onConflict.is_null() && deparse::duckdb_target(parse).is_some();
    let attempt = if mode == Execution::Off || !(*parse).utilityStmt.is_null() {
        None
    } else {
        use pg_sys::CmdType::*;
        // Deparse now: planning scribbles on the Query. The result holds
        // its own copies of the expressions it needs.
        match command {
            CMD_SELECT if deparse::touches_duckdb(parse) => Some(deparse::deparse(parse)),
            CMD_UPDATE | CMD_DELETE if deparse::duckdb_target(parse).is_some() => Some(deparse::deparse_modify(parse)),
            // INSERT … ON CONFLICT into a duckdb table runs only in DuckDB
            // (DuckDB's index decides the conflicts).
            CMD_INSERT if upsert => Some(deparse::deparse_modify(parse)),
            CMD_INSERT if deparse::source_touches_duckdb(parse) => Some(if deparse::duckdb_target(parse).is_some() {
                deparse::deparse_modify(parse)
            } else {
                deparse::deparse_insert_source(parse)
            }),
            _ => None,
        }
    };
    let must_run_in_duckdb = matches!(command, pg_sys::CmdType::CMD_UPDATE | pg_sys::CmdType::CMD_DELETE) || upsert;
    let stmt = {
        // The plan tree is about to be replaced: its row estimates need no
        // DuckDB count(*) per table (see relation_estimate_size).
        let _planning = PlanningForDuckdb::enter(matches!(attempt, Some(Ok(_))));
        match PREV_PLANNER {
            Some(prev) => prev(parse, query_string, cursor_options, bound_params),
            None => pg_sys::standard_planner(parse, query_string, cursor_options, bound_params),
        }
    };
    match attempt {
        None => stmt,
        Some(Ok(deparsed)) => {
            if command == pg_sys::CmdType::CMD_INSERT && deparsed.writes.is_none() {
                exec::install_insert_source(stmt, &deparsed);
            } else {
                exec::install(stmt, &deparsed, cursor_options);
            }
            stmt
        }
        Some(Err(construct)) => {
            if must_run_in_duckdb {
                let what = match command {
                    pg_sys::CmdType::CMD_UPDATE => "UPDATE",
                    pg_sys::CmdType::CMD_DELETE => "DELETE",
                    _ => "INSERT … ON CONFLICT",
                };
                Error::unsupported(format!("{what} on a duckdb table runs in DuckDB, and this one cannot: it uses {construct}"))
                    .with_hint(if upsert {
                        "Rewrite the statement without that construct; INSERT … ON CONFLICT on duckdb tables has no other path."
                    } else {
                        "Rewrite the statement without that construct; duckdb tables have no row-by-row UPDATE/DELETE path."
                    })
                    .report();
            }
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
