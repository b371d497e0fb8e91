//! pg_duckam: a `duckdb` table access method for PostgreSQL. Tables created
//! `USING duckdb` are stored in the database's embedded DuckDB file.
//! Design: docs/design.md.

use pgrx::pg_sys;
use pgrx::prelude::*;

mod am;
mod ddl;
mod deparse;
mod engine;
mod engine_server;
mod error;
mod exec;
mod functions;
mod gucs;
mod hooks;
mod keys;
mod owned;
mod planner;
mod reader;
mod shmem;
mod types;

pgrx::pg_module_magic!();

pgrx::extension_sql!(
    r#"COMMENT ON SCHEMA duckam IS 'pg_duckam: functions of the duckdb table access method';"#,
    name = "schema_comment",
    requires = ["duckdb_access_method"]
);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        error::Error::new(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "pg_duckam must be loaded via shared_preload_libraries",
        )
        .with_hint("Add pg_duckam to shared_preload_libraries in postgresql.conf and restart PostgreSQL.")
        .report();
    }
    gucs::init();
    unsafe { pg_sys::MarkGUCPrefixReserved(c"duckam".as_ptr()) };
    shmem::init();
    engine_server::register();
    engine::xact::init();
    hooks::init();
    ddl::init();
    planner::init();
}
