//! pg_duckam's shared memory: the engine's state as backends see it; the
//! counters of commits that wrote both heap and duckdb tables ("mixed"
//! commits: entered their window between DuckDB's and PostgreSQL's commit,
//! finished it) with a ring of the recent ones; a counter of DuckDB write
//! commits. engine/snapshot.rs explains their use. The engine's threads
//! read the counters too (plain atomics, no PostgreSQL calls).

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use pgrx::pg_sys;

/// Commits remembered for REPEATABLE READ's consistency check.
const RING: usize = 256;
const MESSAGE: usize = 480;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineState {
    NotStarted,
    Starting,
    Ready,
    Failed,
    Stopping,
}

impl EngineState {
    fn from(v: u32) -> EngineState {
        match v {
            1 => EngineState::Starting,
            2 => EngineState::Ready,
            3 => EngineState::Failed,
            4 => EngineState::Stopping,
            _ => EngineState::NotStarted,
        }
    }
    fn code(self) -> u32 {
        match self {
            EngineState::NotStarted => 0,
            EngineState::Starting => 1,
            EngineState::Ready => 2,
            EngineState::Failed => 3,
            EngineState::Stopping => 4,
        }
    }
}

/// A commit that wrote heap and duckdb tables: its xid, and the
/// transaction-completion count PostgreSQL had reached once it was visible.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MixedCommit {
    pub xid: pg_sys::TransactionId,
    pub completion: u64,
}

#[repr(C)]
struct Shared {
    /// DuckDB commits that wrote, counted after each (READ COMMITTED
    /// statements compare it to decide whether to take a new snapshot).
    duck_commits: AtomicU64,
    /// Mixed commits that entered their window, and that finished it.
    mixed_entered: AtomicU64,
    mixed_finished: AtomicU64,
    engine_state: AtomicU32,
    engine_pid: AtomicI32,
    message_len: AtomicU32,
    message: [u8; MESSAGE],
    /// Mixed commits recorded in the ring so far (under RING_LOCK).
    commits: u64,
    ring: [MixedCommit; RING],
}

static mut SHARED: *mut Shared = std::ptr::null_mut();
/// Guards the ring.
static mut RING_LOCK: *mut pg_sys::LWLock = std::ptr::null_mut();
static mut PREV_REQUEST: pg_sys::shmem_request_hook_type = None;
static mut PREV_STARTUP: pg_sys::shmem_startup_hook_type = None;

const TRANCHE: &std::ffi::CStr = c"pg_duckam";

pub fn init() {
    unsafe {
        PREV_REQUEST = pg_sys::shmem_request_hook;
        pg_sys::shmem_request_hook = Some(request);
        PREV_STARTUP = pg_sys::shmem_startup_hook;
        pg_sys::shmem_startup_hook = Some(startup);
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn request() {
    if let Some(prev) = PREV_REQUEST {
        prev();
    }
    pg_sys::RequestAddinShmemSpace(std::mem::size_of::<Shared>());
    pg_sys::RequestNamedLWLockTranche(TRANCHE.as_ptr(), 1);
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn startup() {
    if let Some(prev) = PREV_STARTUP {
        prev();
    }
    // AddinShmemInitLock is MainLWLockArray[21] (storage/lwlocknames.h).
    let init_lock = &raw mut (*pg_sys::MainLWLockArray.add(21)).lock;
    pg_sys::LWLockAcquire(init_lock, pg_sys::LWLockMode::LW_EXCLUSIVE);
    let mut found = false;
    let p = pg_sys::ShmemInitStruct(TRANCHE.as_ptr(), std::mem::size_of::<Shared>(), &mut found) as *mut Shared;
    if !found {
        std::ptr::write_bytes(p as *mut u8, 0, std::mem::size_of::<Shared>());
    }
    SHARED = p;
    RING_LOCK = &mut (*pg_sys::GetNamedLWLockTranche(TRANCHE.as_ptr())).lock;
    pg_sys::LWLockRelease(init_lock);
}

fn shared() -> &'static Shared {
    unsafe { SHARED.as_ref().expect("pg_duckam's shared memory is set up (shared_preload_libraries)") }
}

fn set_state(state: EngineState) {
    shared().engine_state.store(state.code(), Ordering::Release);
}

pub fn engine_starting() {
    shared().engine_pid.store(unsafe { pg_sys::MyProcPid }, Ordering::Release);
    set_state(EngineState::Starting);
}

/// The pid of the engine that started last (it changes when the engine restarts).
pub fn engine_pid() -> i32 {
    shared().engine_pid.load(Ordering::Acquire)
}

pub fn engine_ready() {
    set_state(EngineState::Ready);
}

pub fn engine_stopping() {
    set_state(EngineState::Stopping);
}

/// Records why the engine could not start; backends report it.
pub fn engine_failed(message: &str) {
    unsafe {
        let s = SHARED.as_mut().expect("shared memory");
        let bytes = message.as_bytes();
        let n = bytes.len().min(MESSAGE);
        s.message[..n].copy_from_slice(&bytes[..n]);
        s.message_len.store(n as u32, Ordering::Release);
    }
    set_state(EngineState::Failed);
}

/// The engine's state and, when it failed, why.
pub fn engine_state() -> (EngineState, Option<String>) {
    let s = shared();
    let state = EngineState::from(s.engine_state.load(Ordering::Acquire));
    let message = (state == EngineState::Failed).then(|| {
        let n = s.message_len.load(Ordering::Acquire) as usize;
        String::from_utf8_lossy(&s.message[..n.min(MESSAGE)]).into_owned()
    });
    (state, message)
}

/// Counts a DuckDB commit that wrote.
pub fn count_duck_commit() {
    shared().duck_commits.fetch_add(1, Ordering::SeqCst);
}

pub fn duck_commits() -> u64 {
    shared().duck_commits.load(Ordering::SeqCst)
}

/// A mixed commit enters its window (before its DuckDB commit).
pub fn mixed_enter() {
    shared().mixed_entered.fetch_add(1, Ordering::SeqCst);
}

/// A mixed commit leaves its window (PostgreSQL shows it committed, or it
/// aborted).
pub fn mixed_finish() {
    shared().mixed_finished.fetch_add(1, Ordering::SeqCst);
}

/// Mixed commits entered so far (the engine checks this after taking a
/// DuckDB snapshot).
pub fn mixed_entered() -> u64 {
    shared().mixed_entered.load(Ordering::SeqCst)
}

/// The entered count, if no mixed commit is inside its window now.
pub fn quiet_token() -> Option<u64> {
    let s = shared();
    let entered = s.mixed_entered.load(Ordering::SeqCst);
    (s.mixed_finished.load(Ordering::SeqCst) == entered).then_some(entered)
}

fn with_ring<R>(exclusive: bool, f: impl FnOnce(&mut Shared) -> R) -> R {
    let mode = if exclusive { pg_sys::LWLockMode::LW_EXCLUSIVE } else { pg_sys::LWLockMode::LW_SHARED };
    unsafe {
        pg_sys::LWLockAcquire(RING_LOCK, mode);
        let r = f(SHARED.as_mut().expect("shared memory"));
        pg_sys::LWLockRelease(RING_LOCK);
        r
    }
}

/// Records a mixed commit, once PostgreSQL shows it committed.
pub fn record_mixed_commit(c: MixedCommit) {
    with_ring(true, |s| {
        s.ring[(s.commits % RING as u64) as usize] = c;
        s.commits += 1;
    });
}

/// Mixed commits that became visible after completion count `after`,
/// newest first; None if the ring no longer reaches back that far.
pub fn mixed_commits_after(after: u64) -> Option<Vec<MixedCommit>> {
    with_ring(false, |s| {
        let mut out = Vec::new();
        for i in 0..(s.commits.min(RING as u64)) {
            let c = s.ring[((s.commits - 1 - i) % RING as u64) as usize];
            if c.completion <= after {
                return Some(out);
            }
            out.push(c);
        }
        (s.commits <= RING as u64).then_some(out)
    })
}
