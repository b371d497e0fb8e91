//! Sequential scans (the fallback read path): the table is streamed out of
//! DuckDB chunk by chunk; each chunk is converted column by column into
//! Datum arrays, then handed out row by row as virtual tuples.

use std::ffi::c_void;

use pgrx::pg_sys;
use pgrx::prelude::*;

use super::{columns_for, quoted_table_of};
use crate::engine::{self, StreamId};
use crate::error::{OrReport, Result};
use crate::types::{self, Column};

#[repr(C)]
struct DuckScanDesc {
    base: pg_sys::TableScanDescData,
    state: *mut ScanState,
}

struct ScanState {
    rel: pg_sys::Relation,
    /// Chosen at the first row from the slot's descriptor.
    columns: std::rc::Rc<Vec<Column>>,
    natts: usize,
    stream: Option<StreamId>,
    done: bool,
    /// values[attr][row] of the current chunk.
    values: Vec<Vec<pg_sys::Datum>>,
    nulls: Vec<Vec<bool>>,
    row: usize,
    rows: usize,
    /// Holds the descriptor; deleted at scan_end.
    scan_cxt: pg_sys::MemoryContext,
    /// Holds by-reference Datums of the current chunk; reset per chunk.
    chunk_cxt: pg_sys::MemoryContext,
    /// Rows returned so far, for synthetic TIDs.
    returned: u64,
}

impl Drop for ScanState {
    fn drop(&mut self) {
        if let Some(id) = self.stream.take() {
            engine::close_stream(id);
        }
    }
}

pub unsafe extern "C-unwind" fn slot_callbacks(_rel: pg_sys::Relation) -> *const pg_sys::TupleTableSlotOps {
    &pg_sys::TTSOpsVirtual
}

/// Frees the Rust side of a scan when its memory context goes away
/// (scan_end, or the executor's memory after an error).
unsafe extern "C-unwind" fn free_state(arg: *mut c_void) {
    let desc = arg as *mut DuckScanDesc;
    if !(*desc).state.is_null() {
        drop(Box::from_raw((*desc).state));
        (*desc).state = std::ptr::null_mut();
    }
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
    // going away after an error) runs free_state, which drops the Rust side.
    let scan_cxt = pg_sys::AllocSetContextCreateExtended(
        pg_sys::CurrentMemoryContext,
        c"duckam scan".as_ptr(),
        pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
        pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
        pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
    );
    let chunk_cxt = pg_sys::AllocSetContextCreateExtended(
        scan_cxt,
        c"duckam scan chunk".as_ptr(),
        pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
        pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
        pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
    );
    let desc = pg_sys::MemoryContextAllocZero(scan_cxt, std::mem::size_of::<DuckScanDesc>()) as *mut DuckScanDesc;
    (*desc).base.rs_rd = rel;
    (*desc).base.rs_snapshot = snapshot;
    (*desc).base.rs_nkeys = nkeys;
    (*desc).base.rs_key = key;
    (*desc).base.rs_flags = flags;
    (*desc).base.rs_parallel = pscan;
    let state = Box::new(ScanState {
        rel,
        columns: std::rc::Rc::new(Vec::new()),
        natts: 0,
        stream: None,
        done: false,
        values: Vec::new(),
        nulls: Vec::new(),
        row: 0,
        rows: 0,
        scan_cxt,
        chunk_cxt,
        returned: 0,
    });
    (*desc).state = Box::into_raw(state);
    let cb = pg_sys::MemoryContextAllocZero(scan_cxt, std::mem::size_of::<pg_sys::MemoryContextCallback>())
        as *mut pg_sys::MemoryContextCallback;
    (*cb).func = Some(free_state);
    (*cb).arg = desc as *mut c_void;
    pg_sys::MemoryContextRegisterResetCallback(scan_cxt, cb);
    desc as pg_sys::TableScanDesc
}

#[pg_guard]
pub unsafe extern "C-unwind" fn scan_end(scan: pg_sys::TableScanDesc) {
    let desc = scan as *mut DuckScanDesc;
    if !(*desc).state.is_null() {
        // Frees the descriptor too; free_state drops the Rust side.
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
    let state = &mut *(*(scan as *mut DuckScanDesc)).state;
    if let Some(id) = state.stream.take() {
        engine::close_stream(id);
    }
    state.done = false;
    state.row = 0;
    state.rows = 0;
    state.returned = 0;
}

/// Loads the next chunk; false at the end of the table.
fn next_chunk(state: &mut ScanState, slot: *mut pg_sys::TupleTableSlot) -> Result<bool> {
    let id = match state.stream {
        Some(id) => id,
        None => {
            let desc = unsafe { (*slot).tts_tupleDescriptor };
            state.columns = columns_for(state.rel, desc)?;
            state.natts = unsafe { (*desc).natts } as usize;
            state.values = vec![Vec::new(); state.natts];
            state.nulls = vec![Vec::new(); state.natts];
            let sql = format!("SELECT {} FROM {}", types::select_list(&state.columns), quoted_table_of(state.rel));
            let id = engine::open_stream(&sql)?;
            state.stream = Some(id);
            id
        }
    };
    loop {
        let Some(chunk) = engine::next_chunk(id)? else {
            engine::close_stream(id);
            state.stream = None;
            state.done = true;
            return Ok(false);
        };
        if chunk.len() == 0 {
            continue;
        }
        unsafe {
            pg_sys::MemoryContextReset(state.chunk_cxt);
            let old = pg_sys::MemoryContextSwitchTo(state.chunk_cxt);
            let r = types::read_chunk(&state.columns, &chunk, &mut state.values, &mut state.nulls);
            pg_sys::MemoryContextSwitchTo(old);
            r?;
        }
        state.rows = chunk.len();
        state.row = 0;
        return Ok(true);
    }
}

#[pg_guard]
pub unsafe extern "C-unwind" fn scan_getnextslot(
    scan: pg_sys::TableScanDesc,
    _direction: pg_sys::ScanDirection::Type,
    slot: *mut pg_sys::TupleTableSlot,
) -> bool {
    let desc = scan as *mut DuckScanDesc;
    let state = &mut *(*desc).state;
    if state.row >= state.rows && (state.done || !next_chunk(state, slot).or_report()) {
        clear_slot(slot);
        return false;
    }
    let row = state.row;
    state.row += 1;
    clear_slot(slot);
    let values = std::slice::from_raw_parts_mut((*slot).tts_values, state.natts);
    let nulls = std::slice::from_raw_parts_mut((*slot).tts_isnull, state.natts);
    nulls.fill(true);
    for c in state.columns.iter() {
        values[c.index] = state.values[c.index][row];
        nulls[c.index] = state.nulls[c.index][row];
    }
    set_synthetic_tid(&mut (*slot).tts_tid, state.returned);
    state.returned += 1;
    pg_sys::ExecStoreVirtualTuple(slot);
    (*slot).tts_tableOid = (*(*desc).base.rs_rd).rd_id;
    true
}

pub unsafe fn clear_slot(slot: *mut pg_sys::TupleTableSlot) {
    if let Some(clear) = (*(*slot).tts_ops).clear {
        clear(slot);
    }
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
