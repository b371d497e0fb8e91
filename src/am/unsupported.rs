//! Callbacks of the table AM API that duckdb tables do not support: each
//! raises feature_not_supported with a message that names the operation.

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::Error;

fn refuse(what: &str, hint: &str) -> ! {
    let e = Error::unsupported(format!("{what} is not supported on duckdb tables"));
    if hint.is_empty() { e.report() } else { e.with_hint(hint).report() }
}

const NO_INDEX: &str = "duckdb tables are scanned column-wise by DuckDB: their PRIMARY KEY and UNIQUE constraints are DuckDB's (index access method duckdb_key), and other indexes are not supported; drop them.";
const NO_ROW_UPDATE: &str = "UPDATE and DELETE on duckdb tables run as whole statements in DuckDB; inside a data-modifying WITH, or with row locks (FOR UPDATE), they cannot.";

#[pg_guard]
pub unsafe extern "C-unwind" fn parallelscan_estimate(_rel: pg_sys::Relation) -> pg_sys::Size {
    refuse("a parallel scan", "")
}
#[pg_guard]
pub unsafe extern "C-unwind" fn parallelscan_initialize(_rel: pg_sys::Relation, _p: pg_sys::ParallelTableScanDesc) -> pg_sys::Size {
    refuse("a parallel scan", "")
}
#[pg_guard]
pub unsafe extern "C-unwind" fn parallelscan_reinitialize(_rel: pg_sys::Relation, _p: pg_sys::ParallelTableScanDesc) {
    refuse("a parallel scan", "")
}
#[pg_guard]
pub unsafe extern "C-unwind" fn index_fetch_begin(_rel: pg_sys::Relation) -> *mut pg_sys::IndexFetchTableData {
    refuse("an index scan", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn index_fetch_reset(_d: *mut pg_sys::IndexFetchTableData) {}
#[pg_guard]
pub unsafe extern "C-unwind" fn index_fetch_end(_d: *mut pg_sys::IndexFetchTableData) {}
#[pg_guard]
pub unsafe extern "C-unwind" fn index_fetch_tuple(
    _scan: *mut pg_sys::IndexFetchTableData,
    _tid: pg_sys::ItemPointer,
    _snapshot: pg_sys::Snapshot,
    _slot: *mut pg_sys::TupleTableSlot,
    _call_again: *mut bool,
    _all_dead: *mut bool,
) -> bool {
    refuse("an index scan", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_tid_valid(_scan: pg_sys::TableScanDesc, _tid: pg_sys::ItemPointer) -> bool {
    refuse("a ctid lookup", "duckdb rows have no stable ctid.")
}
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_get_latest_tid(_scan: pg_sys::TableScanDesc, _tid: pg_sys::ItemPointer) {
    refuse("a ctid lookup", "duckdb rows have no stable ctid.")
}
#[pg_guard]
pub unsafe extern "C-unwind" fn index_delete_tuples(_rel: pg_sys::Relation, _d: *mut pg_sys::TM_IndexDeleteOp) -> pg_sys::TransactionId {
    refuse("index maintenance", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_insert_speculative(
    _rel: pg_sys::Relation,
    _slot: *mut pg_sys::TupleTableSlot,
    _cid: pg_sys::CommandId,
    _options: i32,
    _bistate: *mut pg_sys::BulkInsertStateData,
    _token: u32,
) {
    refuse("INSERT ... ON CONFLICT", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_complete_speculative(
    _rel: pg_sys::Relation,
    _slot: *mut pg_sys::TupleTableSlot,
    _token: u32,
    _succeeded: bool,
) {
    refuse("INSERT ... ON CONFLICT", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_delete(
    _rel: pg_sys::Relation,
    _tid: pg_sys::ItemPointer,
    _cid: pg_sys::CommandId,
    _snapshot: pg_sys::Snapshot,
    _crosscheck: pg_sys::Snapshot,
    _wait: bool,
    _tmfd: *mut pg_sys::TM_FailureData,
    _changing_part: bool,
) -> pg_sys::TM_Result::Type {
    refuse("DELETE", NO_ROW_UPDATE)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_update(
    _rel: pg_sys::Relation,
    _otid: pg_sys::ItemPointer,
    _slot: *mut pg_sys::TupleTableSlot,
    _cid: pg_sys::CommandId,
    _snapshot: pg_sys::Snapshot,
    _crosscheck: pg_sys::Snapshot,
    _wait: bool,
    _tmfd: *mut pg_sys::TM_FailureData,
    _lockmode: *mut pg_sys::LockTupleMode::Type,
    _update_indexes: *mut bool,
) -> pg_sys::TM_Result::Type {
    refuse("UPDATE", NO_ROW_UPDATE)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_lock(
    _rel: pg_sys::Relation,
    _tid: pg_sys::ItemPointer,
    _snapshot: pg_sys::Snapshot,
    _slot: *mut pg_sys::TupleTableSlot,
    _cid: pg_sys::CommandId,
    _mode: pg_sys::LockTupleMode::Type,
    _wait_policy: pg_sys::LockWaitPolicy::Type,
    _flags: u8,
    _tmfd: *mut pg_sys::TM_FailureData,
) -> pg_sys::TM_Result::Type {
    refuse("SELECT ... FOR UPDATE/SHARE (row locking)", NO_ROW_UPDATE)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn index_build_range_scan(
    _table: pg_sys::Relation,
    _index: pg_sys::Relation,
    _info: *mut pg_sys::IndexInfo,
    _allow_sync: bool,
    _anyvisible: bool,
    _progress: bool,
    _start: pg_sys::BlockNumber,
    _num: pg_sys::BlockNumber,
    _callback: pg_sys::IndexBuildCallback,
    _state: *mut std::ffi::c_void,
    _scan: pg_sys::TableScanDesc,
) -> f64 {
    // Only an index of another method gets here (SET ACCESS METHOD
    // rebuilding a heap table's indexes); CREATE INDEX is refused up
    // front (ddl.rs).
    refuse("an index of this access method", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn index_validate_scan(
    _table: pg_sys::Relation,
    _index: pg_sys::Relation,
    _info: *mut pg_sys::IndexInfo,
    _snapshot: pg_sys::Snapshot,
    _state: *mut pg_sys::ValidateIndexState,
) {
    refuse("an index", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn scan_bitmap_next_block(_scan: pg_sys::TableScanDesc, _t: *mut pg_sys::TBMIterateResult) -> bool {
    refuse("a bitmap scan", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn scan_bitmap_next_tuple(
    _scan: pg_sys::TableScanDesc,
    _t: *mut pg_sys::TBMIterateResult,
    _slot: *mut pg_sys::TupleTableSlot,
) -> bool {
    refuse("a bitmap scan", NO_INDEX)
}
#[pg_guard]
pub unsafe extern "C-unwind" fn scan_sample_next_block(_scan: pg_sys::TableScanDesc, _s: *mut pg_sys::SampleScanState) -> bool {
    refuse("TABLESAMPLE", "")
}
#[pg_guard]
pub unsafe extern "C-unwind" fn scan_sample_next_tuple(
    _scan: pg_sys::TableScanDesc,
    _s: *mut pg_sys::SampleScanState,
    _slot: *mut pg_sys::TupleTableSlot,
) -> bool {
    refuse("TABLESAMPLE", "")
}
