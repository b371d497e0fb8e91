//! The CustomScan that runs a deparsed query in DuckDB and hands its rows
//! to PostgreSQL as virtual tuples (converted chunk by chunk, column by
//! column, by the shared RowReader). EXPLAIN shows the DuckDB SQL.

use std::ffi::CStr;
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgList;

use crate::error::OrReport;
use crate::owned;
use crate::reader::RowReader;
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

/// Replaces the plan tree of `stmt` with a DuckDB CustomScan producing
/// `outputs` (the query's non-junk target entries) from `sql`.
pub unsafe fn install(stmt: *mut pg_sys::PlannedStmt, sql: &str, outputs: &[*mut pg_sys::TargetEntry], cursor_options: i32) {
    let old = (*stmt).planTree;
    let cscan = pg_sys::palloc0(std::mem::size_of::<pg_sys::CustomScan>()) as *mut pg_sys::CustomScan;
    (*cscan).scan.plan.type_ = pg_sys::NodeTag::T_CustomScan;
    (*cscan).scan.plan.startup_cost = (*old).startup_cost;
    (*cscan).scan.plan.total_cost = (*old).total_cost;
    (*cscan).scan.plan.plan_rows = (*old).plan_rows;
    (*cscan).scan.plan.plan_width = (*old).plan_width;
    (*cscan).scan.scanrelid = 0;
    let mut scan_tlist = PgList::<pg_sys::TargetEntry>::new();
    let mut tlist = PgList::<pg_sys::TargetEntry>::new();
    for (i, &tle) in outputs.iter().enumerate() {
        let resno = (i + 1) as i16;
        let expr = (*tle).expr as *mut pg_sys::Node;
        scan_tlist.push(pg_sys::makeTargetEntry((*tle).expr, resno, (*tle).resname, false));
        let var = pg_sys::makeVar(
            pg_sys::INDEX_VAR,
            resno,
            pg_sys::exprType(expr),
            pg_sys::exprTypmod(expr),
            pg_sys::exprCollation(expr),
            0,
        );
        tlist.push(pg_sys::makeTargetEntry(var as *mut pg_sys::Expr, resno, (*tle).resname, false));
    }
    (*cscan).custom_scan_tlist = scan_tlist.into_pg();
    (*cscan).scan.plan.targetlist = tlist.into_pg();
    let csql = std::ffi::CString::new(sql).expect("SQL has no NUL");
    let mut private = PgList::<pg_sys::Node>::new();
    private.push(pg_sys::makeString(pg_sys::pstrdup(csql.as_ptr())) as *mut pg_sys::Node);
    (*cscan).custom_private = private.into_pg();
    (*cscan).methods = &SCAN_METHODS.0;
    let mut top = cscan as *mut pg_sys::Plan;
    if cursor_options & pg_sys::CURSOR_OPT_SCROLL as i32 != 0 {
        top = pg_sys::materialize_finished_plan(top);
    }
    (*stmt).planTree = top;
    (*stmt).parallelModeNeeded = false;
}

#[repr(C)]
struct DuckExecState {
    css: pg_sys::CustomScanState,
    reader: *mut RowReader,
    sql: *const std::ffi::c_char,
}

unsafe fn sql_of(cscan: *mut pg_sys::CustomScan) -> *const std::ffi::c_char {
    let private = PgList::<pg_sys::Node>::from_pg((*cscan).custom_private);
    let s = private.get_ptr(0).expect("DuckDB SQL in custom_private") as *mut pg_sys::String;
    (*s).sval
}

#[pg_guard]
unsafe extern "C-unwind" fn create_state(cscan: *mut pg_sys::CustomScan) -> *mut pg_sys::Node {
    let st = pg_sys::palloc0(std::mem::size_of::<DuckExecState>()) as *mut DuckExecState;
    (*st).css.ss.ps.type_ = pg_sys::NodeTag::T_CustomScanState;
    (*st).css.methods = &EXEC_METHODS.0;
    (*st).sql = sql_of(cscan);
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
    reader.configure(CStr::from_ptr((*st).sql).to_string_lossy().into_owned(), columns, (*desc).natts as usize);
    // If the query errors out, EndCustomScan is not called: the reader goes
    // with the query's memory.
    owned::own_in_context(cxt, &mut (*st).reader, reader);
}

#[pg_guard]
unsafe extern "C-unwind" fn next(ss: *mut pg_sys::ScanState) -> *mut pg_sys::TupleTableSlot {
    let st = ss as *mut DuckExecState;
    let slot = (*ss).ss_ScanTupleSlot;
    (*(*st).reader).next_into(slot).or_report();
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
}
