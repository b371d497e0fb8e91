//! The per-database DuckDB lock, held through PostgreSQL's lock manager on
//! the pg_duckam extension object: ShareLock for readers, ExclusiveLock for
//! the writer. Waits show in pg_locks, honour lock_timeout and cancel, and
//! join deadlock detection. The lock belongs to the top transaction (not to a
//! subtransaction that may roll back) because the DuckDB file stays open
//! until the transaction ends.

use pgrx::pg_sys;

use super::Access;
use crate::error::{Error, Result};

fn mode(access: Access) -> pg_sys::LOCKMODE {
    match access {
        Access::Read => pg_sys::ShareLock as pg_sys::LOCKMODE,
        Access::Write => pg_sys::ExclusiveLock as pg_sys::LOCKMODE,
    }
}

fn extension_oid() -> Result<pg_sys::Oid> {
    let oid = unsafe { pg_sys::get_extension_oid(c"pg_duckam".as_ptr(), true) };
    if oid == pg_sys::InvalidOid {
        return Err(Error::new(
            pgrx::PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "extension \"pg_duckam\" is not installed in this database",
        )
        .with_hint("Run CREATE EXTENSION pg_duckam."));
    }
    Ok(oid)
}

struct RestoreOwner(pg_sys::ResourceOwner);
impl Drop for RestoreOwner {
    fn drop(&mut self) {
        unsafe { pg_sys::CurrentResourceOwner = self.0 };
    }
}

pub fn acquire(access: Access) -> Result<()> {
    let ext = extension_oid()?;
    unsafe {
        let _restore = RestoreOwner(pg_sys::CurrentResourceOwner);
        pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
        pg_sys::LockDatabaseObject(pg_sys::ExtensionRelationId, ext, 0, mode(access));
    }
    Ok(())
}

/// Gives the lock back early (PREPARE TRANSACTION of a reader: the DuckDB
/// file is already closed, and a prepared transaction must not keep it).
pub fn release(held: Access) {
    if let Ok(ext) = extension_oid() {
        unsafe {
            let _restore = RestoreOwner(pg_sys::CurrentResourceOwner);
            pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
            pg_sys::UnlockDatabaseObject(pg_sys::ExtensionRelationId, ext, 0, mode(Access::Read));
            if held == Access::Write {
                pg_sys::UnlockDatabaseObject(pg_sys::ExtensionRelationId, ext, 0, mode(Access::Write));
            }
        }
    }
}
