//! Which collations DuckDB reproduces. DuckDB compares strings byte by
//! byte; UTF-8 byte order is code point order. PostgreSQL orders that way
//! under the C/POSIX locales and under libc's C.UTF-8 (strict code point
//! order in glibc ≥ 2.35; the regress suite `semantics` checks it against
//! PostgreSQL on this server). Equality agrees under every deterministic
//! collation: PostgreSQL breaks strcoll ties by bytes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CStr;

use pgrx::pg_sys;

unsafe extern "C-unwind" {
    // utils/pg_locale.h, not in pgrx's bindings
    fn lc_collate_is_c(collation: pg_sys::Oid) -> bool;
}

thread_local! {
    /// Collation settings never change for an OID within a database.
    static ORDERS_BY_BYTES: RefCell<HashMap<pg_sys::Oid, bool>> = RefCell::new(HashMap::new());
}

/// Text orders alike in both systems under this collation.
pub fn orders_by_bytes(collation: pg_sys::Oid) -> bool {
    if let Some(known) = ORDERS_BY_BYTES.with(|c| c.borrow().get(&collation).copied()) {
        return known;
    }
    let answer = unsafe { pg_sys::ffi::pg_guard_ffi_boundary(|| lc_collate_is_c(collation)) }
        || libc_locale(collation).is_some_and(|name| is_c_utf8(&name));
    ORDERS_BY_BYTES.with(|c| c.borrow_mut().insert(collation, answer));
    answer
}

/// Text equality agrees in both systems under this collation.
pub fn equality_by_bytes(collation: pg_sys::Oid) -> bool {
    collation == pg_sys::InvalidOid || unsafe { pg_sys::get_collation_isdeterministic(collation) }
}

fn is_c_utf8(locale: &str) -> bool {
    let l = locale.to_ascii_lowercase();
    l == "c.utf-8" || l == "c.utf8"
}

/// The libc locale name behind a collation (the database's for the
/// default collation); None for ICU collations.
fn libc_locale(collation: pg_sys::Oid) -> Option<String> {
    unsafe {
        let (cache, key, provider_attr, locale_attr) = if collation == pg_sys::Oid::from(pg_sys::DEFAULT_COLLATION_OID) {
            (
                pg_sys::SysCacheIdentifier::DATABASEOID,
                pg_sys::MyDatabaseId,
                Some(pg_sys::Anum_pg_database_datlocprovider),
                pg_sys::Anum_pg_database_datcollate,
            )
        } else {
            (pg_sys::SysCacheIdentifier::COLLOID, collation, None, pg_sys::Anum_pg_collation_collcollate)
        };
        let tuple = pg_sys::SearchSysCache1(cache as i32, pg_sys::Datum::from(key));
        if tuple.is_null() {
            return None;
        }
        let provider = match provider_attr {
            Some(attr) => {
                let mut null = false;
                pg_sys::SysCacheGetAttr(cache as i32, tuple, attr as i16, &mut null).value() as u8
            }
            None => (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_collation>(tuple)).collprovider as u8,
        };
        let mut null = false;
        let locale = pg_sys::SysCacheGetAttr(cache as i32, tuple, locale_attr as i16, &mut null);
        let name = (!null && provider == pg_sys::COLLPROVIDER_LIBC)
            .then(|| CStr::from_ptr(pg_sys::text_to_cstring(locale.cast_mut_ptr())).to_string_lossy().into_owned());
        pg_sys::ReleaseSysCache(tuple);
        name
    }
}
