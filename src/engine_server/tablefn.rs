//! What the engine's DuckDB table functions (`pg_heap`, `pg_batch`) share:
//! registering one, finding the session whose connection is binding it,
//! and keeping panics and errors inside the callbacks.
//!
//! DuckDB calls table-function callbacks on its own threads with only a
//! client context to go by; the connection id in it is the key under which
//! each session files what its functions need (`ByConnection`).

use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::sync::{Arc, Weak};

use duckdb::ffi;
use parking_lot::Mutex;

use super::ffi::{Connection, DuckError, DuckResult};

/// Per-session state of one table function, by DuckDB connection id.
pub struct ByConnection<T>(Mutex<Option<HashMap<u64, Weak<T>>>>);

impl<T> ByConnection<T> {
    pub const fn new() -> Self {
        ByConnection(Mutex::new(None))
    }

    pub fn insert(&self, conn: &Connection, state: &Arc<T>) {
        self.0.lock().get_or_insert_with(HashMap::new).insert(conn.id(), Arc::downgrade(state));
    }

    pub fn remove(&self, connection_id: u64) {
        if let Some(map) = self.0.lock().as_mut() {
            map.remove(&connection_id);
        }
    }

    /// The state of the session whose connection is binding the function.
    ///
    /// # Safety
    /// `info` is the bind info DuckDB passed to a bind callback.
    pub unsafe fn binding(&self, info: ffi::duckdb_bind_info) -> Option<Arc<T>> {
        let mut ctx: ffi::duckdb_client_context = std::ptr::null_mut();
        ffi::duckdb_table_function_get_client_context(info, &mut ctx);
        if ctx.is_null() {
            return None;
        }
        let id = ffi::duckdb_client_context_get_connection_id(ctx);
        ffi::duckdb_destroy_client_context(&mut ctx);
        self.0.lock().as_ref().and_then(|m| m.get(&id)).and_then(Weak::upgrade)
    }
}

/// A table function's callbacks.
pub struct Callbacks {
    pub bind: unsafe extern "C" fn(ffi::duckdb_bind_info),
    pub init: unsafe extern "C" fn(ffi::duckdb_init_info),
    pub scan: unsafe extern "C" fn(ffi::duckdb_function_info, ffi::duckdb_data_chunk),
}

/// Registers table function `name` in the instance (once: table functions
/// live in the system catalog), with one BIGINT parameter per entry of
/// `bigint_parameters` and projection pushdown if `projection`.
pub fn register(conn: &Connection, name: &str, bigint_parameters: usize, projection: bool, callbacks: Callbacks) -> DuckResult<()> {
    let cname = CString::new(name).map_err(|_| DuckError::other("a table function name holds NUL"))?;
    unsafe {
        let mut f = ffi::duckdb_create_table_function();
        ffi::duckdb_table_function_set_name(f, cname.as_ptr());
        for _ in 0..bigint_parameters {
            let mut bigint = ffi::duckdb_create_logical_type(ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT);
            ffi::duckdb_table_function_add_parameter(f, bigint);
            ffi::duckdb_destroy_logical_type(&mut bigint);
        }
        ffi::duckdb_table_function_set_bind(f, Some(callbacks.bind));
        ffi::duckdb_table_function_set_init(f, Some(callbacks.init));
        ffi::duckdb_table_function_set_function(f, Some(callbacks.scan));
        ffi::duckdb_table_function_supports_projection_pushdown(f, projection);
        let state = ffi::duckdb_register_table_function(conn.raw(), f);
        ffi::duckdb_destroy_table_function(&mut f);
        if state != ffi::duckdb_state_DuckDBSuccess {
            return Err(DuckError::other(format!("could not register the {name} table function")));
        }
    }
    Ok(())
}

/// `text` as a C string for DuckDB (NULs would cut it short).
pub fn c_message(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

unsafe extern "C" fn free_boxed<T>(p: *mut c_void) {
    drop(Box::from_raw(p as *mut T));
}

/// Hands `data` to DuckDB as the bind data, freed with the statement.
///
/// # Safety
/// `info` is the bind info DuckDB passed to a bind callback.
pub unsafe fn set_bind_data<T>(info: ffi::duckdb_bind_info, data: T) {
    ffi::duckdb_bind_set_bind_data(info, Box::into_raw(Box::new(data)) as *mut c_void, Some(free_boxed::<T>));
}

/// Hands `data` to DuckDB as a scan's init data, freed after the scan.
///
/// # Safety
/// `info` is the init info DuckDB passed to an init callback.
pub unsafe fn set_init_data<T>(info: ffi::duckdb_init_info, data: T) {
    ffi::duckdb_init_set_init_data(info, Box::into_raw(Box::new(data)) as *mut c_void, Some(free_boxed::<T>));
}

/// Runs a callback's body; a panic becomes `Err("<function>: internal
/// error in <step>")` instead of unwinding into DuckDB.
pub fn guarded<R>(function: &str, step: &str, body: impl FnOnce() -> Result<R, String>) -> Result<R, CString> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(c_message(&e)),
        Err(_) => Err(c_message(&format!("{function}: internal error in {step}"))),
    }
}
