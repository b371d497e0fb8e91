//! Storage lifecycle: one DuckDB table per relfilenode (ARCHITECTURE §2).
//! A new relfilenode (CREATE, TRUNCATE, rewrites) creates a new DuckDB table
//! inside the DuckDB transaction, so an abort removes it; the old one is
//! dropped only after PostgreSQL commits. A zero-length file is created at
//! the relfilenode's path so PostgreSQL's own relfilenode allocation never
//! hands out a number still in use by a duckdb table.

use duckam_logic::naming;
use pgrx::pg_sys;
use pgrx::prelude::*;

use super::{columns_of, quoted_table_of, storage_of};
use crate::engine;
use crate::error::{Error, OrReport, Result};
use crate::types;

fn create_storage(rel: pg_sys::Relation, newrnode: &pg_sys::RelFileNode, persistence: i8) -> Result<()> {
    if persistence != pg_sys::RELPERSISTENCE_PERMANENT as i8 {
        let what = if persistence == pg_sys::RELPERSISTENCE_TEMP as i8 { "temporary" } else { "unlogged" };
        return Err(Error::unsupported(format!("{what} duckdb tables are not supported"))
            .with_hint("Create a permanent table USING duckdb, or use a heap table."));
    }
    let default_space = unsafe { pg_sys::MyDatabaseTableSpace };
    if newrnode.spcNode != default_space {
        return Err(Error::unsupported("duckdb tables cannot be placed in a tablespace")
            .with_hint("duckdb tables live in the database's DuckDB file under $PGDATA/pg_duckam."));
    }
    let columns = types::relation_columns(rel)?;
    let storage = newrnode.relNode.to_u32();
    let table = naming::quote_ident(&naming::table_name(storage));
    // A table of that name can only be an orphan left by a crash between
    // the DuckDB and the PostgreSQL commit: nothing references it.
    engine::write(storage, &format!("DROP TABLE IF EXISTS {table}"))?;
    engine::write(storage, &types::create_table_sql(&naming::table_name(storage), &columns))?;
    engine::note_created(storage);
    let old = storage_of(rel);
    if old != storage && old != 0 {
        engine::drop_after_commit(old);
    }
    unsafe {
        let srel = pg_sys::RelationCreateStorage(*newrnode, persistence as _, true);
        pg_sys::smgrclose(srel);
    }
    Ok(())
}

#[pg_guard]
pub unsafe extern "C-unwind" fn relation_set_new_filenode(
    rel: pg_sys::Relation,
    newrnode: *const pg_sys::RelFileNode,
    persistence: std::ffi::c_char,
    freeze_xid: *mut pg_sys::TransactionId,
    minmulti: *mut pg_sys::MultiXactId,
) {
    *freeze_xid = pg_sys::InvalidTransactionId;
    *minmulti = pg_sys::InvalidTransactionId;
    create_storage(rel, &*newrnode, persistence as i8).or_report()
}

/// TRUNCATE of a table created (or truncated) in the same transaction.
#[pg_guard]
pub unsafe extern "C-unwind" fn relation_nontransactional_truncate(rel: pg_sys::Relation) {
    let storage = storage_of(rel);
    engine::discard_buffer(storage);
    engine::write(storage, &format!("DELETE FROM {}", quoted_table_of(rel))).or_report();
}

#[pg_guard]
pub unsafe extern "C-unwind" fn relation_copy_data(_rel: pg_sys::Relation, _newrnode: *const pg_sys::RelFileNode) {
    Error::unsupported("ALTER TABLE ... SET TABLESPACE is not supported on duckdb tables").report()
}

/// VACUUM FULL and CLUSTER: copy the rows into the new relfilenode's table
/// inside DuckDB.
#[pg_guard]
pub unsafe extern "C-unwind" fn relation_copy_for_cluster(
    old: pg_sys::Relation,
    new: pg_sys::Relation,
    old_index: pg_sys::Relation,
    _use_sort: bool,
    _oldest_xmin: pg_sys::TransactionId,
    _xid_cutoff: *mut pg_sys::TransactionId,
    _multi_cutoff: *mut pg_sys::MultiXactId,
    num_tuples: *mut f64,
    tups_vacuumed: *mut f64,
    tups_recently_dead: *mut f64,
) {
    if !old_index.is_null() {
        Error::unsupported("CLUSTER is not supported on duckdb tables").report()
    }
    let columns = columns_of(new).or_report();
    let list = types::select_list(&columns);
    let sql = format!("INSERT INTO {} ({list}) SELECT {list} FROM {}", quoted_table_of(new), quoted_table_of(old));
    let n = engine::write(storage_of(new), &sql).or_report();
    *num_tuples = n as f64;
    *tups_vacuumed = 0.0;
    *tups_recently_dead = 0.0;
}

/// Plain VACUUM: DuckDB reclaims space itself at checkpoints.
#[pg_guard]
pub unsafe extern "C-unwind" fn relation_vacuum(
    _rel: pg_sys::Relation,
    _params: *mut pg_sys::VacuumParams,
    _bstrategy: pg_sys::BufferAccessStrategy,
) {
}

/// The PostgreSQL-side file is always empty; the data is in DuckDB. For
/// ANALYZE (the one caller that matters for duckdb tables; the planner
/// asks relation_estimate_size) the main fork reports one pseudo-block per
/// row: ANALYZE's block sampler then visits as many blocks as it wants
/// rows, and scan.rs serves each with a row of DuckDB's sample, so
/// pg_class.reltuples comes out as the row count.
#[pg_guard]
pub unsafe extern "C-unwind" fn relation_size(rel: pg_sys::Relation, fork: pg_sys::ForkNumber::Type) -> u64 {
    if fork != pg_sys::ForkNumber::MAIN_FORKNUM {
        return 0;
    }
    let rows = engine::query_i64(&format!("SELECT count(*)::BIGINT FROM {}", quoted_table_of(rel))).or_report();
    // at most MaxBlockNumber blocks
    rows.clamp(0, 0xFFFF_FFFE) as u64 * pg_sys::BLCKSZ as u64
}

#[pg_guard]
pub unsafe extern "C-unwind" fn relation_needs_toast_table(_rel: pg_sys::Relation) -> bool {
    false
}

/// Row count from DuckDB, so the planner sees the real size.
#[pg_guard]
pub unsafe extern "C-unwind" fn relation_estimate_size(
    rel: pg_sys::Relation,
    attr_widths: *mut i32,
    pages: *mut pg_sys::BlockNumber,
    tuples: *mut f64,
    allvisfrac: *mut f64,
) {
    let rows = if crate::planner::planning_for_duckdb() {
        // The plan will be replaced by a DuckDB scan: last ANALYZE's count
        // (or a nominal one) is enough for the EXPLAIN estimate.
        let known = (*(*rel).rd_rel).reltuples;
        if known > 0.0 { known as i64 } else { 1000 }
    } else {
        engine::query_i64(&format!("SELECT count(*)::BIGINT FROM {}", quoted_table_of(rel))).or_report()
    };
    let width = pg_sys::get_rel_data_width(rel, attr_widths).max(1) as f64;
    *tuples = rows as f64;
    // Columnar and compressed: charge a tenth of the row-store pages.
    *pages = if rows == 0 { 0 } else { ((rows as f64 * width / pg_sys::BLCKSZ as f64) / 10.0).ceil().max(1.0) as u32 };
    *allvisfrac = 1.0;
}
