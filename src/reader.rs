//! Rows of a DuckDB query, streamed batch by batch into PostgreSQL slots:
//! each batch is converted column by column into Datum arrays (by-reference
//! values in a per-batch memory context), then handed out row by row as
//! virtual tuples. Shared by the table AM's scans and the DuckDB CustomScan.

use std::rc::Rc;

use pgrx::pg_sys;

use duckam_logic::profile::ProfileNode;

use crate::engine::{self, HeapSource, StreamId};
use crate::error::Result;
use crate::types::{self, Column};

pub struct RowReader {
    sql: String,
    /// Values of the statement's `$n` parameters, as text (None: NULL).
    params: Vec<Option<String>>,
    /// The storage a data-modifying statement (UPDATE … RETURNING) changes.
    writes: Option<u32>,
    /// What the query's `pg_heap(k)` read.
    heap: Vec<HeapSource>,
    /// The executor state of a DuckDB scan's statement (engine::open_stream
    /// may retake its snapshot).
    estate: Option<*mut pg_sys::EState>,
    columns: Rc<Vec<Column>>,
    natts: usize,
    stream: Option<StreamId>,
    done: bool,
    /// values[attr][row] of the current chunk.
    values: Vec<Vec<pg_sys::Datum>>,
    nulls: Vec<Vec<bool>>,
    row: usize,
    rows: usize,
    /// Holds by-reference Datums of the current chunk; reset per chunk. A
    /// child of the owner's context, so it goes away with it.
    chunk_cxt: pg_sys::MemoryContext,
    /// Where the current batch's by-reference values live.
    arena: types::Arena,
    /// Rows returned since the start, for synthetic TIDs.
    pub returned: u64,
    /// DuckDB profiles the query (EXPLAIN ANALYZE); its profile is taken
    /// when the result ends.
    pub profiling: bool,
    pub profile: Option<ProfileNode>,
}

impl Drop for RowReader {
    fn drop(&mut self) {
        if let Some(id) = self.stream.take() {
            engine::close_stream(id);
        }
    }
}

impl RowReader {
    /// A reader whose chunk memory lives under `parent`.
    pub fn new(parent: pg_sys::MemoryContext) -> RowReader {
        let chunk_cxt = unsafe { crate::owned::new_context(parent, c"duckam chunk") };
        RowReader {
            sql: String::new(),
            params: Vec::new(),
            writes: None,
            heap: Vec::new(),
            estate: None,
            columns: Rc::new(Vec::new()),
            natts: 0,
            stream: None,
            done: false,
            values: Vec::new(),
            nulls: Vec::new(),
            row: 0,
            rows: 0,
            chunk_cxt,
            arena: types::Arena::new(parent),
            returned: 0,
            profiling: false,
            profile: None,
        }
    }

    pub fn is_configured(&self) -> bool {
        !self.sql.is_empty()
    }

    /// What to run and how its result columns map to the slot's attributes.
    pub fn configure(&mut self, sql: String, columns: Rc<Vec<Column>>, natts: usize) {
        self.sql = sql;
        self.columns = columns;
        self.natts = natts;
        self.values = vec![Vec::new(); natts];
        self.nulls = vec![Vec::new(); natts];
    }

    pub fn set_params(&mut self, params: Vec<Option<String>>) {
        self.params = params;
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn params(&self) -> &[Option<String>] {
        &self.params
    }

    pub fn heap_scans(&self) -> &[HeapSource] {
        &self.heap
    }

    /// What the query's `pg_heap(0)`, `pg_heap(1)`, … read.
    pub fn set_heap_scans(&mut self, sources: Vec<HeapSource>) {
        self.heap = sources;
    }

    pub fn set_estate(&mut self, estate: *mut pg_sys::EState) {
        self.estate = Some(estate);
    }

    /// The query changes `storage` (a relfilenode) and returns rows.
    pub fn set_writes(&mut self, storage: u32) {
        self.writes = Some(storage);
    }

    /// Starts over (rescan).
    pub fn restart(&mut self) {
        if let Some(id) = self.stream.take() {
            engine::close_stream(id);
        }
        self.done = false;
        self.row = 0;
        self.rows = 0;
        self.returned = 0;
    }

    fn next_chunk(&mut self) -> Result<bool> {
        let id = match self.stream {
            Some(id) => id,
            None => {
                let expected: Vec<_> = self.columns.iter().map(|c| c.duck.clone()).collect();
                let expected = (!expected.is_empty()).then_some(expected.as_slice());
                let open = engine::Open { writes: self.writes, expected, estate: self.estate, profile: self.profiling };
                let id = engine::open_stream(&self.sql, &self.params, &self.heap, open)?;
                self.stream = Some(id);
                id
            }
        };
        loop {
            let Some(chunk) = engine::next_batch(id)? else {
                engine::close_stream(id);
                self.stream = None;
                self.done = true;
                if self.profiling {
                    self.profile = engine::last_profile();
                }
                return Ok(false);
            };
            if chunk.rows() == 0 {
                continue;
            }
            unsafe {
                pg_sys::MemoryContextReset(self.chunk_cxt);
                let old = pg_sys::MemoryContextSwitchTo(self.chunk_cxt);
                let r = types::read_batch(&self.columns, &chunk, &mut self.values, &mut self.nulls, &mut self.arena);
                pg_sys::MemoryContextSwitchTo(old);
                r?;
            }
            self.rows = chunk.rows();
            self.row = 0;
            return Ok(true);
        }
    }

    /// Stores the next row as a virtual tuple in `slot`; false (and an
    /// empty slot) at the end.
    pub fn next_into(&mut self, slot: *mut pg_sys::TupleTableSlot) -> Result<bool> {
        unsafe { clear_slot(slot) };
        if self.row >= self.rows && (self.done || !self.next_chunk()?) {
            return Ok(false);
        }
        let row = self.row;
        self.row += 1;
        unsafe {
            let values = std::slice::from_raw_parts_mut((*slot).tts_values, self.natts);
            let nulls = std::slice::from_raw_parts_mut((*slot).tts_isnull, self.natts);
            nulls.fill(true);
            for c in self.columns.iter() {
                values[c.index] = self.values[c.index][row];
                nulls[c.index] = self.nulls[c.index][row];
            }
            if std::ptr::eq((*slot).tts_ops, &raw const pg_sys::TTSOpsVirtual) {
                // What ExecStoreVirtualTuple does, without a call per row.
                (*slot).tts_flags &= !(pg_sys::TTS_FLAG_EMPTY as u16);
                (*slot).tts_nvalid = self.natts as i16;
            } else {
                pg_sys::ExecStoreVirtualTuple(slot);
            }
        }
        self.returned += 1;
        Ok(true)
    }
}

pub unsafe fn clear_slot(slot: *mut pg_sys::TupleTableSlot) {
    if let Some(clear) = (*(*slot).tts_ops).clear {
        clear(slot);
    }
}
