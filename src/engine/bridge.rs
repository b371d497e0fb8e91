//! Bridged queries: DuckDB queries that read PostgreSQL relations
//! (ARCHITECTURE §6). DuckDB executes the query on a thread of ours, while
//! the backend's main thread serves it: each `pg_heap(k)` call of a DuckDB
//! thread becomes a request on a channel, and the main thread fills DuckDB's
//! chunk from a PostgreSQL plan over the relation (pgscan.rs), under the
//! statement's active snapshot (so the transaction's own rows are seen).
//! Result chunks come back on another channel. The main thread never blocks inside DuckDB, so it also
//! watches for interrupts; a PostgreSQL error while filling a batch stops
//! DuckDB first and is then re-raised unchanged.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, select, unbounded, Receiver};
use duckam_logic::naming;
use pgrx::pg_sys;

use super::ffi::{Connection, DataChunk, DuckError, InterruptHandle};
use super::interrupt;
use super::pgscan::{self, HeapSource, PgScan};
use super::tablefn::{self, FillRequest, Link};
use crate::error::{Error, Result};
use crate::types::{self, Column};

enum Outcome {
    Chunk(DataChunk),
    End,
    Failed(DuckError),
}

/// A PostgreSQL relation read by `pg_heap(k)`.
struct Source {
    source: HeapSource,
    /// Columns DuckDB can receive (others are left out of `pg_heap`).
    columns: Vec<Column>,
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
    sources: Vec<Source>,
    /// The PostgreSQL scans serving DuckDB's readings of the sources.
    readings: HashMap<u64, PgScan>,
    /// A PostgreSQL error stopped a scan: the transaction's abort cleans up.
    failed: bool,
}

const POLL: Duration = Duration::from_millis(20);

impl Bridge {
    /// Starts `sql` on a thread of ours; `heap[k]` is what `pg_heap(k)` reads.
    pub fn start(conn: &Connection, sql: &str, params: &[Option<String>], heap: &[HeapSource]) -> Bridge {
        let sources: Vec<Source> = heap.iter().map(|&source| Source { source, columns: scan_columns(source.relid()) }).collect();
        let (request_tx, requests) = unbounded();
        let link = Link {
            scans: sources
                .iter()
                .map(|s| s.columns.iter().map(|c| (naming::column_name(c.index as i16 + 1), c.duck.clone())).collect())
                .collect(),
            estimates: sources.iter().map(|s| unsafe { pgscan::estimate_rows(&s.source) }).collect(),
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
        Bridge { results, requests, worker: Some(worker), interrupt: conn.interrupt_handle(), sources, readings: HashMap::new(), failed: false }
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
        let source = &self.sources[req.scan];
        let readings = &mut self.readings;
        let filled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
            let scan = readings.entry(req.instance).or_insert_with(|| {
                let projected: Vec<Column> = req.columns.iter().filter_map(|&i| source.columns.get(i).cloned()).collect();
                PgScan::start(&source.source, &projected)
            });
            scan.fill(req.chunk.0)
        }));
        match filled {
            Ok(n) => {
                let _ = req.reply.send(Ok(n));
                Ok(())
            }
            Err(payload) => {
                let _ = req.reply.send(Err("pg_duckam: the PostgreSQL scan failed".into()));
                self.failed = true;
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
        if live && !self.failed {
            for scan in self.readings.values_mut() {
                unsafe { scan.close() };
            }
        }
    }
}
