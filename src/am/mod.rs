//! The `duckdb` table access method: handler, routine table, and the
//! relation-level helpers the other modules share.

mod insert;
mod scan;
mod storage;
pub mod unsupported;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use duckam_logic::naming;
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::Result;
use crate::types::{self, Column};


/// The routine table PostgreSQL calls through. Callbacks we cannot honour
/// raise feature_not_supported (see unsupported.rs) instead of being NULL,
/// so no code path can crash on a missing callback.
static ROUTINE: pg_sys::TableAmRoutine = pg_sys::TableAmRoutine {
    type_: pg_sys::NodeTag::T_TableAmRoutine,
    slot_callbacks: Some(scan::slot_callbacks),
    scan_begin: Some(scan::scan_begin),
    scan_end: Some(scan::scan_end),
    scan_rescan: Some(scan::scan_rescan),
    scan_getnextslot: Some(scan::scan_getnextslot),
    scan_set_tidrange: None,
    scan_getnextslot_tidrange: None,
    parallelscan_estimate: Some(unsupported::parallelscan_estimate),
    parallelscan_initialize: Some(unsupported::parallelscan_initialize),
    parallelscan_reinitialize: Some(unsupported::parallelscan_reinitialize),
    index_fetch_begin: Some(unsupported::index_fetch_begin),
    index_fetch_reset: Some(unsupported::index_fetch_reset),
    index_fetch_end: Some(unsupported::index_fetch_end),
    index_fetch_tuple: Some(unsupported::index_fetch_tuple),
    tuple_fetch_row_version: Some(insert::tuple_fetch_row_version),
    tuple_tid_valid: Some(unsupported::tuple_tid_valid),
    tuple_get_latest_tid: Some(unsupported::tuple_get_latest_tid),
    tuple_satisfies_snapshot: Some(insert::tuple_satisfies_snapshot),
    index_delete_tuples: Some(unsupported::index_delete_tuples),
    tuple_insert: Some(insert::tuple_insert),
    tuple_insert_speculative: Some(unsupported::tuple_insert_speculative),
    tuple_complete_speculative: Some(unsupported::tuple_complete_speculative),
    multi_insert: Some(insert::multi_insert),
    tuple_delete: Some(unsupported::tuple_delete),
    tuple_update: Some(unsupported::tuple_update),
    tuple_lock: Some(unsupported::tuple_lock),
    finish_bulk_insert: Some(insert::finish_bulk_insert),
    relation_set_new_filenode: Some(storage::relation_set_new_filenode),
    relation_nontransactional_truncate: Some(storage::relation_nontransactional_truncate),
    relation_copy_data: Some(storage::relation_copy_data),
    relation_copy_for_cluster: Some(storage::relation_copy_for_cluster),
    relation_vacuum: Some(storage::relation_vacuum),
    scan_analyze_next_block: Some(scan::scan_analyze_next_block),
    scan_analyze_next_tuple: Some(scan::scan_analyze_next_tuple),
    index_build_range_scan: Some(unsupported::index_build_range_scan),
    index_validate_scan: Some(unsupported::index_validate_scan),
    relation_size: Some(storage::relation_size),
    relation_needs_toast_table: Some(storage::relation_needs_toast_table),
    relation_toast_am: None,
    relation_fetch_toast_slice: None,
    relation_estimate_size: Some(storage::relation_estimate_size),
    scan_bitmap_next_block: Some(unsupported::scan_bitmap_next_block),
    scan_bitmap_next_tuple: Some(unsupported::scan_bitmap_next_tuple),
    scan_sample_next_block: Some(unsupported::scan_sample_next_block),
    scan_sample_next_tuple: Some(unsupported::scan_sample_next_tuple),
};

/// `duckam.duckdb_am_handler(internal)`: the access method's handler.
#[no_mangle]
#[pg_guard]
pub unsafe extern "C-unwind" fn duckdb_am_handler(_fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    pg_sys::Datum::from(&ROUTINE as *const pg_sys::TableAmRoutine)
}

#[no_mangle]
pub extern "C" fn pg_finfo_duckdb_am_handler() -> &'static pg_sys::Pg_finfo_record {
    static V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

pgrx::extension_sql!(
    r#"
CREATE FUNCTION duckdb_am_handler(internal) RETURNS table_am_handler
    LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'duckdb_am_handler';
CREATE ACCESS METHOD duckdb TYPE TABLE HANDLER duckdb_am_handler;
COMMENT ON ACCESS METHOD duckdb IS 'columnar tables stored in the database''s embedded DuckDB file';
"#,
    name = "duckdb_access_method",
    bootstrap
);

/// OID of the `duckdb` access method in this database, if installed.
pub fn access_method_oid() -> pg_sys::Oid {
    unsafe { pg_sys::get_am_oid(c"duckdb".as_ptr(), true) }
}

pub fn storage_of(rel: pg_sys::Relation) -> u32 {
    unsafe { (*rel).rd_node.relNode.to_u32() }
}

pub fn table_of(rel: pg_sys::Relation) -> String {
    naming::table_name(storage_of(rel))
}

pub fn quoted_table_of(rel: pg_sys::Relation) -> String {
    naming::quote_ident(&table_of(rel))
}

type Fingerprint = Vec<(u32, i32, bool)>;

thread_local! {
    /// Column conversion plans per relation, checked against the tuple
    /// descriptor on each use so ALTER TABLE is always seen.
    static COLUMNS: RefCell<HashMap<(u32, u32), (Fingerprint, Rc<Vec<Column>>)>> = RefCell::new(HashMap::new());
}

fn fingerprint(desc: pg_sys::TupleDesc) -> Fingerprint {
    unsafe {
        (0..(*desc).natts as usize)
            .map(|i| {
                let a = &*(*desc).attrs.as_ptr().add(i);
                (a.atttypid.to_u32(), a.atttypmod, a.attisdropped)
            })
            .collect()
    }
}

/// The stored columns of `rel`, cached.
pub fn columns_of(rel: pg_sys::Relation) -> Result<Rc<Vec<Column>>> {
    columns_for(rel, unsafe { (*rel).rd_att })
}

/// The stored columns of `rel` as described by `desc`. Scans use the
/// descriptor of the slot they fill: during a table rewrite (ALTER COLUMN
/// TYPE) the relation already has its new descriptor while the DuckDB table
/// still holds the old one, which is the one the slot carries.
pub fn columns_for(rel: pg_sys::Relation, desc: pg_sys::TupleDesc) -> Result<Rc<Vec<Column>>> {
    let key = unsafe { ((*rel).rd_id.to_u32(), storage_of(rel)) };
    let fp = fingerprint(desc);
    if let Some(hit) = COLUMNS.with(|c| c.borrow().get(&key).filter(|(f, _)| *f == fp).map(|(_, cols)| cols.clone())) {
        return Ok(hit);
    }
    let cols = Rc::new(types::descriptor_columns(desc)?);
    COLUMNS.with(|c| c.borrow_mut().insert(key, (fp, cols.clone())));
    Ok(cols)
}
