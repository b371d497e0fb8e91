//! The engine's one DuckDB instance: in-memory at its root, with each
//! database's file (`$PGDATA/pg_duckam/<oid>.duckdb`) attached as `db<oid>`
//! on first use and kept attached, so its buffer pool stays warm. One
//! memory limit and one thread pool serve every session of the cluster.
//! Also: idle and shutdown checkpoints, the sessions registry, status.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use duckam_logic::naming;
use duckam_logic::wire::{EngineStatus, ErrorKind, SessionInfo};
use parking_lot::Mutex;

use super::batchfn;
use super::ffi::{Connection, Database, DuckError, DuckResult};
use super::group_commit::GroupCommitter;
use super::heapfn;

/// What the engine is started with (the duckam.* settings, read by the
/// worker's main thread).
#[derive(Debug, Clone)]
pub struct Settings {
    pub threads: i32,
    pub memory_limit: String,
    pub storage_dir: PathBuf,
    pub temp_dir: PathBuf,
    pub postmaster_pid: i32,
    pub checkpoint_idle: Duration,
}

/// Float arithmetic with PostgreSQL's errors: DuckDB returns ±inf or 0
/// where PostgreSQL's float8 operators raise "value out of range" or
/// "division by zero". The deparser spells float + - * / with these
/// (memory.main.pg_fadd, …). Dates: DuckDB's range is wider than
/// PostgreSQL's (4714-11-24 BC … 5874897-12-31), whose date + integer
/// raises "date out of range" beyond it (memory.main.pg_date_checked).
/// Created once, in the instance's in-memory root catalog, so a new
/// session has nothing to create.
const PG_SEMANTICS_MACROS: &str = "
CREATE MACRO memory.main.pg_float_checked(r, a, b, zero_ok) AS (CASE
    WHEN isinf(r) AND NOT isinf(a) AND NOT isinf(b) THEN error('value out of range: overflow')
    WHEN r = 0 AND NOT zero_ok THEN error('value out of range: underflow')
    ELSE r END);
CREATE MACRO memory.main.pg_fadd(a, b) AS memory.main.pg_float_checked(a + b, a, b, true);
CREATE MACRO memory.main.pg_fsub(a, b) AS memory.main.pg_float_checked(a - b, a, b, true);
CREATE MACRO memory.main.pg_fmul(a, b) AS memory.main.pg_float_checked(a * b, a, b, a = 0 OR b = 0);
CREATE MACRO memory.main.pg_fdiv(a, b) AS (CASE WHEN b = 0 AND NOT isnan(a) THEN error('division by zero')
    ELSE memory.main.pg_float_checked(a / b, a, b, a = 0 OR isinf(b)) END);
CREATE MACRO memory.main.pg_date_checked(d) AS (CASE WHEN d < DATE '4714-11-24 (BC)' OR d > DATE '5874897-12-31'
    THEN error('date out of range') ELSE d END);
";

/// Write activity of an attached database, for idle checkpoints.
#[derive(Debug)]
struct Activity {
    commits: u64,
    checkpointed: u64,
    last_commit: Instant,
}

/// One session as the sessions view shows it.
pub struct SessionEntry {
    pub pid: i32,
    pub database: u32,
    pub state: Mutex<(&'static str, Option<String>)>,
    pub in_transaction: AtomicBool,
    pub prepared: AtomicU64,
    /// Set when the engine shuts down: the session ends.
    pub closing: AtomicBool,
    /// The session's socket, so shutdown can wake its reader.
    pub socket_fd: i32,
}

pub struct Engine {
    // Field order is drop order: connections before the database.
    maintenance: Mutex<Connection>,
    db: Database,
    pub settings: Settings,
    attached: Mutex<HashMap<u32, Activity>>,
    committers: Mutex<HashMap<u32, Arc<GroupCommitter>>>,
    sessions: Mutex<HashMap<u64, Arc<SessionEntry>>>,
    next_session: AtomicU64,
    log: Sender<String>,
}

/// The name a database's file is attached under.
pub fn catalog_name(database: u32) -> String {
    format!("db{database}")
}

impl Engine {
    /// Starts DuckDB and locks it down (ARCHITECTURE §9): only the
    /// pg_duckam and temp directories are reachable, no extension can be
    /// installed or loaded, external access is off, and after setup no
    /// statement can change the configuration. The caller has blocked
    /// signals, so DuckDB's threads never receive PostgreSQL's.
    pub fn open(settings: Settings, log: Sender<String>) -> DuckResult<Engine> {
        std::fs::create_dir_all(&settings.temp_dir)
            .map_err(|e| DuckError::new(format!("could not create {}: {e}", settings.temp_dir.display()), ErrorKind::Engine))?;
        let options = vec![
            ("threads", settings.threads.to_string()),
            ("memory_limit", settings.memory_limit.clone()),
            ("temp_directory", settings.temp_dir.to_string_lossy().into_owned()),
            ("autoinstall_known_extensions", "false".into()),
            ("autoload_known_extensions", "false".into()),
            ("allow_community_extensions", "false".into()),
        ];
        let db = Database::open(":memory:", &options)?;
        let maintenance = db.connect()?;
        let dir = |p: &PathBuf| naming::quote_literal(&format!("{}/", p.to_string_lossy().trim_end_matches('/')));
        maintenance.execute(&format!("SET allowed_directories = [{}, {}]", dir(&settings.storage_dir), dir(&settings.temp_dir)))?;
        maintenance.execute("SET enable_external_access = false")?;
        // Sessions turn DuckDB's profiler on (EXPLAIN ANALYZE); nothing else
        // may change once the configuration is locked.
        maintenance.execute("SET allowed_configs = ['enable_profiling']")?;
        heapfn::register(&maintenance)?;
        batchfn::register(&maintenance)?;
        maintenance.execute(PG_SEMANTICS_MACROS)?;
        maintenance.execute("SET lock_configuration = true")?;
        Ok(Engine {
            maintenance: Mutex::new(maintenance),
            db,
            settings,
            attached: Mutex::new(HashMap::new()),
            committers: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            next_session: AtomicU64::new(1),
            log,
        })
    }

    /// A line for the server log (written by the worker's main thread).
    pub fn log(&self, line: String) {
        let _ = self.log.send(line);
    }

    fn database_path(&self, database: u32) -> PathBuf {
        self.settings.storage_dir.join(naming::database_file(database))
    }

    /// Attaches a database's file unless it is attached already. Without
    /// `create`, a missing file is an error.
    fn attach(&self, database: u32, create: bool) -> DuckResult<()> {
        let mut attached = self.attached.lock();
        if attached.contains_key(&database) {
            return Ok(());
        }
        let path = self.database_path(database);
        if !create && !path.exists() {
            return Err(DuckError::new(format!("DuckDB storage file \"{}\" does not exist", path.display()), ErrorKind::Engine));
        }
        let sql = format!(
            "ATTACH {} AS {}",
            naming::quote_literal(&path.to_string_lossy()),
            naming::quote_ident(&catalog_name(database))
        );
        self.maintenance.lock().execute(&sql)?;
        attached.insert(database, Activity { commits: 0, checkpointed: 0, last_commit: Instant::now() });
        Ok(())
    }

    /// A new connection for a session of `database` (0: none, for service
    /// requests), set up as every session needs it.
    pub fn connect(&self, database: u32, create: bool) -> DuckResult<Connection> {
        let conn = self.db.connect()?;
        if database != 0 {
            self.attach(database, create)?;
            conn.execute(&format!("USE {}", naming::quote_ident(&catalog_name(database))))?;
        }
        Ok(conn)
    }

    /// The group committer of `database` (started on first use).
    pub fn group_committer(&self, database: u32) -> DuckResult<Arc<GroupCommitter>> {
        let mut committers = self.committers.lock();
        if let Some(c) = committers.get(&database) {
            return Ok(c.clone());
        }
        let conn = self.db.connect()?;
        conn.execute(&format!("USE {}", naming::quote_ident(&catalog_name(database))))?;
        let c = GroupCommitter::start(conn, format!("duckam-commit-{database}"))
            .map_err(|e| DuckError::new(format!("could not start a group committer: {e}"), ErrorKind::Engine))?;
        committers.insert(database, c.clone());
        Ok(c)
    }

    /// Notes a commit that wrote to `database` (for idle checkpoints).
    pub fn committed(&self, database: u32) {
        if let Some(a) = self.attached.lock().get_mut(&database) {
            a.commits += 1;
            a.last_commit = Instant::now();
        }
    }

    /// Checkpoints databases written to and idle since: the WAL is folded
    /// into the file, so a restart replays little. A checkpoint DuckDB
    /// cannot take now (other writers active) is simply tried again later.
    pub fn checkpoint_idle(&self) {
        let due: Vec<(u32, u64)> = self
            .attached
            .lock()
            .iter()
            .filter(|(_, a)| a.commits > a.checkpointed && a.last_commit.elapsed() >= self.settings.checkpoint_idle)
            .map(|(&db, a)| (db, a.commits))
            .collect();
        for (database, commits) in due {
            let sql = format!("CHECKPOINT {}", naming::quote_ident(&catalog_name(database)));
            if self.maintenance.lock().execute(&sql).is_ok() {
                if let Some(a) = self.attached.lock().get_mut(&database) {
                    a.checkpointed = a.checkpointed.max(commits);
                }
            }
        }
    }

    /// At shutdown: every session is told to end, then each database is
    /// checkpointed (FORCE: transactions still open are aborted; their
    /// backends are going away too).
    pub fn shutdown(&self) {
        for s in self.sessions.lock().values() {
            s.closing.store(true, Ordering::SeqCst);
            unsafe { libc::shutdown(s.socket_fd, libc::SHUT_RDWR) };
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.sessions.lock().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let databases: Vec<u32> = self.attached.lock().keys().copied().collect();
        let conn = self.maintenance.lock();
        for database in databases {
            let name = naming::quote_ident(&catalog_name(database));
            if let Err(e) = conn.execute(&format!("FORCE CHECKPOINT {name}")) {
                self.log(format!("pg_duckam engine: checkpoint of database {database} at shutdown failed: {}", e.message));
            }
        }
    }

    /// DROP DATABASE committed: detach its file and delete it (and its WAL).
    pub fn drop_database(&self, database: u32) -> DuckResult<()> {
        let deadline = Instant::now() + Duration::from_secs(5);
        // Sessions of the dropped database (terminated backends) end on
        // their own; DuckDB cannot detach a database a connection uses.
        while self.sessions.lock().values().any(|s| s.database == database) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Its committer's connection uses the database too.
        drop(self.committers.lock().remove(&database));
        if self.attached.lock().remove(&database).is_some() {
            let sql = format!("DETACH {}", naming::quote_ident(&catalog_name(database)));
            self.maintenance.lock().execute(&sql)?;
        }
        let path = self.database_path(database);
        for p in [path.clone(), path.with_extension("duckdb.wal")] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(DuckError::new(format!("could not remove \"{}\": {e}", p.display()), ErrorKind::Engine)),
            }
        }
        Ok(())
    }

    pub fn add_session(&self, pid: i32, database: u32, socket_fd: i32) -> (u64, Arc<SessionEntry>) {
        let id = self.next_session.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(SessionEntry {
            pid,
            database,
            state: Mutex::new(("idle", None)),
            in_transaction: AtomicBool::new(false),
            prepared: AtomicU64::new(0),
            closing: AtomicBool::new(false),
            socket_fd,
        });
        self.sessions.lock().insert(id, entry.clone());
        (id, entry)
    }

    pub fn remove_session(&self, id: u64) {
        self.sessions.lock().remove(&id);
    }

    pub fn session_list(&self) -> Vec<SessionInfo> {
        let mut list: Vec<SessionInfo> = self
            .sessions
            .lock()
            .values()
            .map(|s| {
                let (state, statement) = s.state.lock().clone();
                SessionInfo {
                    pid: s.pid,
                    database: s.database,
                    state: state.to_string(),
                    statement,
                    in_transaction: s.in_transaction.load(Ordering::Relaxed),
                    prepared: s.prepared.load(Ordering::Relaxed) as u32,
                }
            })
            .collect();
        list.sort_by_key(|s| s.pid);
        list
    }

    /// The engine's resources, read through `conn` (any session's).
    pub fn status(&self, conn: &Connection) -> DuckResult<EngineStatus> {
        let text = |sql: &str| -> DuckResult<String> {
            let mut r = conn.query(sql)?;
            Ok(match r.next_chunk()? {
                Some(c) if c.len() > 0 && c.column(0).is_valid(0) => String::from_utf8_lossy(c.column(0).get_bytes(0)).into_owned(),
                _ => String::new(),
            })
        };
        let memory = text("SELECT (sum(memory_usage_bytes)::BIGINT || ',' || sum(temporary_storage_bytes)::BIGINT) FROM duckdb_memory()")?;
        let (used, temp) = memory.split_once(',').unwrap_or(("0", "0"));
        let os_threads = std::fs::read_dir("/proc/self/task").map(|d| d.count() as u32).unwrap_or(0);
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
        let rss = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
            .map_or(0, |pages| pages * page);
        Ok(EngineStatus {
            pid: std::process::id() as i32,
            sessions: self.sessions.lock().len() as u32,
            databases: self.attached.lock().len() as u32,
            threads: text("SELECT current_setting('threads')::VARCHAR")?.parse().unwrap_or(0),
            os_threads,
            memory_limit: text("SELECT current_setting('memory_limit')::VARCHAR")?,
            memory_used: used.parse().unwrap_or(0),
            temp_used: temp.parse().unwrap_or(0),
            rss,
        })
    }
}
