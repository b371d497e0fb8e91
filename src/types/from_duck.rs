//! Columns of a result batch (DuckDB's vector layout) into PostgreSQL
//! Datums (the read path), converted a whole column at a time.

use std::ffi::CString;

use duckam_logic::types::{Hugeint, Interval};
use duckam_logic::wire::{Batch, ColumnView};
use duckam_logic::{decimal, temporal, uuid};
use pgrx::{pg_sys, PgSqlErrorCode};

use super::{ArrayKind, Column, Kind};
use crate::error::{Error, Result};

unsafe fn varlena_from(bytes: &[u8]) -> pg_sys::Datum {
    let len = bytes.len() + pg_sys::VARHDRSZ;
    let p = pg_sys::palloc(len) as *mut pg_sys::varlena;
    pgrx::varlena::set_varsize_4b(p, len as i32);
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), (p as *mut u8).add(pg_sys::VARHDRSZ), bytes.len());
    pg_sys::Datum::from(p)
}

unsafe fn input_text(io: &super::TextIo, typmod: i32, bytes: &[u8]) -> Result<pg_sys::Datum> {
    let c = CString::new(bytes).map_err(|_| Error::internal("NUL byte in a DuckDB string"))?;
    Ok(pg_sys::OidInputFunctionCall(io.input, c.as_ptr() as *mut _, io.ioparam, typmod))
}

unsafe fn palloc_copy<T: Copy>(value: T) -> pg_sys::Datum {
    let p = pg_sys::palloc(std::mem::size_of::<T>()) as *mut T;
    p.write(value);
    pg_sys::Datum::from(p)
}

fn load_decimal(v: &ColumnView, row: usize, width: u8) -> i128 {
    match width {
        0..=4 => v.get::<i16>(row) as i128,
        5..=9 => v.get::<i32>(row) as i128,
        10..=18 => v.get::<i64>(row) as i128,
        _ => v.get::<Hugeint>(row).to_i128(),
    }
}

fn corrupt(col: &Column, what: &str) -> Error {
    Error::new(PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, format!("{what} in duckdb column \"{}\" is out of PostgreSQL's range", col.name))
}

/// Converts the rows of a batch into per-attribute Datum / null arrays:
/// `values[attr][row]`. By-reference values are palloc'd in the current
/// memory context.
pub fn read_batch(columns: &[Column], batch: &Batch, values: &mut [Vec<pg_sys::Datum>], nulls: &mut [Vec<bool>]) -> Result<()> {
    if batch.column_count() < columns.len() {
        return Err(Error::internal(format!("a DuckDB result has {} columns where {} were expected", batch.column_count(), columns.len())));
    }
    let n = batch.rows();
    for (ci, col) in columns.iter().enumerate() {
        let v = batch.column(ci);
        let (out, isnull) = (&mut values[col.index], &mut nulls[col.index]);
        out.clear();
        isnull.clear();
        for row in 0..n {
            if v.is_valid(row) {
                out.push(read_value(&col.kind, col, &v, row)?);
                isnull.push(false);
            } else {
                out.push(pg_sys::Datum::from(0usize));
                isnull.push(true);
            }
        }
    }
    Ok(())
}

/// Reads the non-NULL element `row` of `v` as a Datum of `kind`.
fn read_value(kind: &Kind, col: &Column, v: &ColumnView, row: usize) -> Result<pg_sys::Datum> {
    Ok(unsafe {
        match kind {
            Kind::Bool => pg_sys::Datum::from(v.get::<bool>(row)),
            Kind::Int2 => pg_sys::Datum::from(v.get::<i16>(row)),
            Kind::Int4 => pg_sys::Datum::from(v.get::<i32>(row)),
            Kind::Int8 => pg_sys::Datum::from(v.get::<i64>(row)),
            Kind::Float4 => pg_sys::Datum::from(v.get::<f32>(row).to_bits()),
            Kind::Float8 => pg_sys::Datum::from(v.get::<f64>(row).to_bits()),
            Kind::Numeric { width, scale, io } => {
                let text = decimal::format_scaled(load_decimal(v, row, *width), *scale);
                input_text(io, col.typmod, text.as_bytes())?
            }
            Kind::Text | Kind::Bytea => varlena_from(v.bytes(row)),
            Kind::Name => {
                let p = pg_sys::palloc0(pg_sys::NAMEDATALEN as usize) as *mut u8;
                let b = v.bytes(row);
                std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len().min(pg_sys::NAMEDATALEN as usize - 1));
                pg_sys::Datum::from(p)
            }
            Kind::Date => pg_sys::Datum::from(temporal::date_duck_to_pg(v.get::<i32>(row)).map_err(|_| corrupt(col, "date"))?),
            Kind::Time => pg_sys::Datum::from(v.get::<i64>(row)),
            Kind::Timestamp | Kind::TimestampTz => {
                pg_sys::Datum::from(temporal::timestamp_duck_to_pg(v.get::<i64>(row)).map_err(|_| corrupt(col, "timestamp"))?)
            }
            Kind::Interval => {
                let i: Interval = v.get(row);
                palloc_copy(pg_sys::Interval { time: i.micros, day: i.days, month: i.months })
            }
            Kind::Uuid => {
                let h: Hugeint = v.get(row);
                palloc_copy(uuid::uuid_from_duck(h.lower, h.upper))
            }
            Kind::ViaText(io) => input_text(io, col.typmod, v.bytes(row))?,
            Kind::Array(a) => read_array(a, col, v, row)?,
        }
    })
}

/// A LIST entry back into a one-dimensional array (lower bound 1).
unsafe fn read_array(a: &ArrayKind, col: &Column, v: &ColumnView, row: usize) -> Result<pg_sys::Datum> {
    let (offset, len) = v.list_entry(row);
    if len == 0 {
        return Ok(pg_sys::Datum::from(pg_sys::construct_empty_array(a.elem_type)));
    }
    let child = v.list_child();
    let mut elems = Vec::with_capacity(len);
    let mut nulls = Vec::with_capacity(len);
    for i in offset..offset + len {
        let valid = child.is_valid(i);
        elems.push(if valid { read_value(&a.element, col, &child, i)? } else { pg_sys::Datum::from(0usize) });
        nulls.push(!valid);
    }
    let (mut dims, mut lbs) = ([len as i32], [1i32]);
    let arr = pg_sys::construct_md_array(
        elems.as_mut_ptr(),
        nulls.as_mut_ptr(),
        1,
        dims.as_mut_ptr(),
        lbs.as_mut_ptr(),
        a.elem_type,
        a.elem_len as i32,
        a.elem_byval,
        a.elem_align,
    );
    Ok(pg_sys::Datum::from(arr))
}
