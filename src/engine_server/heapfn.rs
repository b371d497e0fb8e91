//! The DuckDB table function `pg_heap(k)`: the k-th PostgreSQL relation of
//! the query a session is running (ARCHITECTURE §6). Only the backend that
//! sent the query can read it (only it sees its own uncommitted rows), so
//! each reading asks that backend, over the session's socket, for batches
//! of rows (`HeapRequest`), and waits for its `HeapBatch` answer, which the
//! session's reader thread routes here.
//!
//! Thin FFI shim: DuckDB calls these callbacks on its own threads; nothing
//! unwinds out of them (errors become DuckDB errors), nothing here calls
//! PostgreSQL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{bounded, RecvTimeoutError, Sender};
use duckdb::ffi;
use duckam_logic::types::DuckType;
use duckam_logic::wire::{Batch, HeapOutcome, HeapScan, Response};
use parking_lot::Mutex;

use super::convert;
use super::ffi::{logical_type, vector_size, Connection, DataChunk, DuckResult};
use super::session::Outbox;
use super::tablefn::{self, c_message, guarded, ByConnection, Callbacks};

/// Rows one heap request asks for: several DuckDB vectors per round trip.
const ROWS_PER_REQUEST: u32 = 16 * 2048;

/// The heap scans of the statement a session is running.
pub struct HeapQuery {
    pub stream: u64,
    pub scans: Vec<HeapScan>,
}

/// A session's side of `pg_heap`: where requests go and answers come from.
pub struct HeapLink {
    outbox: Arc<Outbox>,
    /// Answers awaited, by request number.
    waiting: Mutex<HashMap<u64, Sender<HeapOutcome>>>,
    query: Mutex<Option<Arc<HeapQuery>>>,
    next_request: AtomicU64,
    /// The statement is being stopped (cancel) or the session is closing:
    /// waits give up.
    stopping: AtomicBool,
}

/// Sessions by DuckDB connection id (what bind can find out).
static LINKS: ByConnection<HeapLink> = ByConnection::new();

/// Numbers the readings of `pg_heap` scans.
static NEXT_READING: AtomicU64 = AtomicU64::new(0);

impl HeapLink {
    /// Creates the link of the session owning `conn`.
    pub fn register(conn: &Connection, outbox: Arc<Outbox>) -> Arc<HeapLink> {
        let link = Arc::new(HeapLink {
            outbox,
            waiting: Mutex::new(HashMap::new()),
            query: Mutex::new(None),
            next_request: AtomicU64::new(1),
            stopping: AtomicBool::new(false),
        });
        LINKS.insert(conn, &link);
        link
    }

    pub fn unregister(conn: &Connection) {
        LINKS.remove(conn.id());
    }

    /// The statement about to run reads these scans (None: no heap scans).
    pub fn set_query(&self, query: Option<HeapQuery>) {
        self.stopping.store(false, Ordering::SeqCst);
        *self.query.lock() = query.map(Arc::new);
    }

    /// Makes every waiting and future request of the statement fail.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.waiting.lock().clear();
    }

    /// An answer from the backend (the reader thread calls this).
    pub fn answer(&self, request: u64, outcome: HeapOutcome) {
        if let Some(tx) = self.waiting.lock().remove(&request) {
            let _ = tx.send(outcome);
        }
    }

    /// Asks the backend for the next rows of a reading; waits for them.
    fn request(&self, stream: u64, scan: u32, reading: u64, columns: &[u32]) -> Result<(Batch, bool), String> {
        let stopped = || "pg_duckam: the statement was stopped".to_string();
        if self.stopping.load(Ordering::SeqCst) {
            return Err(stopped());
        }
        let request = self.next_request.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = bounded(1);
        self.waiting.lock().insert(request, tx);
        let sent = self.outbox.send(&Response::HeapRequest {
            request,
            stream,
            scan,
            reading,
            columns: columns.to_vec(),
            max_rows: ROWS_PER_REQUEST,
        });
        if sent.is_err() {
            self.waiting.lock().remove(&request);
            return Err("pg_duckam: the backend's session closed".into());
        }
        let outcome = loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(o) => break o,
                Err(RecvTimeoutError::Timeout) if !self.stopping.load(Ordering::SeqCst) => continue,
                Err(_) => {
                    self.waiting.lock().remove(&request);
                    return Err(stopped());
                }
            }
        };
        match outcome {
            HeapOutcome::Rows { batch, end } => Ok((Batch::decode(batch).map_err(|e| e.to_string())?, end)),
            HeapOutcome::Failed(message) => Err(message),
        }
    }
}

/// Registers `pg_heap(k)` in the instance.
pub fn register(conn: &Connection) -> DuckResult<()> {
    tablefn::register(conn, "pg_heap", 1, true, Callbacks { bind, init, scan })
}

/// What bind found: the session's link, its query, and which scan.
struct Bound {
    link: Arc<HeapLink>,
    query: Arc<HeapQuery>,
    scan: usize,
}

/// One reading of a scan: its projected columns, the batch being handed
/// out and where in it.
struct Reading {
    id: u64,
    columns: Vec<u32>,
    types: Vec<DuckType>,
    state: Mutex<ReadState>,
}

struct ReadState {
    batch: Option<Batch>,
    next_row: usize,
    end: bool,
}

unsafe extern "C" fn bind(info: ffi::duckdb_bind_info) {
    let outcome = guarded("pg_heap()", "bind", || {
        let mut param = ffi::duckdb_bind_get_parameter(info, 0);
        let k = ffi::duckdb_get_int64(param);
        ffi::duckdb_destroy_value(&mut param);
        let outside = "pg_heap() is only usable inside queries pg_duckam runs";
        let link = LINKS.binding(info).ok_or(outside)?;
        let query = link.query.lock().clone().ok_or(outside)?;
        let scan = usize::try_from(k).ok().filter(|&k| k < query.scans.len()).ok_or("pg_heap(): no such scan")?;
        for (name, ty) in &query.scans[scan].columns {
            let cname = c_message(name);
            let mut lt = logical_type(ty);
            ffi::duckdb_bind_add_result_column(info, cname.as_ptr(), lt);
            ffi::duckdb_destroy_logical_type(&mut lt);
        }
        if let Some(rows) = query.scans[scan].estimate {
            ffi::duckdb_bind_set_cardinality(info, rows, false);
        }
        tablefn::set_bind_data(info, Bound { link, query, scan });
        Ok(())
    });
    if let Err(e) = outcome {
        ffi::duckdb_bind_set_error(info, e.as_ptr());
    }
}

unsafe extern "C" fn init(info: ffi::duckdb_init_info) {
    let outcome = guarded("pg_heap()", "init", || {
        // One DuckDB thread reads a scan: the backend serves one batch at a time.
        ffi::duckdb_init_set_max_threads(info, 1);
        let bound = &*(ffi::duckdb_init_get_bind_data(info) as *const Bound);
        let declared = &bound.query.scans[bound.scan].columns;
        let columns: Vec<u32> = (0..ffi::duckdb_init_get_column_count(info)).map(|i| ffi::duckdb_init_get_column_index(info, i) as u32).collect();
        let types = columns.iter().filter_map(|&c| declared.get(c as usize).map(|(_, t)| t.clone())).collect();
        let reading = Reading {
            id: NEXT_READING.fetch_add(1, Ordering::Relaxed),
            columns,
            types,
            state: Mutex::new(ReadState { batch: None, next_row: 0, end: false }),
        };
        tablefn::set_init_data(info, reading);
        Ok(())
    });
    if let Err(e) = outcome {
        ffi::duckdb_init_set_error(info, e.as_ptr());
    }
}

unsafe extern "C" fn scan(info: ffi::duckdb_function_info, output: ffi::duckdb_data_chunk) {
    let outcome = guarded("pg_heap()", "scan", || {
        let bound = &*(ffi::duckdb_function_get_bind_data(info) as *const Bound);
        let reading = &*(ffi::duckdb_function_get_init_data(info) as *const Reading);
        let mut state = reading.state.lock();
        loop {
            if let Some(batch) = state.batch.as_ref() {
                let left = batch.rows() - state.next_row;
                if left > 0 {
                    let n = left.min(vector_size());
                    DataChunk::borrowed_mut(output, |chunk| convert::fill_chunk(chunk, batch, &reading.types, state.next_row, n))
                        .map_err(|e| e.message)?;
                    state.next_row += n;
                    return Ok(n);
                }
            }
            if state.end {
                return Ok(0);
            }
            let (batch, end) = bound.link.request(bound.query.stream, bound.scan as u32, reading.id, &reading.columns)?;
            if !batch.matches(&reading.types) && batch.rows() > 0 {
                return Err("pg_duckam: a heap batch does not have the requested columns".into());
            }
            *state = ReadState { batch: Some(batch), next_row: 0, end };
        }
    });
    match outcome {
        Ok(n) => ffi::duckdb_data_chunk_set_size(output, n as u64),
        Err(e) => ffi::duckdb_function_set_error(info, e.as_ptr()),
    }
}
