//! SQL-callable functions of the extension (schema duckam).

use duckam_logic::naming;
use pgrx::prelude::*;

use crate::engine::{self, Access};
use crate::error::{Error, OrReport, Result};

/// Version of the embedded DuckDB library.
#[pg_extern]
fn duckdb_version() -> String {
    engine::ffi::library_version()
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
    let sql = "SELECT table_name FROM duckdb_tables() WHERE database_name = 'pgdb' AND schema_name = 'main' ORDER BY table_name";
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
    if unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 } {
        return Err(Error::new(
            PgSqlErrorCode::ERRCODE_ACTIVE_SQL_TRANSACTION,
            "duckam.cleanup_orphans() must run under READ COMMITTED",
        )
        .with_hint("It must see every table committed before it took the writer lock."));
    }
    if !engine::database_path(unsafe { pg_sys::MyDatabaseId }).exists() {
        return Ok(Vec::new());
    }
    // The writer lock first, then a fresh catalog snapshot: no table can be
    // created or committed concurrently after this point.
    engine::begin(Access::Write)?;
    let live = live_relfilenodes()?;
    let tables = table_names(Access::Write)?;
    let mut dropped = Vec::new();
    for t in tables {
        if let Some(n) = naming::relfilenode_of(&t) {
            if !live.contains(&n) {
                engine::write(n, &format!("DROP TABLE {}", naming::quote_ident(&t)))?;
                dropped.push(t);
            }
        }
    }
    Ok(dropped)
}
