//! Which DuckDB snapshot a statement reads, kept consistent with
//! PostgreSQL's. DuckDB has MVCC of its own: a DuckDB transaction sees
//! what DuckDB had committed when it took its snapshot.
//!
//! - READ COMMITTED: each statement reads a fresh DuckDB snapshot, unless
//!   the transaction has written to DuckDB (its DuckDB transaction, which
//!   holds its own writes, goes on) or nothing was committed since the
//!   last one was taken. A read-only statement run wholly by DuckDB opens
//!   no DuckDB transaction: its one query runs in a transaction of its own
//!   (no BEGIN round trip, no ROLLBACK).
//! - REPEATABLE READ / SERIALIZABLE: one DuckDB snapshot, taken at the
//!   transaction's first use of DuckDB.
//! - A transaction that writes heap and duckdb tables commits DuckDB in
//!   PRE_COMMIT and PostgreSQL just after; no one may see one half. Such a
//!   "mixed" commit counts itself as entering its window before its DuckDB
//!   commit and as finished once PostgreSQL shows it (shmem.rs). A
//!   statement takes its PostgreSQL snapshot while no mixed commit is in
//!   its window, noting the entered count (its token); the engine, once
//!   DuckDB has taken the statement's snapshot, checks the count is still
//!   the token — else a mixed commit entered in between, nothing runs, and
//!   both snapshots are taken again (`Retry`). So every mixed commit is in
//!   both snapshots or in neither. At ExecutorStart the statement's
//!   PostgreSQL snapshot is replaced by one taken this way.
//! - REPEATABLE READ cannot retake its snapshot: a mixed commit visible to
//!   DuckDB but not in the transaction's snapshot (the ring of recent
//!   mixed commits tells) makes its first use of DuckDB fail with 40001.
//! - UPDATE and DELETE of a duckdb table first take a lock that conflicts
//!   only with other UPDATE/DELETE of that table (not with INSERT or
//!   SELECT): a second writer waits for the first, as on heap tables, and
//!   (READ COMMITTED) then reads its committed rows instead of failing on
//!   DuckDB's write-write conflict.

use std::cell::Cell;

use duckam_logic::wire::{Request, Response};
use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

use super::{call, with_state, Access};
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

fn current_statement() -> u64 {
    STATEMENT.with(Cell::get)
}

fn repeatable() -> bool {
    unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 }
}

/// PostgreSQL's count of completed transactions (what a snapshot records
/// as snapXactCompletionCount).
pub(super) fn completions() -> u64 {
    unsafe { std::ptr::addr_of!((*pg_sys::ShmemVariableCache).xactCompletionCount).read_volatile() }
}

/// The entered count of mixed commits once none is inside its window
/// (they are microseconds long: one PostgreSQL commit record).
fn wait_quiet() -> u64 {
    loop {
        if let Some(token) = shmem::quiet_token() {
            return token;
        }
        unsafe { pg_sys::pg_usleep(20) };
    }
}

/// The token as sent: `duckam.test_snapshot_retries` spoils it (the
/// engine then answers Retry), so tests run the retry paths.
pub(super) fn sent(token: u64) -> u64 {
    let left = crate::gucs::TEST_SNAPSHOT_RETRIES.get();
    if left > 0 {
        let name = c"duckam.test_snapshot_retries";
        let value = std::ffi::CString::new((left - 1).to_string()).expect("digits");
        unsafe {
            pg_sys::SetConfigOption(name.as_ptr(), value.as_ptr(), pg_sys::GucContext::PGC_SUSET, pg_sys::GucSource::PGC_S_SESSION);
        }
        return token.wrapping_add(1);
    }
    token
}

/// Takes a PostgreSQL snapshot for `qd` (if given) no mixed commit is
/// halfway into; returns the token DuckDB's snapshot must then match.
unsafe fn pg_snapshot(qd: Option<*mut pg_sys::QueryDesc>) -> u64 {
    loop {
        let token = wait_quiet();
        if let Some(qd) = qd {
            let old = (*qd).snapshot;
            (*qd).snapshot = pg_sys::RegisterSnapshot(pg_sys::GetTransactionSnapshot());
            pg_sys::UnregisterSnapshot(old);
        }
        if shmem::mixed_entered() == token {
            return token;
        }
    }
}

fn taken() -> Taken {
    Taken { statement: current_statement(), pg_completions: completions(), duck_commits: shmem::duck_commits() }
}

/// Begins a DuckDB transaction whose snapshot must match `token`; false
/// if the engine saw a mixed commit enter since (nothing was begun).
fn begin_checked(access: Access, fresh: bool, token: Option<u64>) -> Result<bool> {
    match call(access, &Request::Begin { fresh, check: token.map(sent) })? {
        Response::Done { .. } => Ok(true),
        Response::Retry => Ok(false),
        other => Err(super::client::unexpected_response(&other)),
    }
}

fn began(t: Taken) {
    with_state(|s| {
        s.txn = true;
        s.failed = false;
        s.snapshot = t;
        s.autocommit = None;
    });
}

/// A new DuckDB transaction for this statement, its snapshot consistent
/// with the statement's PostgreSQL snapshot (retaken when `qd` is given).
unsafe fn fresh(access: Access, qd: Option<*mut pg_sys::QueryDesc>) -> Result<()> {
    loop {
        let token = pg_snapshot(qd);
        let t = taken();
        if begin_checked(access, true, Some(token))? {
            began(t);
            return Ok(());
        }
    }
}

fn serialization_failure() -> Error {
    Error::new(
        PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE,
        "could not serialize access: a transaction that wrote heap and duckdb tables committed after this transaction's snapshot was taken",
    )
    .with_hint("Retry the transaction. In REPEATABLE READ and SERIALIZABLE, reading a duckdb table in the transaction's first statement makes this rare.")
}

/// A REPEATABLE READ transaction's one DuckDB snapshot: every mixed commit
/// DuckDB will show must be visible in the transaction's snapshot.
unsafe fn repeatable_first(access: Access, snapshot: pg_sys::Snapshot) -> Result<()> {
    loop {
        let token = wait_quiet();
        let visible_in_duckdb_only = match shmem::mixed_commits_after((*snapshot).snapXactCompletionCount) {
            None => true,
            Some(commits) => commits.iter().any(|c| pg_sys::XidInMVCCSnapshot(c.xid, snapshot)),
        };
        if visible_in_duckdb_only {
            return Err(serialization_failure());
        }
        let t = taken();
        if begin_checked(access, true, Some(token))? {
            began(t);
            return Ok(());
        }
    }
}

/// Makes sure the current statement reads the DuckDB snapshot the rules
/// above give it, opening a DuckDB transaction; `qd`: the statement's
/// QueryDesc at ExecutorStart.
pub fn ensure(access: Access, qd: Option<*mut pg_sys::QueryDesc>) -> Result<()> {
    let (txn, dirty, t) = with_state(|s| (s.txn, s.dirty || !s.buffers.is_empty(), s.snapshot));
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
    let current = current_statement();
    let unchanged = t.pg_completions == completions() && t.duck_commits == shmem::duck_commits();
    if txn && (dirty || t.statement == current || unchanged) {
        with_state(|s| s.snapshot.statement = current);
        return Ok(());
    }
    // A read-only statement whose single query already ran on its own:
    // this next use gets the same check against its PostgreSQL snapshot.
    if let Some(token) = with_state(|s| s.autocommit_done.filter(|(st, _)| *st == current).map(|(_, token)| token)) {
        if !begin_checked(access, true, Some(token))? {
            return Err(Error::new(
                PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE,
                "could not serialize access: a transaction that wrote heap and duckdb tables committed while this statement ran",
            )
            .with_hint("Retry the statement."));
        }
        began(taken());
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

/// The token of the current statement's own DuckDB transaction, if it
/// may run its one query that way (taken by `statement_start`); the
/// caller sends it with the query.
pub fn take_autocommit() -> Option<u64> {
    let current = current_statement();
    with_state(|s| {
        let token = s.autocommit.filter(|(st, _)| *st == current).map(|(_, token)| token)?;
        s.autocommit = None;
        s.autocommit_done = Some((current, token));
        Some(token)
    })
}

/// The engine answered `Retry` to an autocommit query: a new PostgreSQL
/// snapshot for the running statement (`estate`), and a new token.
pub unsafe fn retake(estate: *mut pg_sys::EState) -> u64 {
    loop {
        let token = wait_quiet();
        let old = (*estate).es_snapshot;
        (*estate).es_snapshot = pg_sys::RegisterSnapshot(pg_sys::GetTransactionSnapshot());
        pg_sys::UnregisterSnapshot(old);
        if shmem::mixed_entered() == token {
            return token;
        }
    }
}

/// ExecutorStart of a statement whose plan reads or changes duckdb tables.
/// `modifies`: the duckdb table an UPDATE or DELETE changes; `one_query`:
/// the plan is one read-only DuckDB query (it may run in a DuckDB
/// transaction of its own).
pub unsafe fn statement_start(qd: *mut pg_sys::QueryDesc, modifies: Option<pg_sys::Oid>, reads: bool, one_query: bool) -> Result<()> {
    if let Some(relid) = modifies {
        lock_for_modify(relid);
    }
    if !reads {
        return ensure_for_append();
    }
    let (txn, dirty) = with_state(|s| (s.txn, s.dirty || !s.buffers.is_empty()));
    if one_query && !repeatable() && !dirty {
        if txn {
            // A read-only DuckDB transaction of an earlier statement ends.
            super::with_client(Access::Read, |c| c.send(&Request::Rollback))?;
            with_state(|s| s.txn = false);
        }
        let token = pg_snapshot(Some(qd));
        let current = current_statement();
        with_state(|s| {
            s.autocommit = Some((current, token));
            s.snapshot = taken();
        });
        return Ok(());
    }
    ensure(Access::Read, Some(qd))
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
/// snapshot taken with it, so every DuckDB table DuckDB shows committed
/// has its catalog row visible too.
pub fn fresh_pair() -> Result<pg_sys::Snapshot> {
    loop {
        let token = wait_quiet();
        let snapshot = unsafe { pg_sys::RegisterSnapshot(pg_sys::GetLatestSnapshot()) };
        let t = taken();
        match begin_checked(Access::Read, true, Some(token)) {
            Ok(true) => {
                began(t);
                return Ok(snapshot);
            }
            Ok(false) => unsafe { pg_sys::UnregisterSnapshot(snapshot) },
            Err(e) => {
                unsafe { pg_sys::UnregisterSnapshot(snapshot) };
                return Err(e);
            }
        }
    }
}
