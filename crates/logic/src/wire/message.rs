//! The messages between a backend and the engine, and their framing:
//! `length:u32 tag:u8 body`, the length counting tag and body.
//!
//! A backend sends one request and reads until its response, answering
//! the `HeapRequest`s the engine sends meanwhile (DuckDB reading a
//! PostgreSQL table). Some requests have no response (`Close`, `Rollback`,
//! `Cancel`); `Cancel` may be sent while a response is awaited.

use super::batch::BatchBuilder;
use super::codec::{Dec, Enc, WireError};
use crate::profile::ProfileNode;
use crate::types::DuckType;

pub const PROTOCOL_VERSION: u32 = 1;

/// A PostgreSQL relation a query reads through `pg_heap(k)`: its columns
/// as DuckDB sees them and PostgreSQL's row estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct HeapScan {
    pub columns: Vec<(String, DuckType)>,
    pub estimate: Option<u64>,
}

/// What a backend answers to a `HeapRequest`.
#[derive(Debug, Clone, PartialEq)]
pub enum HeapOutcome {
    /// An encoded batch of the requested columns; `end`: the scan is done.
    Rows { batch: Vec<u8>, end: bool },
    /// The scan failed or the query is being stopped.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// First message of a session.
    Hello { version: u32, pid: i32, database: u32, create: bool },
    /// Starts the session's DuckDB transaction now; `fresh`: end a
    /// read-only one first, so the new one sees every commit up to now.
    /// `check`: once DuckDB's snapshot is taken, the count of commits
    /// that wrote heap and duckdb tables must still be this, or the
    /// answer is `Retry` (engine::snapshot).
    Begin { fresh: bool, check: Option<u64> },
    /// Runs a statement as stream `stream` (numbered by the backend);
    /// the response carries its first batch. `materialize`: run it to
    /// the end before answering (queries with heap scans: the backend
    /// serves them only while it waits). `autocommit`: a read-only
    /// statement with no DuckDB transaction, run in one of its own, with
    /// `Begin`'s check. `profile`: DuckDB's profiler must be on (EXPLAIN
    /// ANALYZE; it stays on for the session).
    Query { stream: u64, sql: String, params: Vec<Option<String>>, heap: Vec<HeapScan>, materialize: bool, autocommit: Option<u64>, profile: bool },
    Fetch { stream: u64 },
    /// No response.
    Close { stream: u64 },
    /// Runs statements without a result (DDL).
    Execute { sql: String },
    /// Appends an encoded batch to a table of the session's database
    /// (`catalog`: another attached catalog, e.g. temp) whose columns have
    /// `types`; `commit`: and commits the transaction (or the batch alone,
    /// if none is open).
    Append { catalog: Option<String>, table: String, types: Vec<DuckType>, batch: Vec<u8>, commit: bool },
    Commit,
    /// No response.
    Rollback,
    HeapBatch { request: u64, outcome: HeapOutcome },
    /// Interrupts the running statement; no response of its own.
    Cancel,
    /// DuckDB's profile of the last statement.
    Profile,
    Sessions,
    Status,
    /// Detaches a dropped database's file and deletes it.
    DropDatabase { oid: u32 },
}

/// Classes of DuckDB errors the backend maps to SQLSTATEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Interrupted,
    OutOfMemory,
    Constraint,
    OutOfRange,
    /// The session or the engine, not DuckDB (e.g. a missing database file).
    Engine,
    Other,
}

impl ErrorKind {
    fn code(self) -> u8 {
        match self {
            ErrorKind::Interrupted => 0,
            ErrorKind::OutOfMemory => 1,
            ErrorKind::Constraint => 2,
            ErrorKind::OutOfRange => 3,
            ErrorKind::Engine => 4,
            ErrorKind::Other => 5,
        }
    }
    fn from_code(c: u8) -> Result<ErrorKind, WireError> {
        Ok(match c {
            0 => ErrorKind::Interrupted,
            1 => ErrorKind::OutOfMemory,
            2 => ErrorKind::Constraint,
            3 => ErrorKind::OutOfRange,
            4 => ErrorKind::Engine,
            5 => ErrorKind::Other,
            _ => return Err(WireError::new(format!("bad error kind {c}"))),
        })
    }
}

/// One engine session, for the sessions view.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub pid: i32,
    pub database: u32,
    pub state: String,
    pub statement: Option<String>,
    pub in_transaction: bool,
    pub prepared: u32,
}

/// The engine's resources.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineStatus {
    pub pid: i32,
    pub sessions: u32,
    pub databases: u32,
    pub threads: u32,
    pub os_threads: u32,
    pub memory_limit: String,
    pub memory_used: u64,
    pub temp_used: u64,
    pub rss: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Ready { engine_pid: i32 },
    Done { changed: u64 },
    /// A batch of a stream; `types` (the result's column types, or the
    /// name of a type pg_duckam cannot read) with the first batch only.
    Rows { types: Option<Vec<Result<DuckType, String>>>, batch: Vec<u8>, done: bool },
    /// `ended`: the session's DuckDB transaction was rolled back by the error.
    Error { kind: ErrorKind, message: String, ended: bool },
    /// A `check` failed: nothing was run; take the snapshots again.
    Retry,
    /// "Fill `max_rows` rows of columns `columns` of heap scan `scan`
    /// (reading `reading`) of stream `stream`."
    HeapRequest { request: u64, stream: u64, scan: u32, reading: u64, columns: Vec<u32>, max_rows: u32 },
    Profile(Option<ProfileNode>),
    Sessions(Vec<SessionInfo>),
    Status(EngineStatus),
}

pub fn encode_type(e: &mut Enc, t: &DuckType) {
    let tag = match t {
        DuckType::Boolean => 0,
        DuckType::SmallInt => 1,
        DuckType::Integer => 2,
        DuckType::BigInt => 3,
        DuckType::Float => 4,
        DuckType::Double => 5,
        DuckType::Decimal { .. } => 6,
        DuckType::Varchar => 7,
        DuckType::Blob => 8,
        DuckType::Date => 9,
        DuckType::Time => 10,
        DuckType::Timestamp => 11,
        DuckType::TimestampTz => 12,
        DuckType::Interval => 13,
        DuckType::Uuid => 14,
        DuckType::List(_) => 15,
    };
    e.u8(tag);
    match t {
        DuckType::Decimal { width, scale } => {
            e.u8(*width);
            e.u8(*scale);
        }
        DuckType::List(child) => encode_type(e, child),
        _ => {}
    }
}

pub fn decode_type(d: &mut Dec) -> Result<DuckType, WireError> {
    Ok(match d.u8()? {
        0 => DuckType::Boolean,
        1 => DuckType::SmallInt,
        2 => DuckType::Integer,
        3 => DuckType::BigInt,
        4 => DuckType::Float,
        5 => DuckType::Double,
        6 => DuckType::Decimal { width: d.u8()?, scale: d.u8()? },
        7 => DuckType::Varchar,
        8 => DuckType::Blob,
        9 => DuckType::Date,
        10 => DuckType::Time,
        11 => DuckType::Timestamp,
        12 => DuckType::TimestampTz,
        13 => DuckType::Interval,
        14 => DuckType::Uuid,
        15 => DuckType::List(Box::new(decode_type(d)?)),
        t => return Err(WireError::new(format!("bad type tag {t}"))),
    })
}

fn encode_profile(e: &mut Enc, p: &ProfileNode) {
    e.u32(p.metrics.len() as u32);
    for (k, v) in &p.metrics {
        e.str(k);
        e.str(v);
    }
    e.u32(p.children.len() as u32);
    for c in &p.children {
        encode_profile(e, c);
    }
}

fn decode_profile(d: &mut Dec, depth: usize) -> Result<ProfileNode, WireError> {
    if depth > 1000 {
        return Err(WireError::new("profile nested too deeply"));
    }
    let n = d.u32()?;
    let mut metrics = Vec::new();
    for _ in 0..n {
        metrics.push((d.string()?, d.string()?));
    }
    let n = d.u32()?;
    let mut children = Vec::new();
    for _ in 0..n {
        children.push(decode_profile(d, depth + 1)?);
    }
    Ok(ProfileNode { metrics, children })
}

/// `length:u32` + tag + body as one buffer.
fn frame(tag: u8, body: impl FnOnce(&mut Enc)) -> Vec<u8> {
    let mut e = Enc::wrap(vec![0, 0, 0, 0]);
    e.u8(tag);
    body(&mut e);
    let mut buf = e.finish();
    let len = u32::try_from(buf.len() - 4).expect("a message under 4 GB");
    buf[..4].copy_from_slice(&len.to_le_bytes());
    buf
}

/// Length of the message whose 4-byte header is `header`.
pub fn frame_len(header: [u8; 4]) -> usize {
    u32::from_le_bytes(header) as usize
}

fn append_head(e: &mut Enc, catalog: Option<&str>, table: &str, types: &[DuckType], commit: bool) {
    e.opt_str(catalog);
    e.str(table);
    e.u32(types.len() as u32);
    for t in types {
        encode_type(e, t);
    }
    e.bool(commit);
}

/// The frame of `Request::Append` for `batch`, encoded straight into it
/// (building the request would copy the encoded batch once more).
pub fn append_frame(catalog: Option<&str>, table: &str, commit: bool, batch: &BatchBuilder) -> Vec<u8> {
    frame(7, |e| {
        append_head(e, catalog, table, batch.types(), commit);
        batch.encode_to(e);
    })
}

impl Request {
    /// The whole frame, ready to write.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Request::Hello { version, pid, database, create } => frame(1, |e| {
                e.u32(*version);
                e.i32(*pid);
                e.u32(*database);
                e.bool(*create);
            }),
            Request::Begin { fresh, check } => frame(2, |e| {
                e.bool(*fresh);
                e.opt_u64(*check);
            }),
            Request::Query { stream, sql, params, heap, materialize, autocommit, profile } => frame(3, |e| {
                e.u64(*stream);
                e.str(sql);
                e.u32(params.len() as u32);
                for p in params {
                    e.opt_str(p.as_deref());
                }
                e.u32(heap.len() as u32);
                for h in heap {
                    e.u32(h.columns.len() as u32);
                    for (name, t) in &h.columns {
                        e.str(name);
                        encode_type(e, t);
                    }
                    e.opt_u64(h.estimate);
                }
                e.bool(*materialize);
                e.opt_u64(*autocommit);
                e.bool(*profile);
            }),
            Request::Fetch { stream } => frame(4, |e| e.u64(*stream)),
            Request::Close { stream } => frame(5, |e| e.u64(*stream)),
            Request::Execute { sql } => frame(6, |e| e.str(sql)),
            Request::Append { catalog, table, types, batch, commit } => frame(7, |e| {
                append_head(e, catalog.as_deref(), table, types, *commit);
                e.raw(batch);
            }),
            Request::Commit => frame(8, |_| {}),
            Request::Rollback => frame(9, |_| {}),
            Request::HeapBatch { request, outcome } => frame(10, |e| {
                e.u64(*request);
                match outcome {
                    HeapOutcome::Rows { batch, end } => {
                        e.u8(0);
                        e.bool(*end);
                        e.raw(batch);
                    }
                    HeapOutcome::Failed(m) => {
                        e.u8(1);
                        e.str(m);
                    }
                }
            }),
            Request::Cancel => frame(11, |_| {}),
            Request::Profile => frame(12, |_| {}),
            Request::Sessions => frame(13, |_| {}),
            Request::Status => frame(14, |_| {}),
            Request::DropDatabase { oid } => frame(15, |e| e.u32(*oid)),
        }
    }

    /// Decodes a message body (tag and fields, without the length).
    pub fn decode(body: &[u8]) -> Result<Request, WireError> {
        let mut d = Dec::new(body);
        let r = match d.u8()? {
            1 => Request::Hello { version: d.u32()?, pid: d.i32()?, database: d.u32()?, create: d.bool()? },
            2 => Request::Begin { fresh: d.bool()?, check: d.opt_u64()? },
            3 => {
                let stream = d.u64()?;
                let sql = d.string()?;
                let n = d.u32()?;
                let mut params = Vec::new();
                for _ in 0..n {
                    params.push(d.opt_string()?);
                }
                let n = d.u32()?;
                let mut heap = Vec::new();
                for _ in 0..n {
                    let m = d.u32()?;
                    let mut columns = Vec::new();
                    for _ in 0..m {
                        columns.push((d.string()?, decode_type(&mut d)?));
                    }
                    heap.push(HeapScan { columns, estimate: d.opt_u64()? });
                }
                Request::Query { stream, sql, params, heap, materialize: d.bool()?, autocommit: d.opt_u64()?, profile: d.bool()? }
            }
            4 => Request::Fetch { stream: d.u64()? },
            5 => Request::Close { stream: d.u64()? },
            6 => Request::Execute { sql: d.string()? },
            7 => {
                let (catalog, table) = (d.opt_string()?, d.string()?);
                let n = d.u32()?;
                let types = (0..n).map(|_| decode_type(&mut d)).collect::<Result<_, _>>()?;
                Request::Append { catalog, table, types, commit: d.bool()?, batch: d.rest().to_vec() }
            }
            8 => Request::Commit,
            9 => Request::Rollback,
            10 => {
                let request = d.u64()?;
                let outcome = match d.u8()? {
                    0 => HeapOutcome::Rows { end: d.bool()?, batch: d.rest().to_vec() },
                    1 => HeapOutcome::Failed(d.string()?),
                    t => return Err(WireError::new(format!("bad heap outcome {t}"))),
                };
                Request::HeapBatch { request, outcome }
            }
            11 => Request::Cancel,
            12 => Request::Profile,
            13 => Request::Sessions,
            14 => Request::Status,
            15 => Request::DropDatabase { oid: d.u32()? },
            t => return Err(WireError::new(format!("unknown request {t}"))),
        };
        d.finish()?;
        Ok(r)
    }

    /// Whether the engine answers this request.
    pub fn has_response(&self) -> bool {
        !matches!(self, Request::Close { .. } | Request::Rollback | Request::Cancel | Request::HeapBatch { .. })
    }
}

impl Response {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Response::Ready { engine_pid } => frame(101, |e| e.i32(*engine_pid)),
            Response::Done { changed } => frame(102, |e| e.u64(*changed)),
            Response::Rows { types, batch, done } => frame(103, |e| {
                e.bool(*done);
                match types {
                    None => e.u8(0),
                    Some(ts) => {
                        e.u8(1);
                        e.u32(ts.len() as u32);
                        for t in ts {
                            match t {
                                Ok(t) => {
                                    e.u8(0);
                                    encode_type(e, t);
                                }
                                Err(name) => {
                                    e.u8(1);
                                    e.str(name);
                                }
                            }
                        }
                    }
                }
                e.raw(batch);
            }),
            Response::Error { kind, message, ended } => frame(104, |e| {
                e.u8(kind.code());
                e.str(message);
                e.bool(*ended);
            }),
            Response::Retry => frame(109, |_| {}),
            Response::HeapRequest { request, stream, scan, reading, columns, max_rows } => frame(105, |e| {
                e.u64(*request);
                e.u64(*stream);
                e.u32(*scan);
                e.u64(*reading);
                e.u32(columns.len() as u32);
                for c in columns {
                    e.u32(*c);
                }
                e.u32(*max_rows);
            }),
            Response::Profile(p) => frame(106, |e| match p {
                None => e.u8(0),
                Some(p) => {
                    e.u8(1);
                    encode_profile(e, p);
                }
            }),
            Response::Sessions(list) => frame(107, |e| {
                e.u32(list.len() as u32);
                for s in list {
                    e.i32(s.pid);
                    e.u32(s.database);
                    e.str(&s.state);
                    e.opt_str(s.statement.as_deref());
                    e.bool(s.in_transaction);
                    e.u32(s.prepared);
                }
            }),
            Response::Status(s) => frame(108, |e| {
                e.i32(s.pid);
                e.u32(s.sessions);
                e.u32(s.databases);
                e.u32(s.threads);
                e.u32(s.os_threads);
                e.str(&s.memory_limit);
                e.u64(s.memory_used);
                e.u64(s.temp_used);
                e.u64(s.rss);
            }),
        }
    }

    pub fn decode(body: &[u8]) -> Result<Response, WireError> {
        let mut d = Dec::new(body);
        let r = match d.u8()? {
            101 => Response::Ready { engine_pid: d.i32()? },
            102 => Response::Done { changed: d.u64()? },
            103 => {
                let done = d.bool()?;
                let types = if d.bool()? {
                    let n = d.u32()?;
                    let mut ts = Vec::new();
                    for _ in 0..n {
                        ts.push(if d.bool()? { Err(d.string()?) } else { Ok(decode_type(&mut d)?) });
                    }
                    Some(ts)
                } else {
                    None
                };
                Response::Rows { types, batch: d.rest().to_vec(), done }
            }
            104 => Response::Error { kind: ErrorKind::from_code(d.u8()?)?, message: d.string()?, ended: d.bool()? },
            109 => Response::Retry,
            105 => {
                let (request, stream, scan, reading) = (d.u64()?, d.u64()?, d.u32()?, d.u64()?);
                let n = d.u32()?;
                let mut columns = Vec::new();
                for _ in 0..n {
                    columns.push(d.u32()?);
                }
                Response::HeapRequest { request, stream, scan, reading, columns, max_rows: d.u32()? }
            }
            106 => Response::Profile(if d.bool()? { Some(decode_profile(&mut d, 0)?) } else { None }),
            107 => {
                let n = d.u32()?;
                let mut list = Vec::new();
                for _ in 0..n {
                    list.push(SessionInfo {
                        pid: d.i32()?,
                        database: d.u32()?,
                        state: d.string()?,
                        statement: d.opt_string()?,
                        in_transaction: d.bool()?,
                        prepared: d.u32()?,
                    });
                }
                Response::Sessions(list)
            }
            108 => Response::Status(EngineStatus {
                pid: d.i32()?,
                sessions: d.u32()?,
                databases: d.u32()?,
                threads: d.u32()?,
                os_threads: d.u32()?,
                memory_limit: d.string()?,
                memory_used: d.u64()?,
                temp_used: d.u64()?,
                rss: d.u64()?,
            }),
            t => return Err(WireError::new(format!("unknown response {t}"))),
        };
        d.finish()?;
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(frame: &[u8]) -> &[u8] {
        let len = frame_len(frame[..4].try_into().unwrap());
        assert_eq!(len, frame.len() - 4);
        &frame[4..]
    }

    #[test]
    fn requests_round_trip() {
        let all = vec![
            Request::Hello { version: PROTOCOL_VERSION, pid: 4242, database: 16384, create: true },
            Request::Begin { fresh: true, check: Some(17) },
            Request::Begin { fresh: false, check: None },
            Request::Query {
                stream: 7,
                sql: "SELECT $1 FROM \"r_1\"".into(),
                params: vec![Some("x'y".into()), None],
                heap: vec![HeapScan {
                    columns: vec![("c1".into(), DuckType::List(Box::new(DuckType::Decimal { width: 12, scale: 2 })))],
                    estimate: Some(1000),
                }],
                materialize: true,
                autocommit: Some(3),
                profile: true,
            },
            Request::Fetch { stream: 7 },
            Request::Close { stream: 7 },
            Request::Execute { sql: "CREATE TABLE x (a INTEGER)".into() },
            Request::Append { catalog: Some("temp".into()), table: "r_2".into(), types: vec![DuckType::BigInt, DuckType::Decimal { width: 12, scale: 2 }], batch: vec![1, 2, 3], commit: true },
            Request::Commit,
            Request::Rollback,
            Request::HeapBatch { request: 3, outcome: HeapOutcome::Rows { batch: vec![9; 10], end: true } },
            Request::HeapBatch { request: 4, outcome: HeapOutcome::Failed("stopped".into()) },
            Request::Cancel,
            Request::Profile,
            Request::Sessions,
            Request::Status,
            Request::DropDatabase { oid: 5 },
        ];
        for r in all {
            let f = r.encode();
            assert_eq!(Request::decode(body(&f)).expect("decodes"), r);
        }
    }

    #[test]
    fn append_frame_is_the_append_request() {
        let types = vec![DuckType::Integer, DuckType::Varchar];
        let mut b = BatchBuilder::new(&types);
        b.column(0).push(7i32);
        b.column(1).push_bytes(b"seven");
        b.finish_row();
        b.column(0).push_null();
        b.column(1).push_null();
        b.finish_row();
        let request = Request::Append { catalog: None, table: "r_9".into(), types: types.clone(), batch: b.encode(), commit: false };
        assert_eq!(append_frame(None, "r_9", false, &b), request.encode());
        // A cleared builder is empty and encodes what a new one would.
        b.clear();
        assert_eq!(b.rows(), 0);
        assert_eq!(b.encode(), BatchBuilder::new(&types).encode());
    }

    #[test]
    fn responses_round_trip() {
        let all = vec![
            Response::Ready { engine_pid: 1 },
            Response::Done { changed: 12 },
            Response::Retry,
            Response::Rows { types: Some(vec![Ok(DuckType::TimestampTz), Err("HUGEINT".into())]), batch: vec![1, 2], done: false },
            Response::Rows { types: None, batch: vec![], done: true },
            Response::Error { kind: ErrorKind::Constraint, message: "Conflict on update".into(), ended: true },
            Response::HeapRequest { request: 1, stream: 2, scan: 3, reading: 4, columns: vec![0, 2], max_rows: 16384 },
            Response::Profile(Some(ProfileNode {
                metrics: vec![("type".into(), "SCAN".into())],
                children: vec![ProfileNode::default()],
            })),
            Response::Profile(None),
            Response::Sessions(vec![SessionInfo {
                pid: 9,
                database: 5,
                state: "idle".into(),
                statement: Some("SELECT 1".into()),
                in_transaction: false,
                prepared: 3,
            }]),
            Response::Status(EngineStatus {
                pid: 1,
                sessions: 2,
                databases: 1,
                threads: 2,
                os_threads: 9,
                memory_limit: "1.0 GiB".into(),
                memory_used: 1 << 20,
                temp_used: 0,
                rss: 1 << 25,
            }),
        ];
        for r in all {
            let f = r.encode();
            assert_eq!(Response::decode(body(&f)).expect("decodes"), r);
        }
    }

    #[test]
    fn truncated_and_unknown_messages_are_errors() {
        let f = Request::Query { stream: 1, sql: "SELECT 1".into(), params: vec![None], heap: vec![], materialize: false, autocommit: None, profile: false }.encode();
        let b = body(&f);
        for cut in 1..b.len() {
            assert!(Request::decode(&b[..cut]).is_err(), "cut at {cut}");
        }
        assert!(Request::decode(&[99]).is_err());
        assert!(Response::decode(&[1]).is_err());
        let mut extra = b.to_vec();
        extra.push(0);
        assert!(Request::decode(&extra).is_err());
    }
}
