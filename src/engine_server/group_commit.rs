//! Group commit of small writes. DuckDB syncs its WAL on every commit,
//! holding its WAL lock: many sessions each committing a one-row INSERT
//! would wait on each other's fsync, one at a time. A transaction whose
//! only DuckDB work is one batch of inserted rows (the common autocommit
//! INSERT) is committed here instead: a committer thread per database
//! takes every batch that arrived while the previous group was committing,
//! inserts them with one statement per table (each its own DuckDB
//! transaction: one fsync per table of the group, not per session) and only
//! then answers each session (each backend
//! commits PostgreSQL after that answer, so durability is unchanged).
//!
//! A batch that fails (its table was dropped, say) must not fail the
//! others: the group is rolled back and its batches committed one by one,
//! so only the failing one's session gets the error.

use std::collections::HashMap;
use std::sync::Arc;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use duckam_logic::types::DuckType;
use duckam_logic::wire::Batch;

use super::batchfn::Inserts;
use super::ffi::{Connection, DuckError, DuckResult};

/// Batches at most this large take the group path (larger ones gain
/// nothing from sharing an fsync and would hold up the group).
pub const GROUP_MAX_ROWS: usize = 10_000;

struct Job {
    table: String,
    types: Vec<DuckType>,
    batch: Batch,
    reply: Sender<DuckResult<()>>,
}

/// The committer of one database.
pub struct GroupCommitter {
    jobs: Option<Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GroupCommitter {
    /// Starts the committer thread on `conn` (a connection of its own,
    /// using the database). The caller has blocked signals.
    pub fn start(conn: Connection, name: String) -> std::io::Result<Arc<GroupCommitter>> {
        let (jobs, queue) = unbounded();
        let thread = std::thread::Builder::new().name(name).stack_size(1024 * 1024).spawn(move || run(conn, queue))?;
        Ok(Arc::new(GroupCommitter { jobs: Some(jobs), thread: Some(thread) }))
    }

    /// Inserts `batch` into `table` (columns of `types`) and commits it,
    /// with whatever else is waiting; returns once it is durable (or
    /// failed).
    pub fn commit(&self, table: String, types: Vec<DuckType>, batch: Batch) -> DuckResult<()> {
        let stopped = || DuckError::other("pg_duckam engine: the group committer stopped");
        let (reply, answer) = bounded(1);
        self.jobs.as_ref().expect("running").send(Job { table, types, batch, reply }).map_err(|_| stopped())?;
        answer.recv().unwrap_or_else(|_| Err(stopped()))
    }
}

impl Drop for GroupCommitter {
    /// Stops the thread (its connection goes with it), after the batches
    /// already queued.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Inserts `jobs` (all for one table and column types) in one statement
/// outside any explicit transaction: DuckDB runs it as one transaction of
/// its own and commits it (one WAL sync), without the cost of BEGIN and
/// COMMIT statements.
fn commit_table(conn: &Connection, inserts: &mut Inserts, jobs: &[&Job]) -> DuckResult<()> {
    let batches = jobs.iter().map(|j| j.batch.clone()).collect();
    inserts.insert(conn, None, &jobs[0].table, &jobs[0].types, batches).map(drop)
}

fn run(conn: Connection, queue: Receiver<Job>) {
    let mut inserts = Inserts::new(&conn);
    while let Ok(first) = queue.recv() {
        // Everything that arrived while the last group was committing,
        // one transaction per table (a batch belongs to one table).
        let mut group = vec![first];
        group.extend(queue.try_iter());
        let mut tables: HashMap<(&str, &[DuckType]), Vec<&Job>> = HashMap::new();
        for job in &group {
            tables.entry((job.table.as_str(), job.types.as_slice())).or_default().push(job);
        }
        for jobs in tables.values() {
            match commit_table(&conn, &mut inserts, jobs) {
                Ok(()) => jobs.iter().for_each(|j| drop(j.reply.send(Ok(())))),
                Err(_) if jobs.len() > 1 => {
                    for job in jobs {
                        let _ = job.reply.send(commit_table(&conn, &mut inserts, &[job]));
                    }
                }
                Err(e) => drop(jobs[0].reply.send(Err(e))),
            }
        }
    }
    // The prepared statements go before their connection.
    drop(inserts);
}
