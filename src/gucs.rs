//! Every setting of pg_duckam, in one place.

use std::ffi::CString;

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// DuckDB memory limit per backend, in DuckDB's syntax ('1GB', '512MB').
pub static MEMORY_LIMIT: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"1GB"));
/// DuckDB worker threads per backend.
pub static THREADS: GucSetting<i32> = GucSetting::<i32>::new(2);
/// Where DuckDB spills; empty means $PGDATA/pg_duckam/tmp.
pub static TEMP_DIRECTORY: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));
/// Rows buffered per relation before they are appended to DuckDB.
pub static INSERT_BUFFER_ROWS: GucSetting<i32> = GucSetting::<i32>::new(122_880);

pub fn init() {
    GucRegistry::define_string_guc(
        c"duckam.memory_limit",
        c"Memory limit of the embedded DuckDB in each backend.",
        c"DuckDB syntax, e.g. '1GB'. Each backend that uses duckdb tables runs its own DuckDB instance; beyond this it spills to duckam.temp_directory.",
        &MEMORY_LIMIT,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"duckam.threads",
        c"Worker threads of the embedded DuckDB in each backend.",
        c"Each backend using duckdb tables may run this many threads.",
        &THREADS,
        1,
        256,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"duckam.temp_directory",
        c"Directory where DuckDB spills intermediate data.",
        c"Empty means $PGDATA/pg_duckam/tmp.",
        &TEMP_DIRECTORY,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"duckam.insert_buffer_rows",
        c"Rows buffered per duckdb table before they are appended to DuckDB.",
        c"Buffered rows are also flushed before any read of DuckDB and at commit.",
        &INSERT_BUFFER_ROWS,
        2048,
        10_000_000,
        GucContext::Userset,
        GucFlags::default(),
    );
}

pub fn memory_limit() -> String {
    MEMORY_LIMIT.get().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "1GB".into())
}

pub fn temp_directory() -> Option<String> {
    TEMP_DIRECTORY.get().map(|s| s.to_string_lossy().into_owned()).filter(|s| !s.is_empty())
}
