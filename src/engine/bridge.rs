//! Bridged queries: DuckDB queries that read PostgreSQL relations
//! (ARCHITECTURE §6). DuckDB executes the query on a thread of ours, while
//! the backend's main thread serves it: each `pg_heap(k)` call of a DuckDB
//! thread becomes a request on a channel, and the main thread fills DuckDB's
//! chunk from a PostgreSQL table scan under the statement's active snapshot
//! (so the transaction's own rows are seen). Result chunks come back on
//! another channel. The main thread never blocks inside DuckDB, so it also
//! watches for interrupts; a PostgreSQL error while filling a batch stops
//! DuckDB first and is then re-raised unchanged.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, select, unbounded, Receiver};
use duckam_logic::naming;
use pgrx::pg_sys;

use super::ffi::{Connection, DataChunk, DuckError, InterruptHandle};
use super::interrupt;
use super::tablefn::{self, FillRequest, Link};
use crate::error::{Error, Result};
use crate::types::{self, Column};

enum Outcome {
    Chunk(DataChunk),
    End,
    Failed(DuckError),
}

/// A PostgreSQL relation read by `pg_heap(k)`.
struct HeapScan {
    relid: pg_sys::Oid,
    /// Columns DuckDB can receive (others are left out of `pg_heap`).
    columns: Vec<Column>,
    rel: pg_sys::Relation,
    desc: pg_sys::TableScanDesc,
    slot: *mut pg_sys::TupleTableSlot,
    /// Per-batch memory (detoasted values); reset per batch.
    cxt: pg_sys::MemoryContext,
    /// The scan has ended (a heap scan asked again would start over).
    done: bool,
    /// The columns DuckDB asked for (fixed for a scan), on first use.
    projected: Option<Vec<Column>>,
}

/// The columns of a relation DuckDB can receive, as `pg_heap` declares them.
fn scan_columns(relid: pg_sys::Oid) -> Vec<Column> {
    unsafe {
        let rel = pg_sys::RelationIdGetRelation(relid);
        if rel.is_null() {
            return Vec::new();
        }
        let columns = types::supported_columns((*rel).rd_att);
        pg_sys::RelationClose(rel);
        columns
    }
}

pub struct Bridge {
    results: Receiver<Outcome>,
    requests: Receiver<FillRequest>,
    worker: Option<JoinHandle<()>>,
    interrupt: InterruptHandle,
    scans: Vec<HeapScan>,
}

const POLL: Duration = Duration::from_millis(20);

impl Bridge {
    /// Starts `sql` on a thread of ours; `relids[k]` is what `pg_heap(k)` reads.
    pub fn start(conn: &Connection, sql: &str, params: &[Option<String>], relids: &[pg_sys::Oid]) -> Bridge {
        let scans: Vec<HeapScan> = relids
            .iter()
            .map(|&relid| HeapScan {
                relid,
                columns: scan_columns(relid),
                rel: std::ptr::null_mut(),
                desc: std::ptr::null_mut(),
                slot: std::ptr::null_mut(),
                cxt: std::ptr::null_mut(),
                done: false,
                projected: None,
            })
            .collect();
        let (request_tx, requests) = unbounded();
        let link = Link {
            scans: scans
                .iter()
                .map(|s| s.columns.iter().map(|c| (naming::column_name(c.index as i16 + 1), c.duck.clone())).collect())
                .collect(),
            requests: request_tx,
        };
        tablefn::set_link(Some(Arc::new(link)));
        let (result_tx, results) = bounded(2);
        let lent = conn.lend();
        let (sql, params) = (sql.to_string(), params.to_vec());
        let worker = interrupt::with_signals_blocked(|| {
            std::thread::Builder::new()
                .name("duckam-query".into())
                .spawn(move || {
                    lent.with(|c| match c.stream(&sql, &params) {
                        Err(e) => {
                            let _ = result_tx.send(Outcome::Failed(e));
                        }
                        Ok(mut result) => loop {
                            let outcome = match result.next_chunk() {
                                Ok(Some(chunk)) => Outcome::Chunk(chunk),
                                Ok(None) => Outcome::End,
                                Err(e) => Outcome::Failed(e),
                            };
                            let last = !matches!(outcome, Outcome::Chunk(_));
                            if result_tx.send(outcome).is_err() || last {
                                break;
                            }
                        },
                    })
                })
                .expect("could not start a pg_duckam query thread")
        });
        Bridge { results, requests, worker: Some(worker), interrupt: conn.interrupt_handle(), scans }
    }

    /// The next result chunk (None at the end), serving heap batches while
    /// DuckDB works.
    pub fn next(&mut self) -> Result<Option<DataChunk>> {
        if self.worker.is_none() {
            return Ok(None);
        }
        loop {
            // Checked every round (a busy DuckDB keeps the channels full):
            // DuckDB is stopped, and PostgreSQL raises its own error.
            if interrupt::cancel_pending() {
                self.stop(true);
                return Err(Error::new(pgrx::PgSqlErrorCode::ERRCODE_QUERY_CANCELED, "canceling statement"));
            }
            select! {
                recv(self.requests) -> req => {
                    if let Ok(req) = req {
                        self.serve(req)?;
                    }
                }
                recv(self.results) -> outcome => {
                    return match outcome {
                        Ok(Outcome::Chunk(chunk)) => Ok(Some(chunk)),
                        Ok(Outcome::End) => {
                            self.stop(false);
                            Ok(None)
                        }
                        Ok(Outcome::Failed(e)) => {
                            self.stop(true);
                            Err(e.into())
                        }
                        Err(_) => {
                            self.stop(true);
                            Err(Error::internal("the DuckDB query thread ended without a result"))
                        }
                    };
                }
                default(POLL) => {}
            }
        }
    }

    /// Fills one batch on the main thread. A PostgreSQL error (or cancel)
    /// raised by the scan stops DuckDB before it is re-raised.
    fn serve(&mut self, req: FillRequest) -> Result<()> {
        let scan = &mut self.scans[req.scan];
        let filled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { fill(scan, &req) }));
        match filled {
            Ok(Ok(n)) => {
                let _ = req.reply.send(Ok(n));
                Ok(())
            }
            Ok(Err(e)) => {
                let _ = req.reply.send(Err(e.message.clone()));
                self.stop(true);
                Err(e)
            }
            Err(payload) => {
                let _ = req.reply.send(Err("pg_duckam: the PostgreSQL scan failed".into()));
                self.stop(true);
                std::panic::resume_unwind(payload)
            }
        }
    }

    /// Stops the query thread and waits for it; idempotent, no
    /// PostgreSQL calls. Its results are no longer wanted, so the thread
    /// ends at its next result. `abort` (an error is on its way anyway):
    /// DuckDB is interrupted and batches are refused. Otherwise (the
    /// consumer simply stopped early: LIMIT, a closed cursor) the heap
    /// scans report their end, so DuckDB finishes without aborting its
    /// transaction.
    pub fn stop(&mut self, abort: bool) {
        let Some(worker) = self.worker.take() else { return };
        if abort && !worker.is_finished() {
            self.interrupt.interrupt();
        }
        self.results = crossbeam_channel::never();
        while !worker.is_finished() {
            if let Ok(req) = self.requests.recv_timeout(Duration::from_millis(5)) {
                let _ = req.reply.send(if abort { Err("pg_duckam: the query was stopped".into()) } else { Ok(0) });
            }
        }
        let _ = worker.join();
        tablefn::set_link(None);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Outside a live transaction (abort cleanup) nothing waits for
        // DuckDB, and PostgreSQL's resource owners release the scans.
        let live = unsafe { pg_sys::IsTransactionState() };
        self.stop(!live);
        if live {
            for s in &mut self.scans {
                unsafe { close(s) };
            }
        }
    }
}

unsafe fn close(s: &mut HeapScan) {
    if !s.desc.is_null() {
        let end = (*(*s.rel).rd_tableam).scan_end.expect("scan_end");
        let desc = s.desc;
        pg_sys::ffi::pg_guard_ffi_boundary(|| end(desc));
        s.desc = std::ptr::null_mut();
    }
    if !s.slot.is_null() {
        pg_sys::ExecDropSingleTupleTableSlot(s.slot);
        s.slot = std::ptr::null_mut();
    }
    if !s.rel.is_null() {
        pg_sys::table_close(s.rel, pg_sys::AccessShareLock as i32);
        s.rel = std::ptr::null_mut();
    }
    if !s.cxt.is_null() {
        pg_sys::MemoryContextDelete(s.cxt);
        s.cxt = std::ptr::null_mut();
    }
}

/// Reads up to a chunk's capacity of rows from the scan into the chunk.
unsafe fn fill(s: &mut HeapScan, req: &FillRequest) -> Result<usize> {
    if s.done {
        return Ok(0);
    }
    if s.rel.is_null() {
        s.rel = pg_sys::table_open(s.relid, pg_sys::AccessShareLock as i32);
        s.slot = pg_sys::table_slot_create(s.rel, std::ptr::null_mut());
        let flags = pg_sys::ScanOptions::SO_TYPE_SEQSCAN
            | pg_sys::ScanOptions::SO_ALLOW_STRAT
            | pg_sys::ScanOptions::SO_ALLOW_SYNC
            | pg_sys::ScanOptions::SO_ALLOW_PAGEMODE;
        let begin = (*(*s.rel).rd_tableam).scan_begin.expect("scan_begin");
        // Calls through the AM's function pointers are guarded like pgrx's
        // bindings: a PostgreSQL error becomes a Rust panic that unwinds
        // (and stops DuckDB) instead of a longjmp over our frames.
        let rel = s.rel;
        s.desc = pg_sys::ffi::pg_guard_ffi_boundary(|| {
            begin(rel, pg_sys::GetActiveSnapshot(), 0, std::ptr::null_mut(), std::ptr::null_mut(), flags as u32)
        });
        s.cxt = pg_sys::AllocSetContextCreateExtended(
            pg_sys::TopTransactionContext,
            c"duckam heap batch".as_ptr(),
            pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
        );
    }
    let columns = &s.columns;
    let projected = s.projected.get_or_insert_with(|| req.columns.iter().filter_map(|&i| columns.get(i).cloned()).collect());
    let capacity = super::ffi::vector_size();
    let next = (*(*s.rel).rd_tableam).scan_getnextslot.expect("scan_getnextslot");
    let natts = (*(*s.slot).tts_tupleDescriptor).natts as i32;
    pg_sys::MemoryContextReset(s.cxt);
    let old = pg_sys::MemoryContextSwitchTo(s.cxt);
    let mut n = 0;
    let result = DataChunk::borrowed(req.chunk.0, |chunk| -> Result<()> {
        while n < capacity {
            let (desc, slot) = (s.desc, s.slot);
            if !pg_sys::ffi::pg_guard_ffi_boundary(|| next(desc, pg_sys::ScanDirection::ForwardScanDirection, slot)) {
                s.done = true;
                break;
            }
            if !projected.is_empty() {
                pg_sys::slot_getsomeattrs_int(s.slot, natts);
                let values = std::slice::from_raw_parts((*s.slot).tts_values, natts as usize);
                let nulls = std::slice::from_raw_parts((*s.slot).tts_isnull, natts as usize);
                types::to_duck::write_row(projected, values, nulls, chunk, n)?;
            }
            n += 1;
        }
        Ok(())
    });
    pg_sys::MemoryContextSwitchTo(old);
    result.map(|_| n)
}
