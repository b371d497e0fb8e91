//! Inserting batches of rows a backend sent: `INSERT INTO t SELECT * FROM
//! pg_batch()`, prepared once per table and column types and kept by the
//! connection (`Inserts`).
//!
//! Why not DuckDB's appender: each appender flush parses, binds and plans
//! an INSERT of its own (and creating the appender opens a transaction to
//! look the table up) — 45% of the cost of committing a one-row INSERT,
//! measured with perf. A prepared INSERT whose only source is a table
//! function reads no database, so DuckDB keeps its plan between executions
//! (it rebinds only after DDL changed the catalog): per batch what is left
//! is the execution and the commit. Bulk loads stay here too: the appender
//! loads faster but its flushes run as parallel inserts writing partial
//! row groups, which the checkpoint rewrites — the lineitem file came out
//! 347 MB instead of 183 MB (docs/design.md).
//!
//! `pg_batch()` reads the rows staged for its connection (`Slot`), so one
//! prepared statement serves every execution. Thin FFI shim: DuckDB calls
//! the callbacks on its threads; nothing unwinds out of them.

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::ffi;
use duckam_logic::naming;
use duckam_logic::types::DuckType;
use duckam_logic::wire::Batch;
use parking_lot::Mutex;

use super::convert;
use super::ffi::{logical_type, table_column_types, vector_size, Connection, DataChunk, DuckResult, Prepared};
use super::tablefn::{self, c_message, guarded, ByConnection, Callbacks};

/// Prepared INSERTs one connection keeps (tables × column type lists).
const KEPT_STATEMENTS: usize = 64;

/// What a connection's next `pg_batch()` scan reads.
#[derive(Default)]
struct Slot {
    types: Mutex<Vec<DuckType>>,
    batches: Mutex<Vec<Batch>>,
}

/// Slots by DuckDB connection id.
static SLOTS: ByConnection<Slot> = ByConnection::new();

/// One connection's prepared INSERTs and its slot.
pub struct Inserts {
    connection: u64,
    slot: Arc<Slot>,
    statements: HashMap<Key, Insert>,
}

/// Catalog (None: the connection's database), table, and the column types
/// the backend built the batches with.
type Key = (Option<String>, String, Vec<DuckType>);

struct Insert {
    statement: Prepared,
    /// The table's own column types, which the batches are read as: a
    /// column can differ in typmod only (a numeric whose precision
    /// PostgreSQL raised without rewriting the table), same layout.
    types: Vec<DuckType>,
}

impl Inserts {
    pub fn new(conn: &Connection) -> Inserts {
        let slot = Arc::new(Slot::default());
        SLOTS.insert(conn, &slot);
        Inserts { connection: conn.id(), slot, statements: HashMap::new() }
    }

    /// Inserts `batches` (rows built as `types`) into `table` of `catalog`
    /// (None: the connection's database): in the connection's transaction
    /// if one is open, else in one of its own, committed. Returns the rows
    /// inserted.
    pub fn insert(&mut self, conn: &Connection, catalog: Option<&str>, table: &str, types: &[DuckType], batches: Vec<Batch>) -> DuckResult<u64> {
        let key = (catalog.map(str::to_string), table.to_string(), types.to_vec());
        if !self.statements.contains_key(&key) {
            let insert = self.prepare(conn, catalog, table)?;
            if self.statements.len() >= KEPT_STATEMENTS {
                self.statements.clear();
            }
            self.statements.insert(key.clone(), insert);
        }
        let insert = self.statements.get_mut(&key).expect("prepared");
        // DuckDB binds pg_batch() again if DDL changed the catalog since.
        *self.slot.types.lock() = insert.types.clone();
        *self.slot.batches.lock() = batches;
        let outcome = insert.statement.run(&[], false).map(|r| r.rows_changed());
        self.slot.batches.lock().clear();
        if outcome.is_err() {
            // Whatever failed (the table was dropped, a constraint), the
            // next use prepares afresh.
            self.statements.remove(&key);
        }
        outcome
    }

    fn prepare(&self, conn: &Connection, catalog: Option<&str>, table: &str) -> DuckResult<Insert> {
        let types = table_column_types(conn, catalog, table)?;
        *self.slot.types.lock() = types.clone();
        let target = match catalog {
            Some(c) => format!("{}.main.{}", naming::quote_ident(c), naming::quote_ident(table)),
            None => naming::quote_ident(table),
        };
        let statement = conn.prepare(&format!("INSERT INTO {target} SELECT * FROM pg_batch()"))?;
        Ok(Insert { statement, types })
    }
}

impl Drop for Inserts {
    fn drop(&mut self) {
        SLOTS.remove(self.connection);
    }
}

/// Registers `pg_batch()` in the instance.
pub fn register(conn: &Connection) -> DuckResult<()> {
    tablefn::register(conn, "pg_batch", 0, false, Callbacks { bind, init, scan })
}

/// What bind found: the connection's slot, and the table's column types
/// (those of every execution of the statement).
struct Bound {
    slot: Arc<Slot>,
    types: Vec<DuckType>,
}

/// One execution's rows and where it is in them.
struct Reading {
    batches: Vec<Batch>,
    batch: usize,
    row: usize,
}

unsafe extern "C" fn bind(info: ffi::duckdb_bind_info) {
    let outcome = guarded("pg_batch()", "bind", || {
        let slot = SLOTS.binding(info).ok_or("pg_batch() is only usable in pg_duckam's inserts")?;
        let types = slot.types.lock().clone();
        for (i, ty) in types.iter().enumerate() {
            let cname = c_message(&format!("c{i}"));
            let mut lt = logical_type(ty);
            ffi::duckdb_bind_add_result_column(info, cname.as_ptr(), lt);
            ffi::duckdb_destroy_logical_type(&mut lt);
        }
        tablefn::set_bind_data(info, Bound { slot, types });
        Ok(())
    });
    if let Err(e) = outcome {
        ffi::duckdb_bind_set_error(info, e.as_ptr());
    }
}

unsafe extern "C" fn init(info: ffi::duckdb_init_info) {
    let outcome = guarded("pg_batch()", "init", || {
        ffi::duckdb_init_set_max_threads(info, 1);
        let bound = &*(ffi::duckdb_init_get_bind_data(info) as *const Bound);
        let batches = std::mem::take(&mut *bound.slot.batches.lock());
        tablefn::set_init_data(info, Mutex::new(Reading { batches, batch: 0, row: 0 }));
        Ok(())
    });
    if let Err(e) = outcome {
        ffi::duckdb_init_set_error(info, e.as_ptr());
    }
}

unsafe extern "C" fn scan(info: ffi::duckdb_function_info, output: ffi::duckdb_data_chunk) {
    let outcome = guarded("pg_batch()", "scan", || {
        let bound = &*(ffi::duckdb_function_get_bind_data(info) as *const Bound);
        let mut reading = (*(ffi::duckdb_function_get_init_data(info) as *const Mutex<Reading>)).lock();
        let Reading { batches, batch, row } = &mut *reading;
        while let Some(b) = batches.get(*batch) {
            let left = b.rows() - *row;
            if left == 0 {
                *batch += 1;
                *row = 0;
                continue;
            }
            let n = left.min(vector_size());
            DataChunk::borrowed_mut(output, |chunk| convert::fill_chunk(chunk, b, &bound.types, *row, n)).map_err(|e| e.message)?;
            *row += n;
            return Ok(n);
        }
        Ok(0)
    });
    match outcome {
        Ok(n) => ffi::duckdb_data_chunk_set_size(output, n as u64),
        Err(e) => ffi::duckdb_function_set_error(info, e.as_ptr()),
    }
}
