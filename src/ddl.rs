//! ALTER TABLE mirroring. Most ALTER TABLE forms either need nothing from
//! DuckDB (renames: columns are named by attribute number) or rewrite the
//! table through the access method (a new relfilenode, a new DuckDB table).
//! The forms that change columns in place — ADD COLUMN (with its default
//! for existing rows), DROP COLUMN, type changes PostgreSQL does without a
//! rewrite (e.g. numeric(10,2) -> numeric(12,2)) — are reconciled here after
//! the command: the DuckDB table is brought to the relation's descriptor.

use std::cell::RefCell;
use std::collections::BTreeMap;

use duckam_logic::naming;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgList;

use duckam_logic::wire::BatchBuilder;

use crate::am;
use crate::engine::{self, Access};
use crate::error::{Error, OrReport, Result};
use crate::types::{self, Column};

thread_local! {
    /// Relations whose columns changed during the current utility command.
    static CHANGED: RefCell<Vec<pg_sys::Oid>> = const { RefCell::new(Vec::new()) };
}

static mut PREV_PROCESS_UTILITY: pg_sys::ProcessUtility_hook_type = None;

pub fn init() {
    unsafe {
        PREV_PROCESS_UTILITY = pg_sys::ProcessUtility_hook;
        pg_sys::ProcessUtility_hook = Some(process_utility);
    }
}

/// Called from the object access hook for column-level changes.
pub fn note_column_change(relid: pg_sys::Oid) {
    CHANGED.with(|c| {
        let mut c = c.borrow_mut();
        if !c.contains(&relid) {
            c.push(relid);
        }
    });
}

#[pg_guard]
#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const std::ffi::c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    crate::engine::snapshot::new_statement();
    before_utility((*pstmt).utilityStmt).or_report();
    let outer = CHANGED.with(|c| std::mem::take(&mut *c.borrow_mut()));
    match PREV_PROCESS_UTILITY {
        Some(prev) => prev(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc),
        None => pg_sys::standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc),
    }
    let changed = CHANGED.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    for relid in changed {
        reconcile(relid).or_report();
    }
}

/// DuckDB's view of a table: column name -> data type.
fn duck_columns(table: &str) -> Result<BTreeMap<String, String>> {
    let sql = format!(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = {}",
        naming::quote_literal(table)
    );
    Ok(engine::query_text_rows(Access::Write, &sql)?
        .into_iter()
        .map(|mut row| (std::mem::take(&mut row[0]), std::mem::take(&mut row[1])))
        .collect())
}

/// The value existing rows get for a column added with a default
/// (PostgreSQL's attmissingval), or None.
unsafe fn missing_value(rel: pg_sys::Relation, index: usize) -> Option<pg_sys::Datum> {
    let constr = (*(*rel).rd_att).constr;
    if constr.is_null() || (*constr).missing.is_null() {
        return None;
    }
    // AttrMissing is opaque in the bindings (utils/tupdesc_details.h).
    #[repr(C)]
    struct AttrMissing {
        am_present: bool,
        am_value: pg_sys::Datum,
    }
    let m = &*((*constr).missing as *const AttrMissing).add(index);
    m.am_present.then_some(m.am_value)
}

/// Sets column `col` of every existing row to `value` via a one-row
/// temporary table, so the value goes through the same conversion as
/// inserted rows.
fn fill_existing_rows(storage: u32, table: &str, col: &Column, value: pg_sys::Datum) -> Result<()> {
    let one = Column { index: 0, ..col.clone() };
    let mut batch = BatchBuilder::new(std::slice::from_ref(&one.duck));
    types::write_row(std::slice::from_ref(&one), &[value], &[false], &mut batch)?;
    let cname = types::duck_column(col);
    engine::write(storage, &format!("CREATE TEMP TABLE duckam_fill (v {})", col.duck.sql()))?;
    engine::append(Some("temp"), "duckam_fill", &batch, storage)?;
    engine::write(
        storage,
        &format!("UPDATE {} SET {cname} = (SELECT v FROM temp.duckam_fill)", naming::quote_ident(table)),
    )?;
    engine::write(storage, "DROP TABLE temp.duckam_fill")?;
    Ok(())
}

/// What must happen before a utility statement on a duckdb table runs.
unsafe fn before_utility(stmt: *mut pg_sys::Node) -> Result<()> {
    if stmt.is_null() {
        return Ok(());
    }
    match (*stmt).type_ {
        pg_sys::NodeTag::T_IndexStmt => {
            // Also the indexes of CREATE TABLE's PRIMARY KEY and UNIQUE
            // constraints, which PostgreSQL runs as IndexStmts.
            let index = stmt as *mut pg_sys::IndexStmt;
            match duckdb_relid((*index).relation, pg_sys::NoLock as i32) {
                Some(_) => key_index(index),
                None => Ok(()),
            }
        }
        pg_sys::NodeTag::T_AlterTableStmt if (*(stmt as *mut pg_sys::AlterTableStmt)).objtype == pg_sys::ObjectType::OBJECT_TYPE => {
            refuse_composite_change((*(stmt as *mut pg_sys::AlterTableStmt)).relation)
        }
        pg_sys::NodeTag::T_AlterTableStmt => {
            // With the lock the ALTER takes, taken now (as ALTER TABLE
            // itself does first): DuckDB's view is then read after the
            // writers it waits for have committed.
            let alter = stmt as *mut pg_sys::AlterTableStmt;
            if sets_duckdb_method(alter) {
                convert_keys(alter)?;
            }
            match duckdb_relid((*alter).relation, pg_sys::AlterTableGetLockLevel((*alter).cmds)) {
                Some(relid) => {
                    key_constraints(alter, relid)?;
                    with_relation(relid, ensure_reconciled)
                }
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// An index on a duckdb table is a key (keys.rs) or refused — before any
/// catalog change: CREATE INDEX CONCURRENTLY commits the index's catalog
/// entry before building it, and a refusal in the build would leave an
/// INVALID index behind.
unsafe fn key_index(index: *mut pg_sys::IndexStmt) -> Result<()> {
    let i = &mut *index;
    if !i.unique || i.concurrent || !i.excludeOpNames.is_null() {
        let what = if i.concurrent { "CREATE INDEX CONCURRENTLY" } else if i.unique { "an exclusion constraint" } else { "a non-unique index" };
        return Err(Error::unsupported(format!("{what} is not supported on duckdb tables")).with_hint(
            "DuckDB scans duckdb tables column-wise; PRIMARY KEY, UNIQUE and CREATE UNIQUE INDEX are accepted and enforced by DuckDB.",
        ));
    }
    let method = if i.accessMethod.is_null() { "" } else { std::ffi::CStr::from_ptr(i.accessMethod).to_str().unwrap_or("") };
    match method {
        "" | "btree" => i.accessMethod = pg_sys::pstrdup(c"duckdb_key".as_ptr()),
        "duckdb_key" => {}
        other => {
            return Err(Error::unsupported(format!("index access method \"{other}\" is not supported on duckdb tables"))
                .with_hint("Unique indexes of duckdb tables use access method duckdb_key (the default for them), enforced by DuckDB."))
        }
    }
    Ok(())
}

/// ALTER TABLE … ADD PRIMARY KEY / UNIQUE on a duckdb table: the
/// constraint's index is a key index (PostgreSQL builds constraint indexes
/// of the method the constraint names). ALTER COLUMN TYPE of a key column
/// is refused: PostgreSQL would rebuild the key from its definition, which
/// names no access method, as a btree index.
unsafe fn key_constraints(alter: *mut pg_sys::AlterTableStmt, relid: pg_sys::Oid) -> Result<()> {
    for cmd in PgList::<pg_sys::AlterTableCmd>::from_pg((*alter).cmds).iter_ptr() {
        if (*cmd).subtype == pg_sys::AlterTableType::AT_AlterColumnType && !(*cmd).name.is_null() {
            let attno = pg_sys::get_attnum(relid, (*cmd).name);
            let keys = with_relation_value(relid, crate::keys::keys_of);
            if let Some(key) = keys.iter().find(|k| k.attnos.contains(&attno)) {
                return Err(Error::unsupported(format!(
                    "cannot change the type of column \"{}\": it is part of key \"{}\" of a duckdb table",
                    std::ffi::CStr::from_ptr((*cmd).name).to_string_lossy(),
                    key.name
                ))
                .with_hint("Drop the constraint, change the column's type, and add the constraint again."));
            }
        }
        let def = (*cmd).def;
        if (*cmd).subtype != pg_sys::AlterTableType::AT_AddConstraint || def.is_null() || (*def).type_ != pg_sys::NodeTag::T_Constraint {
            continue;
        }
        let c = def as *mut pg_sys::Constraint;
        if matches!((*c).contype, pg_sys::ConstrType::CONSTR_PRIMARY | pg_sys::ConstrType::CONSTR_UNIQUE) && (*c).access_method.is_null() {
            (*c).access_method = pg_sys::pstrdup(c"duckdb_key".as_ptr());
        }
    }
    Ok(())
}

/// Does the ALTER TABLE have SET ACCESS METHOD duckdb?
unsafe fn sets_duckdb_method(alter: *mut pg_sys::AlterTableStmt) -> bool {
    PgList::<pg_sys::AlterTableCmd>::from_pg((*alter).cmds).iter_ptr().any(|cmd| {
        (*cmd).subtype == pg_sys::AlterTableType::AT_SetAccessMethod
            && !(*cmd).name.is_null()
            && std::ffi::CStr::from_ptr((*cmd).name).to_bytes() == b"duckdb"
    })
}

/// SET ACCESS METHOD duckdb of a table with PRIMARY KEY / UNIQUE
/// constraints: the same ALTER drops each and adds it again as a key of
/// the duckdb table (same name and columns), which the rewrite builds in
/// DuckDB. Other indexes are refused before anything changes.
unsafe fn convert_keys(alter: *mut pg_sys::AlterTableStmt) -> Result<()> {
    let relid = pg_sys::RangeVarGetRelidExtended((*alter).relation, pg_sys::NoLock as i32, pg_sys::RVROption::RVR_MISSING_OK, None, std::ptr::null_mut());
    if relid == pg_sys::InvalidOid || crate::hooks::is_duckdb_relid(relid) {
        return Ok(());
    }
    // (constraint name or NULL, 'p' / 'u', key column names or NULL when an expression, index name)
    let sql = "SELECT c.conname::text, c.contype::text,                  (SELECT array_agg(a.attname::text ORDER BY k.n) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)                   LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0),                  i.indexrelid::regclass::text                FROM pg_catalog.pg_index i                LEFT JOIN pg_catalog.pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u')                WHERE i.indrelid = $1 ORDER BY i.indexrelid";
    let indexes = pgrx::Spi::connect(|client| {
        let rows = client.select(sql, None, &[relid.into()])?;
        let mut out = Vec::new();
        for row in rows {
            out.push((row.get::<String>(1)?, row.get::<String>(2)?, row.get::<Vec<Option<String>>>(3)?, row.get::<String>(4)?.unwrap_or_default()));
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .map_err(|e| Error::internal(format!("catalog query failed: {e}")))?;
    let mut cmds = PgList::<pg_sys::AlterTableCmd>::from_pg((*alter).cmds);
    for (conname, contype, columns, index) in indexes {
        let columns: Option<Vec<String>> = columns.and_then(|c| c.into_iter().collect());
        let (Some(conname), Some(contype), Some(columns)) = (conname, contype, columns) else {
            return Err(Error::unsupported(format!("index \"{index}\" cannot be kept on a duckdb table"))
                .with_hint("duckdb tables keep PRIMARY KEY and UNIQUE constraints over plain columns (enforced by DuckDB) and no other index: drop the index first."));
        };
        let drop = pg_sys::palloc0(std::mem::size_of::<pg_sys::AlterTableCmd>()) as *mut pg_sys::AlterTableCmd;
        (*drop).type_ = pg_sys::NodeTag::T_AlterTableCmd;
        (*drop).subtype = pg_sys::AlterTableType::AT_DropConstraint;
        (*drop).name = pg_sys::pstrdup(std::ffi::CString::new(conname.clone()).expect("no NUL in a name").as_ptr());
        (*drop).behavior = pg_sys::DropBehavior::DROP_RESTRICT;
        let c = pg_sys::palloc0(std::mem::size_of::<pg_sys::Constraint>()) as *mut pg_sys::Constraint;
        (*c).type_ = pg_sys::NodeTag::T_Constraint;
        (*c).contype = if contype == "p" { pg_sys::ConstrType::CONSTR_PRIMARY } else { pg_sys::ConstrType::CONSTR_UNIQUE };
        (*c).conname = (*drop).name;
        (*c).location = -1;
        (*c).access_method = pg_sys::pstrdup(c"duckdb_key".as_ptr());
        let mut keys = PgList::<pg_sys::Node>::new();
        for column in columns {
            let name = std::ffi::CString::new(column).expect("no NUL in a name");
            keys.push(pg_sys::makeString(pg_sys::pstrdup(name.as_ptr())) as *mut pg_sys::Node);
        }
        (*c).keys = keys.into_pg();
        let add = pg_sys::palloc0(std::mem::size_of::<pg_sys::AlterTableCmd>()) as *mut pg_sys::AlterTableCmd;
        (*add).type_ = pg_sys::NodeTag::T_AlterTableCmd;
        (*add).subtype = pg_sys::AlterTableType::AT_AddConstraint;
        (*add).def = c as *mut pg_sys::Node;
        cmds.push(drop);
        cmds.push(add);
    }
    (*alter).cmds = cmds.into_pg();
    Ok(())
}

/// ALTER TYPE … ADD / DROP / ALTER ATTRIBUTE of a composite type that a
/// duckdb column holds (directly, in an array, a domain, a range or
/// another composite). Such values are stored in their binary form, which
/// names its attributes' count and types: after the change PostgreSQL
/// could no longer read them (heap tuples carry their own layout).
unsafe fn refuse_composite_change(rv: *mut pg_sys::RangeVar) -> Result<()> {
    let relid = pg_sys::RangeVarGetRelidExtended(rv, pg_sys::NoLock as i32, pg_sys::RVROption::RVR_MISSING_OK, None, std::ptr::null_mut());
    if relid == pg_sys::InvalidOid || crate::am::access_method_oid() == pg_sys::InvalidOid {
        return Ok(());
    }
    let typid = pg_sys::get_rel_type_id(relid);
    let sql = "WITH RECURSIVE holders(t) AS (
                 SELECT $1::oid
                 UNION
                 SELECT x.t FROM holders h, LATERAL (
                   SELECT ty.oid FROM pg_catalog.pg_type ty
                   WHERE (ty.typelem = h.t AND ty.typsubscript = 'pg_catalog.array_subscript_handler'::regproc) OR ty.typbasetype = h.t
                   UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngsubtype = h.t
                   UNION ALL SELECT r.rngmultitypid FROM pg_catalog.pg_range r WHERE r.rngsubtype = h.t
                   UNION ALL SELECT c.reltype FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                   WHERE a.atttypid = h.t AND c.relkind = 'c' AND NOT a.attisdropped) x(t))
               SELECT (SELECT format('%s.%I', a.attrelid::regclass, a.attname)
               FROM holders h JOIN pg_catalog.pg_attribute a ON a.atttypid = h.t AND NOT a.attisdropped
               JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_am am ON am.oid = c.relam
               WHERE am.amname = 'duckdb' LIMIT 1)";
    let column = pgrx::Spi::get_one_with_args::<String>(sql, &[typid.into()])
        .map_err(|e| Error::internal(format!("catalog query failed: {e}")))?;
    match column {
        None => Ok(()),
        Some(column) => Err(Error::unsupported(format!(
            "cannot alter type {} because duckdb column {column} uses it",
            crate::deparse::type_name(typid)
        ))
        .with_hint("duckdb tables store composite values in their binary form, which names each attribute. Convert the column (ALTER TABLE … ALTER COLUMN … TYPE text), alter the type, and convert it back.")),
    }
}

/// The relation `rv` names (locked with `lock`), if it is a duckdb table.
unsafe fn duckdb_relid(rv: *mut pg_sys::RangeVar, lock: pg_sys::LOCKMODE) -> Option<pg_sys::Oid> {
    let relid = pg_sys::RangeVarGetRelidExtended(rv, lock, pg_sys::RVROption::RVR_MISSING_OK, None, std::ptr::null_mut());
    (relid != pg_sys::InvalidOid && crate::hooks::is_duckdb_relid(relid)).then_some(relid)
}

fn with_relation(relid: pg_sys::Oid, f: fn(pg_sys::Relation) -> Result<()>) -> Result<()> {
    with_relation_value(relid, f)
}

fn with_relation_value<T>(relid: pg_sys::Oid, f: impl FnOnce(pg_sys::Relation) -> T) -> T {
    unsafe {
        let rel = pg_sys::relation_open(relid, pg_sys::NoLock as i32);
        let result = f(rel);
        pg_sys::relation_close(rel, pg_sys::NoLock as i32);
        result
    }
}

fn reconcile(relid: pg_sys::Oid) -> Result<()> {
    if !crate::hooks::is_duckdb_relid(relid) {
        return Ok(());
    }
    with_relation(relid, reconcile_relation)
}

thread_local! {
    /// DuckDB tables this backend has brought to their relation's columns,
    /// since the engine (its pid) last started: an engine that died in
    /// the commit window may have left a table in doubt.
    /// Keyed by the DuckDB table's number (storage_of): no allocation
    /// on the insert path.
    static CHECKED: RefCell<(i32, std::collections::HashSet<u32>)> = RefCell::new((0, std::collections::HashSet::new()));
}

/// Before this backend's first write to a duckdb table, and before an ALTER
/// TABLE: brings the DuckDB table to the relation's columns. They differ
/// only after a crash in the window between DuckDB's commit and
/// PostgreSQL's (an ALTER TABLE DuckDB committed and PostgreSQL did not);
/// without this every INSERT would then fail ("a batch does not have the
/// columns DuckDB expects"), and the next ADD COLUMN would reuse the
/// in-doubt column, values and all, by its attribute number.
pub fn ensure_reconciled(rel: pg_sys::Relation) -> Result<()> {
    let table = am::storage_of(rel);
    let engine = crate::shmem::engine_pid();
    let checked = CHECKED.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != engine {
            *c = (engine, std::collections::HashSet::new());
        }
        c.1.contains(&table)
    });
    if checked {
        return Ok(());
    }
    reconcile_relation(rel)?;
    CHECKED.with(|c| c.borrow_mut().1.insert(table));
    Ok(())
}

fn reconcile_relation(rel: pg_sys::Relation) -> Result<()> {
    let storage = am::storage_of(rel);
    let table = am::table_of(rel);
    let quoted = naming::quote_ident(&table);
    let wanted = types::relation_columns(rel)?;
    let mut have = duck_columns(&table)?;
    for col in &wanted {
        let name = naming::column_name(col.index as i16 + 1);
        let sql_type = col.duck.sql();
        match have.remove(&name) {
            None => {
                engine::write(storage, &format!("ALTER TABLE {quoted} ADD COLUMN {} {sql_type}", types::duck_column(col)))?;
                if let Some(value) = unsafe { missing_value(rel, col.index) } {
                    fill_existing_rows(storage, &table, col, value)?;
                }
            }
            Some(t) if t != sql_type => {
                engine::write(
                    storage,
                    &format!("ALTER TABLE {quoted} ALTER COLUMN {} TYPE {sql_type}", types::duck_column(col)),
                )?;
            }
            Some(_) => {}
        }
    }
    // Columns DuckDB still has but PostgreSQL dropped. A table whose last
    // column goes keeps its rows through the placeholder column (DuckDB
    // tables need one); the placeholder goes once there is a real column.
    let placeholder = types::PLACEHOLDER.trim_matches('"');
    if wanted.is_empty() && !have.contains_key(placeholder) {
        engine::write(storage, &format!("ALTER TABLE {quoted} ADD COLUMN {} BOOLEAN", types::PLACEHOLDER))?;
    }
    for name in have.keys() {
        if wanted.is_empty() && name == placeholder {
            continue;
        }
        engine::write(storage, &format!("ALTER TABLE {quoted} DROP COLUMN {}", naming::quote_ident(name)))?;
    }
    Ok(())
}
