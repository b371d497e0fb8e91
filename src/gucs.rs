//! Every setting of pg_duckam, in one place.

use std::ffi::CString;

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PgLogLevel, PostgresGucEnum};

/// Where queries over duckdb tables run.
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Execution {
    /// Always in PostgreSQL's executor (the access method's scans).
    #[name = c"off"]
    Off,
    /// In DuckDB when the whole query can be expressed there, else PostgreSQL.
    #[name = c"auto"]
    Auto,
    /// In DuckDB, or an error naming what could not be expressed.
    #[name = c"force"]
    Force,
}

/// Level of the message that names why a query did not run in DuckDB.
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum FallbackLevel {
    #[name = c"debug1"]
    Debug1,
    #[name = c"log"]
    Log,
    #[name = c"notice"]
    Notice,
    #[name = c"warning"]
    Warning,
}

pub static EXECUTION: GucSetting<Execution> = GucSetting::<Execution>::new(Execution::Auto);
pub static FALLBACK_LEVEL: GucSetting<FallbackLevel> = GucSetting::<FallbackLevel>::new(FallbackLevel::Debug1);

pub fn fallback_level() -> PgLogLevel {
    match FALLBACK_LEVEL.get() {
        FallbackLevel::Debug1 => PgLogLevel::DEBUG1,
        FallbackLevel::Log => PgLogLevel::LOG,
        FallbackLevel::Notice => PgLogLevel::NOTICE,
        FallbackLevel::Warning => PgLogLevel::WARNING,
    }
}

/// The engine's DuckDB memory limit, in DuckDB's syntax ('1GB', '512MB').
pub static MEMORY_LIMIT: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"1GB"));
/// The engine's DuckDB worker threads.
pub static THREADS: GucSetting<i32> = GucSetting::<i32>::new(2);
/// Where DuckDB spills; empty means $PGDATA/pg_duckam/tmp.
pub static TEMP_DIRECTORY: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));
/// Rows buffered per relation before they are appended to DuckDB.
pub static INSERT_BUFFER_ROWS: GucSetting<i32> = GucSetting::<i32>::new(122_880);
/// Whether DuckDB may read PostgreSQL tables (mixed queries) itself.
pub static HEAP_SCANS: GucSetting<bool> = GucSetting::<bool>::new(true);
/// Tests only: this many of the next snapshot checks are made to fail, so
/// the retry path runs (engine::snapshot).
pub static TEST_SNAPSHOT_RETRIES: GucSetting<i32> = GucSetting::<i32>::new(0);

pub fn init() {
    GucRegistry::define_enum_guc(
        c"duckam.execution",
        c"Where queries over duckdb tables run: off, auto or force.",
        c"auto runs a query in DuckDB when all of it can be expressed there and in PostgreSQL otherwise; force raises an error instead of falling back; off always uses PostgreSQL's executor.",
        &EXECUTION,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"duckam.fallback_message_level",
        c"Message level that names why a query did not run in DuckDB.",
        c"debug1, log, notice or warning.",
        &FALLBACK_LEVEL,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"duckam.memory_limit",
        c"Memory limit of the pg_duckam engine's DuckDB, for all sessions together.",
        c"DuckDB syntax, e.g. '1GB'. The engine process runs one DuckDB for the whole cluster; beyond this it spills to duckam.temp_directory.",
        &MEMORY_LIMIT,
        GucContext::Postmaster,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"duckam.threads",
        c"Worker threads of the pg_duckam engine's DuckDB, shared by all sessions.",
        c"The engine process runs one DuckDB thread pool for the whole cluster.",
        &THREADS,
        1,
        256,
        GucContext::Postmaster,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"duckam.temp_directory",
        c"Directory where the engine's DuckDB spills intermediate data.",
        c"Empty means $PGDATA/pg_duckam/tmp.",
        &TEMP_DIRECTORY,
        GucContext::Postmaster,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"duckam.heap_scans",
        c"Lets queries that mix heap and duckdb tables run wholly in DuckDB.",
        c"DuckDB then reads the heap tables through PostgreSQL's table scans on the backend's main thread; off makes such queries run in PostgreSQL.",
        &HEAP_SCANS,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"duckam.test_snapshot_retries",
        c"Tests only: fails this many of the next DuckDB snapshot checks.",
        c"Makes the engine answer Retry, as when a commit of heap and duckdb tables races a statement's snapshots.",
        &TEST_SNAPSHOT_RETRIES,
        0,
        1000,
        GucContext::Suset,
        GucFlags::NO_SHOW_ALL,
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
