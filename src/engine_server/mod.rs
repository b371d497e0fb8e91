//! The engine process (ARCHITECTURE §3): a background worker, registered
//! from `_PG_init`, that owns every database's DuckDB file for its
//! lifetime — one DuckDB instance, one memory budget and one thread pool
//! for the whole cluster. Backends reach it over a Unix-domain socket,
//! `$PGDATA/pg_duckam/engine.sock` (mode 0600, so only the cluster's own
//! OS user; the engine also checks that each peer is a child of this
//! postmaster).
//!
//! Threads: the worker's main thread is the only one calling PostgreSQL
//! (signals, latch, logging); it also checkpoints idle databases. An
//! accept thread starts one thread per session (session.rs); DuckDB runs
//! its own pool. All of them are started with signals blocked.

mod convert;
pub mod ffi;
mod batchfn;
mod group_commit;
mod heapfn;
mod instance;
mod session;
mod tablefn;

use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags};
use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::{gucs, shmem};
use instance::{Engine, Settings};

/// The socket's path relative to the data directory (every PostgreSQL
/// process runs in it), which keeps it short of the 108-byte limit.
pub const SOCKET: &str = "pg_duckam/engine.sock";

/// How often the engine's main loop wakes without a signal: to forward
/// its threads' log lines and to run the idle checkpoint.
const MAIN_LOOP_WAKE: Duration = Duration::from_millis(200);

pub fn register() {
    BackgroundWorkerBuilder::new("pg_duckam engine")
        .set_type("pg_duckam engine")
        .set_library("pg_duckam")
        .set_function("duckam_engine_main")
        .enable_shmem_access(None)
        // Not on a hot standby: its DuckDB files are stale copies.
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(Some(Duration::from_secs(2)))
        .load();
}

/// Runs `f` with every signal blocked in this thread, so threads it starts
/// inherit a fully blocked mask.
pub fn with_signals_blocked<R>(f: impl FnOnce() -> R) -> R {
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        struct Restore(libc::sigset_t);
        impl Drop for Restore {
            fn drop(&mut self) {
                unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
            }
        }
        let _restore = Restore(old);
        f()
    }
}

fn settings() -> Settings {
    let storage_dir = crate::engine::storage_dir();
    Settings {
        threads: gucs::THREADS.get(),
        memory_limit: gucs::memory_limit(),
        temp_dir: gucs::temp_directory().map(PathBuf::from).unwrap_or_else(|| storage_dir.join("tmp")),
        storage_dir,
        postmaster_pid: unsafe { pg_sys::PostmasterPid },
        checkpoint_idle: Duration::from_secs(2),
    }
}

/// Binds the socket (replacing one a previous engine left behind).
fn listen(storage_dir: &std::path::Path) -> std::io::Result<UnixListener> {
    std::fs::create_dir_all(storage_dir)?;
    std::fs::set_permissions(storage_dir, std::fs::Permissions::from_mode(0o700))?;
    match std::fs::remove_file(SOCKET) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let old = unsafe { libc::umask(0o077) };
    let listener = UnixListener::bind(SOCKET);
    unsafe { libc::umask(old) };
    let listener = listener?;
    std::fs::set_permissions(SOCKET, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

fn fail(message: String) -> ! {
    shmem::engine_failed(&message);
    // Exit code 1: the postmaster starts the engine again after its restart
    // interval, without restarting the cluster.
    pgrx::log!("pg_duckam engine could not start: {message}");
    unsafe { pg_sys::proc_exit(1) }
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn duckam_engine_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    shmem::engine_starting();
    let settings = settings();
    let (log_tx, log_rx) = crossbeam_channel::unbounded::<String>();
    let engine = match with_signals_blocked(|| Engine::open(settings.clone(), log_tx)) {
        Ok(e) => Arc::new(e),
        Err(e) => fail(format!("DuckDB did not start: {}", e.message)),
    };
    let listener = match listen(&settings.storage_dir) {
        Ok(l) => l,
        Err(e) => fail(format!("could not listen on \"{SOCKET}\" in the data directory: {e}")),
    };
    let listener_fd = listener.as_raw_fd();
    let accepting = {
        let engine = engine.clone();
        with_signals_blocked(|| {
            std::thread::Builder::new().name("duckam-accept".into()).spawn(move || {
                for socket in listener.incoming() {
                    let Ok(socket) = socket else { break };
                    let engine = engine.clone();
                    // DuckDB binds and plans deep queries on this thread.
                    let started = std::thread::Builder::new()
                        .name("duckam-session".into())
                        .stack_size(16 * 1024 * 1024)
                        .spawn(move || session::serve(socket, engine));
                    if started.is_err() {
                        break;
                    }
                }
            })
        })
    };
    if let Err(e) = accepting {
        fail(format!("could not start the accept thread: {e}"));
    }
    shmem::engine_ready();
    pgrx::log!(
        "pg_duckam engine ready: DuckDB {}, {} threads, memory limit {}",
        ffi::library_version(),
        settings.threads,
        settings.memory_limit
    );
    while !BackgroundWorker::sigterm_received() {
        unsafe {
            pg_sys::WaitLatch(
                pg_sys::MyLatch,
                (pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_EXIT_ON_PM_DEATH) as i32,
                MAIN_LOOP_WAKE.as_millis() as _,
                pg_sys::PG_WAIT_EXTENSION,
            );
            pg_sys::ResetLatch(pg_sys::MyLatch);
        }
        for line in log_rx.try_iter() {
            pgrx::log!("{line}");
        }
        engine.checkpoint_idle();
    }
    shmem::engine_stopping();
    // Wake the accept thread and every session, then checkpoint.
    unsafe { libc::shutdown(listener_fd, libc::SHUT_RDWR) };
    engine.shutdown();
    for line in log_rx.try_iter() {
        pgrx::log!("{line}");
    }
    let _ = std::fs::remove_file(SOCKET);
    unsafe { pg_sys::proc_exit(1) };
}
