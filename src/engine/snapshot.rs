//! Which DuckDB snapshot a statement reads, kept consistent with
//! PostgreSQL's. DuckDB has MVCC of its own: a DuckDB transaction sees
//! what DuckDB had committed when it began.
//!
//! - READ COMMITTED: each statement reads a fresh DuckDB snapshot, unless
//!   the transaction has written to DuckDB (its DuckDB transaction, which
//!   holds its own writes, goes on) or nothing was committed since the
//!   last one was taken.
//! - REPEATABLE READ / SERIALIZABLE: one DuckDB snapshot, taken at the
//!   transaction's first use of DuckDB.
//! - A transaction that writes heap and duckdb tables commits DuckDB in
//!   PRE_COMMIT and PostgreSQL just after; no one may see one half. Such a
//!   commit holds the commit-order lock (shmem.rs) exclusively from before
//!   its DuckDB commit until PostgreSQL shows it committed. A statement
//!   takes its PostgreSQL snapshot and begins its DuckDB transaction while
//!   holding the lock shared, so both are taken at one instant as far as
//!   such commits go: at ExecutorStart, the statement's PostgreSQL
//!   snapshot is replaced by one taken under the lock. REPEATABLE READ
//!   cannot retake its snapshot: if a heap-and-duckdb commit is visible in
//!   DuckDB but not in the transaction's snapshot, its first use of DuckDB
//!   fails with 40001.
//! - UPDATE and DELETE of a duckdb table first take a lock that conflicts
//!   only with other UPDATE/DELETE of that table (not with INSERT or
//!   SELECT): a second writer waits for the first, as on heap tables, and
//!   (READ COMMITTED) then reads its committed rows instead of failing on
//!   DuckDB's write-write conflict.

use std::cell::Cell;

use duckam_logic::wire::{Request, Response};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

use super::{call, with_client, with_state, Access};
use crate::error::{Error, Result};
use crate::shmem;

/// When the current DuckDB snapshot was taken.
#[derive(Debug, Default, Clone, Copy)]
pub struct Taken {
    statement: u64,
    pg_completions: u64,
    duck_commits: u64,
}

thread_local! {
    static STATEMENT: Cell<u64> = const { Cell::new(0) };
}

/// A new statement starts (ExecutorStart, ProcessUtility).
pub fn new_statement() {
    STATEMENT.with(|s| s.set(s.get() + 1));
}

fn repeatable() -> bool {
    unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 }
}

/// PostgreSQL's count of completed transactions (what a snapshot records
/// as snapXactCompletionCount).
fn completions() -> u64 {
    unsafe { std::ptr::addr_of!((*pg_sys::ShmemVariableCache).xactCompletionCount).read_volatile() }
}

fn now_taken() -> Taken {
    Taken { statement: STATEMENT.with(Cell::get), pg_completions: completions(), duck_commits: shmem::duck_commits() }
}

/// Releases the commit-order lock when dropped (an error raised meanwhile
/// is released by PostgreSQL's abort, which releases every LWLock).
struct SharedCommitLock;

impl SharedCommitLock {
    fn take() -> SharedCommitLock {
        shmem::commit_lock(false);
        SharedCommitLock
    }
}

impl Drop for SharedCommitLock {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            shmem::commit_lock_release();
        }
    }
}

fn connect(access: Access) -> Result<()> {
    with_client(access, |_| Ok(()))
}

fn begin(access: Access, fresh: bool) -> Result<()> {
    match call(access, &Request::Begin { fresh })? {
        Response::Done { .. } => Ok(()),
        other => Err(super::client::unexpected_response(&other)),
    }
}

/// A new DuckDB snapshot for this statement, consistent with its
/// PostgreSQL snapshot (which is retaken when `qd` is given).
unsafe fn fresh(access: Access, qd: Option<*mut pg_sys::QueryDesc>) -> Result<()> {
    // Connected first: the lock is held only for the snapshot and BEGIN.
    connect(access)?;
    let _lock = SharedCommitLock::take();
    if let Some(qd) = qd {
        let old = (*qd).snapshot;
        (*qd).snapshot = pg_sys::RegisterSnapshot(pg_sys::GetTransactionSnapshot());
        pg_sys::UnregisterSnapshot(old);
    }
    let taken = now_taken();
    begin(access, true)?;
    with_state(|s| {
        s.txn = true;
        s.failed = false;
        s.snapshot = taken;
    });
    Ok(())
}

fn serialization_failure() -> Error {
    Error::new(
        PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE,
        "could not serialize access: a transaction that wrote heap and duckdb tables committed after this transaction's snapshot was taken",
    )
    .with_hint("Retry the transaction. In REPEATABLE READ and SERIALIZABLE, reading a duckdb table in the transaction's first statement makes this rare.")
}

/// A REPEATABLE READ transaction's one DuckDB snapshot.
unsafe fn repeatable_first(access: Access, snapshot: pg_sys::Snapshot) -> Result<()> {
    connect(access)?;
    let _lock = SharedCommitLock::take();
    let visible_in_duckdb_only = match shmem::mixed_commits_after((*snapshot).snapXactCompletionCount) {
        None => true,
        Some(commits) => commits.iter().any(|c| pg_sys::XidInMVCCSnapshot(c.xid, snapshot)),
    };
    if visible_in_duckdb_only {
        return Err(serialization_failure());
    }
    let taken = now_taken();
    begin(access, true)?;
    with_state(|s| {
        s.txn = true;
        s.failed = false;
        s.snapshot = taken;
    });
    Ok(())
}

/// Makes sure the current statement reads the DuckDB snapshot the rules
/// above give it; `qd`: the statement's QueryDesc at ExecutorStart.
pub fn ensure(access: Access, qd: Option<*mut pg_sys::QueryDesc>) -> Result<()> {
    let (txn, dirty, taken) = with_state(|s| (s.txn, s.dirty || !s.buffers.is_empty(), s.snapshot));
    if repeatable() {
        if txn {
            return Ok(());
        }
        let snapshot = match qd {
            Some(qd) => unsafe { (*qd).snapshot },
            None => unsafe { pg_sys::GetTransactionSnapshot() },
        };
        return unsafe { repeatable_first(access, snapshot) };
    }
    let current = STATEMENT.with(Cell::get);
    let unchanged = taken.pg_completions == completions() && taken.duck_commits == shmem::duck_commits();
    if txn && (dirty || taken.statement == current || unchanged) {
        with_state(|s| s.snapshot.statement = current);
        return Ok(());
    }
    unsafe { fresh(access, qd) }
}

/// What an INSERT through the access method needs before its first row:
/// nothing under READ COMMITTED (appending needs no snapshot; the engine
/// begins the DuckDB transaction with the first batch), the transaction's
/// snapshot under REPEATABLE READ.
pub fn ensure_for_append() -> Result<()> {
    if repeatable() {
        ensure(Access::Write, None)
    } else {
        with_state(|s| s.txn = true);
        Ok(())
    }
}

/// ExecutorStart of a statement whose plan reads or changes duckdb tables;
/// `modifies`: the duckdb table an UPDATE or DELETE changes.
pub unsafe fn statement_start(qd: *mut pg_sys::QueryDesc, modifies: Option<pg_sys::Oid>, reads: bool) -> Result<()> {
    if let Some(relid) = modifies {
        lock_for_modify(relid);
    }
    if reads {
        ensure(Access::Read, Some(qd))
    } else {
        ensure_for_append()
    }
}

/// The UPDATE/DELETE lock of a duckdb table: an object lock on the
/// relation (pg_locks: locktype object, classid pg_class), exclusive, held
/// by the top transaction until it ends. Waits are cancellable, obey
/// lock_timeout and take part in deadlock detection.
unsafe fn lock_for_modify(relid: pg_sys::Oid) {
    let saved = pg_sys::CurrentResourceOwner;
    pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
    struct Restore(pg_sys::ResourceOwner);
    impl Drop for Restore {
        fn drop(&mut self) {
            unsafe { pg_sys::CurrentResourceOwner = self.0 };
        }
    }
    let _restore = Restore(saved);
    pg_sys::LockDatabaseObject(pg_sys::RelationRelationId, relid, 0, pg_sys::ExclusiveLock as pg_sys::LOCKMODE);
}

/// For duckam.cleanup_orphans(): a fresh DuckDB snapshot and a PostgreSQL
/// snapshot taken with it under the commit-order lock, so every DuckDB
/// table DuckDB shows committed has its catalog row visible too.
pub fn fresh_pair() -> Result<pg_sys::Snapshot> {
    connect(Access::Read)?;
    let _lock = SharedCommitLock::take();
    let snapshot = unsafe { pg_sys::RegisterSnapshot(pg_sys::GetLatestSnapshot()) };
    let taken = now_taken();
    if let Err(e) = begin(Access::Read, true) {
        unsafe { pg_sys::UnregisterSnapshot(snapshot) };
        return Err(e);
    }
    with_state(|s| {
        s.txn = true;
        s.failed = false;
        s.snapshot = taken;
    });
    Ok(snapshot)
}
