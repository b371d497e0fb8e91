//! One reading of a `pg_heap(k)` scan, served on the backend's main thread:
//! PostgreSQL plans and runs `SELECT <columns DuckDB asked for> FROM
//! <relation> WHERE <pushed conditions>` (deparse/heap.rs) under the
//! statement's snapshot and parameters, a batch of rows at a time, and a
//! DestReceiver writes each row straight into the columnar batch sent to
//! the engine. Being an ordinary plan, it uses indexes, prunes partitions,
//! reads inheritance children and foreign tables, and applies row-level
//! security like any other.

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgList;

use duckam_logic::naming;
use duckam_logic::wire::{BatchBuilder, HeapScan};

use crate::error::OrReport;
use crate::owned::new_context;
use crate::types::{self, Column};

/// What a `pg_heap(k)` reads, as the plan keeps it: the relation's
/// range-table entry and the conditions pushed into its scan, with the
/// statement's parameters, and its executor state, whose snapshot the scan
/// reads under (engine::snapshot may replace it before the first row).
#[derive(Clone, Copy)]
pub struct HeapSource {
    pub rte: *mut pg_sys::RangeTblEntry,
    pub qual: *mut pg_sys::Node,
    pub params: pg_sys::ParamListInfo,
    pub estate: *mut pg_sys::EState,
}

impl HeapSource {
    /// From a `deparse::heap::scan_source` list kept in the plan.
    pub unsafe fn from_plan(node: *mut pg_sys::Node, params: pg_sys::ParamListInfo, estate: *mut pg_sys::EState) -> HeapSource {
        let list = PgList::<pg_sys::Node>::from_pg(node as *mut pg_sys::List);
        HeapSource {
            rte: list.get_ptr(0).expect("range-table entry") as *mut pg_sys::RangeTblEntry,
            qual: list.get_ptr(1).expect("pushed conditions"),
            params,
            estate,
        }
    }

    /// The snapshot the scan reads under.
    unsafe fn snapshot(&self) -> pg_sys::Snapshot {
        if self.estate.is_null() {
            pg_sys::GetActiveSnapshot()
        } else {
            (*self.estate).es_snapshot
        }
    }

    pub fn relid(&self) -> pg_sys::Oid {
        unsafe { (*self.rte).relid }
    }

    /// The columns DuckDB can receive (others are left out of `pg_heap`).
    pub fn columns(&self) -> Vec<Column> {
        unsafe {
            let rel = pg_sys::RelationIdGetRelation(self.relid());
            if rel.is_null() {
                return Vec::new();
            }
            let columns = types::supported_columns((*rel).rd_att);
            pg_sys::RelationClose(rel);
            columns
        }
    }

    /// What the engine's `pg_heap(k)` declares: columns and row estimate.
    pub unsafe fn declaration(&self) -> HeapScan {
        HeapScan {
            columns: self.columns().iter().map(|c| (naming::column_name(c.index as i16 + 1), c.duck.clone())).collect(),
            estimate: estimate_rows(self),
        }
    }

    /// For EXPLAIN: the relation and the conditions PostgreSQL applies in
    /// its scan, e.g. `public.h WHERE (k > 5)`.
    pub unsafe fn describe(&self) -> String {
        let relid = self.relid();
        let name = pg_sys::get_rel_name(relid);
        if name.is_null() {
            return "a dropped relation".into();
        }
        let schema = pg_sys::get_namespace_name_or_temp(pg_sys::get_rel_namespace(relid));
        let mut text = std::ffi::CStr::from_ptr(pg_sys::quote_qualified_identifier(schema, name)).to_string_lossy().into_owned();
        if !(*self.rte).inh {
            text = format!("ONLY {text}");
        }
        let is_true = (*self.qual).type_ == pg_sys::NodeTag::T_Const && {
            let c = self.qual as *mut pg_sys::Const;
            !(*c).constisnull && (*c).consttype == pg_sys::BOOLOID && (*c).constvalue.value() != 0
        };
        if !is_true {
            let context = pg_sys::deparse_context_for(name, relid);
            let qual = pg_sys::deparse_expression(self.qual, context, false, false);
            text = format!("{text} WHERE {}", std::ffi::CStr::from_ptr(qual).to_string_lossy());
        }
        text
    }
}

/// Where the plan's rows go: the batch being filled.
#[repr(C)]
struct BatchDest {
    base: pg_sys::DestReceiver,
    columns: *const Vec<Column>,
    batch: *mut BatchBuilder,
    /// Memory of the current batch (detoasted values), reset per batch.
    memory: pg_sys::MemoryContext,
}

pub struct PgScan {
    /// The projected columns (`index`: position in the plan's output);
    /// boxed because the DestReceiver points at them.
    _columns: Box<Vec<Column>>,
    qd: *mut pg_sys::QueryDesc,
    dest: *mut BatchDest,
    /// The scan's query, plan and executor state.
    cxt: pg_sys::MemoryContext,
}

impl PgScan {
    /// Plans and starts the scan of `source` returning `columns` (each
    /// `index` an attribute index of the relation).
    pub unsafe fn start(source: &HeapSource, columns: &[Column]) -> PgScan {
        let cxt = new_context(pg_sys::TopTransactionContext, c"duckam heap scan");
        let memory = new_context(cxt, c"duckam heap batch");
        let old = pg_sys::MemoryContextSwitchTo(cxt);
        let query = scan_query(source, columns);
        let stmt = pg_sys::pg_plan_query(query, c"pg_duckam heap scan".as_ptr(), 0, source.params);
        let outputs: Vec<Column> = columns.iter().enumerate().map(|(i, c)| Column { index: i, ..c.clone() }).collect();
        let columns = Box::new(outputs);
        let dest = pg_sys::palloc0(std::mem::size_of::<BatchDest>()) as *mut BatchDest;
        (*dest).base = pg_sys::DestReceiver {
            receiveSlot: Some(receive),
            rStartup: Some(startup),
            rShutdown: Some(shutdown),
            rDestroy: Some(shutdown),
            mydest: pg_sys::CommandDest::DestNone,
        };
        (*dest).columns = &*columns;
        (*dest).memory = memory;
        let qd = pg_sys::CreateQueryDesc(
            stmt,
            c"pg_duckam heap scan".as_ptr(),
            source.snapshot(),
            std::ptr::null_mut(),
            dest as *mut pg_sys::DestReceiver,
            source.params,
            std::ptr::null_mut(),
            0,
        );
        pg_sys::ExecutorStart(qd, 0);
        pg_sys::MemoryContextSwitchTo(old);
        PgScan { _columns: columns, qd, dest, cxt }
    }

    /// Adds up to `max_rows` rows to `batch`; returns whether the scan
    /// reached its end (it is then closed at once; later calls add none).
    pub unsafe fn fill(&mut self, batch: &mut BatchBuilder, max_rows: usize) -> bool {
        if self.qd.is_null() {
            return true;
        }
        let before = batch.rows();
        (*self.dest).batch = batch;
        pg_sys::MemoryContextReset((*self.dest).memory);
        pg_sys::ExecutorRun(self.qd, pg_sys::ScanDirection::ForwardScanDirection, max_rows as u64, false);
        (*self.dest).batch = std::ptr::null_mut();
        let ended = batch.rows() - before < max_rows;
        if ended {
            self.close();
        }
        ended
    }

    /// Ends the plan (its locks and snapshot stay with the transaction).
    unsafe fn finish(&mut self) {
        if !self.qd.is_null() {
            pg_sys::ExecutorFinish(self.qd);
            pg_sys::ExecutorEnd(self.qd);
            pg_sys::FreeQueryDesc(self.qd);
            self.qd = std::ptr::null_mut();
        }
    }

    /// Ends the plan if it is still running and frees its memory. Only in a
    /// live transaction whose scan did not fail: otherwise the transaction's
    /// abort releases everything.
    pub unsafe fn close(&mut self) {
        self.finish();
        if !self.cxt.is_null() {
            pg_sys::MemoryContextDelete(self.cxt);
            self.cxt = std::ptr::null_mut();
        }
    }
}

/// PostgreSQL's estimate of the rows a scan returns (its plan's row count),
/// or None when the plan gives no usable figure.
pub unsafe fn estimate_rows(source: &HeapSource) -> Option<u64> {
    let cxt = new_context(pg_sys::CurrentMemoryContext, c"duckam heap estimate");
    let old = pg_sys::MemoryContextSwitchTo(cxt);
    let stmt = pg_sys::pg_plan_query(scan_query(source, &[]), c"pg_duckam heap scan".as_ptr(), 0, source.params);
    let rows = (*(*stmt).planTree).plan_rows;
    pg_sys::MemoryContextSwitchTo(old);
    pg_sys::MemoryContextDelete(cxt);
    (rows.is_finite() && rows >= 0.0).then(|| rows.round() as u64)
}

/// `SELECT <columns> FROM <relation> WHERE <qual>` as an analyzed Query.
unsafe fn scan_query(source: &HeapSource, columns: &[Column]) -> *mut pg_sys::Query {
    let rte = pg_sys::copyObjectImpl(source.rte as *const std::ffi::c_void) as *mut pg_sys::RangeTblEntry;
    let mut tlist = PgList::<pg_sys::TargetEntry>::new();
    for (i, c) in columns.iter().enumerate() {
        let attno = c.index as i16 + 1;
        let (mut typid, mut typmod, mut collation) = (pg_sys::InvalidOid, -1, pg_sys::InvalidOid);
        pg_sys::get_atttypetypmodcoll((*rte).relid, attno, &mut typid, &mut typmod, &mut collation);
        let var = pg_sys::makeVar(1, attno, typid, typmod, collation, 0);
        tlist.push(pg_sys::makeTargetEntry(var as *mut pg_sys::Expr, (i + 1) as i16, std::ptr::null_mut(), false));
    }
    let rtr = pg_sys::palloc0(std::mem::size_of::<pg_sys::RangeTblRef>()) as *mut pg_sys::RangeTblRef;
    (*rtr).type_ = pg_sys::NodeTag::T_RangeTblRef;
    (*rtr).rtindex = 1;
    let mut from = PgList::<pg_sys::RangeTblRef>::new();
    from.push(rtr);
    let qual = pg_sys::copyObjectImpl(source.qual as *const std::ffi::c_void) as *mut pg_sys::Node;
    let mut rtable = PgList::<pg_sys::RangeTblEntry>::new();
    rtable.push(rte);
    let q = pg_sys::palloc0(std::mem::size_of::<pg_sys::Query>()) as *mut pg_sys::Query;
    (*q).type_ = pg_sys::NodeTag::T_Query;
    (*q).commandType = pg_sys::CmdType::CMD_SELECT;
    (*q).querySource = pg_sys::QuerySource::QSRC_ORIGINAL;
    (*q).canSetTag = true;
    (*q).rtable = rtable.into_pg();
    (*q).jointree = pg_sys::makeFromExpr(from.into_pg(), qual);
    (*q).targetList = tlist.into_pg();
    (*q).hasSubLinks = !(*rte).securityQuals.is_null() && pg_sys::checkExprHasSubLink((*rte).securityQuals as *mut pg_sys::Node);
    (*q).hasRowSecurity = !(*rte).securityQuals.is_null();
    q
}

#[pg_guard]
unsafe extern "C-unwind" fn receive(slot: *mut pg_sys::TupleTableSlot, dest: *mut pg_sys::DestReceiver) -> bool {
    let d = &mut *(dest as *mut BatchDest);
    let columns = &*d.columns;
    let batch = &mut *d.batch;
    pg_sys::slot_getallattrs(slot);
    let natts = (*(*slot).tts_tupleDescriptor).natts as usize;
    let values = std::slice::from_raw_parts((*slot).tts_values, natts);
    let nulls = std::slice::from_raw_parts((*slot).tts_isnull, natts);
    let old = pg_sys::MemoryContextSwitchTo(d.memory);
    let written = types::to_duck::write_row(columns, values, nulls, batch);
    pg_sys::MemoryContextSwitchTo(old);
    written.or_report();
    true
}

#[pg_guard]
unsafe extern "C-unwind" fn startup(_dest: *mut pg_sys::DestReceiver, _operation: i32, _desc: pg_sys::TupleDesc) {}

#[pg_guard]
unsafe extern "C-unwind" fn shutdown(_dest: *mut pg_sys::DestReceiver) {}
