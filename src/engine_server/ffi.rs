//! Thin safe wrappers over DuckDB's C API, used only in the engine process.
//! Every `unsafe` call into DuckDB's API lives here (and in the table
//! function shim, heapfn.rs); each wrapper owns its handle and frees it on
//! drop. No PostgreSQL function is ever called on a DuckDB frame, and
//! nothing unwinds through one.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;

use duckdb::ffi;
use duckam_logic::profile::ProfileNode;
use duckam_logic::types::DuckType;
use duckam_logic::wire::ErrorKind;

/// An error reported by DuckDB, with its error class.
#[derive(Debug, Clone)]
pub struct DuckError {
    pub message: String,
    pub kind: ErrorKind,
}

impl DuckError {
    pub(crate) fn new(message: impl Into<String>, kind: ErrorKind) -> Self {
        DuckError { message: message.into(), kind }
    }
    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self::new(message, ErrorKind::Other)
    }
}

pub type DuckResult<T> = Result<T, DuckError>;

fn cstring(s: &str) -> DuckResult<CString> {
    CString::new(s).map_err(|_| DuckError::other("string contains a NUL byte"))
}

unsafe fn message_from(p: *const c_char, fallback: &str) -> String {
    if p.is_null() {
        fallback.to_string()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

fn kind_of(t: ffi::duckdb_error_type) -> ErrorKind {
    match t {
        ffi::duckdb_error_type_DUCKDB_ERROR_INTERRUPT => ErrorKind::Interrupted,
        ffi::duckdb_error_type_DUCKDB_ERROR_OUT_OF_MEMORY => ErrorKind::OutOfMemory,
        ffi::duckdb_error_type_DUCKDB_ERROR_CONSTRAINT => ErrorKind::Constraint,
        ffi::duckdb_error_type_DUCKDB_ERROR_OUT_OF_RANGE
        | ffi::duckdb_error_type_DUCKDB_ERROR_CONVERSION => ErrorKind::OutOfRange,
        _ => ErrorKind::Other,
    }
}

/// The DuckDB library version, e.g. "v2.0.0".
pub fn library_version() -> String {
    unsafe { message_from(ffi::duckdb_library_version(), "unknown") }
}

/// Rows per DuckDB vector (STANDARD_VECTOR_SIZE).
pub fn vector_size() -> usize {
    unsafe { ffi::duckdb_vector_size() as usize }
}

/// An open DuckDB database instance.
pub struct Database {
    raw: ffi::duckdb_database,
}

// The C API's database handle is thread-safe: connections are made from
// many threads.
unsafe impl Send for Database {}
unsafe impl Sync for Database {}

impl Database {
    /// Opens `path` with the given configuration options.
    pub fn open(path: &str, options: &[(&str, String)]) -> DuckResult<Database> {
        unsafe {
            let mut config: ffi::duckdb_config = ptr::null_mut();
            if ffi::duckdb_create_config(&mut config) != ffi::duckdb_state_DuckDBSuccess {
                return Err(DuckError::other("could not create a DuckDB configuration"));
            }
            let mut result = Ok(());
            for (name, value) in options {
                let (n, v) = (cstring(name)?, cstring(value)?);
                if ffi::duckdb_set_config(config, n.as_ptr(), v.as_ptr()) != ffi::duckdb_state_DuckDBSuccess {
                    result = Err(DuckError::other(format!("invalid DuckDB setting {name} = '{value}'")));
                    break;
                }
            }
            let db = result.and_then(|_| {
                let cpath = cstring(path)?;
                let mut raw: ffi::duckdb_database = ptr::null_mut();
                let mut err: *mut c_char = ptr::null_mut();
                if ffi::duckdb_open_ext(cpath.as_ptr(), &mut raw, config, &mut err) == ffi::duckdb_state_DuckDBSuccess {
                    Ok(Database { raw })
                } else {
                    let msg = message_from(err, "could not open the DuckDB database");
                    if !err.is_null() {
                        ffi::duckdb_free(err as *mut c_void);
                    }
                    Err(DuckError::other(msg))
                }
            });
            ffi::duckdb_destroy_config(&mut config);
            db
        }
    }

    pub fn connect(&self) -> DuckResult<Connection> {
        let mut raw: ffi::duckdb_connection = ptr::null_mut();
        if unsafe { ffi::duckdb_connect(self.raw, &mut raw) } != ffi::duckdb_state_DuckDBSuccess {
            return Err(DuckError::other("could not connect to the DuckDB database"));
        }
        Ok(Connection { raw })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_close(&mut self.raw) }
    }
}

/// A DuckDB connection. Must be dropped before its Database. Used by one
/// thread at a time (a session's executor).
pub struct Connection {
    raw: ffi::duckdb_connection,
}

unsafe impl Send for Connection {}

impl Drop for Connection {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_disconnect(&mut self.raw) }
    }
}

/// A handle that can interrupt the connection's running query from another
/// thread (duckdb_interrupt is thread-safe). Valid only while the
/// Connection lives: a session joins every thread holding one before it
/// drops its connection.
#[derive(Clone, Copy)]
pub struct InterruptHandle(ffi::duckdb_connection);
unsafe impl Send for InterruptHandle {}
unsafe impl Sync for InterruptHandle {}

impl InterruptHandle {
    pub fn interrupt(&self) {
        unsafe { ffi::duckdb_interrupt(self.0) }
    }
}

/// Text of a DuckDB value (None for NULL); destroys the value.
unsafe fn take_value_text(mut v: ffi::duckdb_value) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let p = ffi::duckdb_get_varchar(v);
    let text = (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned());
    if !p.is_null() {
        ffi::duckdb_free(p as *mut c_void);
    }
    ffi::duckdb_destroy_value(&mut v);
    text
}

/// One node of the profile of the connection's last query, and its children.
unsafe fn profile_node(info: ffi::duckdb_profiling_info) -> ProfileNode {
    let mut metrics = Vec::new();
    let mut map = ffi::duckdb_profiling_info_get_metrics(info);
    if !map.is_null() {
        for i in 0..ffi::duckdb_get_map_size(map) {
            let key = take_value_text(ffi::duckdb_get_map_key(map, i));
            let value = take_value_text(ffi::duckdb_get_map_value(map, i));
            if let (Some(k), Some(v)) = (key, value) {
                metrics.push((k, v));
            }
        }
        ffi::duckdb_destroy_value(&mut map);
    }
    let children = (0..ffi::duckdb_profiling_info_get_child_count(info))
        .map(|i| profile_node(ffi::duckdb_profiling_info_get_child(info, i)))
        .collect();
    ProfileNode { metrics, children }
}

impl Connection {
    pub(crate) fn raw(&self) -> ffi::duckdb_connection {
        self.raw
    }

    /// DuckDB's number for this connection (what a table function's bind
    /// sees through its client context).
    pub fn id(&self) -> u64 {
        unsafe {
            let mut ctx: ffi::duckdb_client_context = ptr::null_mut();
            ffi::duckdb_connection_get_client_context(self.raw, &mut ctx);
            let id = ffi::duckdb_client_context_get_connection_id(ctx);
            ffi::duckdb_destroy_client_context(&mut ctx);
            id
        }
    }

    /// Starts this connection's transaction in attached database `catalog`
    /// now (DuckDB starts it lazily, at the first access): its snapshot is
    /// then that of this moment. Needs an explicit or running transaction.
    pub fn touch_catalog(&self, catalog: &str) -> DuckResult<()> {
        let name = cstring(catalog)?;
        unsafe {
            let mut ctx: ffi::duckdb_client_context = ptr::null_mut();
            ffi::duckdb_connection_get_client_context(self.raw, &mut ctx);
            let mut cat = ffi::duckdb_client_context_get_catalog(ctx, name.as_ptr());
            if cat.is_null() {
                ffi::duckdb_destroy_client_context(&mut ctx);
                return Err(DuckError::new(format!("pg_duckam engine: catalog {catalog} is not attached"), ErrorKind::Engine));
            }
            // Looking up any table goes through the catalog transaction,
            // which starts the database's transaction. r_0 never exists.
            let mut entry = ffi::duckdb_catalog_get_entry(
                cat,
                ctx,
                ffi::duckdb_catalog_entry_type_DUCKDB_CATALOG_ENTRY_TYPE_TABLE,
                c"main".as_ptr(),
                c"r_0".as_ptr(),
            );
            if !entry.is_null() {
                ffi::duckdb_destroy_catalog_entry(&mut entry);
            }
            ffi::duckdb_destroy_catalog(&mut cat);
            ffi::duckdb_destroy_client_context(&mut ctx);
        }
        Ok(())
    }

    /// The profile of the last query run with profiling enabled.
    pub fn last_profile(&self) -> Option<ProfileNode> {
        unsafe {
            let info = ffi::duckdb_get_profiling_info(self.raw);
            (!info.is_null()).then(|| profile_node(info))
        }
    }

    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle(self.raw)
    }

    /// Runs a statement to completion; returns the number of rows changed.
    pub fn execute(&self, sql: &str) -> DuckResult<u64> {
        let result = self.query(sql)?;
        Ok(result.rows_changed())
    }

    /// Runs a query and materializes its result.
    pub fn query(&self, sql: &str) -> DuckResult<QueryResult> {
        let csql = cstring(sql)?;
        unsafe {
            let mut res: ffi::duckdb_result = std::mem::zeroed();
            let state = ffi::duckdb_query(self.raw, csql.as_ptr(), &mut res);
            QueryResult::checked(res, state)
        }
    }

    /// Prepares a statement (parsed, bound and planned once; DuckDB
    /// rebinds it by itself if the catalog changes).
    pub fn prepare(&self, sql: &str) -> DuckResult<Prepared> {
        let csql = cstring(sql)?;
        unsafe {
            let mut stmt: ffi::duckdb_prepared_statement = ptr::null_mut();
            if ffi::duckdb_prepare(self.raw, csql.as_ptr(), &mut stmt) != ffi::duckdb_state_DuckDBSuccess {
                let msg = message_from(ffi::duckdb_prepare_error(stmt), "could not prepare the query");
                ffi::duckdb_destroy_prepare(&mut stmt);
                return Err(DuckError::other(msg));
            }
            Ok(Prepared { raw: stmt })
        }
    }
}

/// The column types of `table` (schema main of `catalog`, or of the
/// connection's default database), looked up through an appender: the C
/// API's one way to describe a table without running a query.
pub fn table_column_types(conn: &Connection, catalog: Option<&str>, table: &str) -> DuckResult<Vec<DuckType>> {
    let ctable = cstring(table)?;
    let ccatalog = catalog.map(cstring).transpose()?;
    unsafe {
        let mut app: ffi::duckdb_appender = ptr::null_mut();
        let catalog_ptr = ccatalog.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        let types = if ffi::duckdb_appender_create_ext(conn.raw, catalog_ptr, ptr::null(), ctable.as_ptr(), &mut app) != ffi::duckdb_state_DuckDBSuccess {
            Err(DuckError::other(message_from(ffi::duckdb_appender_error(app), "could not look the table up")))
        } else {
            (0..ffi::duckdb_appender_column_count(app))
                .map(|i| {
                    let mut lt = ffi::duckdb_appender_column_type(app, i);
                    let t = duck_type_of(lt);
                    ffi::duckdb_destroy_logical_type(&mut lt);
                    t.map_err(|name| DuckError::other(format!("pg_duckam cannot insert into a column of {name}")))
                })
                .collect()
        };
        ffi::duckdb_appender_destroy(&mut app);
        types
    }
}

/// A prepared statement of one connection.
pub struct Prepared {
    raw: ffi::duckdb_prepared_statement,
}

unsafe impl Send for Prepared {}

impl Prepared {
    /// Binds `$1`, `$2`, … as VARCHAR (None: NULL) and runs the statement:
    /// `streaming` produces chunks as they are fetched; otherwise DuckDB
    /// runs it to the end first (in its buffer-managed memory).
    pub fn run(&mut self, params: &[Option<String>], streaming: bool) -> DuckResult<QueryResult> {
        self.run_checked(params, streaming, || true).map(|r| r.expect("no check to fail"))
    }

    /// As `run`, but once the statement has started (its transaction and
    /// snapshot exist) and before it executes, `check` decides whether it
    /// goes on: None if it did not.
    pub fn run_checked(&mut self, params: &[Option<String>], streaming: bool, check: impl FnOnce() -> bool) -> DuckResult<Option<QueryResult>> {
        unsafe {
            ffi::duckdb_clear_bindings(self.raw);
            for (i, value) in params.iter().enumerate() {
                let index = (i + 1) as ffi::idx_t;
                let state = match value {
                    None => ffi::duckdb_bind_null(self.raw, index),
                    Some(text) => {
                        let c = cstring(text)?;
                        ffi::duckdb_bind_varchar(self.raw, index, c.as_ptr())
                    }
                };
                if state != ffi::duckdb_state_DuckDBSuccess {
                    return Err(DuckError::other(message_from(ffi::duckdb_prepare_error(self.raw), "could not bind a parameter")));
                }
            }
            let mut pending: ffi::duckdb_pending_result = ptr::null_mut();
            let started = if streaming {
                ffi::duckdb_pending_prepared_streaming(self.raw, &mut pending)
            } else {
                ffi::duckdb_pending_prepared(self.raw, &mut pending)
            };
            let outcome = if started != ffi::duckdb_state_DuckDBSuccess {
                Err(DuckError::other(message_from(ffi::duckdb_pending_error(pending), "could not start the query")))
            } else if !check() {
                Ok(None)
            } else {
                let mut res: ffi::duckdb_result = std::mem::zeroed();
                let state = ffi::duckdb_execute_pending(pending, &mut res);
                QueryResult::checked(res, state).map(Some)
            };
            ffi::duckdb_destroy_pending(&mut pending);
            outcome
        }
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_prepare(&mut self.raw) }
    }
}

/// A query result, materialized or streaming.
pub struct QueryResult {
    raw: ffi::duckdb_result,
}

unsafe impl Send for QueryResult {}

/// The pg_duckam type of a DuckDB logical type, or its name when
/// pg_duckam has no PostgreSQL counterpart for it.
unsafe fn duck_type_of(lt: ffi::duckdb_logical_type) -> Result<DuckType, String> {
    use ffi::*;
    Ok(match duckdb_get_type_id(lt) {
        DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => DuckType::Boolean,
        DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT => DuckType::SmallInt,
        DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => DuckType::Integer,
        DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => DuckType::BigInt,
        DUCKDB_TYPE_DUCKDB_TYPE_FLOAT => DuckType::Float,
        DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE => DuckType::Double,
        DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => DuckType::Decimal { width: duckdb_decimal_width(lt), scale: duckdb_decimal_scale(lt) },
        DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => DuckType::Varchar,
        DUCKDB_TYPE_DUCKDB_TYPE_BLOB => DuckType::Blob,
        DUCKDB_TYPE_DUCKDB_TYPE_DATE => DuckType::Date,
        DUCKDB_TYPE_DUCKDB_TYPE_TIME => DuckType::Time,
        DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP => DuckType::Timestamp,
        DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ => DuckType::TimestampTz,
        DUCKDB_TYPE_DUCKDB_TYPE_INTERVAL => DuckType::Interval,
        DUCKDB_TYPE_DUCKDB_TYPE_UUID => DuckType::Uuid,
        DUCKDB_TYPE_DUCKDB_TYPE_LIST => {
            let mut child = duckdb_list_type_child_type(lt);
            let t = duck_type_of(child);
            duckdb_destroy_logical_type(&mut child);
            DuckType::List(Box::new(t?))
        }
        id => return Err(format!("DuckDB type #{id}")),
    })
}

impl QueryResult {
    unsafe fn checked(mut res: ffi::duckdb_result, state: ffi::duckdb_state) -> DuckResult<QueryResult> {
        if state == ffi::duckdb_state_DuckDBSuccess {
            return Ok(QueryResult { raw: res });
        }
        let err = DuckError::new(
            message_from(ffi::duckdb_result_error(&mut res), "DuckDB query failed"),
            kind_of(ffi::duckdb_result_error_type(&mut res)),
        );
        ffi::duckdb_destroy_result(&mut res);
        Err(err)
    }

    /// The result's column types.
    pub fn column_types(&self) -> Vec<Result<DuckType, String>> {
        let mut raw = self.raw;
        unsafe {
            (0..ffi::duckdb_column_count(&mut raw))
                .map(|i| {
                    let mut lt = ffi::duckdb_column_logical_type(&mut raw, i);
                    let t = duck_type_of(lt);
                    ffi::duckdb_destroy_logical_type(&mut lt);
                    t
                })
                .collect()
        }
    }

    pub fn rows_changed(&self) -> u64 {
        let mut raw = self.raw;
        unsafe { ffi::duckdb_rows_changed(&mut raw) }
    }

    /// Next chunk, `None` at the end. Errors raised while streaming surface here.
    pub fn next_chunk(&mut self) -> DuckResult<Option<DataChunk>> {
        unsafe {
            let raw = ffi::duckdb_fetch_chunk(self.raw);
            if !raw.is_null() {
                return Ok(Some(DataChunk { raw }));
            }
            let err = ffi::duckdb_result_error(&mut self.raw);
            if err.is_null() {
                Ok(None)
            } else {
                Err(DuckError::new(message_from(err, "fetch failed"), kind_of(ffi::duckdb_result_error_type(&mut self.raw))))
            }
        }
    }
}

impl Drop for QueryResult {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_result(&mut self.raw) }
    }
}

/// A new DuckDB logical type for `t`; the caller destroys it.
pub(crate) fn logical_type(t: &DuckType) -> ffi::duckdb_logical_type {
    let lt = LogicalType::new(t);
    let raw = lt.0;
    std::mem::forget(lt);
    raw
}

/// A DuckDB logical type we own.
struct LogicalType(ffi::duckdb_logical_type);

impl LogicalType {
    fn new(t: &DuckType) -> LogicalType {
        use ffi::*;
        let id = match t {
            DuckType::Decimal { width, scale } => return LogicalType(unsafe { duckdb_create_decimal_type(*width, *scale) }),
            DuckType::List(child) => {
                let c = LogicalType::new(child);
                return LogicalType(unsafe { duckdb_create_list_type(c.0) });
            }
            DuckType::Boolean => DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN,
            DuckType::SmallInt => DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT,
            DuckType::Integer => DUCKDB_TYPE_DUCKDB_TYPE_INTEGER,
            DuckType::BigInt => DUCKDB_TYPE_DUCKDB_TYPE_BIGINT,
            DuckType::Float => DUCKDB_TYPE_DUCKDB_TYPE_FLOAT,
            DuckType::Double => DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE,
            DuckType::Varchar => DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR,
            DuckType::Blob => DUCKDB_TYPE_DUCKDB_TYPE_BLOB,
            DuckType::Date => DUCKDB_TYPE_DUCKDB_TYPE_DATE,
            DuckType::Time => DUCKDB_TYPE_DUCKDB_TYPE_TIME,
            DuckType::Timestamp => DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP,
            DuckType::TimestampTz => DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ,
            DuckType::Interval => DUCKDB_TYPE_DUCKDB_TYPE_INTERVAL,
            DuckType::Uuid => DUCKDB_TYPE_DUCKDB_TYPE_UUID,
        };
        LogicalType(unsafe { duckdb_create_logical_type(id) })
    }
}

impl Drop for LogicalType {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_logical_type(&mut self.0) }
    }
}

/// A data chunk (up to `vector_size()` rows of some columns).
pub struct DataChunk {
    raw: ffi::duckdb_data_chunk,
}

// A chunk is plain DuckDB-allocated memory, used by one thread at a time.
unsafe impl Send for DataChunk {}

impl DataChunk {
    /// Runs `f` on a chunk DuckDB owns and lets us fill.
    pub unsafe fn borrowed_mut<R>(raw: ffi::duckdb_data_chunk, f: impl FnOnce(&mut DataChunk) -> R) -> R {
        let mut chunk = std::mem::ManuallyDrop::new(DataChunk { raw });
        f(&mut chunk)
    }

    pub fn len(&self) -> usize {
        unsafe { ffi::duckdb_data_chunk_get_size(self.raw) as usize }
    }

    pub fn set_len(&mut self, n: usize) {
        unsafe { ffi::duckdb_data_chunk_set_size(self.raw, n as u64) }
    }

    pub fn column(&self, i: usize) -> Vector<'_> {
        Vector { raw: unsafe { ffi::duckdb_data_chunk_get_vector(self.raw, i as u64) }, _chunk: std::marker::PhantomData }
    }
}

impl Drop for DataChunk {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_data_chunk(&mut self.raw) }
    }
}

/// A column of a chunk. Chunks from the C API are flat (no dictionary or
/// constant encoding), so row i is element i of the data array.
#[derive(Clone, Copy)]
pub struct Vector<'a> {
    raw: ffi::duckdb_vector,
    _chunk: std::marker::PhantomData<&'a DataChunk>,
}

impl<'a> Vector<'a> {
    /// The element array as bytes: `rows` values of `width` bytes.
    pub fn data_bytes(&self, rows: usize, width: usize) -> &'a [u8] {
        unsafe { std::slice::from_raw_parts(ffi::duckdb_vector_get_data(self.raw) as *const u8, rows * width) }
    }

    /// Writable element array as bytes (`rows` values of `width` bytes).
    pub fn data_bytes_mut(&self, rows: usize, width: usize) -> &'a mut [u8] {
        unsafe { std::slice::from_raw_parts_mut(ffi::duckdb_vector_get_data(self.raw) as *mut u8, rows * width) }
    }

    /// The validity words covering `rows` rows; None: every row valid.
    pub fn validity_words(&self, rows: usize) -> Option<&'a [u64]> {
        let v = unsafe { ffi::duckdb_vector_get_validity(self.raw) };
        (!v.is_null()).then(|| unsafe { std::slice::from_raw_parts(v, rows.div_ceil(64)) })
    }

    /// Marks every row valid, if the vector has a validity mask at all.
    pub fn set_all_valid(&self, rows: usize) {
        let v = unsafe { ffi::duckdb_vector_get_validity(self.raw) };
        if !v.is_null() {
            unsafe { std::slice::from_raw_parts_mut(v, rows.div_ceil(64)) }.fill(u64::MAX);
        }
    }

    /// The element array, typed. `T` must match the vector's physical type.
    pub fn data<T: Copy>(&self) -> *mut T {
        unsafe { ffi::duckdb_vector_get_data(self.raw) as *mut T }
    }

    pub fn is_valid(&self, row: usize) -> bool {
        let v = unsafe { ffi::duckdb_vector_get_validity(self.raw) };
        v.is_null() || unsafe { (*v.add(row / 64) >> (row % 64)) & 1 == 1 }
    }

    pub fn set_null(&self, row: usize) -> Result<(), String> {
        guarded_call(|e, n| unsafe { duckam_guarded_ensure_validity_writable(self.raw, e, n) })?;
        unsafe { ffi::duckdb_validity_set_row_invalid(ffi::duckdb_vector_get_validity(self.raw), row as u64) };
        Ok(())
    }

    /// Marks a row valid again (a chunk slot may be reused after an error).
    pub fn set_valid(&self, row: usize) {
        unsafe {
            let v = ffi::duckdb_vector_get_validity(self.raw);
            if !v.is_null() {
                ffi::duckdb_validity_set_row_valid(v, row as u64);
            }
        }
    }

    pub fn set<T: Copy>(&self, row: usize, value: T) {
        unsafe { *self.data::<T>().add(row) = value }
    }

    pub fn get<T: Copy>(&self, row: usize) -> T {
        unsafe { *self.data::<T>().add(row) }
    }

    /// Stores bytes into a VARCHAR or BLOB vector (copied by DuckDB). The
    /// caller guarantees VARCHAR bytes are valid UTF-8 (PostgreSQL has
    /// already validated them).
    pub fn set_bytes(&self, row: usize, bytes: &[u8]) -> Result<(), String> {
        guarded_call(|e, n| unsafe {
            duckam_guarded_assign_string(self.raw, row as u64, bytes.as_ptr() as *const c_char, bytes.len() as u64, e, n)
        })
    }

    /// Bytes of a VARCHAR or BLOB element; valid while the chunk lives.
    pub fn get_bytes(&self, row: usize) -> &'a [u8] {
        unsafe {
            let s = self.data::<ffi::duckdb_string_t>().add(row);
            let len = (*s).value.inlined.length as usize;
            let p = if len <= 12 { (*s).value.inlined.inlined.as_ptr() } else { (*s).value.pointer.ptr as *const c_char };
            std::slice::from_raw_parts(p as *const u8, len)
        }
    }

    /// (offset, length) of a LIST element in the child vector.
    pub fn list_entry(&self, row: usize) -> (usize, usize) {
        let e: ffi::duckdb_list_entry = self.get(row);
        (e.offset as usize, e.length as usize)
    }

    pub fn set_list_entry(&self, row: usize, offset: usize, length: usize) {
        self.set(row, ffi::duckdb_list_entry { offset: offset as u64, length: length as u64 })
    }

    /// The element vector of a LIST vector.
    pub fn list_child(&self) -> Vector<'a> {
        Vector { raw: unsafe { ffi::duckdb_list_vector_get_child(self.raw) }, _chunk: std::marker::PhantomData }
    }

    /// Number of elements in a LIST vector's child.
    pub fn list_len(&self) -> usize {
        unsafe { ffi::duckdb_list_vector_get_size(self.raw) as usize }
    }

    /// Grows a LIST vector's child to `len` elements.
    pub fn list_resize(&self, len: usize) -> Result<(), String> {
        guarded_call(|e, n| unsafe { duckam_guarded_list_resize(self.raw, len as u64, e, n) })
    }
}

// The C++ guard shim (guard.cpp): C API calls that may throw (they
// allocate), caught on the C++ side; 0 is success, else `error` holds
// DuckDB's message.
extern "C" {
    fn duckam_guarded_assign_string(v: ffi::duckdb_vector, row: u64, s: *const c_char, len: u64, error: *mut c_char, error_len: usize) -> i32;
    fn duckam_guarded_list_resize(v: ffi::duckdb_vector, len: u64, error: *mut c_char, error_len: usize) -> i32;
    fn duckam_guarded_ensure_validity_writable(v: ffi::duckdb_vector, error: *mut c_char, error_len: usize) -> i32;
}

fn guarded_call(call: impl FnOnce(*mut c_char, usize) -> i32) -> Result<(), String> {
    let mut error = [0 as c_char; 512];
    if call(error.as_mut_ptr(), error.len()) == 0 {
        return Ok(());
    }
    let message = unsafe { std::ffi::CStr::from_ptr(error.as_ptr()) }.to_string_lossy();
    if message.to_lowercase().contains("memory") {
        // error.rs maps this wording to SQLSTATE 53200 with a hint.
        return Err(format!("out of memory in the pg_duckam engine (duckdb: {message})"));
    }
    Err(message.into_owned())
}
