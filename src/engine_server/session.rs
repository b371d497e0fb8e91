//! One backend's session in the engine: its own DuckDB connection and at
//! most one DuckDB transaction, over a Unix-domain socket.
//!
//! Two threads per session. The reader thread reads every message the
//! backend sends and routes it: requests to the executor, heap batches to
//! the `pg_heap` reading waiting for them, `Cancel` straight to DuckDB's
//! interrupt. The executor thread (this session's thread) runs requests
//! one at a time and writes their responses. When the backend goes away
//! in any way — exit, FATAL, kill -9 — its socket reaches end-of-file,
//! the running statement is interrupted and the transaction rolled back.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{unbounded, Receiver, Sender};
use duckam_logic::types::DuckType;
use duckam_logic::wire::message::frame_len;
use duckam_logic::wire::{Batch, BatchBuilder, ErrorKind, HeapScan, Request, Response, PROTOCOL_VERSION};
use parking_lot::Mutex;

use super::convert;
use super::group_commit::GROUP_MAX_ROWS;
use super::batchfn::Inserts;
use super::ffi::{Connection, DuckError, DuckResult, InterruptHandle, Prepared, QueryResult};
use super::heapfn::{HeapLink, HeapQuery};
use super::instance::{Engine, SessionEntry};

/// A result batch is sent once it holds this many bytes (or the result ends).
const BATCH_BYTES: usize = 256 * 1024;
/// Prepared statements kept per session.
const PREPARED_CACHE: usize = 256;

/// The write side of a session's socket; whole messages, one at a time
/// (the executor and DuckDB threads asking for heap rows both write).
pub struct Outbox {
    socket: Mutex<UnixStream>,
}

impl Outbox {
    pub fn send(&self, r: &Response) -> std::io::Result<()> {
        let frame = r.encode();
        self.socket.lock().write_all(&frame)
    }
}

fn read_frame(socket: &mut UnixStream) -> std::io::Result<Vec<u8>> {
    let mut header = [0u8; 4];
    socket.read_exact(&mut header)?;
    let mut body = vec![0u8; frame_len(header)];
    socket.read_exact(&mut body)?;
    Ok(body)
}

/// The peer's process id, from the kernel (SO_PEERCRED), if it runs as
/// our own OS user.
fn peer_pid(socket: &UnixStream) -> Option<i32> {
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockopt(socket.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PEERCRED, &mut cred as *mut _ as *mut libc::c_void, &mut len)
    };
    (rc == 0 && cred.uid == unsafe { libc::geteuid() }).then_some(cred.pid)
}

/// The parent process of `pid` (from /proc).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may contain spaces, so split after ')'.
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

enum Incoming {
    Request(Request),
    Closed,
}

/// Reads the backend's messages until its socket closes.
fn reader(mut socket: UnixStream, to_executor: Sender<Incoming>, link: Arc<HeapLink>, interrupt: InterruptHandle, cancelled: Arc<AtomicBool>) {
    loop {
        let Ok(body) = read_frame(&mut socket) else { break };
        match Request::decode(&body) {
            Ok(Request::HeapBatch { request, outcome }) => link.answer(request, outcome),
            Ok(Request::Cancel) => {
                cancelled.store(true, Ordering::SeqCst);
                link.stop();
                interrupt.interrupt();
            }
            Ok(r) => {
                if to_executor.send(Incoming::Request(r)).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    link.stop();
    interrupt.interrupt();
    let _ = to_executor.send(Incoming::Closed);
}

/// A statement's result being handed out batch by batch.
struct Stream {
    types: Vec<DuckType>,
    /// The DuckDB result, until it ends.
    result: Option<QueryResult>,
    /// Streaming results live in the connection (one at a time); a
    /// materialized one does not.
    streaming: bool,
    /// Batches taken out of the result early (another statement needed
    /// the connection).
    spilled: VecDeque<Vec<u8>>,
}

impl Stream {
    fn done(&self) -> bool {
        self.result.is_none() && self.spilled.is_empty()
    }

    /// The next batch: spilled ones first, then whole chunks of the
    /// result until BATCH_BYTES or its end.
    fn next_batch(&mut self) -> DuckResult<Vec<u8>> {
        match self.spilled.pop_front() {
            Some(b) => Ok(b),
            None => self.read_batch(),
        }
    }

    fn read_batch(&mut self) -> DuckResult<Vec<u8>> {
        let mut batch = BatchBuilder::new(&self.types);
        while let Some(result) = self.result.as_mut() {
            match result.next_chunk()? {
                Some(chunk) => {
                    convert::append_chunk(&mut batch, &chunk, &self.types);
                    if batch.byte_size() >= BATCH_BYTES {
                        break;
                    }
                }
                None => self.result = None,
            }
        }
        Ok(batch.encode())
    }

    /// Takes the rest of a streaming result out of the connection.
    fn spill(&mut self) -> DuckResult<()> {
        while self.result.is_some() {
            let b = self.read_batch()?;
            self.spilled.push_back(b);
        }
        Ok(())
    }
}

/// Prepared statements by SQL text, least recently used evicted.
#[derive(Default)]
struct StatementCache {
    entries: HashMap<String, (Prepared, u64)>,
    tick: u64,
}

impl StatementCache {
    fn get(&mut self, conn: &Connection, sql: &str) -> DuckResult<&mut Prepared> {
        self.tick += 1;
        if !self.entries.contains_key(sql) {
            if self.entries.len() >= PREPARED_CACHE {
                if let Some(oldest) = self.entries.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| k.clone()) {
                    self.entries.remove(&oldest);
                }
            }
            let prepared = conn.prepare(sql)?;
            self.entries.insert(sql.to_string(), (prepared, 0));
        }
        let entry = self.entries.get_mut(sql).expect("just inserted");
        entry.1 = self.tick;
        Ok(&mut entry.0)
    }
}

/// BEGIN, COMMIT and ROLLBACK, each prepared at its first use in a session
/// (parsing them each time costs DuckDB more than running them; preparing
/// them all up front would slow every new connection).
#[derive(Default)]
struct TransactionStatements {
    begin: Option<Prepared>,
    commit: Option<Prepared>,
    rollback: Option<Prepared>,
}

impl TransactionStatements {
    fn run(slot: &mut Option<Prepared>, conn: &Connection, sql: &str) -> DuckResult<()> {
        if slot.is_none() {
            *slot = Some(conn.prepare(sql)?);
        }
        slot.as_mut().expect("prepared").run(&[], false).map(drop)
    }

    fn begin(&mut self, conn: &Connection) -> DuckResult<()> {
        Self::run(&mut self.begin, conn, "BEGIN TRANSACTION")
    }

    fn commit(&mut self, conn: &Connection) -> DuckResult<()> {
        Self::run(&mut self.commit, conn, "COMMIT")
    }

    fn rollback(&mut self, conn: &Connection) -> DuckResult<()> {
        Self::run(&mut self.rollback, conn, "ROLLBACK")
    }
}

struct Session {
    engine: Arc<Engine>,
    tx: TransactionStatements,
    inserts: Inserts,
    entry: Arc<SessionEntry>,
    outbox: Arc<Outbox>,
    link: Arc<HeapLink>,
    cancelled: Arc<AtomicBool>,
    /// DuckDB's profiler is on (turned on at the first EXPLAIN ANALYZE).
    profiling: bool,
    in_txn: bool,
    /// The transaction changed something (decides idle checkpoints).
    wrote: bool,
    streams: HashMap<u64, Stream>,
    /// The stream whose streaming result lives in the connection.
    active: Option<u64>,
    cache: StatementCache,
    /// Last: dropped after the statements prepared on it.
    conn: Connection,
}

/// A request's outcome: a response, or none for requests that have none.
type Outcome = DuckResult<Option<Response>>;

impl Session {
    fn set_state(&self, state: &'static str, statement: Option<&str>) {
        let mut s = self.entry.state.lock();
        s.0 = state;
        if let Some(text) = statement {
            s.1 = Some(text.chars().take(1024).collect());
        }
    }

    /// DuckDB would take the database's snapshot at the first access; the
    /// backend needs it taken now (engine::snapshot).
    fn touch_database(&self) -> DuckResult<()> {
        touch_database(&self.conn, self.entry.database)
    }

    /// Whether no commit that wrote heap and duckdb tables entered its
    /// window since the backend's token (engine::snapshot).
    fn check(token: Option<u64>) -> bool {
        token.is_none_or(|t| crate::shmem::mixed_entered() == t)
    }

    fn begin(&mut self) -> DuckResult<()> {
        if !self.in_txn {
            self.tx.begin(&self.conn)?;
            if let Err(e) = self.touch_database() {
                let _ = self.tx.rollback(&self.conn);
                return Err(e);
            }
            self.in_txn = true;
            self.wrote = false;
            self.entry.in_transaction.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Ends the DuckDB transaction (ROLLBACK) and every stream of it.
    fn end(&mut self) {
        self.streams.clear();
        self.rollback();
    }

    /// Rolls the DuckDB transaction back. Streams already out of the
    /// connection (spilled or materialized) stay readable: a cursor opened
    /// before a savepoint survives the savepoint's rollback.
    fn rollback(&mut self) {
        if let Some(id) = self.active.take() {
            self.streams.remove(&id);
        }
        if self.in_txn {
            if let Err(e) = self.tx.rollback(&self.conn) {
                self.engine.log(format!("pg_duckam engine: rollback for backend {} failed: {}", self.entry.pid, e.message));
            }
            self.in_txn = false;
            self.entry.in_transaction.store(false, Ordering::Relaxed);
        }
    }

    /// Makes the connection free for another statement: the streaming
    /// result in it is read to its end into memory.
    fn release_connection(&mut self) -> DuckResult<()> {
        if let Some(id) = self.active.take() {
            if let Some(s) = self.streams.get_mut(&id) {
                s.spill()?;
            }
        }
        Ok(())
    }

    /// Runs a statement as stream `stream`. `autocommit`: a read-only one
    /// with no transaction open runs in a DuckDB transaction of its own,
    /// once its snapshot passes the backend's check.
    fn query(&mut self, stream: u64, sql: &str, params: &[Option<String>], heap: Vec<HeapScan>, materialize: bool, autocommit: Option<u64>, profile: bool) -> Outcome {
        self.release_connection()?;
        if profile && !self.profiling {
            self.conn.execute("PRAGMA enable_profiling = 'no_output'")?;
            self.profiling = true;
        }
        let autocommit = autocommit.filter(|_| !self.in_txn);
        if autocommit.is_none() {
            self.begin()?;
            self.wrote |= is_write(sql);
        }
        let streaming = heap.is_empty() && !materialize;
        let (conn, database) = (&self.conn, self.entry.database);
        let check = || autocommit.is_none() || (touch_database(conn, database).is_ok() && Session::check(autocommit));
        let result = if heap.is_empty() {
            self.link.set_query(None);
            let prepared = self.cache.get(&self.conn, sql)?;
            prepared.run_checked(params, streaming, check)
        } else {
            // Not cached: pg_heap's bind keeps the scans of the query it
            // was bound for, and a heap table's columns may have changed.
            self.link.set_query(Some(HeapQuery { stream, scans: heap }));
            let r = self.conn.prepare(sql).and_then(|mut p| p.run_checked(params, false, check));
            self.link.set_query(None);
            r
        };
        self.entry.prepared.store(self.cache.entries.len() as u64, Ordering::Relaxed);
        let Some(result) = result? else { return Ok(Some(Response::Retry)) };
        let types = result.column_types();
        let known: Vec<DuckType> = types.iter().filter_map(|t| t.as_ref().ok().cloned()).collect();
        if known.len() != types.len() {
            return Ok(Some(Response::Rows { types: Some(types), batch: BatchBuilder::new(&[]).encode(), done: true }));
        }
        let mut s = Stream { types: known, result: Some(result), streaming, spilled: VecDeque::new() };
        let batch = s.next_batch()?;
        let done = s.done();
        if !done {
            if s.streaming {
                self.active = Some(stream);
            }
            self.streams.insert(stream, s);
        }
        Ok(Some(Response::Rows { types: Some(types), batch, done }))
    }

    fn fetch(&mut self, stream: u64) -> Outcome {
        let Some(s) = self.streams.get_mut(&stream) else {
            return Err(DuckError::new("pg_duckam engine: no such stream", ErrorKind::Engine));
        };
        let batch = s.next_batch()?;
        let done = s.done();
        if done {
            self.streams.remove(&stream);
            if self.active == Some(stream) {
                self.active = None;
            }
        }
        Ok(Some(Response::Rows { types: None, batch, done }))
    }

    /// Appends a batch to `table`, whose columns have `types`; `commit`:
    /// then commits — a batch alone (no transaction open) in a DuckDB
    /// transaction of its own, without BEGIN and COMMIT, small ones
    /// together with other sessions' (group_commit).
    fn append(&mut self, catalog: Option<&str>, table: &str, types: Vec<DuckType>, batch: Vec<u8>, commit: bool) -> Outcome {
        self.release_connection()?;
        let batch = Batch::decode(batch).map_err(|e| DuckError::new(e.to_string(), ErrorKind::Engine))?;
        let on_its_own = commit && !self.in_txn;
        if on_its_own && catalog.is_none() && batch.rows() <= GROUP_MAX_ROWS {
            let rows = batch.rows() as u64;
            self.engine.group_committer(self.entry.database)?.commit(table.to_string(), types, batch)?;
            self.engine.committed(self.entry.database);
            return Ok(Some(Response::Done { changed: rows }));
        }
        if !on_its_own {
            self.begin()?;
        }
        self.wrote = true;
        let changed = self.inserts.insert(&self.conn, catalog, table, &types, vec![batch])?;
        if commit {
            self.commit()?;
            if on_its_own {
                self.engine.committed(self.entry.database);
            }
        }
        Ok(Some(Response::Done { changed }))
    }

    /// Commits the DuckDB transaction, if one is open.
    fn commit(&mut self) -> DuckResult<()> {
        self.active = None;
        self.streams.clear();
        if self.in_txn {
            self.in_txn = false;
            self.entry.in_transaction.store(false, Ordering::Relaxed);
            self.tx.commit(&self.conn)?;
            if self.wrote {
                self.engine.committed(self.entry.database);
            }
        }
        Ok(())
    }

    fn handle(&mut self, request: Request) -> Outcome {
        match request {
            Request::Hello { .. } => Err(DuckError::new("pg_duckam engine: the session has already started", ErrorKind::Engine)),
            Request::Begin { fresh, check } => {
                if self.in_txn && fresh {
                    // Open cursors keep their rows (of their snapshot).
                    self.release_connection()?;
                    self.rollback();
                }
                let new = !self.in_txn;
                self.begin()?;
                if new && !Session::check(check) {
                    self.rollback();
                    return Ok(Some(Response::Retry));
                }
                Ok(Some(Response::Done { changed: 0 }))
            }
            Request::Query { stream, sql, params, heap, materialize, autocommit, profile } => {
                self.set_state("active", Some(&sql));
                self.query(stream, &sql, &params, heap, materialize, autocommit, profile)
            }
            Request::Fetch { stream } => {
                self.set_state("active", None);
                self.fetch(stream)
            }
            Request::Close { stream } => {
                self.streams.remove(&stream);
                if self.active == Some(stream) {
                    self.active = None;
                }
                Ok(None)
            }
            Request::Execute { sql } => {
                self.set_state("active", Some(&sql));
                self.begin()?;
                self.release_connection()?;
                self.wrote = true;
                let changed = self.conn.execute(&sql)?;
                Ok(Some(Response::Done { changed }))
            }
            Request::Append { catalog, table, types, batch, commit } => {
                self.set_state("active", Some(&format!("append to {table}")));
                self.append(catalog.as_deref(), &table, types, batch, commit)
            }
            Request::Commit => {
                self.set_state("active", Some("COMMIT"));
                self.commit()?;
                Ok(Some(Response::Done { changed: 0 }))
            }
            Request::Rollback => {
                self.end();
                Ok(None)
            }
            Request::Profile => Ok(Some(Response::Profile(self.conn.last_profile()))),
            Request::Sessions => Ok(Some(Response::Sessions(self.engine.session_list()))),
            Request::Status => Ok(Some(Response::Status(self.engine.status(&self.conn)?))),
            Request::DropDatabase { oid } => {
                self.engine.drop_database(oid)?;
                Ok(Some(Response::Done { changed: 0 }))
            }
            Request::HeapBatch { .. } | Request::Cancel => Ok(None),
        }
    }

    /// Runs one request and answers it. A failed statement ends the
    /// DuckDB transaction (DuckDB has aborted it anyway), and so does a
    /// cancel: the backend raises its cancel error right after.
    fn run(&mut self, request: Request) -> std::io::Result<()> {
        let answers = request.has_response();
        let outcome = self.handle(request);
        let cancelled = self.cancelled.swap(false, Ordering::SeqCst);
        let response = match outcome {
            Ok(r) => {
                if cancelled {
                    self.rollback();
                }
                r
            }
            Err(e) => {
                let ended = self.in_txn;
                self.rollback();
                answers.then_some(Response::Error { kind: e.kind, message: e.message, ended })
            }
        };
        self.set_state(if self.in_txn { "idle in transaction" } else { "idle" }, None);
        match response {
            Some(r) => self.outbox.send(&r),
            None => Ok(()),
        }
    }
}

/// Starts `conn`'s transaction in `database` now (0: none).
fn touch_database(conn: &Connection, database: u32) -> DuckResult<()> {
    if database == 0 {
        return Ok(());
    }
    conn.touch_catalog(&super::instance::catalog_name(database))
}

/// Does the statement change data (so the transaction wrote)?
fn is_write(sql: &str) -> bool {
    let head = sql.trim_start().split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    !matches!(head.as_str(), "SELECT" | "WITH" | "VALUES" | "FROM" | "(")
}

/// Serves one backend until its socket closes. Runs on the session's thread.
pub fn serve(socket: UnixStream, engine: Arc<Engine>) {
    let Some(pid) = peer_pid(&socket) else { return };
    // Only the cluster's own backends: children of our postmaster.
    if parent_of(pid) != Some(engine.settings.postmaster_pid) {
        engine.log(format!("pg_duckam engine: refused a connection from process {pid}, which is not a PostgreSQL backend of this cluster"));
        return;
    }
    let (Ok(mut read_half), Ok(write_half)) = (socket.try_clone(), socket.try_clone()) else { return };
    let outbox = Arc::new(Outbox { socket: Mutex::new(write_half) });
    let hello = read_frame(&mut read_half).ok().and_then(|b| Request::decode(&b).ok());
    let Some(Request::Hello { version, pid: claimed, database, create }) = hello else { return };
    if version != PROTOCOL_VERSION || claimed != pid {
        let _ = outbox.send(&Response::Error {
            kind: ErrorKind::Engine,
            message: format!("pg_duckam engine speaks protocol {PROTOCOL_VERSION}, the backend {version}: the extension library changed without a restart"),
            ended: false,
        });
        return;
    }
    let conn = match engine.connect(database, create) {
        Ok(c) => c,
        Err(e) => {
            let _ = outbox.send(&Response::Error { kind: e.kind, message: e.message, ended: false });
            return;
        }
    };
    if outbox.send(&Response::Ready { engine_pid: std::process::id() as i32 }).is_err() {
        return;
    }
    let link = HeapLink::register(&conn, outbox.clone());
    let (session_id, entry) = engine.add_session(pid, database, socket.as_raw_fd());
    let (to_executor, requests): (Sender<Incoming>, Receiver<Incoming>) = unbounded();
    let cancelled = Arc::new(AtomicBool::new(false));
    let reader_thread = {
        let (link, interrupt, cancelled) = (link.clone(), conn.interrupt_handle(), cancelled.clone());
        std::thread::Builder::new()
            .name(format!("duckam-read-{pid}"))
            .stack_size(256 * 1024)
            .spawn(move || reader(read_half, to_executor, link, interrupt, cancelled))
    };
    let Ok(reader_thread) = reader_thread else {
        engine.remove_session(session_id);
        HeapLink::unregister(&conn);
        return;
    };
    let mut session = Session {
        engine: engine.clone(),
        tx: TransactionStatements::default(),
        inserts: Inserts::new(&conn),
        profiling: false,
        entry,
        outbox,
        link,
        cancelled,
        in_txn: false,
        wrote: false,
        streams: HashMap::new(),
        active: None,
        cache: StatementCache::default(),
        conn,
    };
    while let Ok(Incoming::Request(request)) = requests.recv() {
        if session.run(request).is_err() || session.entry.closing.load(Ordering::SeqCst) {
            break;
        }
    }
    session.end();
    let _ = socket.shutdown(std::net::Shutdown::Both);
    let _ = reader_thread.join();
    HeapLink::unregister(&session.conn);
    engine.remove_session(session_id);
    // The connection (and with it the interrupt handle's target) goes last,
    // after the reader thread is gone.
    drop(session);
}
