//! PostgreSQL ⇄ DuckDB types (ARCHITECTURE §7): which DuckDB type stores a
//! column, and the per-column converters in both directions. Only types
//! with an exact round trip are accepted; anything else is refused at
//! CREATE TABLE, naming the column and the type.

mod from_duck;
pub mod to_duck;

use std::ffi::CStr;

use duckam_logic::naming;
use duckam_logic::types::{numeric_rule, DuckType, NumericRule};
use pgrx::pg_sys;

use crate::error::{Error, Result};

pub use from_duck::{read_batch, Arena};
pub(crate) use from_duck::receive;
pub use to_duck::write_row;

/// How one column's values are converted.
#[derive(Debug, Clone)]
pub enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// numeric(p,s) as DECIMAL(width, scale), via numeric's canonical text.
    Numeric { width: u8, scale: u8, io: TextIo },
    /// numeric without a typmod as its text (value and display scale);
    /// values must fit DECIMAL(38, UNCONSTRAINED_SCALE), which is what
    /// DuckDB computes on.
    NumericText(TextIo),
    /// text, varchar, char(n) (stored padded, as PostgreSQL stores it).
    Text,
    Name,
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    /// json, jsonb, enums, and types without a binary form: stored as
    /// their text form (VARCHAR).
    ViaText(TextIo),
    /// Every other type (money, inet, ranges, composites, …): stored as its
    /// binary send form (BLOB), which its receive function reads back
    /// exactly. DuckDB only moves and compares such values bytewise.
    Opaque(BinaryIo),
    /// One-dimensional arrays (lower bound 1) as a DuckDB LIST.
    Array(Box<ArrayKind>),
}

#[derive(Debug, Clone)]
pub struct ArrayKind {
    pub element: Kind,
    pub elem_type: pg_sys::Oid,
    pub elem_len: i16,
    pub elem_byval: bool,
    pub elem_align: std::ffi::c_char,
}

/// A type's text output and input functions.
#[derive(Debug, Clone, Copy)]
pub struct TextIo {
    pub output: pg_sys::Oid,
    pub input: pg_sys::Oid,
    pub ioparam: pg_sys::Oid,
}

impl TextIo {
    fn of(typid: pg_sys::Oid) -> TextIo {
        let (mut output, mut input, mut ioparam, mut varlena) =
            (pg_sys::InvalidOid, pg_sys::InvalidOid, pg_sys::InvalidOid, false);
        unsafe {
            pg_sys::getTypeOutputInfo(typid, &mut output, &mut varlena);
            pg_sys::getTypeInputInfo(typid, &mut input, &mut ioparam);
        }
        TextIo { output, input, ioparam }
    }
}

/// A type's binary send and receive functions.
#[derive(Debug, Clone, Copy)]
pub struct BinaryIo {
    pub send: pg_sys::Oid,
    pub receive: pg_sys::Oid,
    pub ioparam: pg_sys::Oid,
}

/// Runs `f` over a value's binary send form (what an opaque column
/// stores), without copying it out of the send function's result.
pub fn with_send_form<R>(io: &BinaryIo, d: pg_sys::Datum, f: impl FnOnce(&[u8]) -> R) -> R {
    unsafe {
        let sent = pg_sys::OidSendFunctionCall(io.send, d);
        let r = f(pgrx::varlena::varlena_to_byte_slice(sent));
        pg_sys::pfree(sent.cast());
        r
    }
}

/// What pg_type says about a type we have no DuckDB equivalent for.
struct TypeForm {
    typtype: u8,
    send: pg_sys::Oid,
    receive: pg_sys::Oid,
}

fn type_form(typid: pg_sys::Oid) -> Option<TypeForm> {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(pg_sys::SysCacheIdentifier::TYPEOID as i32, pg_sys::Datum::from(typid));
        if tuple.is_null() {
            return None;
        }
        let form = &*(pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_type>(tuple));
        let found = TypeForm { typtype: form.typtype as u8, send: form.typsend, receive: form.typreceive };
        pg_sys::ReleaseSysCache(tuple);
        Some(found)
    }
}

/// Types whose binary send form is equal exactly when PostgreSQL's default
/// equality calls two values equal, so DuckDB may group, DISTINCT and join
/// them by bytes (inet's and cidr's send forms carry the type's own cidr
/// flag, so a relabelled cidr must not meet inet values: see RelabelType in
/// the deparser). Not numeric-based ranges (1.0 and 1.00 differ in bytes), timetz
/// (equal instants in different zones), floats inside composites.
pub fn bytes_are_equality(typid: pg_sys::Oid) -> bool {
    const MONEY: u32 = 790;
    const MACADDR: u32 = 829;
    const MACADDR8: u32 = 774;
    const BIT: u32 = 1560;
    const VARBIT: u32 = 1562;
    const CHAR: u32 = 18;
    const INET: u32 = 869;
    const CIDR: u32 = 650;
    const INT4RANGE: u32 = 3904;
    const INT8RANGE: u32 = 3926;
    const DATERANGE: u32 = 3912;
    const TSRANGE: u32 = 3908;
    const TSTZRANGE: u32 = 3910;
    const INT4MULTIRANGE: u32 = 4451;
    const INT8MULTIRANGE: u32 = 4536;
    const DATEMULTIRANGE: u32 = 4535;
    const TSMULTIRANGE: u32 = 4533;
    const TSTZMULTIRANGE: u32 = 4534;
    let base = unsafe { pg_sys::getBaseType(typid) };
    matches!(
        base.to_u32(),
        MONEY | INET | CIDR | MACADDR | MACADDR8 | BIT | VARBIT | CHAR | INT4RANGE | INT8RANGE | DATERANGE | TSRANGE | TSTZRANGE
            | INT4MULTIRANGE | INT8MULTIRANGE | DATEMULTIRANGE | TSMULTIRANGE | TSTZMULTIRANGE
    ) || matches!(
        base,
        pg_sys::OIDOID | pg_sys::REGCLASSOID | pg_sys::REGTYPEOID | pg_sys::REGPROCOID | pg_sys::REGPROCEDUREOID
            | pg_sys::REGOPEROID | pg_sys::REGOPERATOROID | pg_sys::REGCONFIGOID | pg_sys::REGDICTIONARYOID
            | pg_sys::REGNAMESPACEOID | pg_sys::REGROLEOID | pg_sys::REGCOLLATIONOID
    )
}

/// Whether a type is stored opaquely (DuckDB cannot compute on it).
pub fn is_opaque(typid: pg_sys::Oid) -> bool {
    matches!(column_kind("", typid, -1), Ok((Kind::Opaque(_), _)))
}

/// One stored column of a duckdb relation.
#[derive(Debug, Clone)]
pub struct Column {
    /// Index in the relation's tuple descriptor (attnum - 1).
    pub index: usize,
    pub name: String,
    pub typmod: i32,
    pub kind: Kind,
    pub duck: DuckType,
}

fn type_name(typid: pg_sys::Oid, typmod: i32) -> String {
    unsafe {
        let p = pg_sys::format_type_with_typemod(typid, typmod);
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

fn require_utf8(column: &str) -> Result<()> {
    if unsafe { pg_sys::GetDatabaseEncoding() } != pg_sys::pg_enc::PG_UTF8 as i32 {
        return Err(Error::unsupported(format!(
            "column \"{column}\": text columns of duckdb tables need a UTF8 database"
        ))
        .with_hint("DuckDB stores text as UTF-8. Create the database with ENCODING 'UTF8'."));
    }
    Ok(())
}

/// Chooses the storage of a column of type `typid(typmod)`.
pub fn column_kind(column: &str, typid: pg_sys::Oid, typmod: i32) -> Result<(Kind, DuckType)> {
    let mut base_typmod = typmod;
    let base = unsafe { pg_sys::getBaseTypeAndTypmod(typid, &mut base_typmod) };
    let unsupported = |why: &str| {
        Error::unsupported(format!(
            "column \"{column}\" has type {}, which duckdb tables do not support{why}",
            type_name(typid, typmod)
        ))
    };
    let kind = match base {
        pg_sys::BOOLOID => (Kind::Bool, DuckType::Boolean),
        pg_sys::INT2OID => (Kind::Int2, DuckType::SmallInt),
        pg_sys::INT4OID => (Kind::Int4, DuckType::Integer),
        pg_sys::INT8OID => (Kind::Int8, DuckType::BigInt),
        pg_sys::FLOAT4OID => (Kind::Float4, DuckType::Float),
        pg_sys::FLOAT8OID => (Kind::Float8, DuckType::Double),
        pg_sys::NUMERICOID => match numeric_rule(base_typmod) {
            NumericRule::Decimal { width, scale } => {
                (Kind::Numeric { width, scale, io: TextIo::of(base) }, DuckType::Decimal { width, scale })
            }
            NumericRule::Unconstrained => (Kind::NumericText(TextIo::of(base)), DuckType::Varchar),
            NumericRule::TooWide { precision } => {
                return Err(unsupported(&format!(" (precision {precision} is above DuckDB's 38 digits)"))
                    .with_hint("Declare the column as numeric(p, s) with p <= 38."))
            }
        },
        pg_sys::TEXTOID | pg_sys::VARCHAROID | pg_sys::BPCHAROID => {
            require_utf8(column)?;
            (Kind::Text, DuckType::Varchar)
        }
        pg_sys::NAMEOID => {
            require_utf8(column)?;
            (Kind::Name, DuckType::Varchar)
        }
        pg_sys::BYTEAOID => (Kind::Bytea, DuckType::Blob),
        pg_sys::DATEOID => (Kind::Date, DuckType::Date),
        pg_sys::TIMEOID => (Kind::Time, DuckType::Time),
        pg_sys::TIMESTAMPOID => (Kind::Timestamp, DuckType::Timestamp),
        pg_sys::TIMESTAMPTZOID => (Kind::TimestampTz, DuckType::TimestampTz),
        pg_sys::INTERVALOID => (Kind::Interval, DuckType::Interval),
        pg_sys::UUIDOID => (Kind::Uuid, DuckType::Uuid),
        pg_sys::JSONOID | pg_sys::JSONBOID => {
            require_utf8(column)?;
            (Kind::ViaText(TextIo::of(base)), DuckType::Varchar)
        }
        t if unsafe { pg_sys::type_is_enum(t) } => {
            require_utf8(column)?;
            (Kind::ViaText(TextIo::of(t)), DuckType::Varchar)
        }
        t if unsafe { pg_sys::get_element_type(t) } != pg_sys::InvalidOid => {
            let elem_type = unsafe { pg_sys::get_element_type(t) };
            let (element, duck) = column_kind(column, elem_type, base_typmod)?;
            if matches!(element, Kind::Array(_)) {
                return Err(unsupported(""));
            }
            let (mut elem_len, mut elem_byval, mut elem_align) = (0i16, false, 0 as std::ffi::c_char);
            unsafe { pg_sys::get_typlenbyvalalign(elem_type, &mut elem_len, &mut elem_byval, &mut elem_align) };
            (
                Kind::Array(Box::new(ArrayKind { element, elem_type, elem_len, elem_byval, elem_align })),
                DuckType::List(Box::new(duck)),
            )
        }
        t => match type_form(t) {
            // Pseudo-types (record, anyelement, …) have no stored form.
            Some(form) if form.typtype == b'p' => return Err(unsupported("")),
            Some(form) if form.send != pg_sys::InvalidOid && form.receive != pg_sys::InvalidOid => {
                let (mut receive, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
                unsafe { pg_sys::getTypeBinaryInputInfo(t, &mut receive, &mut ioparam) };
                (Kind::Opaque(BinaryIo { send: form.send, receive, ioparam }), DuckType::Blob)
            }
            Some(_) => {
                require_utf8(column)?;
                (Kind::ViaText(TextIo::of(t)), DuckType::Varchar)
            }
            None => return Err(unsupported("")),
        },
    };
    Ok(kind)
}

/// The stored columns of a relation (dropped columns have none).
pub fn relation_columns(rel: pg_sys::Relation) -> Result<Vec<Column>> {
    descriptor_columns(unsafe { (*rel).rd_att })
}

/// The stored columns for a tuple descriptor; an error names the first
/// column DuckDB cannot hold.
pub fn descriptor_columns(desc: pg_sys::TupleDesc) -> Result<Vec<Column>> {
    live_columns(desc).collect()
}

/// The columns of a heap table's descriptor DuckDB queries can read, the
/// others left out. Unconstrained numerics are left out too: a heap value
/// need not fit the DECIMAL DuckDB computes them in.
pub fn supported_columns(desc: pg_sys::TupleDesc) -> Vec<Column> {
    live_columns(desc).filter_map(Result::ok).filter(|c| !c.kind.has_numeric_text()).collect()
}

impl Kind {
    /// Whether values of this kind (or its elements) are unconstrained
    /// numerics kept as text, which DuckDB cannot take as they are.
    pub fn has_numeric_text(&self) -> bool {
        match self {
            Kind::NumericText(_) => true,
            Kind::Array(a) => a.element.has_numeric_text(),
            _ => false,
        }
    }
}

/// Each live (not dropped) attribute as a Column, or why DuckDB cannot hold it.
fn live_columns(desc: pg_sys::TupleDesc) -> impl Iterator<Item = Result<Column>> {
    let natts = unsafe { (*desc).natts } as usize;
    (0..natts).filter_map(move |i| {
        let att = unsafe { &*(*desc).attrs.as_ptr().add(i) };
        if att.attisdropped {
            return None;
        }
        let name = unsafe { CStr::from_ptr(att.attname.data.as_ptr()) }.to_string_lossy().into_owned();
        Some(column_kind(&name, att.atttypid, att.atttypmod).map(|(kind, duck)| Column { index: i, name, typmod: att.atttypmod, kind, duck }))
    })
}

/// DuckDB column name of a stored column.
pub fn duck_column(c: &Column) -> String {
    naming::quote_ident(&naming::column_name(c.index as i16 + 1))
}

/// A zero-column relation still has rows; DuckDB needs at least one column,
/// so such tables get one always-NULL placeholder.
pub const PLACEHOLDER: &str = "\"_row\"";

/// DuckDB types of the columns as stored (placeholder included).
pub fn storage_types(columns: &[Column]) -> Vec<DuckType> {
    if columns.is_empty() {
        vec![DuckType::Boolean]
    } else {
        columns.iter().map(|c| c.duck.clone()).collect()
    }
}

/// The select list that reads `columns` back.
pub fn select_list(columns: &[Column]) -> String {
    if columns.is_empty() {
        PLACEHOLDER.to_string()
    } else {
        columns.iter().map(duck_column).collect::<Vec<_>>().join(", ")
    }
}

/// CREATE TABLE statement for a relation's storage.
pub fn create_table_sql(table: &str, columns: &[Column]) -> String {
    let cols = if columns.is_empty() {
        format!("{PLACEHOLDER} BOOLEAN")
    } else {
        columns.iter().map(|c| format!("{} {}", duck_column(c), c.duck.sql())).collect::<Vec<_>>().join(", ")
    };
    format!("CREATE TABLE {} ({cols})", naming::quote_ident(table))
}
