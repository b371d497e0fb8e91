//! Query cancel and statement_timeout for DuckDB calls, and signal hygiene.
//!
//! DuckDB does not look at PostgreSQL's interrupt flags. While a DuckDB call
//! is in flight, a watchdog thread polls `InterruptPending` and calls
//! `duckdb_interrupt`; the call then fails with an "interrupted" error and
//! the main thread lets PostgreSQL raise its own cancel/timeout error.
//! Threads we or DuckDB start never receive PostgreSQL's signals: they are
//! created with every signal blocked.

use std::sync::OnceLock;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use pgrx::pg_sys;

use super::ffi::{Connection, InterruptHandle};

struct Watch {
    inflight: Mutex<Option<InterruptHandle>>,
    wake: Condvar,
}

static WATCH: OnceLock<Watch> = OnceLock::new();

const POLL: Duration = Duration::from_millis(20);

/// A query cancel, statement timeout or termination is pending (the
/// interrupts that end the running statement).
pub(super) fn cancel_pending() -> bool {
    unsafe {
        std::ptr::addr_of!(pg_sys::QueryCancelPending).read_volatile() != 0
            || std::ptr::addr_of!(pg_sys::ProcDiePending).read_volatile() != 0
    }
}

fn interrupt_pending() -> bool {
    // A sig_atomic_t written by signal handlers on the main thread; read-only here.
    unsafe { std::ptr::addr_of!(pg_sys::InterruptPending).read_volatile() != 0 }
}

fn watch() -> &'static Watch {
    WATCH.get_or_init(|| {
        with_signals_blocked(|| {
            std::thread::Builder::new()
                .name("duckam-watchdog".into())
                .spawn(watchdog)
                .expect("could not start the pg_duckam watchdog thread")
        });
        Watch { inflight: Mutex::new(None), wake: Condvar::new() }
    })
}

fn watchdog() {
    let w = loop {
        if let Some(w) = WATCH.get() {
            break w;
        }
        std::thread::sleep(POLL);
    };
    let mut inflight = w.inflight.lock();
    loop {
        if inflight.is_none() {
            w.wake.wait(&mut inflight);
            continue;
        }
        w.wake.wait_for(&mut inflight, POLL);
        if let Some(handle) = inflight.as_ref() {
            if interrupt_pending() {
                handle.interrupt();
            }
        }
    }
}

/// Runs a DuckDB call on `conn` so that a pending PostgreSQL interrupt
/// stops it.
pub fn guarded<R>(conn: Option<&Connection>, f: impl FnOnce() -> R) -> R {
    let Some(conn) = conn else { return f() };
    let w = watch();
    *w.inflight.lock() = Some(conn.interrupt_handle());
    w.wake.notify_one();
    struct Done(&'static Watch);
    impl Drop for Done {
        fn drop(&mut self) {
            *self.0.inflight.lock() = None;
        }
    }
    let _done = Done(w);
    f()
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
