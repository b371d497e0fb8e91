//! Serving DuckDB's reads of PostgreSQL relations (`pg_heap(k)`) for one of
//! this backend's statements: the engine asks for rows of a reading of a
//! scan, and a PostgreSQL plan over the relation (pgscan.rs) fills a batch
//! of them here, on the backend's main thread, under the statement's
//! snapshot (so the transaction's own uncommitted rows are seen).

use std::collections::HashMap;

use duckam_logic::wire::{BatchBuilder, HeapOutcome};
use pgrx::pg_sys;

use super::client::HeapRequest;
use super::pgscan::{HeapSource, PgScan};
use crate::types::Column;

/// One statement's heap scans and the plans serving DuckDB's readings.
pub struct Readings {
    /// Each source with the columns DuckDB can receive.
    sources: Vec<(HeapSource, Vec<Column>)>,
    /// A DuckDB reading of a scan (a CTE read twice, a rescan) gets its own
    /// plan, from its own start.
    scans: HashMap<(u32, u64), PgScan>,
    /// A PostgreSQL error stopped a scan: the transaction's abort cleans up.
    pub failed: bool,
}

impl Readings {
    pub fn new(sources: &[HeapSource]) -> Readings {
        Readings { sources: sources.iter().map(|s| (*s, s.columns())).collect(), scans: HashMap::new(), failed: false }
    }

    /// The next rows of a reading. A PostgreSQL error raised by the scan
    /// unwinds out of here (the caller catches it).
    pub fn serve(&mut self, req: &HeapRequest) -> HeapOutcome {
        let Some((source, columns)) = self.sources.get(req.scan as usize) else {
            return HeapOutcome::Failed("pg_heap(): no such scan".into());
        };
        let projected: Vec<Column> = req.columns.iter().filter_map(|&i| columns.get(i as usize).cloned()).collect();
        let scan = self.scans.entry((req.scan, req.reading)).or_insert_with(|| unsafe { PgScan::start(source, &projected) });
        let types: Vec<_> = projected.iter().map(|c| c.duck.clone()).collect();
        let mut batch = BatchBuilder::new(&types);
        let end = unsafe { scan.fill(&mut batch, req.max_rows as usize) };
        if end {
            self.scans.remove(&(req.scan, req.reading));
        }
        HeapOutcome::Rows { batch: batch.encode(), end }
    }
}

impl Drop for Readings {
    fn drop(&mut self) {
        // Outside a live transaction (abort cleanup), or after a failed
        // scan, PostgreSQL's resource owners release the plans.
        if unsafe { pg_sys::IsTransactionState() } && !self.failed {
            for scan in self.scans.values_mut() {
                unsafe { scan.close() };
            }
        }
    }
}
