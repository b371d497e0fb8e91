//! DuckDB vectors into PostgreSQL Datums (the read path), converted a whole
//! column at a time.

use std::ffi::CString;

use duckam_logic::{decimal, temporal, uuid};
use pgrx::{pg_sys, PgSqlErrorCode};

use super::{Column, Kind};
use crate::engine::ffi::{DataChunk, Hugeint, Interval, Vector};
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

fn load_decimal(v: &Vector, row: usize, width: u8) -> i128 {
    match width {
        0..=4 => v.get::<i16>(row) as i128,
        5..=9 => v.get::<i32>(row) as i128,
        10..=18 => v.get::<i64>(row) as i128,
        _ => {
            let h: Hugeint = v.get(row);
            ((h.upper as i128) << 64) | h.lower as i128
        }
    }
}

fn corrupt(col: &Column, what: &str) -> Error {
    Error::new(PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, format!("{what} in duckdb column \"{}\" is out of PostgreSQL's range", col.name))
}

/// Converts rows `0..chunk.len()` of the chunk into per-attribute Datum /
/// null arrays: `values[attr][row]`. By-reference values are palloc'd in the
/// current memory context.
pub fn read_chunk(
    columns: &[Column],
    chunk: &DataChunk,
    values: &mut [Vec<pg_sys::Datum>],
    nulls: &mut [Vec<bool>],
) -> Result<()> {
    let n = chunk.len();
    for (ci, col) in columns.iter().enumerate() {
        let v = chunk.column(ci);
        let (out, isnull) = (&mut values[col.index], &mut nulls[col.index]);
        out.clear();
        isnull.clear();
        for row in 0..n {
            if !v.is_valid(row) {
                out.push(pg_sys::Datum::from(0usize));
                isnull.push(true);
                continue;
            }
            let d = unsafe {
                match &col.kind {
                    Kind::Bool => pg_sys::Datum::from(v.get::<bool>(row)),
                    Kind::Int2 => pg_sys::Datum::from(v.get::<i16>(row)),
                    Kind::Int4 => pg_sys::Datum::from(v.get::<i32>(row)),
                    Kind::Int8 => pg_sys::Datum::from(v.get::<i64>(row)),
                    Kind::Float4 => pg_sys::Datum::from(v.get::<f32>(row).to_bits()),
                    Kind::Float8 => pg_sys::Datum::from(v.get::<f64>(row).to_bits()),
                    Kind::Numeric { width, scale, io } => {
                        let text = decimal::format_scaled(load_decimal(&v, row, *width), *scale);
                        input_text(io, col.typmod, text.as_bytes())?
                    }
                    Kind::Text | Kind::Bytea => varlena_from(v.get_bytes(row)),
                    Kind::Name => {
                        let p = pg_sys::palloc0(pg_sys::NAMEDATALEN as usize) as *mut u8;
                        let b = v.get_bytes(row);
                        std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len().min(pg_sys::NAMEDATALEN as usize - 1));
                        pg_sys::Datum::from(p)
                    }
                    Kind::Date => {
                        let d = temporal::date_duck_to_pg(v.get::<i32>(row)).map_err(|_| corrupt(col, "date"))?;
                        pg_sys::Datum::from(d)
                    }
                    Kind::Time => pg_sys::Datum::from(v.get::<i64>(row)),
                    Kind::Timestamp | Kind::TimestampTz => {
                        let t = temporal::timestamp_duck_to_pg(v.get::<i64>(row)).map_err(|_| corrupt(col, "timestamp"))?;
                        pg_sys::Datum::from(t)
                    }
                    Kind::Interval => {
                        let i: Interval = v.get(row);
                        palloc_copy(pg_sys::Interval { time: i.micros, day: i.days, month: i.months })
                    }
                    Kind::Uuid => {
                        let h: Hugeint = v.get(row);
                        palloc_copy(uuid::uuid_from_duck(h.lower, h.upper))
                    }
                    Kind::ViaText(io) => input_text(io, col.typmod, v.get_bytes(row))?,
                }
            };
            out.push(d);
            isnull.push(false);
        }
    }
    Ok(())
}
