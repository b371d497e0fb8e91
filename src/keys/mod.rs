//! PRIMARY KEY and UNIQUE on duckdb tables, enforced by DuckDB.
//!
//! A key is a PostgreSQL index of the `duckdb_key` index access method
//! (am.rs), so it is a constraint like any other in pg_constraint, `\d`,
//! information_schema and pg_dump, and the planner knows the columns are
//! unique. The index itself holds nothing: building it creates a DuckDB
//! unique index (`k_<index relfilenode>`) on the table's DuckDB table, and
//! DuckDB checks every write against it — rows inserted through the
//! access method and statements the deparser hands to DuckDB alike.
//! Constraints written without `USING` get the method from ddl.rs.
//!
//! Rows inserted through the access method are buffered; for a table with
//! a key they are sent before the statement ends (check_pending), so a
//! duplicate fails the statement that inserted it, as in PostgreSQL.
//! DuckDB's duplicate-key error is re-worded as PostgreSQL's 23505
//! (name_duplicate).

mod am;

use std::cell::RefCell;
use std::ffi::CStr;

use duckam_logic::keys::{duplicate_key, index_name, index_relfilenode, printed_blob};
use duckam_logic::naming;
use pgrx::pg_sys;
use pgrx::{PgList, PgSqlErrorCode};

use crate::engine::{self, Access};
use crate::error::{Error, Result};
use crate::types::Kind;

unsafe extern "C-unwind" {
    // utils/relfilenodemap.h, not in pgrx's bindings
    fn RelidByRelfilenode(reltablespace: pg_sys::Oid, relfilenode: pg_sys::Oid) -> pg_sys::Oid;
}

/// A key index of a duckdb table.
pub struct Key {
    pub name: String,
    pub relfilenode: u32,
    pub attnos: Vec<i16>,
}

/// OID of the `duckdb_key` index access method, if installed.
pub fn index_am_oid() -> pg_sys::Oid {
    unsafe { pg_sys::get_am_oid(c"duckdb_key".as_ptr(), true) }
}

/// The key indexes of `rel`.
pub fn keys_of(rel: pg_sys::Relation) -> Vec<Key> {
    unsafe {
        if !(*(*rel).rd_rel).relhasindex {
            return Vec::new();
        }
        let am = index_am_oid();
        let mut keys = Vec::new();
        for oid in PgList::<pg_sys::Oid>::from_pg(pg_sys::RelationGetIndexList(rel)).iter_oid() {
            let index = pg_sys::index_open(oid, pg_sys::AccessShareLock as i32);
            if (*(*index).rd_rel).relam == am {
                keys.push(Key {
                    name: CStr::from_ptr((*(*index).rd_rel).relname.data.as_ptr()).to_string_lossy().into_owned(),
                    relfilenode: (*index).rd_node.relNode.to_u32(),
                    attnos: key_columns(index),
                });
            }
            pg_sys::index_close(index, pg_sys::AccessShareLock as i32);
        }
        keys
    }
}

/// The attribute numbers of an index's key columns (0: an expression).
pub fn key_columns(index: pg_sys::Relation) -> Vec<i16> {
    unsafe {
        let form = &*(*index).rd_index;
        form.indkey.values.as_slice(form.indnkeyatts as usize).to_vec()
    }
}

/// Has the relation PRIMARY KEY / UNIQUE constraints (the only indexes a
/// duckdb table can have)?
pub fn has_keys(relid: pg_sys::Oid) -> bool {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(pg_sys::SysCacheIdentifier::RELOID as i32, pg_sys::Datum::from(relid));
        if tuple.is_null() {
            return false;
        }
        let has = (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_class>(tuple)).relhasindex;
        pg_sys::ReleaseSysCache(tuple);
        has
    }
}

/// Does a key column of this kind compare in DuckDB exactly as in
/// PostgreSQL? DuckDB compares the stored values; where equal PostgreSQL
/// values can have different stored forms (numeric text '1.0' and '1',
/// -0 and 0, jsonb text, timetz in two zones) a DuckDB key would let
/// PostgreSQL duplicates in.
fn key_kind_ok(kind: &Kind, typid: pg_sys::Oid) -> bool {
    match kind {
        Kind::Bool | Kind::Int2 | Kind::Int4 | Kind::Int8 | Kind::Numeric { .. } | Kind::Text | Kind::Name | Kind::Bytea => true,
        Kind::Date | Kind::Time | Kind::Timestamp | Kind::TimestampTz | Kind::Uuid => true,
        Kind::ViaText(_) => unsafe { pg_sys::type_is_enum(typid) },
        Kind::Opaque(_) => crate::types::bytes_are_equality(typid),
        Kind::Float4 | Kind::Float8 | Kind::NumericText(_) | Kind::Interval | Kind::Array(_) => false,
    }
}

thread_local! {
    /// (local transaction, DuckDB tables with keys and rows buffered by
    /// the current statement).
    static PENDING: RefCell<(u32, Vec<u32>)> = const { RefCell::new((0, Vec::new())) };
}

/// What a key index needs of its definition and columns, checked before
/// anything is created in DuckDB.
unsafe fn check_definition(heap: pg_sys::Relation, index: pg_sys::Relation, info: *mut pg_sys::IndexInfo) -> Result<Vec<i16>> {
    let name = CStr::from_ptr((*(*index).rd_rel).relname.data.as_ptr()).to_string_lossy().into_owned();
    if !crate::hooks::is_duckdb_relid((*heap).rd_id) {
        return Err(Error::unsupported(format!("index \"{name}\" of access method duckdb_key is only for duckdb tables"))
            .with_hint("Drop the primary key or unique constraint before changing the table's access method, and add it again after."));
    }
    let info = &*info;
    let refuse = |what: &str| -> Result<Vec<i16>> {
        Err(Error::unsupported(format!("a key with {what} is not supported on duckdb tables"))
            .with_hint("duckdb tables support PRIMARY KEY and UNIQUE over plain columns, enforced by DuckDB."))
    };
    if !info.ii_Expressions.is_null() {
        return refuse("an expression");
    }
    if !info.ii_Predicate.is_null() {
        return refuse("a WHERE clause");
    }
    if info.ii_NumIndexKeyAttrs != info.ii_NumIndexAttrs {
        return refuse("INCLUDE columns");
    }
    if info.ii_NullsNotDistinct {
        return refuse("NULLS NOT DISTINCT");
    }
    if !(*(*index).rd_index).indimmediate {
        return refuse("DEFERRABLE");
    }
    // Not ii_Unique: a rebuild that trusts the data (TRUNCATE, a table
    // rewrite) clears it, and DuckDB's index is unique all the same.
    if !(*(*index).rd_index).indisunique {
        return Err(Error::unsupported("non-unique indexes are not supported on duckdb tables")
            .with_hint("DuckDB scans duckdb tables column-wise; only PRIMARY KEY and UNIQUE (enforced by DuckDB) are accepted."));
    }
    let attnos: Vec<i16> = info.ii_IndexAttrNumbers[..info.ii_NumIndexKeyAttrs as usize].to_vec();
    let columns = crate::am::columns_of(heap)?;
    let desc = (*heap).rd_att;
    for (i, &attno) in attnos.iter().enumerate() {
        let att = &*(*desc).attrs.as_ptr().add(attno as usize - 1);
        let column = CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy().into_owned();
        let col = columns.iter().find(|c| c.index == attno as usize - 1).ok_or_else(|| Error::internal("key column not stored"))?;
        let collation = *(*index).rd_indcollation.add(i);
        let collation_ok = collation == pg_sys::InvalidOid || pg_sys::get_collation_isdeterministic(collation);
        if !key_kind_ok(&col.kind, att.atttypid) || !collation_ok {
            let why = if collation_ok { "DuckDB would not compare its values as PostgreSQL does" } else { "its collation is nondeterministic" };
            return Err(Error::unsupported(format!(
                "column \"{column}\" of type {} cannot be part of a key of a duckdb table: {why}",
                crate::deparse::type_name(att.atttypid)
            ))
            .with_hint("Keys of duckdb tables can use integer, numeric(p,s), text, varchar, char(n), bytea, uuid, date, time, timestamp, timestamptz, boolean, enum, inet, money and other types compared by their bytes."));
        }
    }
    Ok(attnos)
}

/// Builds the DuckDB side of a key index (the index access method's
/// ambuild), and drops DuckDB indexes of the table that no longer stand
/// for one of its key indexes (REINDEX gives an index a new relfilenode).
pub fn build(heap: pg_sys::Relation, index: pg_sys::Relation, info: *mut pg_sys::IndexInfo) -> Result<()> {
    let attnos = unsafe { check_definition(heap, index, info)? };
    let storage = crate::am::storage_of(heap);
    let table = crate::am::table_of(heap);
    let relfilenode = unsafe { (*index).rd_node.relNode.to_u32() };
    let quoted: Vec<String> = attnos.iter().map(|&a| naming::quote_ident(&naming::column_name(a))).collect();
    let joined = |f: &dyn Fn(&String) -> String, sep: &str| quoted.iter().map(f).collect::<Vec<_>>().join(sep);
    let sql = format!(
        "CREATE UNIQUE INDEX {} ON {} ({})",
        naming::quote_ident(&index_name(relfilenode)),
        naming::quote_ident(&table),
        quoted.join(", ")
    );
    let name = unsafe { CStr::from_ptr((*(*index).rd_rel).relname.data.as_ptr()).to_string_lossy().into_owned() };
    // DuckDB's own refusal names no key, and fails its transaction: the
    // duplicate is looked for first (NULLs are never equal keys).
    let not_null = joined(&|c| format!("{c} IS NOT NULL"), " AND ");
    let printed = joined(&|c| format!("{c}::VARCHAR"), " || ', ' || ");
    let duplicate = format!(
        "SELECT ({printed})::VARCHAR FROM {} WHERE {not_null} GROUP BY ALL HAVING count(*) > 1 LIMIT 1",
        naming::quote_ident(&table)
    );
    if let Some(row) = engine::query_text_rows(Access::Write, &duplicate)?.into_iter().next() {
        return Err(Error::new(PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION, format!("could not create unique index \"{name}\""))
            .with_detail(format!("Key ({})=({}) is duplicated.", column_names(unsafe { (*heap).rd_id }, &attnos), row[0])));
    }
    engine::write(storage, &sql)?;
    let mut live: Vec<u32> = keys_of(heap).iter().map(|k| k.relfilenode).collect();
    live.push(relfilenode);
    let sql = format!(
        "SELECT index_name FROM duckdb_indexes() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = {}",
        naming::quote_literal(&table)
    );
    for row in engine::query_text_rows(Access::Write, &sql)? {
        if index_relfilenode(&row[0]).is_some_and(|n| !live.contains(&n)) {
            engine::write(storage, &format!("DROP INDEX {}", naming::quote_ident(&row[0])))?;
        }
    }
    Ok(())
}

/// DROP INDEX / DROP CONSTRAINT of a key index: its DuckDB index goes in
/// the same DuckDB transaction (so ROLLBACK keeps it).
pub fn drop_index(index: pg_sys::Oid) -> Result<()> {
    let (table, relfilenode) = unsafe {
        let heap = pg_sys::IndexGetRelation(index, true);
        if heap == pg_sys::InvalidOid || !crate::hooks::is_duckdb_relid(heap) {
            return Ok(());
        }
        let Some((_, index_node, _)) = crate::hooks::relation_info(index) else { return Ok(()) };
        let Some((_, table, _)) = crate::hooks::relation_info(heap) else { return Ok(()) };
        (table, index_node)
    };
    engine::write(table, &format!("DROP INDEX IF EXISTS {}", naming::quote_ident(&index_name(relfilenode)))).map(|_| ())
}

/// Rows of `rel` were buffered: if it has keys, they are checked before
/// the statement ends.
pub fn note_insert(rel: pg_sys::Relation) {
    if unsafe { !(*(*rel).rd_rel).relhasindex } {
        return;
    }
    let storage = crate::am::storage_of(rel);
    let lxid = unsafe { (*pg_sys::MyProc).lxid };
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if p.0 != lxid {
            *p = (lxid, Vec::new());
        }
        if !p.1.contains(&storage) {
            p.1.push(storage);
        }
    });
}

/// At the end of a statement (ExecutorFinish, COPY's end): rows buffered
/// for tables with keys go to DuckDB now, so a duplicate fails this
/// statement.
pub fn check_pending() -> Result<()> {
    let lxid = unsafe { (*pg_sys::MyProc).lxid };
    let pending = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if p.0 != lxid { Vec::new() } else { std::mem::take(&mut p.1) }
    });
    for storage in pending {
        engine::flush_now(storage)?;
    }
    Ok(())
}

fn column_names(relid: pg_sys::Oid, attnos: &[i16]) -> String {
    attnos
        .iter()
        .map(|&a| unsafe {
            let name = pg_sys::get_attname(relid, a, true);
            if name.is_null() { naming::column_name(a) } else { CStr::from_ptr(pg_sys::quote_identifier(name)).to_string_lossy().into_owned() }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// DuckDB's duplicate-key error as PostgreSQL's: 23505, the constraint's
/// name, and `Key (…)=(…) already exists.` The key is found among the
/// tables this transaction wrote, by its columns.
pub fn name_duplicate(e: Error) -> Error {
    // A Constraint Error of a statement, or DuckDB's commit finding the
    // key a concurrent transaction committed first.
    if !e.message.contains("Constraint Error") && !e.message.contains("constraint violation") {
        return e;
    }
    let Some(dup) = duplicate_key(&e.message) else { return e };
    let values = dup.values.join(", ");
    // A value stored in its send form (inet, money, …) DuckDB prints as
    // a BLOB: PostgreSQL's own text of it instead.
    let shown = |rel: pg_sys::Relation, key: &Key| -> String {
        let Ok(columns) = crate::am::columns_of(rel) else { return values.clone() };
        if dup.values.len() != key.attnos.len() {
            return values.clone();
        }
        key.attnos
            .iter()
            .zip(&dup.values)
            .map(|(&attno, value)| {
                let col = columns.iter().find(|c| c.index + 1 == attno as usize);
                match (col.map(|c| &c.kind), printed_blob(value)) {
                    (Some(Kind::Opaque(io)), Some(bytes)) => unsafe {
                        let typid = (*(*(*rel).rd_att).attrs.as_ptr().add(attno as usize - 1)).atttypid;
                        let datum = crate::types::receive(io, col.map_or(-1, |c| c.typmod), &bytes);
                        let (mut output, mut varlena) = (pg_sys::InvalidOid, false);
                        pg_sys::getTypeOutputInfo(typid, &mut output, &mut varlena);
                        CStr::from_ptr(pg_sys::OidOutputFunctionCall(output, datum)).to_string_lossy().into_owned()
                    },
                    _ => value.clone(),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let matches = |key: &Key| match &dup.attnos {
        Some(attnos) => *attnos == key.attnos,
        None => key.attnos.len() == dup.values.len(),
    };
    for storage in engine::written_tables() {
        let relid = unsafe { RelidByRelfilenode(pg_sys::InvalidOid, pg_sys::Oid::from(storage)) };
        if relid == pg_sys::InvalidOid {
            continue;
        }
        let found = unsafe {
            let rel = pg_sys::relation_open(relid, pg_sys::NoLock as i32);
            let found = keys_of(rel).into_iter().find(matches).map(|key| {
                let shown = shown(rel, &key);
                (key, shown)
            });
            pg_sys::relation_close(rel, pg_sys::NoLock as i32);
            found
        };
        if let Some((key, shown)) = found {
            return Error::new(PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION, format!("duplicate key value violates unique constraint \"{}\"", key.name))
                .with_detail(format!("Key ({})=({shown}) already exists.", column_names(relid, &key.attnos)));
        }
    }
    Error::new(PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION, "duplicate key value violates a unique constraint of a duckdb table")
        .with_detail(format!("Key ({values}) already exists."))
        .with_hint("DuckDB enforces a key dropped in this transaction until the transaction commits.")
}
