//! PostgreSQL Datums into DuckDB's vector layout (the write path): values
//! are appended to the columns of a wire batch that the engine turns into
//! DuckDB chunks as they are.

use std::ffi::CStr;

use duckam_logic::types::{Hugeint, Interval};
use duckam_logic::wire::{BatchBuilder, ColumnBuilder};
use duckam_logic::{decimal, temporal, uuid};
use pgrx::{pg_sys, PgSqlErrorCode};

use super::{ArrayKind, Column, Kind};
use crate::error::{Error, Result};

/// Bytes of a (possibly toasted or short-header) varlena Datum. The
/// detoasted copy lives in the current memory context.
unsafe fn varlena_bytes<'a>(d: pg_sys::Datum) -> &'a [u8] {
    let p = d.cast_mut_ptr::<pg_sys::varlena>();
    let header = *(p as *const u8);
    // Compressed (4-byte header, low bits 10) or external (1-byte header
    // 0x01) values need detoasting; plain ones are read in place.
    let v = if header & 0x03 == 0x02 || header == 0x01 { pg_sys::pg_detoast_datum_packed(p) } else { p };
    pgrx::varlena::varlena_to_byte_slice(v)
}

unsafe fn output_text(fnoid: pg_sys::Oid, d: pg_sys::Datum) -> String {
    let p = pg_sys::OidOutputFunctionCall(fnoid, d);
    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
    pg_sys::pfree(p.cast());
    s
}

fn out_of_range(column: &str, what: &str) -> Error {
    Error::new(
        PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW,
        format!("{what} out of range for duckdb column \"{column}\""),
    )
    .with_hint("DuckDB timestamps end in 294247 AD; PostgreSQL's go to 294276 AD.")
}

fn store_decimal(v: &mut ColumnBuilder, width: u8, value: i128) {
    match width {
        0..=4 => v.push(value as i16),
        5..=9 => v.push(value as i32),
        10..=18 => v.push(value as i64),
        _ => v.push(Hugeint::from_i128(value)),
    }
}

/// Appends one row (`values`/`nulls` indexed by attribute) to `batch`; a
/// value that cannot be stored leaves the batch as it was.
pub fn write_row(columns: &[Column], values: &[pg_sys::Datum], nulls: &[bool], batch: &mut BatchBuilder) -> Result<()> {
    if columns.is_empty() && batch.column_count() == 1 {
        // A table without columns keeps its rows in its placeholder.
        batch.column(0).push_null();
    }
    for (ci, col) in columns.iter().enumerate() {
        let v = batch.column(ci);
        let written = if nulls[col.index] {
            v.push_null();
            Ok(())
        } else {
            write_value(&col.kind, &col.name, v, values[col.index])
        };
        if let Err(e) = written {
            batch.discard_row();
            return Err(e);
        }
    }
    batch.finish_row();
    Ok(())
}

fn not_finite(column: &str, text: &str) -> Error {
    Error::new(
        PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        format!("cannot store {text} in duckdb column \"{column}\""),
    )
    .with_hint("DuckDB's DECIMAL has no NaN or Infinity. Use double precision for such values.")
}

/// An unconstrained numeric value DuckDB could not compute on exactly.
fn decimal_misfit(column: &str, text: &str) -> Result<()> {
    use duckam_logic::types::{unconstrained_fits, UnconstrainedMisfit, UNCONSTRAINED_INTEGER_DIGITS, UNCONSTRAINED_SCALE};
    let why = match unconstrained_fits(text) {
        Ok(()) => return Ok(()),
        Err(UnconstrainedMisfit::NotFinite) => return Err(not_finite(column, text)),
        Err(UnconstrainedMisfit::TooManyIntegerDigits(n)) => format!("{n} digits before the decimal point (at most {UNCONSTRAINED_INTEGER_DIGITS})"),
        Err(UnconstrainedMisfit::TooManyFractionalDigits(n)) => format!("{n} digits after the decimal point (at most {UNCONSTRAINED_SCALE})"),
    };
    Err(Error::new(
        PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        format!("value {text} does not fit duckdb column \"{column}\" of type numeric: {why}"),
    )
    .with_hint(&format!(
        "duckdb tables compute numeric without a precision as DECIMAL(38,{UNCONSTRAINED_SCALE}). Declare the column as numeric(p, s), or round the value."
    )))
}

/// Appends one non-NULL value of `kind` to `v`.
fn write_value(kind: &Kind, column: &str, v: &mut ColumnBuilder, d: pg_sys::Datum) -> Result<()> {
    unsafe {
        match kind {
            Kind::Bool => v.push(d.value() != 0),
            Kind::Int2 => v.push(d.value() as i16),
            Kind::Int4 => v.push(d.value() as i32),
            Kind::Int8 => v.push(d.value() as i64),
            Kind::Float4 => v.push(f32::from_bits(d.value() as u32)),
            Kind::Float8 => v.push(f64::from_bits(d.value() as u64)),
            Kind::Numeric { width, scale, io } => {
                // The stored binary form; the text form only to word an error.
                if let Ok(value) = decimal::from_pg_numeric(varlena_bytes(d), *width, *scale) {
                    store_decimal(v, *width, value);
                    return Ok(());
                }
                let text = output_text(io.output, d);
                let value = decimal::parse_scaled(&text, *width, *scale).map_err(|e| match e {
                    decimal::DecimalError::NotFinite => not_finite(column, &text),
                    _ => Error::new(
                        PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                        format!("value {text} does not fit DECIMAL({width},{scale}) of duckdb column \"{column}\""),
                    ),
                })?;
                store_decimal(v, *width, value);
            }
            Kind::NumericText(io) => {
                let text = output_text(io.output, d);
                decimal_misfit(column, &text)?;
                v.push_bytes(text.as_bytes());
            }
            Kind::Text | Kind::Bytea => v.push_bytes(varlena_bytes(d)),
            Kind::Name => v.push_bytes(CStr::from_ptr(d.cast_mut_ptr::<std::ffi::c_char>()).to_bytes()),
            Kind::Date => {
                let days = temporal::date_pg_to_duck(d.value() as i32).map_err(|_| out_of_range(column, "date"))?;
                v.push(days);
            }
            Kind::Time => v.push(d.value() as i64),
            Kind::Timestamp | Kind::TimestampTz => {
                let t = temporal::timestamp_pg_to_duck(d.value() as i64).map_err(|_| out_of_range(column, "timestamp"))?;
                v.push(t);
            }
            Kind::Interval => {
                let i = &*d.cast_mut_ptr::<pg_sys::Interval>();
                v.push(Interval { months: i.month, days: i.day, micros: i.time });
            }
            Kind::Uuid => {
                let bytes = &*(d.cast_mut_ptr::<[u8; 16]>());
                let (lower, upper) = uuid::uuid_to_duck(bytes);
                v.push(Hugeint { lower, upper });
            }
            Kind::ViaText(io) => v.push_bytes(output_text(io.output, d).as_bytes()),
            Kind::Opaque(io) => super::with_send_form(io, d, |bytes| v.push_bytes(bytes)),
            Kind::Array(a) => write_array(a, column, v, d)?,
        }
    }
    Ok(())
}

/// A one-dimensional array becomes a LIST value: its elements go to the
/// list's child column.
unsafe fn write_array(a: &ArrayKind, column: &str, v: &mut ColumnBuilder, d: pg_sys::Datum) -> Result<()> {
    let arr = pg_sys::pg_detoast_datum(d.cast_mut_ptr()) as *mut pg_sys::ArrayType;
    let ndim = (*arr).ndim;
    // ARR_LBOUND: the lower bounds follow the ndim dimensions after the header.
    let lbound = |a: *mut pg_sys::ArrayType| *(a.add(1) as *const i32).add(ndim as usize);
    if ndim > 1 || (ndim == 1 && lbound(arr) != 1) {
        return Err(Error::unsupported(format!(
            "duckdb column \"{column}\" stores one-dimensional arrays starting at index 1"
        ))
        .with_hint("DuckDB lists have one dimension and start at 1; reshape the value, e.g. with array_agg over unnest."));
    }
    let (mut elems, mut nulls, mut n) = (std::ptr::null_mut(), std::ptr::null_mut(), 0i32);
    pg_sys::deconstruct_array(arr, a.elem_type, a.elem_len as i32, a.elem_byval, a.elem_align, &mut elems, &mut nulls, &mut n);
    let child = v.child();
    for i in 0..n as usize {
        if *nulls.add(i) {
            child.push_null();
        } else {
            write_value(&a.element, column, child, *elems.add(i))?;
        }
    }
    v.finish_list();
    Ok(())
}
