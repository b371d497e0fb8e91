//! Sequential scans (the fallback read path): the table is streamed out of
//! DuckDB chunk by chunk; each chunk is converted column by column into
//! Datum arrays, then handed out row by row as virtual tuples.

use pgrx::pg_sys;
use pgrx::prelude::*;

use super::{columns_for, quoted_table_of};
use crate::error::{OrReport, Result};
use crate::owned;
use crate::reader::RowReader;
use crate::types;

#[repr(C)]
struct DuckScanDesc {
    base: pg_sys::TableScanDescData,
    state: *mut ScanState,
}

struct ScanState {
    rel: pg_sys::Relation,
    /// ANALYZE's scan: a DuckDB sample, one row per pseudo-block.
    analyze: bool,
    /// ANALYZE: this pseudo-block's row has been handed out.
    block_served: bool,
    /// Configured at the first row, from the slot's descriptor.
    reader: RowReader,
    /// Holds the descriptor; deleted at scan_end.
    scan_cxt: pg_sys::MemoryContext,
}

pub unsafe extern "C-unwind" fn slot_callbacks(_rel: pg_sys::Relation) -> *const pg_sys::TupleTableSlotOps {
    &pg_sys::TTSOpsVirtual
}

#[pg_guard]
pub unsafe extern "C-unwind" fn scan_begin(
    rel: pg_sys::Relation,
    snapshot: pg_sys::Snapshot,
    nkeys: i32,
    key: *mut pg_sys::ScanKeyData,
    pscan: pg_sys::ParallelTableScanDesc,
    flags: u32,
) -> pg_sys::TableScanDesc {
    // The scan owns a memory context holding its descriptor; the per-chunk
    // context is its child. Deleting it (scan_end, or the executor's memory
    // going away after an error) drops the Rust side with it.
    let scan_cxt = pg_sys::AllocSetContextCreateExtended(
        pg_sys::CurrentMemoryContext,
        c"duckam scan".as_ptr(),
        pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
        pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
        pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
    );
    let desc = pg_sys::MemoryContextAllocZero(scan_cxt, std::mem::size_of::<DuckScanDesc>()) as *mut DuckScanDesc;
    (*desc).base.rs_rd = rel;
    (*desc).base.rs_snapshot = snapshot;
    (*desc).base.rs_nkeys = nkeys;
    (*desc).base.rs_key = key;
    (*desc).base.rs_flags = flags;
    (*desc).base.rs_parallel = pscan;
    let analyze = flags & pg_sys::ScanOptions::SO_TYPE_ANALYZE != 0;
    let state = ScanState { rel, analyze, block_served: false, reader: RowReader::new(scan_cxt), scan_cxt };
    owned::own_in_context(scan_cxt, &mut (*desc).state, state);
    desc as pg_sys::TableScanDesc
}

#[pg_guard]
pub unsafe extern "C-unwind" fn scan_end(scan: pg_sys::TableScanDesc) {
    let desc = scan as *mut DuckScanDesc;
    if !(*desc).state.is_null() {
        // Frees the descriptor too, and drops the Rust side.
        pg_sys::MemoryContextDelete((*(*desc).state).scan_cxt);
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn scan_rescan(
    scan: pg_sys::TableScanDesc,
    _key: *mut pg_sys::ScanKeyData,
    _set_params: bool,
    _allow_strat: bool,
    _allow_sync: bool,
    _allow_pagemode: bool,
) {
    (*(*(scan as *mut DuckScanDesc)).state).reader.restart();
}

#[pg_guard]
pub unsafe extern "C-unwind" fn scan_getnextslot(
    scan: pg_sys::TableScanDesc,
    _direction: pg_sys::ScanDirection::Type,
    slot: *mut pg_sys::TupleTableSlot,
) -> bool {
    next_row(&mut *(*(scan as *mut DuckScanDesc)).state, slot)
}

/// The scan's next row into `slot` (the query starts at the first).
unsafe fn next_row(state: &mut ScanState, slot: *mut pg_sys::TupleTableSlot) -> bool {
    if !state.reader.is_configured() {
        configure(state, slot).or_report();
    }
    let n = state.reader.returned;
    if !state.reader.next_into(slot).or_report() {
        return false;
    }
    set_synthetic_tid(&mut (*slot).tts_tid, n);
    (*slot).tts_tableOid = (*state.rel).rd_id;
    true
}

/// The columns come from the slot's descriptor: during a table rewrite
/// (ALTER COLUMN TYPE) the relation already has its new descriptor while
/// the DuckDB table still holds the old one, which the slot carries.
/// ANALYZE reads DuckDB's reservoir sample of the rows it will ask for.
fn configure(state: &mut ScanState, slot: *mut pg_sys::TupleTableSlot) -> Result<()> {
    let desc = unsafe { (*slot).tts_tupleDescriptor };
    let columns = columns_for(state.rel, desc)?;
    let mut sql = format!("SELECT {} FROM {}", types::select_list(&columns), quoted_table_of(state.rel));
    if state.analyze {
        sql.push_str(&format!(" USING SAMPLE reservoir({} ROWS) REPEATABLE (1)", unsafe { analyze_target_rows(state.rel) }));
    }
    state.reader.configure(sql, columns, unsafe { (*desc).natts } as usize);
    Ok(())
}

/// The rows ANALYZE samples: 300 per unit of the largest statistics
/// target of the columns (std_typanalyze's rule).
unsafe fn analyze_target_rows(rel: pg_sys::Relation) -> i64 {
    let desc = (*rel).rd_att;
    let attrs = std::slice::from_raw_parts((*desc).attrs.as_ptr(), (*desc).natts as usize);
    let target = attrs
        .iter()
        .filter(|a| !a.attisdropped)
        .map(|a| if a.attstattarget < 0 { pg_sys::default_statistics_target } else { a.attstattarget })
        .max()
        .unwrap_or(pg_sys::default_statistics_target);
    300 * target.max(1) as i64
}

/// ANALYZE's blocks (storage::relation_size reports one per row): each
/// holds the next row of DuckDB's sample.
#[pg_guard]
pub unsafe extern "C-unwind" fn scan_analyze_next_block(
    scan: pg_sys::TableScanDesc,
    _blockno: pg_sys::BlockNumber,
    _bstrategy: pg_sys::BufferAccessStrategy,
) -> bool {
    (*(*(scan as *mut DuckScanDesc)).state).block_served = false;
    true
}

#[pg_guard]
pub unsafe extern "C-unwind" fn scan_analyze_next_tuple(
    scan: pg_sys::TableScanDesc,
    _oldest: pg_sys::TransactionId,
    liverows: *mut f64,
    _deadrows: *mut f64,
    slot: *mut pg_sys::TupleTableSlot,
) -> bool {
    let state = &mut *(*(scan as *mut DuckScanDesc)).state;
    if state.block_served {
        return false;
    }
    state.block_served = true;
    if !next_row(state, slot) {
        return false;
    }
    *liverows += 1.0;
    true
}

/// duckdb rows have no physical address; TIDs only number rows of a scan
/// (or inserted rows, for AFTER ROW triggers).
pub fn set_synthetic_tid(tid: &mut pg_sys::ItemPointerData, n: u64) {
    let block = (n / 1000) as u32;
    let offset = (n % 1000) as u16 + 1;
    tid.ip_blkid.bi_hi = (block >> 16) as u16;
    tid.ip_blkid.bi_lo = (block & 0xffff) as u16;
    tid.ip_posid = offset;
}
