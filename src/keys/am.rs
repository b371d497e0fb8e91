//! The `duckdb_key` index access method: the PostgreSQL side of a key of
//! a duckdb table. It stores nothing and is never scanned (no gettuple or
//! bitmap callbacks, so the planner makes no paths over it); building it
//! creates DuckDB's unique index (keys::build).

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::error::{Error, OrReport};

#[pg_guard]
unsafe extern "C-unwind" fn ambuild(heap: pg_sys::Relation, index: pg_sys::Relation, info: *mut pg_sys::IndexInfo) -> *mut pg_sys::IndexBuildResult {
    super::build(heap, index, info).or_report();
    pg_sys::palloc0(std::mem::size_of::<pg_sys::IndexBuildResult>()) as *mut pg_sys::IndexBuildResult
}

#[pg_guard]
unsafe extern "C-unwind" fn ambuildempty(_index: pg_sys::Relation) {
    Error::unsupported("unlogged duckdb tables are not supported").report()
}

/// Rows reach DuckDB through the table access method, which checks them
/// against DuckDB's index: nothing to do per row.
#[pg_guard]
unsafe extern "C-unwind" fn aminsert(
    _index: pg_sys::Relation,
    _values: *mut pg_sys::Datum,
    _isnull: *mut bool,
    _tid: pg_sys::ItemPointer,
    _heap: pg_sys::Relation,
    _check: pg_sys::IndexUniqueCheck::Type,
    _unchanged: bool,
    _info: *mut pg_sys::IndexInfo,
) -> bool {
    false
}

#[pg_guard]
unsafe extern "C-unwind" fn ambulkdelete(
    _info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
    _callback: pg_sys::IndexBulkDeleteCallback,
    _state: *mut std::ffi::c_void,
) -> *mut pg_sys::IndexBulkDeleteResult {
    stats
}

#[pg_guard]
unsafe extern "C-unwind" fn amvacuumcleanup(
    _info: *mut pg_sys::IndexVacuumInfo,
    stats: *mut pg_sys::IndexBulkDeleteResult,
) -> *mut pg_sys::IndexBulkDeleteResult {
    stats
}

/// Never used for a path (no scan callbacks); priced out all the same.
#[pg_guard]
unsafe extern "C-unwind" fn amcostestimate(
    _root: *mut pg_sys::PlannerInfo,
    _path: *mut pg_sys::IndexPath,
    _loop_count: f64,
    startup: *mut pg_sys::Cost,
    total: *mut pg_sys::Cost,
    selectivity: *mut pg_sys::Selectivity,
    correlation: *mut f64,
    pages: *mut f64,
) {
    *startup = 1.0e10;
    *total = 1.0e10;
    *selectivity = 1.0;
    *correlation = 0.0;
    *pages = 0.0;
}

#[pg_guard]
unsafe extern "C-unwind" fn amoptions(_reloptions: pg_sys::Datum, _validate: bool) -> *mut pg_sys::bytea {
    std::ptr::null_mut()
}

#[pg_guard]
unsafe extern "C-unwind" fn amvalidate(_opclass: pg_sys::Oid) -> bool {
    true
}

/// PostgreSQL scans a unique index itself only for INSERT … ON CONFLICT
/// run by its executor.
#[pg_guard]
unsafe extern "C-unwind" fn ambeginscan(_index: pg_sys::Relation, _nkeys: i32, _norderbys: i32) -> pg_sys::IndexScanDesc {
    Error::unsupported("INSERT … ON CONFLICT on a duckdb table with a key runs only in DuckDB, and this one cannot")
        .with_hint("SET duckam.execution = auto (or force).")
        .report()
}

#[pg_guard]
unsafe extern "C-unwind" fn amrescan(_scan: pg_sys::IndexScanDesc, _keys: pg_sys::ScanKey, _nkeys: i32, _orderbys: pg_sys::ScanKey, _norderbys: i32) {}

#[pg_guard]
unsafe extern "C-unwind" fn amendscan(_scan: pg_sys::IndexScanDesc) {}

/// `duckam.duckdb_key_handler(internal)`. DefineIndex frees the routine it
/// is given: a palloc'd copy each call.
#[no_mangle]
#[pg_guard]
pub unsafe extern "C-unwind" fn duckdb_key_handler(_fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    let r = pg_sys::palloc0(std::mem::size_of::<pg_sys::IndexAmRoutine>()) as *mut pg_sys::IndexAmRoutine;
    *r = pg_sys::IndexAmRoutine {
        type_: pg_sys::NodeTag::T_IndexAmRoutine,
        amcanunique: true,
        amcanmulticol: true,
        amkeytype: pg_sys::InvalidOid,
        ambuild: Some(ambuild),
        ambuildempty: Some(ambuildempty),
        aminsert: Some(aminsert),
        ambulkdelete: Some(ambulkdelete),
        amvacuumcleanup: Some(amvacuumcleanup),
        amcostestimate: Some(amcostestimate),
        amoptions: Some(amoptions),
        amvalidate: Some(amvalidate),
        ambeginscan: Some(ambeginscan),
        amrescan: Some(amrescan),
        amendscan: Some(amendscan),
        ..Default::default()
    };
    pg_sys::Datum::from(r)
}

#[no_mangle]
pub extern "C" fn pg_finfo_duckdb_key_handler() -> &'static pg_sys::Pg_finfo_record {
    static V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

pgrx::extension_sql!(
    r#"
CREATE FUNCTION duckdb_key_handler(internal) RETURNS index_am_handler
    LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'duckdb_key_handler';
CREATE ACCESS METHOD duckdb_key TYPE INDEX HANDLER duckdb_key_handler;
COMMENT ON ACCESS METHOD duckdb_key IS 'primary keys and unique constraints of duckdb tables, enforced by DuckDB';
CREATE OPERATOR CLASS duckdb_key_ops DEFAULT FOR TYPE anyelement USING duckdb_key AS STORAGE anyelement;
"#,
    name = "duckdb_key_access_method",
    requires = ["duckdb_access_method"]
);
