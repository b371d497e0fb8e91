//! Transaction callbacks (ARCHITECTURE §8): DuckDB commits in PRE_COMMIT
//! (a failure aborts the PostgreSQL transaction), replaced tables are
//! dropped after COMMIT, the DuckDB transaction is rolled back on ABORT,
//! and subtransactions follow the ledger's rules.
//!
//! The window between DuckDB's commit and PostgreSQL's: a transaction that
//! also wrote heap tables (it has an xid) counts itself in and out of it
//! (shmem.rs), so no statement takes its snapshots across it
//! (snapshot.rs). A crash inside the window leaves DuckDB's part
//! committed and PostgreSQL's not (see docs/design.md).

use std::ffi::c_void;

use duckam_logic::naming;
use duckam_logic::wire::{Request, Response};
use pgrx::pg_sys;
use pgrx::prelude::*;

use super::{call, call_append, check_usable, doomed_error, flush_all_but_last, with_client, with_state, Access, State, CLIENT, HEAP};
use crate::error::{Error, OrReport, Result};
use crate::shmem::{self, MixedCommit};

unsafe extern "C-unwind" {
    // storage/predicate.h, not in pgrx's bindings
    fn PreCommit_CheckForSerializationFailure();
}

thread_local! {
    /// The xid of a committing mixed transaction inside its window.
    static IN_WINDOW: std::cell::Cell<Option<pg_sys::TransactionId>> = const { std::cell::Cell::new(None) };
}

pub fn init() {
    unsafe {
        pg_sys::RegisterXactCallback(Some(xact_callback), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(subxact_callback), std::ptr::null_mut());
    }
}

/// Forgets everything of the transaction (its DuckDB side is over).
fn reset(s: &mut State) {
    s.txn = false;
    s.dirty = false;
    s.failed = false;
    s.streams.clear();
    s.buffers.clear();
    s.spare_buffers.clear();
    s.ledger.clear();
    s.doomed = None;
    s.databases_to_drop.clear();
    s.autocommit = None;
    s.autocommit_done = None;
    HEAP.with(|h| {
        if let Ok(mut h) = h.try_borrow_mut() {
            h.clear();
        }
    });
}

fn pre_commit() -> Result<()> {
    if !with_state(|s| s.txn || !s.buffers.is_empty() || s.doomed.is_some()) {
        return Ok(());
    }
    if let Some(reason) = with_state(|s| s.doomed.clone()) {
        return Err(doomed_error(&reason));
    }
    // The last buffer of inserted rows goes with the commit itself.
    let last = flush_all_but_last()?;
    let dirty = with_state(|s| {
        s.streams.clear();
        s.dirty
    });
    if !dirty {
        // Read-only: nothing to commit; no response needed.
        with_state(|s| s.txn = false);
        return with_client(Access::Read, |c| c.send(&Request::Rollback));
    }
    if unsafe { pg_sys::XactIsoLevel } == pg_sys::XACT_SERIALIZABLE as i32 {
        // PostgreSQL's last serialization check, which would otherwise run
        // after DuckDB has committed (leaving DuckDB's part of a
        // transaction PostgreSQL then rolls back): run it first. It marks
        // the transaction as committing; PostgreSQL's own call at commit
        // finds nothing new.
        unsafe { pg_sys::ffi::pg_guard_ffi_boundary(|| PreCommit_CheckForSerializationFailure()) };
    }
    let xid = unsafe { pg_sys::GetTopTransactionIdIfAny() };
    if xid != pg_sys::InvalidTransactionId {
        // It also wrote PostgreSQL data: its window opens now and closes
        // once PostgreSQL shows it committed (after_commit) or aborted.
        shmem::mixed_enter();
        IN_WINDOW.with(|h| h.set(Some(xid)));
    }
    let committed = match last {
        Some(buf) => call_append(None, &buf.table, true, &buf.batch),
        None => call(Access::Write, &Request::Commit),
    };
    match committed {
        Ok(Response::Done { .. }) => {}
        Ok(other) => return Err(super::client::unexpected_response(&other)),
        Err(e) => return Err(e.with_hint("The DuckDB commit failed, so the PostgreSQL transaction was rolled back.")),
    }
    shmem::count_duck_commit();
    with_state(|s| s.txn = false);
    Ok(())
}

/// After PostgreSQL has committed: errors can no longer abort anything, so
/// they become warnings (a table left behind is an orphan that
/// duckam.cleanup_orphans() removes).
fn after_commit() {
    if let Some(xid) = IN_WINDOW.with(|h| h.take()) {
        shmem::record_mixed_commit(MixedCommit { xid, completion: super::snapshot::completions() });
        shmem::mixed_finish();
    }
    let (drops, databases) = with_state(|s| (s.ledger.drops_after_commit(), std::mem::take(&mut s.databases_to_drop)));
    with_state(reset);
    if !drops.is_empty() {
        drop_tables(drops);
    }
    for database in databases {
        if let Err(e) = call(Access::Service, &Request::DropDatabase { oid: database }) {
            pgrx::warning!("pg_duckam: could not remove the DuckDB file of dropped database {database}: {}", e.message);
        }
    }
}

/// Drops DuckDB tables no relation references any more, in a DuckDB
/// transaction of their own. Runs where an error can no longer abort
/// anything, so failures are warnings: the table stays as an orphan for
/// duckam.cleanup_orphans().
fn drop_tables(storages: Vec<u32>) {
    let sql: String = storages.iter().map(|&n| format!("DROP TABLE IF EXISTS {};\n", naming::quote_ident(&naming::table_name(n)))).collect();
    let dropped = call(Access::Write, &Request::Execute { sql }).and_then(|_| call(Access::Write, &Request::Commit));
    if let Err(e) = dropped {
        pgrx::warning!("pg_duckam: could not drop DuckDB tables of relfilenodes {storages:?}: {}", e.message);
    }
    with_state(reset);
}

/// ABORT: the DuckDB transaction is rolled back. A session left in the
/// middle of a request (an error unwound through it) is dropped instead:
/// the engine rolls back a session whose socket closes.
fn abort() {
    // A mixed commit that failed in its window closes it.
    if IN_WINDOW.with(|h| h.take()).is_some() {
        shmem::mixed_finish();
    }
    let open = with_state(|s| s.txn || s.dirty || !s.streams.is_empty() || !s.buffers.is_empty());
    CLIENT.with(|c| {
        if let Ok(mut slot) = c.try_borrow_mut() {
            let drop_it = match slot.as_mut() {
                Some(client) if client.is_broken() || client.in_request() => true,
                Some(client) if open => client.send(&Request::Rollback).is_err(),
                _ => false,
            };
            if drop_it {
                *slot = None;
            }
        }
    });
    with_state(reset);
}

fn pre_prepare() -> Result<()> {
    let wrote = with_state(|s| s.ledger.has_writes() || !s.buffers.is_empty() || !s.databases_to_drop.is_empty());
    if wrote {
        return Err(Error::unsupported("cannot PREPARE a transaction that has written to duckdb tables")
            .with_hint("DuckDB has no two-phase commit. COMMIT or ROLLBACK this transaction instead."));
    }
    if with_state(|s| s.txn) {
        with_client(Access::Read, |c| c.send(&Request::Rollback))?;
    }
    with_state(reset);
    Ok(())
}

#[pg_guard]
unsafe extern "C-unwind" fn xact_callback(event: pg_sys::XactEvent::Type, _arg: *mut c_void) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_PRE_COMMIT | XACT_EVENT_PARALLEL_PRE_COMMIT => pre_commit().or_report(),
        XACT_EVENT_COMMIT | XACT_EVENT_PARALLEL_COMMIT => after_commit(),
        XACT_EVENT_ABORT | XACT_EVENT_PARALLEL_ABORT => abort(),
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
        SUBXACT_EVENT_ABORT_SUB => {
            let outcome = with_state(|s| {
                s.buffers.retain(|_, b| b.owner != sub);
                let outcome = s.ledger.sub_abort(sub);
                if !outcome.lost_writes.is_empty() && s.doomed.is_none() {
                    s.doomed = Some(format!(
                        "Rows written inside the rolled-back subtransaction had already been appended to {} duckdb table(s).",
                        outcome.lost_writes.len()
                    ));
                }
                // A DuckDB request failed in it: the engine rolled DuckDB's
                // transaction back (lose_transaction doomed it if needed);
                // the next use begins a new one.
                s.failed = false;
                outcome
            });
            if !outcome.drop_now.is_empty() && check_usable().is_ok() && with_state(|s| s.txn) {
                let sql: String =
                    outcome.drop_now.iter().map(|&n| format!("DROP TABLE IF EXISTS {};\n", naming::quote_ident(&naming::table_name(n)))).collect();
                if let Err(e) = call(Access::Write, &Request::Execute { sql }) {
                    pgrx::warning!("pg_duckam: {}", e.message);
                }
            }
        }
        _ => {}
    }
}
