//! Rust state owned by a PostgreSQL memory context. Executor callbacks that
//! end a scan are skipped when a query errors out; tying the Rust side to
//! the query's memory frees it either way. Also the one place memory
//! contexts are created with default sizes.

use std::ffi::c_void;

use pgrx::pg_sys;

unsafe extern "C-unwind" fn drop_boxed<T>(arg: *mut c_void) {
    release(arg as *mut *mut T);
}

/// Boxes `value`, stores the pointer in `*slot`, and drops it when `cxt` is
/// reset or deleted, unless `release` dropped it first. `slot` must live at
/// least as long as `cxt`.
pub unsafe fn own_in_context<T>(cxt: pg_sys::MemoryContext, slot: *mut *mut T, value: T) {
    *slot = Box::into_raw(Box::new(value));
    let cb = pg_sys::MemoryContextAllocZero(cxt, std::mem::size_of::<pg_sys::MemoryContextCallback>())
        as *mut pg_sys::MemoryContextCallback;
    (*cb).func = Some(drop_boxed::<T>);
    (*cb).arg = slot as *mut c_void;
    pg_sys::MemoryContextRegisterResetCallback(cxt, cb);
}

/// Drops the value in `*slot` now (if still there) and clears the slot.
pub unsafe fn release<T>(slot: *mut *mut T) {
    if !(*slot).is_null() {
        drop(Box::from_raw(*slot));
        *slot = std::ptr::null_mut();
    }
}

/// A new memory context under `parent` with PostgreSQL's default sizes.
pub unsafe fn new_context(parent: pg_sys::MemoryContext, name: &'static std::ffi::CStr) -> pg_sys::MemoryContext {
    pg_sys::AllocSetContextCreateExtended(
        parent,
        name.as_ptr(),
        pg_sys::ALLOCSET_DEFAULT_MINSIZE as usize,
        pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
        pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
    )
}
