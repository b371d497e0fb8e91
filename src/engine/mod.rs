//! The engine interface (ARCHITECTURE §3): everything the rest of pg_duckam
//! asks of DuckDB goes through here, to this backend's session in the
//! engine process (client.rs; the engine itself is engine_server). Per
//! PostgreSQL transaction there is at most one DuckDB transaction, begun
//! with the first use (snapshot.rs decides which snapshot it reads),
//! committed in PRE_COMMIT and rolled back on abort (xact.rs). Inserted
//! rows are buffered here as columnar batches and appended in bulk;
//! results stream back in batches; DuckDB's reads of PostgreSQL tables are
//! served from this backend's main thread (heap.rs).

mod client;
pub use client::cancel_pending;
mod heap;
mod pgscan;
pub mod snapshot;
pub mod xact;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use duckam_logic::ledger::Ledger;
use duckam_logic::types::DuckType;
use duckam_logic::wire::{append_frame, Batch, BatchBuilder, EngineStatus, HeapOutcome, Request, Response, SessionInfo};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

use crate::error::{Error, Result};
use crate::gucs;
use client::{Client, HeapRequest, Served};

pub use duckam_logic::profile::ProfileNode;
pub use pgscan::HeapSource;

/// What a use of the engine needs of this database's DuckDB file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The file must exist already.
    Read,
    /// The file is created if it does not exist.
    Write,
    /// No database at all (engine status, dropping another database).
    Service,
}

pub type StreamId = u64;

/// Inserted rows at most this large are buffered before they are sent.
const INSERT_BUFFER_BYTES: usize = 64 * 1024 * 1024;

/// Rows waiting to be appended to one DuckDB table.
pub struct InsertBuffer {
    pub table: String,
    /// Subtransaction that wrote the buffered rows.
    pub owner: u32,
    pub batch: BatchBuilder,
}

/// An open result on the engine side.
struct Stream {
    /// A batch received and not yet handed out.
    pending: Option<Batch>,
    done: bool,
    /// A data-modifying statement's storage, until its changes are known
    /// to be made (its first RETURNING row).
    writes: Option<u32>,
}

#[derive(Default)]
struct State {
    /// The engine session has a DuckDB transaction open for this one.
    txn: bool,
    /// This transaction has written to DuckDB (appends, DDL, DML).
    dirty: bool,
    /// A DuckDB request failed or was canceled: the engine has rolled the
    /// DuckDB transaction back.
    failed: bool,
    streams: HashMap<StreamId, Stream>,
    next_stream: StreamId,
    buffers: BTreeMap<u32, InsertBuffer>,
    /// Emptied builders of flushed buffers, by relfilenode, for reuse in
    /// this transaction.
    spare_buffers: HashMap<u32, BatchBuilder>,
    ledger: Ledger,
    /// Set when DuckDB work of this transaction was lost (a rolled-back
    /// savepoint had written, or the session failed): it must roll back.
    doomed: Option<String>,
    /// Databases whose DuckDB files go after commit (DROP DATABASE).
    databases_to_drop: Vec<u32>,
    snapshot: snapshot::Taken,
    /// (statement, token): the statement may run its one read-only query
    /// in a DuckDB transaction of its own (snapshot.rs).
    autocommit: Option<(u64, u64)>,
    /// (statement, token): that query has been sent.
    autocommit_done: Option<(u64, u64)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
    /// The table a data-modifying statement being opened changes (its
    /// errors name that table's keys: written_tables).
    static OPENING_WRITE: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
    /// What each open stream's pg_heap scans read, and their PostgreSQL plans.
    static HEAP: RefCell<HashMap<StreamId, heap::Readings>> = RefCell::new(HashMap::new());
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// Directory holding the per-database DuckDB files.
pub fn storage_dir() -> PathBuf {
    let data_dir = unsafe { std::ffi::CStr::from_ptr(pg_sys::DataDir) };
    PathBuf::from(data_dir.to_string_lossy().into_owned()).join("pg_duckam")
}

pub fn database_path(database_oid: pg_sys::Oid) -> PathBuf {
    storage_dir().join(duckam_logic::naming::database_file(database_oid.to_u32()))
}

fn nested() -> Error {
    Error::unsupported("duckdb tables cannot be used by a function that runs while DuckDB reads a PostgreSQL table")
        .with_hint("The function runs inside the scan that feeds DuckDB (e.g. in a condition on a heap table). Move it out of that condition.")
}

fn doomed_error(reason: &str) -> Error {
    Error::new(PgSqlErrorCode::ERRCODE_IN_FAILED_SQL_TRANSACTION, "current transaction must roll back: DuckDB work of this transaction was lost")
        .with_detail(reason.to_string())
        .with_hint("DuckDB has no savepoints. ROLLBACK the whole transaction; to use savepoints, write duckdb tables outside the subtransactions that may roll back.")
}

/// The DuckDB transaction is gone (error, cancel, lost session): note it,
/// and doom the transaction if it had written.
fn lose_transaction(s: &mut State, why: &str) {
    // Its writes are gone; under REPEATABLE READ so is its one snapshot.
    let repeatable = unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 };
    if s.txn && (s.dirty || repeatable) && s.doomed.is_none() {
        s.doomed = Some(why.to_string());
    }
    s.txn = false;
    s.failed = true;
}

/// Runs `f` on this backend's engine session, connecting first if needed.
/// A session made for service requests only (no database) is replaced by
/// one for this database when DuckDB tables are used.
fn with_client<R>(access: Access, f: impl FnOnce(&mut Client) -> Result<R>) -> Result<R> {
    CLIENT.with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else { return Err(nested()) };
        let database = unsafe { pg_sys::MyDatabaseId };
        let wanted = if access == Access::Service { None } else { Some(database.to_u32()) };
        if slot.as_ref().is_some_and(|c| c.is_broken() || wanted.is_some_and(|d| c.database() != d)) {
            *slot = None;
        }
        if slot.is_none() {
            if access == Access::Read && !database_path(database).exists() {
                return Err(Error::new(
                    PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
                    format!("DuckDB storage file \"{}\" does not exist", database_path(database).display()),
                )
                .with_hint("duckdb tables are stored per database; a database created from a template does not copy them."));
            }
            *slot = Some(Client::connect(wanted.unwrap_or(0))?);
        }
        let client = slot.as_mut().expect("connected");
        // A duplicate key named as PostgreSQL names it (keys.rs); the
        // catalog lookups it needs make no engine calls.
        let r = f(client).map_err(crate::keys::name_duplicate);
        if r.is_err() || client.cancelled {
            with_state(|s| lose_transaction(s, "A DuckDB statement of this transaction failed or was canceled, which rolls back DuckDB's transaction."));
        }
        if client.is_broken() {
            *slot = None;
            with_state(|s| lose_transaction(s, "The session with the pg_duckam engine was lost."));
        }
        r
    })
}

/// Answers a heap request of one of this backend's streams.
fn serve_heap(req: HeapRequest) -> Served {
    HEAP.with(|h| {
        let Ok(mut h) = h.try_borrow_mut() else { return Ok(HeapOutcome::Failed("pg_duckam: nested heap scan".into())) };
        let Some(readings) = h.get_mut(&req.stream) else { return Ok(HeapOutcome::Failed("pg_duckam: the stream is closed".into())) };
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| readings.serve(&req))).inspect_err(|_| {
            readings.failed = true;
            with_state(|s| s.failed = true);
        })
    })
}

/// Sends a request and waits for its response.
fn call(access: Access, request: &Request) -> Result<Response> {
    with_client(access, |c| c.call(request, &mut serve_heap))
}

/// Sends an Append of `batch` (encoded straight into its frame) and waits
/// for the response.
fn call_append(catalog: Option<&str>, table: &str, commit: bool, batch: &BatchBuilder) -> Result<Response> {
    let frame = append_frame(catalog, table, commit, batch);
    with_client(Access::Write, |c| c.call_frame(&frame, false, &mut serve_heap))
}

/// Refuses DuckDB work in parallel workers and doomed transactions.
fn check_usable() -> Result<()> {
    if unsafe { pg_sys::ParallelWorkerNumber >= 0 } {
        return Err(Error::unsupported("duckdb tables cannot be read by parallel workers"));
    }
    if let Some(reason) = with_state(|s| s.doomed.clone()) {
        return Err(doomed_error(&reason));
    }
    Ok(())
}

/// Before DuckDB work: the checks, and the DuckDB snapshot this statement
/// reads (snapshot.rs).
fn prepare(access: Access) -> Result<()> {
    check_usable()?;
    snapshot::ensure(access, None)
}

/// Runs a statement that changes DuckDB on behalf of `storage` (a
/// relfilenode) and records the change for savepoint handling.
pub fn write(storage: u32, sql: &str) -> Result<u64> {
    prepare(Access::Write)?;
    flush_all()?;
    let changed = match call(Access::Write, &Request::Execute { sql: sql.to_string() })? {
        Response::Done { changed } => changed,
        other => return Err(client::unexpected_response(&other)),
    };
    with_state(|s| {
        s.dirty = true;
        s.ledger.wrote(current_subxact(), storage);
    });
    Ok(changed)
}

/// Appends rows to a table of another catalog or of this database (used
/// for helper tables), synchronously.
pub fn append(catalog: Option<&str>, table: &str, batch: &BatchBuilder, storage: u32) -> Result<()> {
    prepare(Access::Write)?;
    call_append(catalog, table, false, batch)?;
    with_state(|s| {
        s.dirty = true;
        s.ledger.wrote(current_subxact(), storage);
    });
    Ok(())
}

/// Runs a data-modifying statement with parameters (no RETURNING) on
/// behalf of `storage`; returns DuckDB's count of rows changed. Only a
/// statement that changed rows marks the transaction as written.
pub fn write_counted(storage: u32, sql: &str, params: &[Option<String>], heap: &[HeapSource], profile: bool) -> Result<u64> {
    let open = Open { writes: Some(storage), expected: Some(&[DuckType::BigInt]), profile, ..Open::default() };
    let id = open_stream(sql, params, heap, open)?;
    let counted = (|| -> Result<u64> {
        let mut n = 0;
        while let Some(batch) = next_batch(id)? {
            let col = batch.column(0);
            n += (0..batch.rows()).filter(|&i| col.is_valid(i)).map(|i| col.get::<i64>(i) as u64).sum::<u64>();
        }
        Ok(n)
    })();
    close_stream(id);
    let n = counted?;
    if n > 0 {
        with_state(|s| {
            s.dirty = true;
            s.ledger.wrote(current_subxact(), storage);
        });
    }
    Ok(n)
}

/// Whether this transaction has written to DuckDB (or has rows buffered).
pub fn has_written() -> bool {
    with_state(|s| s.dirty || !s.buffers.is_empty())
}

/// Records that this subtransaction created the DuckDB table for `storage`.
pub fn note_created(storage: u32) {
    with_state(|s| s.ledger.created(current_subxact(), storage));
}

/// Schedules the DuckDB table of `storage` to be dropped after commit.
pub fn drop_after_commit(storage: u32) {
    with_state(|s| s.ledger.drop_after_commit(current_subxact(), storage));
}

/// Schedules a dropped database's DuckDB file to be removed after commit.
pub fn drop_database_after_commit(database: pg_sys::Oid) {
    with_state(|s| s.databases_to_drop.push(database.to_u32()));
}

pub fn current_subxact() -> u32 {
    unsafe { pg_sys::GetCurrentSubTransactionId() }
}

fn check_types(got: &[std::result::Result<DuckType, String>], expected: Option<&[DuckType]>) -> Result<()> {
    if let Some(bad) = got.iter().find_map(|t| t.as_ref().err()) {
        return Err(Error::unsupported(format!("DuckDB returned a column of {bad}, which pg_duckam cannot read")));
    }
    if let Some(expected) = expected {
        let got: Vec<&DuckType> = got.iter().filter_map(|t| t.as_ref().ok()).collect();
        if got.len() != expected.len() || got.iter().zip(expected).any(|(a, b)| !a.readable_as(b)) {
            return Err(Error::internal(format!("DuckDB returned columns {got:?} where pg_duckam expected {expected:?}")));
        }
    }
    Ok(())
}

/// How `open_stream` runs a statement.
#[derive(Default)]
pub struct Open<'a> {
    /// The storage (relfilenode) a data-modifying statement changes,
    /// recorded for savepoint handling.
    pub writes: Option<u32>,
    /// The result's column types, checked before any value is read.
    pub expected: Option<&'a [DuckType]>,
    /// The executor state of the statement's DuckDB scan, whose snapshot
    /// is taken again if the engine asks (snapshot.rs).
    pub estate: Option<*mut pg_sys::EState>,
    /// DuckDB's profiler must be on (EXPLAIN ANALYZE).
    pub profile: bool,
}

/// Starts a statement; returns its stream for `next_batch` / `close_stream`.
/// `heap`: what its `pg_heap(k)` read.
pub fn open_stream(sql: &str, params: &[Option<String>], heap: &[HeapSource], open: Open) -> Result<StreamId> {
    let Open { writes, expected, estate, profile } = open;
    let access = if writes.is_some() { Access::Write } else { Access::Read };
    let mut autocommit = if writes.is_none() { snapshot::take_autocommit() } else { None };
    if autocommit.is_none() {
        prepare(access)?;
    } else {
        check_usable()?;
    }
    flush_all()?;
    let id = with_state(|s| {
        s.next_stream += 1;
        s.next_stream
    });
    let scans: Vec<_> = heap.iter().map(|h| unsafe { h.declaration() }).collect();
    if !heap.is_empty() {
        HEAP.with(|h| h.try_borrow_mut().map(|mut h| h.insert(id, heap::Readings::new(heap))).map_err(|_| nested()))?;
    }
    OPENING_WRITE.with(|w| w.set(writes));
    let response = loop {
        let request = Request::Query {
            stream: id,
            sql: sql.to_string(),
            params: params.to_vec(),
            heap: scans.clone(),
            materialize: !heap.is_empty(),
            autocommit: autocommit.map(snapshot::sent),
            profile,
        };
        match call(access, &request) {
            // A mixed commit entered between the snapshots: take both again.
            Ok(Response::Retry) if autocommit.is_some() => match estate {
                Some(estate) => autocommit = Some(unsafe { snapshot::retake(estate) }),
                None => break Err(Error::internal("pg_duckam engine asked to retake a snapshot that cannot be")),
            },
            other => break other,
        }
    };
    OPENING_WRITE.with(|w| w.set(None));
    let (types, batch, done) = match response {
        Ok(Response::Rows { types, batch, done }) => (types.unwrap_or_default(), batch, done),
        Ok(other) => {
            close_heap(id);
            return Err(client::unexpected_response(&other));
        }
        Err(e) => {
            close_heap(id);
            return Err(e);
        }
    };
    let opened = check_types(&types, expected).and_then(|_| Batch::decode(batch).map_err(|e| Error::internal(e.to_string())));
    let batch = match opened {
        Ok(b) => b,
        Err(e) => {
            with_state(|s| s.streams.insert(id, Stream { pending: None, done, writes: None }));
            close_stream(id);
            return Err(e);
        }
    };
    with_state(|s| s.streams.insert(id, Stream { pending: Some(batch), done, writes }));
    Ok(id)
}

/// The next batch of a stream; `None` at its end. While the caller
/// converts a batch, the engine already produces the next (prefetch).
pub fn next_batch(id: StreamId) -> Result<Option<Batch>> {
    let (pending, done) = with_state(|s| {
        let st = s.streams.get_mut(&id)?;
        Some((st.pending.take(), st.done))
    })
    .ok_or_else(|| Error::internal("unknown DuckDB stream"))?;
    let batch = match pending {
        Some(b) => b,
        None if done => return Ok(None),
        None => {
            let prefetched = with_client(Access::Read, |c| c.take_prefetched(id))?;
            let response = match prefetched {
                Some(r) => r,
                None => call(Access::Read, &Request::Fetch { stream: id })?,
            };
            match response {
                Response::Rows { batch, done, .. } => {
                    with_state(|s| {
                        if let Some(st) = s.streams.get_mut(&id) {
                            st.done = done;
                        }
                    });
                    Batch::decode(batch).map_err(|e| Error::internal(e.to_string()))?
                }
                Response::Error { kind, message, .. } => {
                    with_state(|s| lose_transaction(s, "A DuckDB statement of this transaction failed or was canceled, which rolls back DuckDB's transaction."));
                    return Err(crate::engine_server::ffi::DuckError::new(message, kind).into());
                }
                other => return Err(client::unexpected_response(&other)),
            }
        }
    };
    if !with_state(|s| s.streams.get(&id).is_none_or(|st| st.done)) {
        with_client(Access::Read, |c| if c.has_prefetched(id) { Ok(()) } else { c.prefetch(id) })?;
    }
    // A data-modifying stream's first RETURNING row: every change is made.
    if batch.rows() > 0 {
        with_state(|s| {
            if let Some(storage) = s.streams.get_mut(&id).and_then(|x| x.writes.take()) {
                s.dirty = true;
                s.ledger.wrote(current_subxact(), storage);
            }
        });
    }
    Ok(Some(batch))
}

fn close_heap(id: StreamId) {
    HEAP.with(|h| {
        if let Ok(mut h) = h.try_borrow_mut() {
            h.remove(&id);
        }
    });
}

/// Closes a stream. Also runs from memory-context callbacks during error
/// cleanup, so it never raises: outside a live transaction nothing is
/// sent (the transaction's rollback ends every stream in the engine).
pub fn close_stream(id: StreamId) {
    let open = STATE.with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.streams.remove(&id)).is_some_and(|st| !st.done));
    close_heap(id);
    CLIENT.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            if let Some(client) = c.as_mut().filter(|c| !c.is_broken()) {
                client.forget(id);
                if open && unsafe { pg_sys::IsTransactionState() } {
                    let _ = client.send(&Request::Close { stream: id });
                }
            }
        }
    });
}

/// Buffers rows for `storage`: `fill` writes into the buffer's batch. The
/// buffer is sent to DuckDB once it holds `duckam.insert_buffer_rows`.
pub fn with_insert_buffer<R>(
    storage: u32,
    table: impl FnOnce() -> (String, Vec<DuckType>),
    fill: impl FnOnce(&mut InsertBuffer) -> Result<R>,
) -> Result<R> {
    check_usable()?;
    snapshot::ensure_for_append()?;
    let sub = current_subxact();
    // Rows of an outer subtransaction go to DuckDB before an inner one adds
    // rows, so that ROLLBACK TO can discard exactly the inner rows.
    let owner = with_state(|s| s.buffers.get(&storage).map(|b| b.owner));
    if owner.is_some_and(|o| o != sub) {
        flush_one(storage)?;
    }
    let result = with_state(|s| {
        let buf = s.buffers.entry(storage).or_insert_with(|| {
            let (table, types) = table();
            let batch = s.spare_buffers.remove(&storage).filter(|b| b.types() == types.as_slice()).unwrap_or_else(|| BatchBuilder::new(&types));
            InsertBuffer { table, owner: sub, batch }
        });
        buf.owner = sub;
        fill(buf)
    })?;
    let full = with_state(|s| {
        s.buffers.get(&storage).is_some_and(|b| b.batch.rows() >= gucs::INSERT_BUFFER_ROWS.get() as usize || b.batch.byte_size() >= INSERT_BUFFER_BYTES)
    });
    if full {
        flush_one(storage)?;
    }
    Ok(result)
}

/// Sends one buffer to DuckDB. Its response is read with the next
/// request, so the backend goes on converting rows while DuckDB appends.
/// The emptied builder is kept as the table's next buffer's (COPY fills
/// many: no regrowing of columns, no fresh pages to fault in).
fn flush_one(storage: u32) -> Result<()> {
    send_buffer(storage, false)
}

/// Sends the buffered rows of `storage` and waits for DuckDB to take them:
/// its errors (a duplicate key) belong to the statement that inserted them.
pub fn flush_now(storage: u32) -> Result<()> {
    send_buffer(storage, true)
}

/// Sends one buffer to DuckDB, waiting for its response or (`wait`
/// false) reading it with the next request. A waited-for append counts
/// the transaction as written first, so its failure (a duplicate key)
/// dooms the DuckDB work already done.
fn send_buffer(storage: u32, wait: bool) -> Result<()> {
    let Some(mut buf) = with_state(|s| s.buffers.remove(&storage)) else { return Ok(()) };
    if buf.batch.rows() == 0 {
        return Ok(());
    }
    let owner = buf.owner;
    let mark = || {
        with_state(|s| {
            s.dirty = true;
            s.ledger.wrote(owner, storage);
        })
    };
    if wait {
        mark();
        call_append(None, &buf.table, false, &buf.batch)?;
    } else {
        let frame = append_frame(None, &buf.table, false, &buf.batch);
        with_client(Access::Write, |c| c.send_deferred(&frame))?;
        mark();
    }
    buf.batch.clear();
    with_state(|s| s.spare_buffers.insert(storage, buf.batch));
    Ok(())
}

/// The DuckDB tables (relfilenodes) this transaction wrote or created,
/// the one being written first.
/// (Empty if the state is in use: it is asked from inside engine calls.)
pub fn written_tables() -> Vec<u32> {
    let mut tables: Vec<u32> = OPENING_WRITE.with(|w| w.get()).into_iter().collect();
    STATE.with(|s| {
        if let Ok(s) = s.try_borrow() {
            tables.extend(s.streams.values().filter_map(|st| st.writes));
            tables.extend(s.ledger.written());
        }
    });
    tables
}

/// Sends every buffered row to DuckDB.
pub fn flush_all() -> Result<()> {
    let keys: Vec<u32> = with_state(|s| s.buffers.keys().copied().collect());
    for k in keys {
        flush_one(k)?;
    }
    Ok(())
}

/// Sends every buffered row but the last buffer's, which is returned, to
/// be sent with the commit (one round trip for a one-row INSERT).
pub fn flush_all_but_last() -> Result<Option<InsertBuffer>> {
    let keys: Vec<u32> = with_state(|s| s.buffers.keys().copied().collect());
    let Some((&last, rest)) = keys.split_last() else { return Ok(None) };
    for &k in rest {
        flush_one(k)?;
    }
    Ok(with_state(|s| s.buffers.remove(&last)).filter(|b| b.batch.rows() > 0).inspect(|b| {
        with_state(|s| {
            s.dirty = true;
            s.ledger.wrote(b.owner, last);
        })
    }))
}

/// Drops buffered rows of `storage` (nontransactional truncate).
pub fn discard_buffer(storage: u32) {
    with_state(|s| s.buffers.remove(&storage));
}

/// DuckDB's profile of the last statement this session ran (the profiler
/// is always on, without output: its cost was within measurement noise on
/// 3M-row aggregates). EXPLAIN ANALYZE shows it under a DuckDB scan.
pub fn last_profile() -> Option<ProfileNode> {
    match call(Access::Read, &Request::Profile) {
        Ok(Response::Profile(p)) => p,
        _ => None,
    }
}

/// Runs a query whose columns are all VARCHAR; returns its rows.
pub fn query_text_rows(access: Access, sql: &str) -> Result<Vec<Vec<String>>> {
    prepare(access)?;
    let id = open_stream(sql, &[], &[], Open::default())?;
    let mut rows = Vec::new();
    let read = (|| -> Result<()> {
        while let Some(batch) = next_batch(id)? {
            for i in 0..batch.rows() {
                rows.push((0..batch.column_count()).map(|c| String::from_utf8_lossy(batch.column(c).bytes(i)).into_owned()).collect());
            }
        }
        Ok(())
    })();
    close_stream(id);
    read.map(|_| rows)
}

/// Runs a query returning one BIGINT (e.g. count(*)).
pub fn query_i64(sql: &str) -> Result<i64> {
    let id = open_stream(sql, &[], &[], Open { expected: Some(&[DuckType::BigInt]), ..Open::default() })?;
    let first = next_batch(id);
    close_stream(id);
    Ok(match first? {
        Some(b) if b.rows() > 0 && b.column(0).is_valid(0) => b.column(0).get::<i64>(0),
        _ => 0,
    })
}

/// The engine's sessions (the duckam.engine_sessions view).
pub fn engine_sessions() -> Result<Vec<SessionInfo>> {
    match call(Access::Service, &Request::Sessions)? {
        Response::Sessions(list) => Ok(list),
        other => Err(client::unexpected_response(&other)),
    }
}

/// The engine's memory and threads.
pub fn engine_status() -> Result<EngineStatus> {
    match call(Access::Service, &Request::Status)? {
        Response::Status(s) => Ok(s),
        other => Err(client::unexpected_response(&other)),
    }
}
