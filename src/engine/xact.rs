//! Transaction callbacks (ARCHITECTURE §8): DuckDB commits in PRE_COMMIT (a
//! failure aborts the PostgreSQL transaction), replaced tables are dropped
//! after COMMIT, everything is rolled back and closed on ABORT, and
//! subtransactions follow the ledger's rules.

use std::ffi::c_void;

use duckam_logic::naming;
use pgrx::pg_sys;
use pgrx::prelude::*;

use super::{doomed_error, flush_all, lock, with_state, Access, State};
use crate::error::{Error, OrReport, Result};

pub fn init() {
    unsafe {
        pg_sys::RegisterXactCallback(Some(xact_callback), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(subxact_callback), std::ptr::null_mut());
    }
}

/// Closes everything DuckDB-side: streams, buffers, connection, database.
/// An uncommitted DuckDB transaction rolls back when its connection closes.
fn reset(s: &mut State) {
    s.buffers.clear();
    super::detach(s);
    s.locked = None;
    s.ledger.clear();
    s.doomed = None;
    s.files_to_remove.clear();
}

fn pre_commit() -> Result<()> {
    if !with_state(|s| s.session.is_some() || !s.buffers.is_empty()) {
        return Ok(());
    }
    flush_all()?;
    if let Some(reason) = with_state(|s| s.doomed.clone()) {
        return Err(doomed_error(&reason));
    }
    with_state(|s| {
        s.active = None;
        s.streams.clear();
        match s.session.as_ref() {
            Some(session) if session.access == Access::Write => {
                super::conn(s).execute("COMMIT").map_err(|e| {
                    Error::from(e).with_hint("The DuckDB commit failed, so the PostgreSQL transaction was rolled back.")
                })?;
                Ok(())
            }
            _ => Ok(()),
        }
    })
}

/// After PostgreSQL has committed: errors can no longer abort anything, so
/// they become warnings (a table left behind is an orphan that
/// duckam.cleanup_orphans() removes).
fn after_commit() {
    let (drops, files) = with_state(|s| (s.ledger.drops_after_commit(), std::mem::take(&mut s.files_to_remove)));
    with_state(|s| {
        drop_tables(s, drops);
        reset(s);
    });
    for f in files {
        for path in [f.clone(), f.with_extension("duckdb.wal")] {
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    pgrx::warning!("pg_duckam: could not remove \"{}\": {e}", path.display());
                }
            }
        }
    }
}

/// Drops DuckDB tables no relation references any more. Runs where an
/// error can no longer abort anything (after commit, during subtransaction
/// abort), so failures are warnings: the table stays as an orphan for
/// duckam.cleanup_orphans().
fn drop_tables(s: &State, storages: Vec<u32>) {
    if !s.session.as_ref().is_some_and(|x| x.access == Access::Write) {
        return;
    }
    for storage in storages {
        let sql = format!("DROP TABLE IF EXISTS {}", naming::quote_ident(&naming::table_name(storage)));
        if let Err(e) = super::conn(s).execute(&sql) {
            pgrx::warning!("pg_duckam: could not drop DuckDB table for relfilenode {storage}: {}", e.message);
        }
    }
}

fn pre_prepare() -> Result<()> {
    let wrote = with_state(|s| s.ledger.has_writes() || !s.buffers.is_empty() || !s.files_to_remove.is_empty());
    if wrote {
        return Err(Error::unsupported("cannot PREPARE a transaction that has written to duckdb tables")
            .with_hint("DuckDB has no two-phase commit. COMMIT or ROLLBACK this transaction instead."));
    }
    let held = with_state(|s| {
        let held = s.locked;
        reset(s);
        held
    });
    if let Some(held) = held {
        lock::release(held);
    }
    Ok(())
}

#[pg_guard]
unsafe extern "C-unwind" fn xact_callback(event: pg_sys::XactEvent::Type, _arg: *mut c_void) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_PRE_COMMIT | XACT_EVENT_PARALLEL_PRE_COMMIT => pre_commit().or_report(),
        XACT_EVENT_COMMIT | XACT_EVENT_PARALLEL_COMMIT => after_commit(),
        XACT_EVENT_ABORT | XACT_EVENT_PARALLEL_ABORT => with_state(reset),
        XACT_EVENT_PRE_PREPARE => pre_prepare().or_report(),
        _ => {}
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn subxact_callback(
    event: pg_sys::SubXactEvent::Type,
    sub: pg_sys::SubTransactionId,
    parent: pg_sys::SubTransactionId,
    _arg: *mut c_void,
) {
    use pg_sys::SubXactEvent::*;
    match event {
        SUBXACT_EVENT_COMMIT_SUB => with_state(|s| {
            s.ledger.sub_commit(sub, parent);
            for b in s.buffers.values_mut().filter(|b| b.owner == sub) {
                b.owner = parent;
            }
        }),
        SUBXACT_EVENT_ABORT_SUB => with_state(|s| {
            s.buffers.retain(|_, b| b.owner != sub);
            let outcome = s.ledger.sub_abort(sub);
            if !outcome.lost_writes.is_empty() && s.doomed.is_none() {
                s.doomed = Some(format!(
                    "Rows written inside the rolled-back subtransaction had already been appended to {} duckdb table(s).",
                    outcome.lost_writes.len()
                ));
            }
            super::recover_after_subabort(s);
            if let Err(e) = super::release_connection(s) {
                pgrx::warning!("pg_duckam: {}", e.message);
                return;
            }
            drop_tables(s, outcome.drop_now);
        }),
        _ => {}
    }
}
