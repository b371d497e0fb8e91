//! What a PostgreSQL transaction did to DuckDB, per subtransaction.
//!
//! DuckDB has no savepoints, so pg_duckam keeps this ledger to make
//! ROLLBACK TO SAVEPOINT (and PL/pgSQL exception blocks) honest:
//! - tables created inside an aborted subtransaction are dropped at once
//!   (their relfilenode is unreferenced, so nothing else can see them);
//! - DuckDB tables whose drop was scheduled by the aborted subtransaction
//!   are kept (the drop happens only after the top transaction commits);
//! - rows already written to DuckDB for a table the aborted subtransaction
//!   did not create cannot be taken back: the transaction is doomed and must
//!   roll back as a whole, which the engine enforces with a clear error.

use std::collections::{BTreeMap, BTreeSet};

/// Subtransaction ids as PostgreSQL numbers them (1 = top level).
pub type SubId = u32;
/// A relfilenode, i.e. one DuckDB table.
pub type Storage = u32;

#[derive(Debug, Default, Clone)]
struct Entry {
    written: BTreeSet<Storage>,
    created: BTreeSet<Storage>,
    drop_after_commit: BTreeSet<Storage>,
}

#[derive(Debug, Default, Clone)]
pub struct Ledger {
    by_sub: BTreeMap<SubId, Entry>,
}

/// What the engine must do when a subtransaction aborts.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SubAbort {
    /// DuckDB tables created in the aborted subtransaction: drop them now.
    pub drop_now: Vec<Storage>,
    /// Tables outside the aborted subtransaction's creations that it wrote to.
    pub lost_writes: Vec<Storage>,
}

impl Ledger {
    pub fn wrote(&mut self, sub: SubId, table: Storage) {
        self.by_sub.entry(sub).or_default().written.insert(table);
    }

    pub fn created(&mut self, sub: SubId, table: Storage) {
        self.by_sub.entry(sub).or_default().created.insert(table);
    }

    pub fn drop_after_commit(&mut self, sub: SubId, table: Storage) {
        self.by_sub.entry(sub).or_default().drop_after_commit.insert(table);
    }

    /// Was this table created by the current transaction (any live level)?
    pub fn is_created(&self, table: Storage) -> bool {
        self.by_sub.values().any(|e| e.created.contains(&table))
    }

    /// The subtransaction committed into its parent.
    pub fn sub_commit(&mut self, sub: SubId, parent: SubId) {
        if let Some(e) = self.by_sub.remove(&sub) {
            let p = self.by_sub.entry(parent).or_default();
            p.written.extend(e.written);
            p.created.extend(e.created);
            p.drop_after_commit.extend(e.drop_after_commit);
        }
    }

    pub fn sub_abort(&mut self, sub: SubId) -> SubAbort {
        let Some(e) = self.by_sub.remove(&sub) else { return SubAbort::default() };
        SubAbort {
            lost_writes: e.written.difference(&e.created).copied().collect(),
            drop_now: e.created.into_iter().collect(),
        }
    }

    /// Tables to drop once the top transaction has committed: scheduled
    /// drops, except tables the transaction itself created and then
    /// replaced (those are dropped too: nothing references them).
    pub fn drops_after_commit(&self) -> Vec<Storage> {
        let mut all: BTreeSet<Storage> = BTreeSet::new();
        for e in self.by_sub.values() {
            all.extend(&e.drop_after_commit);
        }
        all.into_iter().collect()
    }

    pub fn has_writes(&self) -> bool {
        self.by_sub.values().any(|e| !e.written.is_empty() || !e.created.is_empty() || !e.drop_after_commit.is_empty())
    }

    /// Every table this transaction wrote to or created, at any live level.
    pub fn written(&self) -> Vec<Storage> {
        let mut all: Vec<Storage> = self.by_sub.values().flat_map(|e| e.written.iter().chain(e.created.iter()).copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    pub fn clear(&mut self) {
        self.by_sub.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abort_drops_own_tables_and_keeps_scheduled_drops() {
        let mut l = Ledger::default();
        l.drop_after_commit(1, 10);
        l.created(2, 20);
        l.wrote(2, 20);
        l.drop_after_commit(2, 11);
        let out = l.sub_abort(2);
        assert_eq!(out, SubAbort { drop_now: vec![20], lost_writes: vec![] });
        assert_eq!(l.drops_after_commit(), vec![10]);
    }

    #[test]
    fn abort_after_writing_an_older_table_is_a_lost_write() {
        let mut l = Ledger::default();
        l.created(1, 10);
        l.wrote(3, 10);
        l.sub_commit(3, 2);
        let out = l.sub_abort(2);
        assert_eq!(out.lost_writes, vec![10]);
        assert!(out.drop_now.is_empty());
    }

    #[test]
    fn commit_merges_into_parent() {
        let mut l = Ledger::default();
        l.created(3, 30);
        l.drop_after_commit(3, 31);
        l.sub_commit(3, 2);
        l.sub_commit(2, 1);
        assert!(l.is_created(30));
        assert_eq!(l.drops_after_commit(), vec![31]);
        assert_eq!(l.sub_abort(1).drop_now, vec![30]);
    }
}
