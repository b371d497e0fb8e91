//! INSERT and COPY FROM: rows are converted into columnar batches and
//! buffered per relation (see engine::with_insert_buffer), then appended.
//! AFTER ROW triggers (and foreign keys, which are such triggers) re-read
//! inserted rows by TID, so for relations that have them a copy of each
//! inserted row is kept for the rest of the transaction.

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::pg_sys;
use pgrx::prelude::*;

use super::scan::set_synthetic_tid;
use super::{columns_of, storage_of, table_of};
use crate::engine;
use crate::error::{OrReport, Result};
use crate::types;

struct Inserted {
    lxid: u32,
    next: u64,
    rows: HashMap<(u32, u64), *mut pg_sys::HeapTupleData>,
}

thread_local! {
    static INSERTED: RefCell<Inserted> = RefCell::new(Inserted { lxid: 0, next: 1, rows: HashMap::new() });
}

fn current_lxid() -> u32 {
    unsafe { (*pg_sys::MyProc).lxid }
}

fn tid_key(tid: &pg_sys::ItemPointerData) -> u64 {
    (((tid.ip_blkid.bi_hi as u64) << 16 | tid.ip_blkid.bi_lo as u64) * 1000) + tid.ip_posid as u64 - 1
}

unsafe fn has_after_row_insert_triggers(rel: pg_sys::Relation) -> bool {
    let td = (*rel).trigdesc;
    !td.is_null() && (*td).trig_insert_after_row
}

/// Gives each inserted slot a TID and, when AFTER ROW triggers will ask
/// for them, remembers a copy of each row under its TID.
unsafe fn remember(rel: pg_sys::Relation, slots: &[*mut pg_sys::TupleTableSlot]) {
    let keep = has_after_row_insert_triggers(rel);
    INSERTED.with(|i| {
        let mut i = i.borrow_mut();
        if i.lxid != current_lxid() {
            i.lxid = current_lxid();
            i.next = 1;
            i.rows.clear();
        }
        for &slot in slots {
            let n = i.next;
            i.next += 1;
            set_synthetic_tid(&mut (*slot).tts_tid, n);
            (*slot).tts_tableOid = (*rel).rd_id;
            if keep {
                let old = pg_sys::MemoryContextSwitchTo(pg_sys::TopTransactionContext);
                let tuple = ((*(*slot).tts_ops).copy_heap_tuple.expect("slot can copy a heap tuple"))(slot);
                pg_sys::MemoryContextSwitchTo(old);
                i.rows.insert(((*rel).rd_id.to_u32(), n), tuple);
            }
        }
    });
}

/// Converts the slots' rows into the relation's insert buffer, all in one
/// visit of the buffer (COPY hands over up to 1000 rows per call).
fn insert_slots(rel: pg_sys::Relation, slots: &[*mut pg_sys::TupleTableSlot]) -> Result<()> {
    crate::ddl::ensure_reconciled(rel)?;
    let columns = columns_of(rel)?;
    let storage = storage_of(rel);
    let natts = unsafe { (*(*rel).rd_att).natts };
    engine::with_insert_buffer(
        storage,
        || (table_of(rel), types::storage_types(&columns)),
        |buf| {
            for &slot in slots {
                let (values, nulls) = unsafe {
                    if ((*slot).tts_nvalid as i32) < natts {
                        pg_sys::slot_getsomeattrs_int(slot, natts);
                    }
                    (
                        std::slice::from_raw_parts((*slot).tts_values, natts as usize),
                        std::slice::from_raw_parts((*slot).tts_isnull, natts as usize),
                    )
                };
                types::write_row(&columns, values, nulls, &mut buf.batch)?;
            }
            Ok(())
        },
    )?;
    crate::keys::note_insert(rel);
    unsafe {
        remember(rel, slots);
        pg_sys::pgstat_count_heap_insert(rel, slots.len() as i64);
    }
    Ok(())
}

/// The end of COPY FROM (and of CREATE TABLE AS): rows for tables with keys
/// are checked now.
#[pg_guard]
pub unsafe extern "C-unwind" fn finish_bulk_insert(_rel: pg_sys::Relation, _options: i32) {
    crate::keys::check_pending().or_report()
}

#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_insert(
    rel: pg_sys::Relation,
    slot: *mut pg_sys::TupleTableSlot,
    _cid: pg_sys::CommandId,
    _options: i32,
    _bistate: *mut pg_sys::BulkInsertStateData,
) {
    insert_slots(rel, &[slot]).or_report()
}

#[pg_guard]
pub unsafe extern "C-unwind" fn multi_insert(
    rel: pg_sys::Relation,
    slots: *mut *mut pg_sys::TupleTableSlot,
    nslots: i32,
    _cid: pg_sys::CommandId,
    _options: i32,
    _bistate: *mut pg_sys::BulkInsertStateData,
) {
    insert_slots(rel, std::slice::from_raw_parts(slots, nslots as usize)).or_report()
}

/// Row by TID: only rows inserted by this transaction into relations with
/// AFTER ROW triggers can be fetched.
pub fn fetch_inserted_row(rel: pg_sys::Relation, tid: &pg_sys::ItemPointerData) -> Option<*mut pg_sys::HeapTupleData> {
    INSERTED.with(|i| {
        let i = i.borrow();
        if i.lxid != current_lxid() {
            return None;
        }
        i.rows.get(&(unsafe { (*rel).rd_id.to_u32() }, tid_key(tid))).copied()
    })
}

#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_fetch_row_version(
    rel: pg_sys::Relation,
    tid: pg_sys::ItemPointer,
    _snapshot: pg_sys::Snapshot,
    slot: *mut pg_sys::TupleTableSlot,
) -> bool {
    match fetch_inserted_row(rel, &*tid) {
        Some(tuple) => {
            pg_sys::ExecForceStoreHeapTuple(tuple, slot, false);
            (*slot).tts_tableOid = (*rel).rd_id;
            (*slot).tts_tid = *tid;
            true
        }
        None => crate::error::Error::unsupported("fetching a duckdb row by ctid is not supported")
            .with_hint("Only rows inserted by the current transaction into tables with AFTER ROW triggers can be re-read.")
            .report(),
    }
}

/// Foreign-key triggers ask whether a row they were handed is still live.
/// A duckdb row reaching them was inserted by this transaction and cannot
/// have been updated or deleted since (duckdb rows are never updated in
/// place), so it is.
#[pg_guard]
pub unsafe extern "C-unwind" fn tuple_satisfies_snapshot(
    _rel: pg_sys::Relation,
    _slot: *mut pg_sys::TupleTableSlot,
    _snapshot: pg_sys::Snapshot,
) -> bool {
    true
}
