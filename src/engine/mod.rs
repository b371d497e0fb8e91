//! The engine: the one narrow interface between PostgreSQL and the embedded
//! DuckDB (ARCHITECTURE §3). Per backend and per PostgreSQL transaction it
//! opens the database's DuckDB file lazily — read-only for readers,
//! read-write for the writer — under a heavyweight lock taken through
//! PostgreSQL's lock manager, runs one DuckDB transaction, and closes the file
//! before the lock is released at transaction end.
//!
//! All DuckDB objects are owned here, so ending a transaction (commit, abort,
//! an error anywhere) frees them deterministically.

mod bridge;
mod pgscan;
pub mod ffi;
mod interrupt;
mod lock;
mod tablefn;
pub mod xact;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;

use duckam_logic::ledger::Ledger;
use duckam_logic::naming;
use pgrx::pg_sys;

use crate::error::{Error, Result};
use crate::gucs;
use ffi::{Connection, DataChunk, Database, QueryResult};

pub use duckam_logic::profile::ProfileNode;
pub use pgscan::HeapSource;
use duckam_logic::types::DuckType;

/// How a transaction uses DuckDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    Read,
    Write,
}

pub type StreamId = u64;

struct Stream {
    /// Live result while this stream owns the connection.
    result: Option<QueryResult>,
    /// Chunks drained from the result when another statement needed the
    /// connection (DuckDB allows one active streaming result per connection).
    spilled: VecDeque<DataChunk>,
    /// A data-modifying statement's storage, until its changes are known
    /// to be made (the first RETURNING row: DuckDB finishes the change
    /// before it returns any). A statement that fails has changed nothing:
    /// DuckDB aborts its whole transaction.
    writes: Option<u32>,
    /// A query that reads PostgreSQL relations runs on a thread of ours,
    /// served by this bridge (then `result` is None).
    bridge: Option<bridge::Bridge>,
}

/// Rows waiting to be appended to one DuckDB table.
pub struct InsertBuffer {
    pub table: String,
    pub types: Vec<DuckType>,
    /// Subtransaction that wrote the buffered rows.
    pub owner: u32,
    pub chunks: Vec<DataChunk>,
    pub rows: usize,
}

/// The backend's DuckDB instance: in-memory, created once per backend (and
/// again if the duckam.* settings it was built with change). Creating an
/// instance builds DuckDB's whole built-in catalog (~20 ms); attaching the
/// database file per transaction costs far less.
struct Instance {
    settings: Vec<(&'static str, String)>,
    // Field order is drop order: the connection before the database.
    conn: Connection,
    _db: Database,
}

/// The database file attached for the current transaction.
struct Session {
    access: Access,
}

/// Name under which the database file is attached.
const ATTACHED: &str = "pgdb";

#[derive(Default)]
struct State {
    instance: Option<Instance>,
    session: Option<Session>,
    locked: Option<Access>,
    /// Open scans. Results are always dropped before the session.
    streams: HashMap<StreamId, Stream>,
    /// The stream that currently owns the connection.
    active: Option<StreamId>,
    next_stream: StreamId,
    buffers: BTreeMap<u32, InsertBuffer>,
    ledger: Ledger,
    /// Set when a rolled-back subtransaction had written to DuckDB.
    doomed: Option<String>,
    /// Database files to delete after commit (DROP DATABASE).
    files_to_remove: Vec<PathBuf>,
    /// A DuckDB statement failed: DuckDB has aborted its transaction.
    failed: bool,
    /// The DuckDB transaction has written (appends, DDL, DML).
    dirty: bool,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
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

fn temp_directory() -> String {
    gucs::temp_directory().unwrap_or_else(|| storage_dir().join("tmp").to_string_lossy().into_owned())
}

/// Settings an instance is created with (the duckam.* GUCs).
fn instance_settings() -> Vec<(&'static str, String)> {
    vec![
        ("threads", gucs::THREADS.get().to_string()),
        ("memory_limit", gucs::memory_limit()),
        ("temp_directory", temp_directory()),
        ("autoinstall_known_extensions", "false".into()),
        ("autoload_known_extensions", "false".into()),
        ("allow_community_extensions", "false".into()),
    ]
}

/// Float arithmetic with PostgreSQL's errors: DuckDB returns ±inf or 0
/// where PostgreSQL's float8 operators raise "value out of range" or
/// "division by zero". The deparser spells float + - * / with these.
const PG_SEMANTICS_MACROS: &str = "
CREATE TEMP MACRO pg_float_checked(r, a, b, zero_ok) AS (CASE
    WHEN isinf(r) AND NOT isinf(a) AND NOT isinf(b) THEN error('value out of range: overflow')
    WHEN r = 0 AND NOT zero_ok THEN error('value out of range: underflow')
    ELSE r END);
CREATE TEMP MACRO pg_fadd(a, b) AS pg_float_checked(a + b, a, b, true);
CREATE TEMP MACRO pg_fsub(a, b) AS pg_float_checked(a - b, a, b, true);
CREATE TEMP MACRO pg_fmul(a, b) AS pg_float_checked(a * b, a, b, a = 0 OR b = 0);
CREATE TEMP MACRO pg_fdiv(a, b) AS (CASE WHEN b = 0 AND NOT isnan(a) THEN error('division by zero')
    ELSE pg_float_checked(a / b, a, b, a = 0 OR isinf(b)) END);
";

/// Creates the instance, then locks it down (ARCHITECTURE §9): only the
/// pg_duckam directory and the temp directory are reachable, external access
/// is off and the configuration can no longer change.
fn create_instance(settings: Vec<(&'static str, String)>) -> Result<Instance> {
    let db = interrupt::with_signals_blocked(|| Database::open(":memory:", &settings))?;
    let conn = db.connect()?;
    let dir = |p: String| naming::quote_literal(&format!("{}/", p.trim_end_matches('/')));
    conn.execute(&format!(
        "SET allowed_directories = [{}, {}]",
        dir(storage_dir().to_string_lossy().into_owned()),
        dir(temp_directory())
    ))?;
    conn.execute("SET enable_external_access = false")?;
    conn.execute(PG_SEMANTICS_MACROS)?;
    conn.execute("PRAGMA enable_profiling = 'no_output'")?;
    tablefn::register(&conn)?;
    conn.execute("SET lock_configuration = true")?;
    Ok(Instance { settings, conn, _db: db })
}

/// The connection of the instance; only valid while one exists.
fn conn(s: &State) -> &Connection {
    &s.instance.as_ref().expect("DuckDB instance exists").conn
}

/// Detaches the database file, releasing DuckDB's file lock (a read-write
/// detach also checkpoints). If that fails the whole instance is closed,
/// which releases the file for certain.
fn detach(s: &mut State) {
    s.active = None;
    s.streams.clear();
    // A bridged query whose bridge was lost (it cannot normally be) must
    // not keep the connection: its heap requests now fail, and it is
    // interrupted, so the ROLLBACK below can take the connection.
    if tablefn::abandon() {
        if let Some(inst) = s.instance.as_ref() {
            inst.conn.interrupt_handle().interrupt();
        }
    }
    s.failed = false;
    s.dirty = false;
    if s.session.take().is_none() {
        return;
    }
    let Some(inst) = s.instance.as_ref() else { return };
    let _ = inst.conn.execute("ROLLBACK");
    let ok = inst.conn.execute("USE memory").and_then(|_| inst.conn.execute(&format!("DETACH {ATTACHED}")));
    if let Err(e) = ok {
        pgrx::warning!("pg_duckam: closing DuckDB after a failed detach: {}", e.message);
        s.instance = None;
    }
}

fn doomed_error(reason: &str) -> Error {
    Error::new(
        pgrx::PgSqlErrorCode::ERRCODE_IN_FAILED_SQL_TRANSACTION,
        "current transaction must roll back: a rolled-back savepoint had already written to duckdb tables",
    )
    .with_detail(reason.to_string())
    .with_hint("DuckDB has no savepoints. ROLLBACK the whole transaction; to use savepoints, write duckdb tables outside the subtransactions that may roll back.")
}

/// Declares how this transaction will use DuckDB and opens the session.
/// Writers should declare up front (before opening scans): a read-only
/// session cannot become read-write while a scan is open.
pub fn begin(access: Access) -> Result<()> {
    if unsafe { pg_sys::ParallelWorkerNumber >= 0 } {
        return Err(Error::unsupported("duckdb tables cannot be read by parallel workers"));
    }
    if let Some(reason) = with_state(|s| s.doomed.clone()) {
        return Err(doomed_error(&reason));
    }
    let current = with_state(|s| s.session.as_ref().map(|x| x.access));
    if current.is_some_and(|a| a >= access) {
        return Ok(());
    }
    if current.is_some() && with_state(|s| !s.streams.is_empty()) {
        return Err(Error::unsupported(
            "cannot write to a duckdb table while a scan of a duckdb table is open in the same transaction",
        )
        .with_hint("Finish or close the open cursor first, or start the transaction with the write."));
    }
    // Lock first: waiting happens in PostgreSQL's lock manager (visible in
    // pg_locks, cancellable, deadlock-checked).
    lock::acquire(access)?;
    with_state(|s| s.locked = Some(access.max(s.locked.unwrap_or(access))));
    // Read -> Write: the read-only attachment goes first.
    with_state(detach);

    let path = database_path(unsafe { pg_sys::MyDatabaseId });
    if access == Access::Read && !path.exists() {
        return Err(Error::new(
            pgrx::PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
            format!("DuckDB storage file \"{}\" does not exist", path.display()),
        )
        .with_hint("duckdb tables are stored per database; a database created from a template does not copy them."));
    }
    std::fs::create_dir_all(storage_dir().join("tmp"))
        .map_err(|e| Error::internal(format!("could not create {}: {e}", storage_dir().display())))?;
    let settings = instance_settings();
    if with_state(|s| s.instance.as_ref().is_none_or(|i| i.settings != settings)) {
        with_state(|s| s.instance = None);
        let instance = create_instance(settings)?;
        with_state(|s| s.instance = Some(instance));
    }
    let attach = format!(
        "ATTACH {} AS {ATTACHED}{}",
        naming::quote_literal(&path.to_string_lossy()),
        if access == Access::Read { " (READ_ONLY)" } else { "" }
    );
    with_state(|s| -> Result<()> {
        interrupt::with_signals_blocked(|| conn(s).execute(&attach))?;
        s.session = Some(Session { access });
        conn(s).execute(&format!("USE {ATTACHED}"))?;
        conn(s).execute("BEGIN TRANSACTION")?;
        Ok(())
    })
    .inspect_err(|_| with_state(detach))
}

/// After a subtransaction rolled back: if a DuckDB statement failed in it,
/// DuckDB has aborted its whole transaction. Without writes it is simply
/// restarted (the lock held since it began means nothing changed in
/// between); with writes the PostgreSQL transaction is doomed.
fn recover_after_subabort(s: &mut State) {
    if !s.failed {
        return;
    }
    if let Some(id) = s.active.take() {
        if let Some(stream) = s.streams.get_mut(&id) {
            stream.result = None;
        }
    }
    s.failed = false;
    let restarted = !s.dirty
        && s.instance.as_ref().is_some_and(|i| i.conn.execute("ROLLBACK").and_then(|_| i.conn.execute("BEGIN TRANSACTION")).is_ok());
    if !restarted && s.doomed.is_none() {
        s.doomed = Some("A DuckDB statement failed inside the rolled-back subtransaction, which aborts DuckDB's transaction, and this transaction had already written to duckdb tables.".into());
    }
}

/// Drains the stream that owns the connection into memory, so the
/// connection can run something else.
fn release_connection(s: &mut State) -> Result<()> {
    if let Some(id) = s.active.take() {
        if let Some(stream) = s.streams.get_mut(&id) {
            if let Some(mut b) = stream.bridge.take() {
                while let Some(chunk) = b.next().inspect_err(|_| s.failed = true)? {
                    stream.spilled.push_back(chunk);
                }
            }
            if let Some(mut result) = stream.result.take() {
                while let Some(chunk) =
                    interrupt::guarded(s.instance.as_ref().map(|x| &x.conn), || result.next_chunk()).inspect_err(|_| s.failed = true)?
                {
                    stream.spilled.push_back(chunk);
                }
            }
        }
    }
    Ok(())
}

/// Runs `f` on the session's connection after flushing buffered rows, so
/// every statement sees the transaction's own inserts.
pub fn run<R>(access: Access, f: impl FnOnce(&Connection) -> ffi::DuckResult<R>) -> Result<R> {
    begin(access)?;
    flush_all()?;
    with_state(|s| {
        release_connection(s)?;
        let conn = conn(s);
        let r = interrupt::guarded(Some(conn), || f(conn));
        s.failed |= r.is_err();
        // A failed statement changed nothing: DuckDB aborted its transaction.
        s.dirty |= access == Access::Write && r.is_ok();
        Ok(r?)
    })
}

/// Runs a statement that changes DuckDB on behalf of `storage` (a
/// relfilenode) and records the change for savepoint handling.
pub fn write(storage: u32, sql: &str) -> Result<u64> {
    let n = run(Access::Write, |c| c.execute(sql))?;
    with_state(|s| s.ledger.wrote(current_subxact(), storage));
    Ok(n)
}

/// Runs a data-modifying statement with parameters (no RETURNING) on
/// behalf of `storage`; returns DuckDB's count of rows changed. Only a
/// statement that changed rows marks the transaction as written: one that
/// failed changed nothing (DuckDB aborted its transaction), and one that
/// matched no rows leaves it as clean as before.
pub fn write_counted(storage: u32, sql: &str, params: &[Option<String>], heap: &[HeapSource]) -> Result<u64> {
    begin(Access::Write)?;
    let id = open_stream(sql, params, None, heap)?;
    let counted = (|| -> Result<u64> {
        let mut n = 0;
        while let Some(chunk) = next_chunk(id)? {
            n += count_column(&chunk);
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

/// The sum of a DML result's "Count" column.
fn count_column(chunk: &DataChunk) -> u64 {
    (0..chunk.len()).filter(|&i| chunk.column(0).is_valid(i)).map(|i| chunk.column(0).get::<i64>(i) as u64).sum()
}

/// Records that this subtransaction created the DuckDB table for `storage`.
pub fn note_created(storage: u32) {
    with_state(|s| s.ledger.created(current_subxact(), storage));
}

/// Schedules the DuckDB table of `storage` to be dropped after commit.
pub fn drop_after_commit(storage: u32) {
    with_state(|s| s.ledger.drop_after_commit(current_subxact(), storage));
}

pub fn remove_file_after_commit(path: PathBuf) {
    with_state(|s| s.files_to_remove.push(path));
}

pub fn current_subxact() -> u32 {
    unsafe { pg_sys::GetCurrentSubTransactionId() }
}

/// Starts streaming a query; returns its id for `next_chunk` / `close_stream`.
/// `writes`: the storage (relfilenode) a data-modifying statement changes,
/// recorded for savepoint handling.
/// `heap`: what the query's `pg_heap(k)` read.
pub fn open_stream(sql: &str, params: &[Option<String>], writes: Option<u32>, heap: &[HeapSource]) -> Result<StreamId> {
    begin(if writes.is_some() { Access::Write } else { Access::Read })?;
    flush_all()?;
    with_state(|s| {
        release_connection(s)?;
        let conn = conn(s);
        let (result, bridge) = if heap.is_empty() {
            (Some(interrupt::guarded(Some(conn), || conn.stream(sql, params)).inspect_err(|_| s.failed = true)?), None)
        } else {
            (None, Some(bridge::Bridge::start(conn, sql, params, heap)))
        };
        let id = s.next_stream;
        s.next_stream += 1;
        s.streams.insert(id, Stream { result, spilled: VecDeque::new(), writes, bridge });
        s.active = Some(id);
        Ok(id)
    })
}

/// Next chunk of a stream; `None` at its end.
pub fn next_chunk(id: StreamId) -> Result<Option<DataChunk>> {
    // A bridged query is served outside the state: the main thread runs
    // PostgreSQL table scans while DuckDB works.
    let bridge = with_state(|s| s.streams.get_mut(&id).and_then(|x| if x.spilled.is_empty() { x.bridge.take() } else { None }));
    if let Some(mut b) = bridge {
        let chunk = b.next().inspect_err(|_| with_state(|s| s.failed = true));
        with_state(|s| match s.streams.get_mut(&id) {
            Some(x) => x.bridge = Some(b),
            None => drop(b),
        });
        let chunk = chunk?;
        mark_written(id, chunk.as_ref());
        return Ok(chunk);
    }
    with_state(|s| {
        let State { streams, instance, failed, .. } = s;
        let stream = streams.get_mut(&id).ok_or_else(|| Error::internal("unknown DuckDB stream"))?;
        if let Some(chunk) = stream.spilled.pop_front() {
            return Ok(Some(chunk));
        }
        let chunk = match stream.result.as_mut() {
            Some(result) => interrupt::guarded(instance.as_ref().map(|x| &x.conn), || result.next_chunk()).inspect_err(|_| *failed = true)?,
            None => None,
        };
        Ok(chunk)
    })
    .inspect(|chunk| mark_written(id, chunk.as_ref()))
}

/// A data-modifying stream's first RETURNING row: every change is made (no
/// rows: no change).
fn mark_written(id: StreamId, chunk: Option<&DataChunk>) {
    if !chunk.is_some_and(|c| c.len() > 0) {
        return;
    }
    with_state(|s| {
        if let Some(storage) = s.streams.get_mut(&id).and_then(|x| x.writes.take()) {
            s.dirty = true;
            s.ledger.wrote(current_subxact(), storage);
        }
    });
}

/// Closes a stream. Also runs from memory-context callbacks during error
/// cleanup, so it never panics: if the state is busy (cannot happen on the
/// normal path) the stream is left for transaction end to free.
pub fn close_stream(id: StreamId) {
    STATE.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.streams.remove(&id);
            if s.active == Some(id) {
                s.active = None;
            }
        }
    });
}

/// Buffers rows for `storage`: `fill` writes into the buffer's current
/// chunk and returns how many rows it added. Full chunks are queued and the
/// buffer is appended to DuckDB once it holds `duckam.insert_buffer_rows`.
pub fn with_insert_buffer<R>(
    storage: u32,
    table: impl FnOnce() -> (String, Vec<DuckType>),
    fill: impl FnOnce(&mut InsertBuffer) -> Result<R>,
) -> Result<R> {
    begin(Access::Write)?;
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
            InsertBuffer { table, types, owner: sub, chunks: Vec::new(), rows: 0 }
        });
        buf.owner = sub;
        fill(buf)
    })?;
    let full = with_state(|s| s.buffers.get(&storage).is_some_and(|b| b.rows >= gucs::INSERT_BUFFER_ROWS.get() as usize));
    if full {
        flush_one(storage)?;
    }
    Ok(result)
}

fn flush_one(storage: u32) -> Result<()> {
    let Some(buf) = with_state(|s| s.buffers.remove(&storage)) else { return Ok(()) };
    if buf.rows == 0 {
        return Ok(());
    }
    with_state(|s| {
        release_connection(s)?;
        s.dirty = true;
        let r = interrupt::guarded(Some(conn(s)), || conn(s).append_chunks(&buf.table, &buf.chunks));
        s.failed |= r.is_err();
        r?;
        s.ledger.wrote(buf.owner, storage);
        Ok(())
    })
}

/// Appends every buffered row to DuckDB.
pub fn flush_all() -> Result<()> {
    let keys: Vec<u32> = with_state(|s| s.buffers.keys().copied().collect());
    for k in keys {
        flush_one(k)?;
    }
    Ok(())
}

/// Drops buffered rows of `storage` (nontransactional truncate).
pub fn discard_buffer(storage: u32) {
    with_state(|s| s.buffers.remove(&storage));
}

/// DuckDB's profile of the last statement the session ran (the profiler
/// is always on, without output: its cost was within measurement noise on
/// 3M-row aggregates, and the configuration is locked once the instance
/// exists). EXPLAIN ANALYZE shows it under a DuckDB scan.
pub fn last_profile() -> Option<ProfileNode> {
    with_state(|s| s.instance.as_ref().and_then(|i| i.conn.last_profile()))
}

/// Runs a query whose columns are all VARCHAR; returns its rows.
pub fn query_text_rows(access: Access, sql: &str) -> Result<Vec<Vec<String>>> {
    run(access, |c| {
        let mut r = c.query(sql)?;
        let mut rows = Vec::new();
        while let Some(chunk) = r.next_chunk()? {
            let width = chunk.column_count();
            for i in 0..chunk.len() {
                rows.push((0..width).map(|col| String::from_utf8_lossy(chunk.column(col).get_bytes(i)).into_owned()).collect());
            }
        }
        Ok(rows)
    })
}

/// Runs a query returning one BIGINT (e.g. count(*)).
pub fn query_i64(sql: &str) -> Result<i64> {
    run(Access::Read, |c| {
        let mut r = c.query(sql)?;
        Ok(match r.next_chunk()? {
            Some(chunk) if chunk.len() > 0 && chunk.column(0).is_valid(0) => chunk.column(0).get::<i64>(0),
            _ => 0,
        })
    })
}
