//! The CustomScan that runs a deparsed query in DuckDB and hands its rows
//! to PostgreSQL as virtual tuples (converted chunk by chunk, column by
//! column, by the shared RowReader). EXPLAIN shows the DuckDB SQL.

use std::ffi::CStr;
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgList;

use pgrx::PgSqlErrorCode;

use crate::deparse::Deparsed;
use crate::error::{Error, OrReport, Result};
use crate::owned;
use crate::engine;
use crate::reader::{self, RowReader};
use crate::types;

struct Methods<T>(T);
unsafe impl<T> Sync for Methods<T> {}

static SCAN_METHODS: Methods<pg_sys::CustomScanMethods> = Methods(pg_sys::CustomScanMethods {
    CustomName: c"DuckDBScan".as_ptr(),
    CreateCustomScanState: Some(create_state),
});

static EXEC_METHODS: Methods<pg_sys::CustomExecMethods> = Methods(pg_sys::CustomExecMethods {
    CustomName: c"DuckDBScan".as_ptr(),
    BeginCustomScan: Some(begin),
    ExecCustomScan: Some(exec),
    EndCustomScan: Some(end),
    ReScanCustomScan: Some(rescan),
    MarkPosCustomScan: None,
    RestrPosCustomScan: None,
    EstimateDSMCustomScan: None,
    InitializeDSMCustomScan: None,
    ReInitializeDSMCustomScan: None,
    InitializeWorkerCustomScan: None,
    ShutdownCustomScan: None,
    ExplainCustomScan: Some(explain),
});

/// Replaces the plan tree of `stmt` with a DuckDB CustomScan that runs
/// the deparsed SQL; its scan tuple is DuckDB's result, its target list
/// the statement's outputs over that tuple.
pub unsafe fn install(stmt: *mut pg_sys::PlannedStmt, d: &Deparsed, cursor_options: i32) {
    let mut top = scan_plan(d, (*stmt).planTree) as *mut pg_sys::Plan;
    if cursor_options & pg_sys::CURSOR_OPT_SCROLL as i32 != 0 {
        top = pg_sys::materialize_finished_plan(top);
    }
    (*stmt).planTree = top;
    (*stmt).parallelModeNeeded = false;
    // Row marks belong to the replaced ModifyTable's row-by-row work.
    (*stmt).rowMarks = std::ptr::null_mut();
}

/// INSERT INTO <PostgreSQL table> SELECT …: the ModifyTable stays, and its
/// source plan becomes the DuckDB scan, whose targets are the new rows.
pub unsafe fn install_insert_source(stmt: *mut pg_sys::PlannedStmt, d: &Deparsed) {
    let modify = (*stmt).planTree;
    if modify.is_null() || (*modify).type_ != pg_sys::NodeTag::T_ModifyTable || (*modify).lefttree.is_null() {
        return;
    }
    (*modify).lefttree = scan_plan(d, (*modify).lefttree) as *mut pg_sys::Plan;
    (*stmt).parallelModeNeeded = false;
}

/// A DuckDB CustomScan running the deparsed SQL, standing in for `old`.
unsafe fn scan_plan(d: &Deparsed, old: *mut pg_sys::Plan) -> *mut pg_sys::CustomScan {
    let cscan = pg_sys::palloc0(std::mem::size_of::<pg_sys::CustomScan>()) as *mut pg_sys::CustomScan;
    (*cscan).scan.plan.type_ = pg_sys::NodeTag::T_CustomScan;
    (*cscan).scan.plan.startup_cost = (*old).startup_cost;
    (*cscan).scan.plan.total_cost = (*old).total_cost;
    (*cscan).scan.plan.plan_rows = (*old).plan_rows;
    (*cscan).scan.plan.plan_width = (*old).plan_width;
    (*cscan).scan.scanrelid = 0;
    let mut scan_tlist = PgList::<pg_sys::TargetEntry>::new();
    for (i, &e) in d.scan.iter().enumerate() {
        scan_tlist.push(pg_sys::makeTargetEntry(e, (i + 1) as i16, std::ptr::null_mut(), false));
    }
    let mut tlist = PgList::<pg_sys::TargetEntry>::new();
    for &t in &d.targets {
        tlist.push(t);
    }
    (*cscan).custom_scan_tlist = scan_tlist.into_pg();
    (*cscan).scan.plan.targetlist = tlist.into_pg();
    let csql = std::ffi::CString::new(d.sql.as_str()).expect("SQL has no NUL");
    let mut private = PgList::<pg_sys::Node>::new();
    private.push(pg_sys::makeString(pg_sys::pstrdup(csql.as_ptr())) as *mut pg_sys::Node);
    private.push(pg_sys::makeInteger(d.writes.unwrap_or(0) as i32) as *mut pg_sys::Node);
    private.push(pg_sys::makeInteger(d.heap_scans.len() as i32) as *mut pg_sys::Node);
    for &source in &d.heap_scans {
        private.push(source);
    }
    for &(id, typid) in &d.params {
        private.push(pg_sys::makeInteger(id) as *mut pg_sys::Node);
        private.push(pg_sys::makeInteger(u32::from(typid) as i32) as *mut pg_sys::Node);
    }
    (*cscan).custom_private = private.into_pg();
    (*cscan).methods = &SCAN_METHODS.0;
    cscan
}

/// Is this plan tree a DuckDB CustomScan (possibly under a Material)?
pub unsafe fn is_duckdb_plan(plan: *mut pg_sys::Plan) -> bool {
    let mut p = plan;
    if !p.is_null() && (*p).type_ == pg_sys::NodeTag::T_Material {
        p = (*p).lefttree;
    }
    !p.is_null() && (*p).type_ == pg_sys::NodeTag::T_CustomScan && (*(p as *mut pg_sys::CustomScan)).methods == &SCAN_METHODS.0 as *const _
}

/// Does a ModifyTable read its rows from a DuckDB scan (INSERT INTO a
/// PostgreSQL table SELECT … over duckdb tables)?
pub unsafe fn has_duckdb_source(plan: *mut pg_sys::Plan) -> bool {
    !plan.is_null() && (*plan).type_ == pg_sys::NodeTag::T_ModifyTable && is_duckdb_plan((*plan).lefttree)
}

#[repr(C)]
struct DuckExecState {
    css: pg_sys::CustomScanState,
    reader: *mut RowReader,
    sql: *const std::ffi::c_char,
    /// custom_private: the SQL, the storage a data-modifying statement
    /// changes (0: none), the number of heap relations read and what each
    /// `pg_heap(k)` reads (deparse::heap::scan_source), then (param id,
    /// param type) pairs.
    private: *mut pg_sys::List,
    /// UPDATE / DELETE / INSERT: the storage changed.
    writes: Option<u32>,
    /// A data-modifying statement without RETURNING has run.
    ran: bool,
}

/// What `install` put in custom_private after the SQL, read back once.
struct PlanPrivate {
    writes: Option<u32>,
    heap_scans: Vec<*mut pg_sys::Node>,
    /// PostgreSQL parameter ids and types, in DuckDB `$n` order.
    params: Vec<(i32, pg_sys::Oid)>,
}

unsafe fn decode_private(private: *mut pg_sys::List) -> PlanPrivate {
    let list = PgList::<pg_sys::Node>::from_pg(private);
    let int = |i: usize| (*(list.get_ptr(i).expect("custom_private entry") as *mut pg_sys::Integer)).ival;
    let oid = |i: usize| pg_sys::Oid::from(int(i) as u32);
    let storage = int(1) as u32;
    let nscans = int(2) as usize;
    let first_param = 3 + nscans;
    PlanPrivate {
        writes: (storage != 0).then_some(storage),
        heap_scans: (3..first_param).map(|i| list.get_ptr(i).expect("heap scan source")).collect(),
        params: (first_param..list.len()).step_by(2).map(|i| (int(i), oid(i + 1))).collect(),
    }
}

unsafe fn sql_of(cscan: *mut pg_sys::CustomScan) -> *const std::ffi::c_char {
    let private = PgList::<pg_sys::Node>::from_pg((*cscan).custom_private);
    let s = private.get_ptr(0).expect("DuckDB SQL in custom_private") as *mut pg_sys::String;
    (*s).sval
}

/// The statement's parameter values as DuckDB-readable text (None: NULL).
unsafe fn parameter_values(wanted: &[(i32, pg_sys::Oid)], params: pg_sys::ParamListInfo) -> Result<Vec<Option<String>>> {
    let mut values = Vec::new();
    for &(id, typid) in wanted {
        if params.is_null() || id < 1 || id > (*params).numParams {
            return Err(Error::new(PgSqlErrorCode::ERRCODE_UNDEFINED_PARAMETER, format!("there is no parameter ${id}")));
        }
        let mut workspace: pg_sys::ParamExternData = std::mem::zeroed();
        let prm = match (*params).paramFetch {
            Some(fetch) => fetch(params, id, false, &mut workspace),
            None => (*params).params.as_mut_ptr().add(id as usize - 1),
        };
        if (*prm).ptype != typid {
            return Err(Error::new(
                PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                format!("parameter ${id} has type {} but the plan expects {}", crate::deparse::type_name((*prm).ptype), crate::deparse::type_name(typid)),
            ));
        }
        if (*prm).isnull {
            values.push(None);
            continue;
        }
        let (text, _) = crate::deparse::literal_text(typid, (*prm).value).map_err(|why| {
            Error::unsupported(format!("parameter ${id} cannot be sent to DuckDB: {why}"))
        })?;
        values.push(Some(text));
    }
    Ok(values)
}

#[pg_guard]
unsafe extern "C-unwind" fn create_state(cscan: *mut pg_sys::CustomScan) -> *mut pg_sys::Node {
    let st = pg_sys::palloc0(std::mem::size_of::<DuckExecState>()) as *mut DuckExecState;
    (*st).css.ss.ps.type_ = pg_sys::NodeTag::T_CustomScanState;
    (*st).css.methods = &EXEC_METHODS.0;
    (*st).sql = sql_of(cscan);
    (*st).private = (*cscan).custom_private;
    st as *mut pg_sys::Node
}

#[pg_guard]
unsafe extern "C-unwind" fn begin(node: *mut pg_sys::CustomScanState, estate: *mut pg_sys::EState, eflags: i32) {
    if eflags & pg_sys::EXEC_FLAG_EXPLAIN_ONLY as i32 != 0 {
        return;
    }
    let st = node as *mut DuckExecState;
    let desc = (*(*node).ss.ss_ScanTupleSlot).tts_tupleDescriptor;
    let columns = Rc::new(types::descriptor_columns(desc).or_report());
    let cxt = (*estate).es_query_cxt;
    let mut reader = RowReader::new(cxt);
    let private = decode_private((*st).private);
    (*st).writes = private.writes;
    let params = parameter_values(&private.params, (*estate).es_param_list_info).or_report();
    reader.configure(CStr::from_ptr((*st).sql).to_string_lossy().into_owned(), columns, (*desc).natts as usize);
    reader.set_params(params);
    if let Some(storage) = (*st).writes {
        reader.set_writes(storage);
    }
    let bound = (*estate).es_param_list_info;
    reader.set_heap_scans(private.heap_scans.iter().map(|&n| engine::HeapSource::from_plan(n, bound, estate)).collect());
    // Its one query may have to take the statement's snapshot again.
    reader.set_estate(estate);
    // EXPLAIN ANALYZE (the node's own instrumentation is attached only
    // after this returns): DuckDB's profile goes under the node.
    reader.profiling = (*estate).es_instrument != 0;
    // If the query errors out, EndCustomScan is not called: the reader goes
    // with the query's memory.
    owned::own_in_context(cxt, &mut (*st).reader, reader);
}

#[pg_guard]
unsafe extern "C-unwind" fn next(ss: *mut pg_sys::ScanState) -> *mut pg_sys::TupleTableSlot {
    let st = ss as *mut DuckExecState;
    let slot = (*ss).ss_ScanTupleSlot;
    let estate = (*ss).ps.state;
    let reader = &mut *(*st).reader;
    match (*st).writes {
        // UPDATE/DELETE/INSERT without RETURNING: run it, count its rows
        // (the command tag's count), return nothing.
        Some(storage) if (*(*slot).tts_tupleDescriptor).natts == 0 => {
            reader::clear_slot(slot);
            if !(*st).ran {
                (*st).ran = true;
                let n = engine::write_counted(storage, reader.sql(), reader.params(), reader.heap_scans(), reader.profiling).or_report();
                (*estate).es_processed += n;
                if reader.profiling {
                    reader.profile = engine::last_profile();
                }
            }
        }
        // With RETURNING: every returned row is a changed row.
        Some(_) => {
            if reader.next_into(slot).or_report() {
                (*estate).es_processed += 1;
            }
        }
        None => {
            reader.next_into(slot).or_report();
        }
    }
    slot
}

#[pg_guard]
unsafe extern "C-unwind" fn recheck(_ss: *mut pg_sys::ScanState, _slot: *mut pg_sys::TupleTableSlot) -> bool {
    true
}

#[pg_guard]
unsafe extern "C-unwind" fn exec(node: *mut pg_sys::CustomScanState) -> *mut pg_sys::TupleTableSlot {
    pg_sys::ExecScan(&mut (*node).ss, Some(next), Some(recheck))
}

#[pg_guard]
unsafe extern "C-unwind" fn end(node: *mut pg_sys::CustomScanState) {
    owned::release(&mut (*(node as *mut DuckExecState)).reader);
}

#[pg_guard]
unsafe extern "C-unwind" fn rescan(node: *mut pg_sys::CustomScanState) {
    let st = node as *mut DuckExecState;
    if !(*st).reader.is_null() {
        (*(*st).reader).restart();
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn explain(
    node: *mut pg_sys::CustomScanState,
    _ancestors: *mut pg_sys::List,
    es: *mut pg_sys::ExplainState,
) {
    let st = node as *mut DuckExecState;
    pg_sys::ExplainPropertyText(c"DuckDB SQL".as_ptr(), (*st).sql, es);
    // What each pg_heap(k) reads, with the conditions PostgreSQL applies.
    for (k, &source) in decode_private((*st).private).heap_scans.iter().enumerate() {
        let label = std::ffi::CString::new(format!("pg_heap({k})")).expect("no NUL");
        let text = std::ffi::CString::new(engine::HeapSource::from_plan(source, std::ptr::null_mut(), std::ptr::null_mut()).describe()).unwrap_or_default();
        pg_sys::ExplainPropertyText(label.as_ptr(), text.as_ptr(), es);
    }
    if !(*es).analyze || (*st).reader.is_null() {
        return;
    }
    let reader = &mut *(*st).reader;
    if reader.profile.is_none() && reader.profiling {
        // The result was not read to its end (e.g. under a LIMIT).
        reader.profile = engine::last_profile();
    }
    let Some(profile) = reader.profile.as_ref() else { return };
    let lines = duckam_logic::profile::render(profile);
    if (*es).format == pg_sys::ExplainFormat::EXPLAIN_FORMAT_TEXT {
        let out = (*es).str_;
        let indent = (*es).indent as i32 * 2;
        pg_sys::appendStringInfoSpaces(out, indent);
        pg_sys::appendStringInfoString(out, c"DuckDB Profile:\n".as_ptr());
        for line in lines {
            let text = std::ffi::CString::new(line).unwrap_or_default();
            pg_sys::appendStringInfoSpaces(out, indent + 2);
            pg_sys::appendStringInfoString(out, text.as_ptr());
            pg_sys::appendStringInfoChar(out, b'\n' as std::ffi::c_char);
        }
    } else {
        let mut list = PgList::<std::ffi::c_char>::new();
        for line in lines {
            let text = std::ffi::CString::new(line).unwrap_or_default();
            list.push(pg_sys::pstrdup(text.as_ptr()));
        }
        pg_sys::ExplainPropertyList(c"DuckDB Profile".as_ptr(), list.into_pg(), es);
    }
}
