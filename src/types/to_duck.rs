//! PostgreSQL Datums into DuckDB vectors (the write path).

use std::ffi::CStr;

use duckam_logic::{decimal, temporal, uuid};
use pgrx::{pg_sys, PgSqlErrorCode};

use super::{ArrayKind, Column, Kind};
use crate::engine::ffi::{DataChunk, Hugeint, Interval, Vector};
use crate::error::{Error, Result};

/// Bytes of a (possibly toasted or short-header) varlena Datum. The
/// detoasted copy lives in the current memory context.
unsafe fn varlena_bytes<'a>(d: pg_sys::Datum) -> &'a [u8] {
    let v = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr());
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

fn store_decimal(v: &Vector, row: usize, width: u8, value: i128) {
    match width {
        0..=4 => v.set(row, value as i16),
        5..=9 => v.set(row, value as i32),
        10..=18 => v.set(row, value as i64),
        _ => v.set(row, Hugeint { lower: value as u64, upper: (value >> 64) as i64 }),
    }
}

/// Writes one row (`values`/`nulls` indexed by attribute) into `row` of `chunk`.
pub fn write_row(
    columns: &[Column],
    values: &[pg_sys::Datum],
    nulls: &[bool],
    chunk: &DataChunk,
    row: usize,
) -> Result<()> {
    if columns.is_empty() {
        chunk.column(0).set_null(row);
        return Ok(());
    }
    for (ci, col) in columns.iter().enumerate() {
        let v = chunk.column(ci);
        if nulls[col.index] {
            v.set_null(row);
        } else {
            v.set_valid(row);
            write_value(&col.kind, &col.name, &v, row, values[col.index])?;
        }
    }
    Ok(())
}

fn not_finite(column: &str, text: &str) -> Error {
    Error::new(
        PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        format!("cannot store {text} in duckdb column \"{column}\""),
    )
    .with_hint("DuckDB's DECIMAL has no NaN or Infinity. Use double precision for such values.")
}

/// Writes one non-NULL value of `kind` into element `row` of `v`.
fn write_value(kind: &Kind, column: &str, v: &Vector, row: usize, d: pg_sys::Datum) -> Result<()> {
    unsafe {
        match kind {
            Kind::Bool => v.set(row, d.value() != 0),
            Kind::Int2 => v.set(row, d.value() as i16),
            Kind::Int4 => v.set(row, d.value() as i32),
            Kind::Int8 => v.set(row, d.value() as i64),
            Kind::Float4 => v.set(row, f32::from_bits(d.value() as u32)),
            Kind::Float8 => v.set(row, f64::from_bits(d.value() as u64)),
            Kind::Numeric { width, scale, io } => {
                // The stored binary form; the text form only to word an error.
                if let Ok(value) = decimal::from_pg_numeric(varlena_bytes(d), *width, *scale) {
                    store_decimal(v, row, *width, value);
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
                store_decimal(v, row, *width, value);
            }
            Kind::Text | Kind::Bytea => v.set_bytes(row, varlena_bytes(d)),
            Kind::Name => v.set_bytes(row, CStr::from_ptr(d.cast_mut_ptr::<std::ffi::c_char>()).to_bytes()),
            Kind::Date => {
                let days = temporal::date_pg_to_duck(d.value() as i32).map_err(|_| out_of_range(column, "date"))?;
                v.set(row, days);
            }
            Kind::Time => v.set(row, d.value() as i64),
            Kind::Timestamp | Kind::TimestampTz => {
                let t = temporal::timestamp_pg_to_duck(d.value() as i64).map_err(|_| out_of_range(column, "timestamp"))?;
                v.set(row, t);
            }
            Kind::Interval => {
                let i = &*d.cast_mut_ptr::<pg_sys::Interval>();
                v.set(row, Interval { months: i.month, days: i.day, micros: i.time });
            }
            Kind::Uuid => {
                let bytes = &*(d.cast_mut_ptr::<[u8; 16]>());
                let (lower, upper) = uuid::uuid_to_duck(bytes);
                v.set(row, Hugeint { lower, upper });
            }
            Kind::ViaText(io) => v.set_bytes(row, output_text(io.output, d).as_bytes()),
            Kind::Array(a) => write_array(a, column, v, row, d)?,
        }
    }
    Ok(())
}

/// A one-dimensional array becomes a LIST entry; its elements go to the
/// end of the list's child vector.
unsafe fn write_array(a: &ArrayKind, column: &str, v: &Vector, row: usize, d: pg_sys::Datum) -> Result<()> {
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
    let offset = v.list_len();
    v.list_resize(offset + n as usize);
    let child = v.list_child();
    for i in 0..n as usize {
        let at = offset + i;
        if *nulls.add(i) {
            child.set_null(at);
        } else {
            child.set_valid(at);
            write_value(&a.element, column, &child, at, *elems.add(i))?;
        }
    }
    v.set_list_entry(row, offset, n as usize);
    Ok(())
}
