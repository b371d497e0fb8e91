//! The backend's end of its engine session: a Unix-domain socket to the
//! engine process (engine_server), messages framed as in wire::message.
//!
//! One request at a time: a request is written whole, then messages are
//! read until its response, answering the engine's heap requests on the
//! way (DuckDB reading a PostgreSQL table of this backend). Waits go
//! through a PostgreSQL WaitEventSet, so a cancel or statement_timeout
//! sends `Cancel` to the engine and the response (its "interrupted" error)
//! still arrives in order; if the engine does not answer within the
//! grace period the session is dropped (the engine rolls it back when the
//! socket closes). Postmaster death ends the backend as usual.

use std::io::{ErrorKind as IoErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use duckam_logic::wire::message::frame_len;
use duckam_logic::wire::{ErrorKind, HeapOutcome, Request, Response, PROTOCOL_VERSION};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

use crate::engine_server::SOCKET;
use crate::error::{Error, Result};
use crate::shmem::{self, EngineState};

/// How long the engine may take to stop a statement after `Cancel`.
const CANCEL_GRACE: Duration = Duration::from_secs(10);
/// How long a backend waits for a starting engine.
const START_WAIT: Duration = Duration::from_secs(15);

/// A cancel, statement timeout or termination is pending (the interrupts
/// that end the running statement).
pub fn cancel_pending() -> bool {
    unsafe {
        std::ptr::addr_of!(pg_sys::QueryCancelPending).read_volatile() != 0
            || std::ptr::addr_of!(pg_sys::ProcDiePending).read_volatile() != 0
    }
}

/// A heap request from the engine, to be answered by the caller.
pub struct HeapRequest {
    pub stream: u64,
    pub scan: u32,
    pub reading: u64,
    pub columns: Vec<u32>,
    pub max_rows: u32,
}

/// What serving a heap request produced: an answer, or a PostgreSQL error
/// (as a panic payload) to re-raise once the engine has stopped.
pub type Served = std::result::Result<HeapOutcome, Box<dyn std::any::Any + Send>>;

fn lost(what: impl std::fmt::Display) -> Error {
    Error::new(PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE, format!("lost the connection to the pg_duckam engine: {what}"))
        .with_hint("The engine process may have restarted; see the server log. The transaction's DuckDB work was rolled back; retry it.")
}

/// A response owed for a request sent without waiting.
enum Owed {
    /// An Append's: only its error matters.
    Ack,
    /// A prefetched Fetch's, kept for the stream's next read.
    Rows(u64),
    /// One nobody waits for any more (its stream was closed).
    Discard,
}

pub struct Client {
    /// The database the session is for (0: none, service requests only).
    database: u32,
    socket: UnixStream,
    events: *mut pg_sys::WaitEventSet,
    /// Bytes read and not yet parsed.
    input: Vec<u8>,
    /// What one read(2) fills.
    scratch: Vec<u8>,
    /// Responses still owed for requests sent without waiting, in order.
    owed: std::collections::VecDeque<Owed>,
    /// Prefetched batches that arrived: (stream, response).
    kept: Vec<(u64, Response)>,
    /// The session can no longer be used (protocol out of step, engine gone).
    broken: bool,
    /// A Cancel was sent during the last request: the engine ended the
    /// DuckDB transaction after it.
    pub cancelled: bool,
    /// A request is being sent or awaited; still set afterwards if an
    /// error unwound through it (then the session is out of step).
    in_request: bool,
}

const SOCKET_EVENT: i32 = 1;

impl Drop for Client {
    fn drop(&mut self) {
        unsafe { pg_sys::FreeWaitEventSet(self.events) };
    }
}

/// Why the engine cannot be reached, as an error with a hint.
fn engine_unavailable(detail: String) -> Error {
    let (state, message) = shmem::engine_state();
    let err = match (state, message) {
        (EngineState::Failed, Some(m)) => Error::new(PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE, format!("the pg_duckam engine could not start: {m}"))
            .with_hint("Fix the cause and the engine starts again by itself within seconds; the server log has the details."),
        _ => Error::new(PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE, "the pg_duckam engine is not running")
            .with_hint("The engine is a background worker of pg_duckam (shared_preload_libraries); see the server log for why it is not up."),
    };
    err.with_detail(detail)
}

impl Client {
    /// Connects to the engine for `database` (0: for service requests
    /// only), waiting a while for an engine that is starting.
    pub fn connect(database: u32) -> Result<Client> {
        if unsafe { pg_sys::RecoveryInProgress() } {
            return Err(Error::unsupported("duckdb tables cannot be used on a standby server")
                .with_hint("The DuckDB files on a standby are stale copies that WAL replay does not update. Query the primary."));
        }
        let deadline = Instant::now() + START_WAIT;
        let socket = loop {
            let state = shmem::engine_state().0;
            let attempt = if state == EngineState::Ready { UnixStream::connect(SOCKET).map_err(|e| e.to_string()) } else { Err(format!("engine state: {state:?}")) };
            match attempt {
                Ok(s) => break s,
                Err(why) => {
                    if state == EngineState::Failed || Instant::now() >= deadline {
                        return Err(engine_unavailable(why));
                    }
                    unsafe {
                        pg_sys::WaitLatch(
                            pg_sys::MyLatch,
                            (pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_EXIT_ON_PM_DEATH) as i32,
                            20,
                            pg_sys::PG_WAIT_EXTENSION,
                        );
                        pg_sys::ResetLatch(pg_sys::MyLatch);
                        pgrx::check_for_interrupts!();
                    }
                }
            }
        };
        socket.set_nonblocking(true).map_err(lost)?;
        let events = unsafe {
            let set = pg_sys::CreateWaitEventSet(pg_sys::TopMemoryContext, 3);
            pg_sys::AddWaitEventToSet(set, pg_sys::WL_LATCH_SET, pg_sys::PGINVALID_SOCKET, pg_sys::MyLatch, std::ptr::null_mut());
            pg_sys::AddWaitEventToSet(set, pg_sys::WL_SOCKET_READABLE, socket.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut());
            pg_sys::AddWaitEventToSet(set, pg_sys::WL_EXIT_ON_PM_DEATH, pg_sys::PGINVALID_SOCKET, std::ptr::null_mut(), std::ptr::null_mut());
            set
        };
        let mut client = Client { database, socket, events, input: Vec::new(), scratch: vec![0; 256 * 1024], owed: Default::default(), kept: Vec::new(), broken: false, cancelled: false, in_request: false };
        let hello = Request::Hello { version: PROTOCOL_VERSION, pid: unsafe { pg_sys::MyProcPid }, database, create: database != 0 };
        match client.call(&hello, &mut |_| Ok(HeapOutcome::Failed("no statement".into())))? {
            Response::Ready { .. } => Ok(client),
            other => Err(unexpected(&other)),
        }
    }

    pub fn is_broken(&self) -> bool {
        self.broken
    }

    pub fn database(&self) -> u32 {
        self.database
    }

    /// Whether an error left a request half done (see `in_request`).
    pub fn in_request(&self) -> bool {
        self.in_request
    }

    /// Waits for the socket (`events`: readable or writeable) or the latch.
    /// A pending cancel sends `Cancel` once (when `can_cancel`: only while
    /// waiting to read, never in the middle of writing a frame); fails
    /// once the grace period after it has passed.
    fn wait(&mut self, events: u32, can_cancel: bool, cancel_deadline: &mut Option<Instant>) -> Result<()> {
        let timeout = cancel_deadline.map_or(-1, |d| d.saturating_duration_since(Instant::now()).as_millis() as i64);
        let mut event: pg_sys::WaitEvent = unsafe { std::mem::zeroed() };
        let n = unsafe {
            pg_sys::ModifyWaitEvent(self.events, SOCKET_EVENT, events, std::ptr::null_mut());
            pg_sys::WaitEventSetWait(self.events, timeout as _, &mut event, 1, pg_sys::PG_WAIT_EXTENSION)
        };
        if n > 0 && event.events & pg_sys::WL_LATCH_SET != 0 {
            unsafe { pg_sys::ResetLatch(pg_sys::MyLatch) };
        }
        if can_cancel && cancel_deadline.is_none() && cancel_pending() {
            self.cancelled = true;
            *cancel_deadline = Some(Instant::now() + CANCEL_GRACE);
            self.write_all(&Request::Cancel.encode(), &mut None)?;
        }
        if cancel_deadline.is_some_and(|d| Instant::now() >= d) {
            self.broken = true;
            return Err(Error::new(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, "canceling statement: the pg_duckam engine did not stop it in time"));
        }
        Ok(())
    }

    /// Writes a whole frame. A cancel meanwhile is sent after it (by the
    /// next wait to read), so frames never interleave.
    fn write_all(&mut self, frame: &[u8], cancel_deadline: &mut Option<Instant>) -> Result<()> {
        let mut pos = 0;
        while pos < frame.len() {
            match self.socket.write(&frame[pos..]) {
                Ok(0) => {
                    self.broken = true;
                    return Err(lost("the socket closed"));
                }
                Ok(n) => pos += n,
                Err(e) if e.kind() == IoErrorKind::WouldBlock => self.wait(pg_sys::WL_SOCKET_WRITEABLE, false, cancel_deadline)?,
                Err(e) if e.kind() == IoErrorKind::Interrupted => {}
                Err(e) => {
                    self.broken = true;
                    return Err(lost(e));
                }
            }
        }
        Ok(())
    }

    /// The next whole message body, if one has been read.
    fn take_message(&mut self) -> Option<Vec<u8>> {
        if self.input.len() < 4 {
            return None;
        }
        let len = frame_len(self.input[..4].try_into().expect("4 bytes"));
        if self.input.len() < 4 + len {
            return None;
        }
        let body = self.input[4..4 + len].to_vec();
        self.input.drain(..4 + len);
        Some(body)
    }

    /// Reads what the socket has; false if nothing was there.
    fn fill(&mut self) -> Result<bool> {
        match self.socket.read(&mut self.scratch) {
            Ok(0) => {
                self.broken = true;
                Err(lost("the engine closed the session"))
            }
            Ok(n) => {
                self.input.extend_from_slice(&self.scratch[..n]);
                Ok(true)
            }
            Err(e) => {
                if matches!(e.kind(), IoErrorKind::WouldBlock | IoErrorKind::Interrupted) {
                    Ok(false)
                } else {
                    self.broken = true;
                    Err(lost(e))
                }
            }
        }
    }

    /// The next message from the engine.
    fn read_response(&mut self, can_cancel: bool, cancel_deadline: &mut Option<Instant>) -> Result<Response> {
        loop {
            if let Some(body) = self.take_message() {
                return Response::decode(&body).map_err(|e| {
                    self.broken = true;
                    Error::internal(e.to_string())
                });
            }
            if !self.fill()? {
                self.wait(pg_sys::WL_SOCKET_READABLE, can_cancel, cancel_deadline)?;
            }
        }
    }

    /// Reads the responses still owed for requests sent without waiting:
    /// an Append's error is returned, a prefetched batch kept.
    fn collect_deferred(&mut self) -> Result<()> {
        let mut first_error = None;
        while let Some(owed) = self.owed.pop_front() {
            let r = self.read_response(false, &mut None)?;
            match (owed, r) {
                (Owed::Ack, Response::Error { kind, message, .. }) => {
                    first_error.get_or_insert(EngineError { kind, message });
                }
                (Owed::Ack | Owed::Discard, _) => {}
                (Owed::Rows(stream), r) => self.kept.push((stream, r)),
            }
        }
        match first_error {
            Some(e) => Err(e.into_error()),
            None => Ok(()),
        }
    }

    /// Asks for a stream's next batch without waiting for it, so the
    /// engine produces it while this backend converts the last one.
    pub fn prefetch(&mut self, stream: u64) -> Result<()> {
        self.in_request = true;
        self.write_all(&Request::Fetch { stream }.encode(), &mut None)?;
        self.owed.push_back(Owed::Rows(stream));
        self.in_request = false;
        Ok(())
    }

    /// Whether a prefetched batch of `stream` is owed or has arrived.
    pub fn has_prefetched(&self, stream: u64) -> bool {
        self.kept.iter().any(|(s, _)| *s == stream) || self.owed.iter().any(|o| matches!(o, Owed::Rows(s) if *s == stream))
    }

    /// The prefetched response for `stream` (waiting for it if needed).
    pub fn take_prefetched(&mut self, stream: u64) -> Result<Option<Response>> {
        if !self.kept.iter().any(|(s, _)| *s == stream) {
            self.in_request = true;
            self.collect_deferred()?;
            self.in_request = false;
        }
        Ok(self.kept.iter().position(|(s, _)| *s == stream).map(|i| self.kept.remove(i).1))
    }

    /// Forgets a closed stream's prefetched batch (one still owed is
    /// read and dropped with the next response).
    pub fn forget(&mut self, stream: u64) {
        self.kept.retain(|(s, _)| *s != stream);
        for o in self.owed.iter_mut() {
            if matches!(o, Owed::Rows(s) if *s == stream) {
                *o = Owed::Discard;
            }
        }
    }

    /// Sends a request that has no response (Close, Rollback).
    pub fn send(&mut self, request: &Request) -> Result<()> {
        self.in_request = true;
        self.collect_deferred()?;
        self.write_all(&request.encode(), &mut None)?;
        self.in_request = false;
        Ok(())
    }

    /// Sends a request whose response is read later (by the next call).
    pub fn send_deferred(&mut self, frame: &[u8]) -> Result<()> {
        self.in_request = true;
        self.collect_deferred()?;
        self.write_all(frame, &mut None)?;
        self.owed.push_back(Owed::Ack);
        self.in_request = false;
        Ok(())
    }

    /// Sends a request and returns its response, serving heap requests on
    /// the way with `serve`. An engine error response is returned as an
    /// error. A PostgreSQL error raised while serving is re-raised once the
    /// engine has answered (its statement stopped).
    ///
    /// Responses owed for earlier deferred requests are read first — for
    /// `Commit` only after sending it, saving a round trip: if one of them
    /// failed, the engine has rolled back and the COMMIT does nothing.
    pub fn call(&mut self, request: &Request, serve: &mut dyn FnMut(HeapRequest) -> Served) -> Result<Response> {
        self.call_frame(&request.encode(), matches!(request, Request::Commit), serve)
    }

    /// `call` of an encoded request (`commit`: it is `Request::Commit`).
    pub fn call_frame(&mut self, frame: &[u8], commit: bool, serve: &mut dyn FnMut(HeapRequest) -> Served) -> Result<Response> {
        self.in_request = true;
        self.cancelled = false;
        let mut cancel_deadline = None;
        if commit {
            self.write_all(frame, &mut cancel_deadline)?;
            if let Err(e) = self.collect_deferred() {
                self.read_response(false, &mut None)?;
                self.in_request = false;
                return Err(e);
            }
        } else {
            self.collect_deferred()?;
            self.write_all(frame, &mut cancel_deadline)?;
        }
        let r = self.responses(serve, &mut cancel_deadline);
        self.in_request = false;
        r
    }

    fn responses(&mut self, serve: &mut dyn FnMut(HeapRequest) -> Served, cancel_deadline: &mut Option<Instant>) -> Result<Response> {
        loop {
            match self.read_response(true, cancel_deadline)? {
                Response::HeapRequest { request, stream, scan, reading, columns, max_rows } => {
                    let served = if cancel_deadline.is_some() {
                        Ok(HeapOutcome::Failed("pg_duckam: the statement was canceled".into()))
                    } else {
                        serve(HeapRequest { stream, scan, reading, columns, max_rows })
                    };
                    match served {
                        Ok(outcome) => self.write_all(&Request::HeapBatch { request, outcome }.encode(), cancel_deadline)?,
                        Err(payload) => {
                            self.stop_after_error(request);
                            self.in_request = false;
                            std::panic::resume_unwind(payload);
                        }
                    }
                }
                Response::Error { kind, message, .. } => return Err(EngineError { kind, message }.into_error()),
                other => return Ok(other),
            }
        }
    }

    /// A PostgreSQL error stopped a heap scan: tell the engine, and read
    /// until the request's response so the session stays in step. No
    /// PostgreSQL calls here (an error is being unwound): plain poll(2).
    fn stop_after_error(&mut self, request: u64) {
        let deadline = Instant::now() + CANCEL_GRACE;
        let failed = |request| Request::HeapBatch { request, outcome: HeapOutcome::Failed("pg_duckam: the PostgreSQL scan failed".into()) }.encode();
        let mut out = failed(request);
        out.extend(Request::Cancel.encode());
        while !self.broken && Instant::now() < deadline {
            if !out.is_empty() {
                match self.socket.write(&out) {
                    Ok(n) => drop(out.drain(..n)),
                    Err(e) if matches!(e.kind(), IoErrorKind::WouldBlock | IoErrorKind::Interrupted) => {}
                    Err(_) => self.broken = true,
                }
            }
            while let Some(body) = self.take_message() {
                match Response::decode(&body) {
                    Ok(Response::HeapRequest { request, .. }) => out.extend(failed(request)),
                    // The stopped statement's response: in step again.
                    Ok(_) if out.is_empty() => return,
                    Ok(_) => {}
                    Err(_) => self.broken = true,
                }
            }
            if self.broken || self.fill().is_err() {
                break;
            }
            let events = libc::POLLIN | if out.is_empty() { 0 } else { libc::POLLOUT };
            let mut pfd = libc::pollfd { fd: self.socket.as_raw_fd(), events, revents: 0 };
            unsafe { libc::poll(&mut pfd, 1, 50) };
        }
        self.broken = true;
    }
}

/// An error the engine reported. The engine has ended the session's
/// DuckDB transaction, if one was open (any failed request does).
struct EngineError {
    kind: ErrorKind,
    message: String,
}

impl EngineError {
    fn into_error(self) -> Error {
        Error::from(crate::engine_server::ffi::DuckError::new(self.message, self.kind))
    }
}

fn unexpected(r: &Response) -> Error {
    Error::internal(format!("pg_duckam engine sent an unexpected message: {r:?}"))
}

pub fn unexpected_response(r: &Response) -> Error {
    unexpected(r)
}
