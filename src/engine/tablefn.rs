//! The DuckDB table function `pg_heap(k)`: the k-th PostgreSQL relation of
//! the running bridged query (ARCHITECTURE §6). Thin FFI shim: DuckDB calls
//! these callbacks on its own threads, so they touch no PostgreSQL state;
//! they read the column list from the current `Link` and ask the backend's
//! main thread, over a channel, to fill DuckDB's output chunk. Nothing
//! unwinds out of a callback: errors become DuckDB errors.

use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{bounded, RecvTimeoutError, Sender};
use duckdb::ffi;
use duckam_logic::types::DuckType;
use parking_lot::Mutex;

use super::ffi::{logical_type, Connection, DuckError, DuckErrorKind, DuckResult};

/// A DuckDB data chunk handed to the main thread while the DuckDB thread
/// that owns it waits for the reply.
pub struct ChunkPtr(pub ffi::duckdb_data_chunk);
unsafe impl Send for ChunkPtr {}

/// "Fill this chunk with the next rows of scan `scan`, columns `columns`
/// (indexes into the scan's column list)"; the reply is the row count (0 at
/// the end) or an error message.
pub struct FillRequest {
    pub scan: usize,
    /// Which reading of `pg_heap(scan)`: DuckDB may read one scan more than
    /// once (an inlined CTE used twice), each from its own start.
    pub instance: u64,
    pub columns: Arc<Vec<usize>>,
    pub chunk: ChunkPtr,
    pub reply: Sender<Result<usize, String>>,
}

/// What the running bridged query's `pg_heap` calls are served from.
pub struct Link {
    /// Column names and DuckDB types of each scan.
    pub scans: Vec<Vec<(String, DuckType)>>,
    /// PostgreSQL's row estimate of each scan (its conditions applied), so
    /// DuckDB orders joins and builds hash tables on the right side.
    pub estimates: Vec<Option<u64>>,
    pub requests: Sender<FillRequest>,
}

/// The current bridged query of this backend (at most one: it owns the
/// session's connection while it runs).
static LINK: Mutex<Option<Arc<Link>>> = Mutex::new(None);

/// Set when the main thread gives up on a query without its bridge (a
/// safety net: the bridge normally stops its query itself): callbacks
/// waiting for a batch give up too.
static ABANDONED: AtomicBool = AtomicBool::new(false);

/// Numbers the readings of `pg_heap` scans (FillRequest::instance).
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(0);

/// A reading of a scan: its projected columns and its number.
struct Reading {
    columns: Arc<Vec<usize>>,
    instance: u64,
}

pub fn set_link(link: Option<Arc<Link>>) {
    ABANDONED.store(false, Ordering::SeqCst);
    *LINK.lock() = link;
}

/// Makes every waiting or future `pg_heap` call of the current query fail;
/// true if a bridged query was still linked.
pub fn abandon() -> bool {
    ABANDONED.store(true, Ordering::SeqCst);
    LINK.lock().take().is_some()
}

fn link() -> Option<Arc<Link>> {
    LINK.lock().clone()
}

/// Registers `pg_heap` on a connection.
pub fn register(conn: &Connection) -> DuckResult<()> {
    unsafe {
        let mut f = ffi::duckdb_create_table_function();
        let name = CString::new("pg_heap").expect("no NUL");
        ffi::duckdb_table_function_set_name(f, name.as_ptr());
        let mut bigint = ffi::duckdb_create_logical_type(ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT);
        ffi::duckdb_table_function_add_parameter(f, bigint);
        ffi::duckdb_destroy_logical_type(&mut bigint);
        ffi::duckdb_table_function_set_bind(f, Some(bind));
        ffi::duckdb_table_function_set_init(f, Some(init));
        ffi::duckdb_table_function_set_function(f, Some(scan));
        ffi::duckdb_table_function_supports_projection_pushdown(f, true);
        let state = ffi::duckdb_register_table_function(conn.raw(), f);
        ffi::duckdb_destroy_table_function(&mut f);
        if state != ffi::duckdb_state_DuckDBSuccess {
            return Err(DuckError::new("could not register the pg_heap table function", DuckErrorKind::Other));
        }
    }
    Ok(())
}

fn message(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

unsafe extern "C" fn free_boxed<T>(p: *mut c_void) {
    drop(Box::from_raw(p as *mut T));
}

unsafe extern "C" fn bind(info: ffi::duckdb_bind_info) {
    let outcome = std::panic::catch_unwind(|| -> Result<(), String> {
        let mut param = ffi::duckdb_bind_get_parameter(info, 0);
        let k = ffi::duckdb_get_int64(param);
        ffi::duckdb_destroy_value(&mut param);
        let link = link().ok_or("pg_heap() is only usable inside queries pg_duckam runs")?;
        let columns = usize::try_from(k).ok().and_then(|k| link.scans.get(k)).ok_or("pg_heap(): no such scan")?;
        for (name, ty) in columns {
            let cname = message(name);
            let mut lt = logical_type(ty);
            ffi::duckdb_bind_add_result_column(info, cname.as_ptr(), lt);
            ffi::duckdb_destroy_logical_type(&mut lt);
        }
        if let Some(rows) = link.estimates.get(k as usize).copied().flatten() {
            ffi::duckdb_bind_set_cardinality(info, rows, false);
        }
        ffi::duckdb_bind_set_bind_data(info, Box::into_raw(Box::new(k as usize)) as *mut c_void, Some(free_boxed::<usize>));
        Ok(())
    });
    if let Err(e) = outcome.unwrap_or_else(|_| Err("pg_heap(): internal error in bind".into())) {
        ffi::duckdb_bind_set_error(info, message(&e).as_ptr());
    }
}

unsafe extern "C" fn init(info: ffi::duckdb_init_info) {
    // One DuckDB thread reads a scan: the main thread serves one batch at a time.
    ffi::duckdb_init_set_max_threads(info, 1);
    let columns: Vec<usize> =
        (0..ffi::duckdb_init_get_column_count(info)).map(|i| ffi::duckdb_init_get_column_index(info, i) as usize).collect();
    let reading = Reading { columns: Arc::new(columns), instance: NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed) };
    ffi::duckdb_init_set_init_data(info, Box::into_raw(Box::new(reading)) as *mut c_void, Some(free_boxed::<Reading>));
}

unsafe extern "C" fn scan(info: ffi::duckdb_function_info, output: ffi::duckdb_data_chunk) {
    let outcome = std::panic::catch_unwind(|| -> Result<usize, String> {
        let scan = *(ffi::duckdb_function_get_bind_data(info) as *const usize);
        let reading = &*(ffi::duckdb_function_get_init_data(info) as *const Reading);
        let (columns, instance) = (reading.columns.clone(), reading.instance);
        let link = link().ok_or("pg_heap(): the query was stopped")?;
        let (reply, answer) = bounded(1);
        link.requests
            .send(FillRequest { scan, instance, columns, chunk: ChunkPtr(output), reply })
            .map_err(|_| "pg_heap(): the query was stopped".to_string())?;
        drop(link);
        loop {
            match answer.recv_timeout(Duration::from_millis(50)) {
                Ok(filled) => break filled,
                Err(RecvTimeoutError::Timeout) if !ABANDONED.load(Ordering::SeqCst) => continue,
                Err(_) => break Err("pg_heap(): the query was stopped".to_string()),
            }
        }
    });
    match outcome.unwrap_or_else(|_| Err("pg_heap(): internal error in scan".into())) {
        Ok(n) => ffi::duckdb_data_chunk_set_size(output, n as u64),
        Err(e) => ffi::duckdb_function_set_error(info, message(&e).as_ptr()),
    }
}
