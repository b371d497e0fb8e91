//! SQL-callable functions of the extension (schema duckam).

use duckam_logic::naming;
use pgrx::prelude::*;

use crate::engine::{self, Access};
use crate::error::{Error, OrReport, Result};

/// Version of the embedded DuckDB library.
#[pg_extern]
fn duckdb_version() -> String {
    crate::engine_server::ffi::library_version()
}

/// Bytes used by this database's DuckDB file and its WAL.
#[pg_extern]
fn storage_size() -> i64 {
    let path = engine::database_path(unsafe { pg_sys::MyDatabaseId });
    [path.clone(), path.with_extension("duckdb.wal")]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len() as i64)
        .sum()
}

fn live_relfilenodes() -> Result<Vec<u32>> {
    Spi::connect(|client| {
        let rows = client.select(
            "SELECT c.relfilenode::bigint FROM pg_catalog.pg_class c JOIN pg_catalog.pg_am a ON a.oid = c.relam \
             WHERE a.amname = 'duckdb' AND c.relfilenode <> 0",
            None,
            &[],
        )?;
        let mut out = Vec::new();
        for row in rows {
            if let Some(v) = row.get::<i64>(1)? {
                out.push(v as u32);
            }
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .map_err(|e| Error::internal(format!("catalog query failed: {e}")))
}

fn table_names(access: Access) -> Result<Vec<String>> {
    let sql = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' ORDER BY table_name";
    Ok(engine::query_text_rows(access, sql)?.into_iter().flatten().collect())
}

/// Names of the tables in this database's DuckDB file (one per relfilenode
/// of a duckdb relation, r_<relfilenode>).
#[pg_extern]
fn stored_tables() -> SetOfIterator<'static, String> {
    if !engine::database_path(unsafe { pg_sys::MyDatabaseId }).exists() {
        return SetOfIterator::new(Vec::new());
    }
    SetOfIterator::new(table_names(Access::Read).or_report())
}

/// Drops DuckDB tables that no duckdb relation references any more (left
/// by a crash between DuckDB's commit and PostgreSQL's). Returns their names.
#[pg_extern]
fn cleanup_orphans() -> SetOfIterator<'static, String> {
    SetOfIterator::new(cleanup().or_report())
}

fn cleanup() -> Result<Vec<String>> {
    let own_transaction = || {
        Error::new(PgSqlErrorCode::ERRCODE_ACTIVE_SQL_TRANSACTION, "duckam.cleanup_orphans() must run in a READ COMMITTED transaction that has not written anything")
            .with_hint("It compares a fresh DuckDB snapshot with a fresh catalog snapshot. Run it on its own.")
    };
    if unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 || pg_sys::GetCurrentTransactionIdIfAny() != pg_sys::InvalidTransactionId } {
        return Err(own_transaction());
    }
    if engine::has_written() {
        return Err(own_transaction());
    }
    if !engine::database_path(unsafe { pg_sys::MyDatabaseId }).exists() {
        return Ok(Vec::new());
    }
    // DuckDB's tables and the catalog, as of one instant: a table DuckDB
    // shows committed has its catalog row visible too (engine::snapshot).
    let snapshot = engine::snapshot::fresh_pair()?;
    let live = unsafe {
        pg_sys::PushActiveSnapshot(snapshot);
        let live = live_relfilenodes();
        pg_sys::PopActiveSnapshot();
        pg_sys::UnregisterSnapshot(snapshot);
        live?
    };
    let mut dropped = Vec::new();
    for t in table_names(Access::Read)? {
        if let Some(n) = naming::relfilenode_of(&t) {
            if !live.contains(&n) {
                engine::write(n, &format!("DROP TABLE {}", naming::quote_ident(&t)))?;
                dropped.push(t);
            }
        }
    }
    Ok(dropped)
}

/// The engine's sessions: one per backend that has used duckdb tables.
#[pg_extern]
fn engine_session_list() -> TableIterator<
    'static,
    (
        name!(pid, i32),
        name!(database, pg_sys::Oid),
        name!(state, String),
        name!(statement, Option<String>),
        name!(in_transaction, bool),
        name!(prepared_statements, i32),
    ),
> {
    let list = engine::engine_sessions().or_report();
    TableIterator::new(list.into_iter().map(|s| {
        (s.pid, pg_sys::Oid::from(s.database), s.state, s.statement, s.in_transaction, s.prepared as i32)
    }))
}

/// The engine's process, sessions, DuckDB threads and memory.
#[pg_extern]
fn engine_status() -> TableIterator<
    'static,
    (
        name!(pid, i32),
        name!(sessions, i32),
        name!(databases, i32),
        name!(duckdb_threads, i32),
        name!(os_threads, i32),
        name!(memory_limit, String),
        name!(memory_used, i64),
        name!(temp_used, i64),
        name!(rss, i64),
    ),
> {
    let s = engine::engine_status().or_report();
    TableIterator::once((
        s.pid,
        s.sessions as i32,
        s.databases as i32,
        s.threads as i32,
        s.os_threads as i32,
        s.memory_limit,
        s.memory_used as i64,
        s.temp_used as i64,
        s.rss as i64,
    ))
}

pgrx::extension_sql!(
    r#"
CREATE VIEW engine_sessions AS
    SELECT s.pid, d.datname AS database, s.state, s.statement, s.in_transaction, s.prepared_statements
    FROM engine_session_list() s LEFT JOIN pg_catalog.pg_database d ON d.oid = s.database;
COMMENT ON VIEW engine_sessions IS 'pg_duckam engine sessions: one per backend that has used duckdb tables';
REVOKE ALL ON FUNCTION engine_session_list() FROM PUBLIC;
REVOKE ALL ON FUNCTION engine_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION engine_session_list() TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION engine_status() TO pg_read_all_stats;
REVOKE ALL ON engine_sessions FROM PUBLIC;
GRANT SELECT ON engine_sessions TO pg_read_all_stats;
-- Maintenance that drops DuckDB tables: superusers (and whom they grant it).
REVOKE ALL ON FUNCTION cleanup_orphans() FROM PUBLIC;
"#,
    name = "engine_views",
    requires = [engine_session_list, engine_status, cleanup_orphans]
);
