//! Columns of a result batch (DuckDB's vector layout) into PostgreSQL
//! Datums (the read path), converted a whole column at a time.

use std::ffi::CString;

use duckam_logic::types::{Hugeint, Interval};
use duckam_logic::wire::{Batch, ColumnView};
use duckam_logic::{decimal, temporal, uuid};
use pgrx::{pg_sys, PgSqlErrorCode};

use super::{ArrayKind, Column, Kind};
use crate::error::{Error, Result};

/// By-reference values of one batch, carved out of large blocks: one
/// allocation per 64 kB of values instead of one palloc per value. The
/// blocks belong to the reader's memory context and are reused for every
/// batch (`rewind`); a value larger than a quarter block is palloc'd in the
/// current (per-batch) context. Each value is 8-byte aligned.
pub struct Arena {
    cxt: pg_sys::MemoryContext,
    blocks: Vec<*mut u8>,
    used: usize,
    next: *mut u8,
    left: usize,
    /// Scratch for a numeric's binary form.
    numeric: Vec<u8>,
}

const ARENA_BLOCK: usize = 64 * 1024;

/// PostgreSQL's MaxAllocSize: the largest palloc, so the largest varlena.
const MAX_ALLOC_SIZE: usize = 0x3fff_ffff;

impl Arena {
    /// An arena whose blocks live in `cxt`.
    pub fn new(cxt: pg_sys::MemoryContext) -> Arena {
        Arena { cxt, blocks: Vec::new(), used: 0, next: std::ptr::null_mut(), left: 0, numeric: Vec::with_capacity(48) }
    }

    /// Starts the next batch: the previous batch's values are dead.
    pub fn rewind(&mut self) {
        self.used = 0;
        self.left = 0;
    }

    unsafe fn alloc(&mut self, len: usize) -> *mut u8 {
        if len > ARENA_BLOCK / 4 {
            // Exactly `len`: rounded up, a value at PostgreSQL's 1 GB limit
            // would exceed palloc's.
            return pg_sys::palloc(len) as *mut u8;
        }
        let len = (len + 7) & !7;
        if len > self.left {
            if self.used == self.blocks.len() {
                self.blocks.push(pg_sys::MemoryContextAlloc(self.cxt, ARENA_BLOCK) as *mut u8);
            }
            self.next = self.blocks[self.used];
            self.used += 1;
            self.left = ARENA_BLOCK;
        }
        let p = self.next;
        self.next = self.next.add(len);
        self.left -= len;
        p
    }

    unsafe fn varlena(&mut self, bytes: &[u8]) -> pg_sys::Datum {
        let len = bytes.len() + pg_sys::VARHDRSZ;
        if len > MAX_ALLOC_SIZE {
            // DuckDB's strings may reach 4 GB; PostgreSQL's values stop at 1 GB.
            pgrx::ereport!(
                ERROR,
                pgrx::PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                format!("a value of {} bytes computed by DuckDB exceeds PostgreSQL's limit of 1 GB for a field", bytes.len())
            );
        }
        let p = self.alloc(len) as *mut pg_sys::varlena;
        pgrx::varlena::set_varsize_4b(p, len as i32);
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), (p as *mut u8).add(pg_sys::VARHDRSZ), bytes.len());
        pg_sys::Datum::from(p)
    }

    unsafe fn copy<T: Copy>(&mut self, value: T) -> pg_sys::Datum {
        let p = self.alloc(std::mem::size_of::<T>()) as *mut T;
        p.write(value);
        pg_sys::Datum::from(p)
    }

    unsafe fn numeric(&mut self, value: i128, scale: u8) -> pg_sys::Datum {
        let mut payload = std::mem::take(&mut self.numeric);
        payload.clear();
        decimal::write_pg_numeric(value, scale, &mut payload);
        let d = self.varlena(&payload);
        self.numeric = payload;
        d
    }
}

unsafe fn input_text(io: &super::TextIo, typmod: i32, bytes: &[u8]) -> Result<pg_sys::Datum> {
    let c = CString::new(bytes).map_err(|_| Error::internal("NUL byte in a DuckDB string"))?;
    Ok(pg_sys::OidInputFunctionCall(io.input, c.as_ptr() as *mut _, io.ioparam, typmod))
}

/// A value from its binary send form, through the type's receive function
/// (which also checks that every byte was consumed).
pub(crate) unsafe fn receive(io: &super::BinaryIo, typmod: i32, bytes: &[u8]) -> pg_sys::Datum {
    let mut buf: pg_sys::StringInfoData = std::mem::zeroed();
    pg_sys::initStringInfo(&mut buf);
    pg_sys::appendBinaryStringInfo(&mut buf, bytes.as_ptr() as *const std::ffi::c_char, bytes.len() as i32);
    let d = pg_sys::OidReceiveFunctionCall(io.receive, &mut buf, io.ioparam, typmod);
    pg_sys::pfree(buf.data.cast());
    d
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
/// `values[attr][row]`. By-reference values live in `arena` (or, large
/// ones, in the current memory context) until the next batch.
pub fn read_batch(columns: &[Column], batch: &Batch, values: &mut [Vec<pg_sys::Datum>], nulls: &mut [Vec<bool>], arena: &mut Arena) -> Result<()> {
    if batch.column_count() < columns.len() {
        return Err(Error::internal(format!("a DuckDB result has {} columns where {} were expected", batch.column_count(), columns.len())));
    }
    let n = batch.rows();
    arena.rewind();
    for (ci, col) in columns.iter().enumerate() {
        let v = batch.column(ci);
        let (out, isnull) = (&mut values[col.index], &mut nulls[col.index]);
        out.clear();
        isnull.clear();
        out.reserve(n);
        isnull.reserve(n);
        let int = |d: i64| Ok(pg_sys::Datum::from(d));
        // The common fixed-width kinds in tight loops over the column's
        // bytes; the rest value by value.
        match &col.kind {
            Kind::Int2 => convert_fixed::<2>(&v, out, isnull, |b| int(i16::from_le_bytes(b) as i64))?,
            Kind::Int4 => convert_fixed::<4>(&v, out, isnull, |b| int(i32::from_le_bytes(b) as i64))?,
            Kind::Int8 | Kind::Time => convert_fixed::<8>(&v, out, isnull, |b| int(i64::from_le_bytes(b)))?,
            Kind::Float4 => convert_fixed::<4>(&v, out, isnull, |b| Ok(pg_sys::Datum::from(u32::from_le_bytes(b))))?,
            Kind::Float8 => convert_fixed::<8>(&v, out, isnull, |b| Ok(pg_sys::Datum::from(u64::from_le_bytes(b))))?,
            Kind::Date => convert_fixed::<4>(&v, out, isnull, |b| {
                Ok(pg_sys::Datum::from(temporal::date_duck_to_pg(i32::from_le_bytes(b)).map_err(|_| corrupt(col, "date"))?))
            })?,
            Kind::Timestamp | Kind::TimestampTz => convert_fixed::<8>(&v, out, isnull, |b| {
                Ok(pg_sys::Datum::from(temporal::timestamp_duck_to_pg(i64::from_le_bytes(b)).map_err(|_| corrupt(col, "timestamp"))?))
            })?,
            Kind::Numeric { width: 0..=4, scale, .. } => {
                convert_fixed::<2>(&v, out, isnull, |b| Ok(unsafe { arena.numeric(i16::from_le_bytes(b) as i128, *scale) }))?
            }
            Kind::Numeric { width: 5..=9, scale, .. } => {
                convert_fixed::<4>(&v, out, isnull, |b| Ok(unsafe { arena.numeric(i32::from_le_bytes(b) as i128, *scale) }))?
            }
            Kind::Numeric { width: 10..=18, scale, .. } => {
                convert_fixed::<8>(&v, out, isnull, |b| Ok(unsafe { arena.numeric(i64::from_le_bytes(b) as i128, *scale) }))?
            }
            kind => {
                for row in 0..n {
                    if v.is_valid(row) {
                        out.push(read_value(kind, col, &v, row, arena)?);
                        isnull.push(false);
                    } else {
                        out.push(pg_sys::Datum::from(0usize));
                        isnull.push(true);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Converts a fixed-width column of `W`-byte values with `f`.
fn convert_fixed<const W: usize>(
    v: &ColumnView,
    out: &mut Vec<pg_sys::Datum>,
    isnull: &mut Vec<bool>,
    mut f: impl FnMut([u8; W]) -> Result<pg_sys::Datum>,
) -> Result<()> {
    let all_valid = v.validity_words().is_none();
    for (row, bytes) in v.fixed_slice(0, v.len()).chunks_exact(W).enumerate() {
        if all_valid || v.is_valid(row) {
            out.push(f(bytes.try_into().expect("W bytes"))?);
            isnull.push(false);
        } else {
            out.push(pg_sys::Datum::from(0usize));
            isnull.push(true);
        }
    }
    Ok(())
}

/// Reads the non-NULL element `row` of `v` as a Datum of `kind`.
fn read_value(kind: &Kind, col: &Column, v: &ColumnView, row: usize, arena: &mut Arena) -> Result<pg_sys::Datum> {
    Ok(unsafe {
        match kind {
            Kind::Bool => pg_sys::Datum::from(v.get::<bool>(row)),
            Kind::Int2 => pg_sys::Datum::from(v.get::<i16>(row)),
            Kind::Int4 => pg_sys::Datum::from(v.get::<i32>(row)),
            Kind::Int8 => pg_sys::Datum::from(v.get::<i64>(row)),
            Kind::Float4 => pg_sys::Datum::from(v.get::<f32>(row).to_bits()),
            Kind::Float8 => pg_sys::Datum::from(v.get::<f64>(row).to_bits()),
            // Built in PostgreSQL's binary form (what numeric_in would make
            // of the text, without the text).
            Kind::Numeric { width, scale, .. } => arena.numeric(load_decimal(v, row, *width), *scale),
            Kind::Text | Kind::Bytea => arena.varlena(v.bytes(row)),
            Kind::Name => {
                let p = arena.alloc(pg_sys::NAMEDATALEN as usize);
                std::ptr::write_bytes(p, 0, pg_sys::NAMEDATALEN as usize);
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
                arena.copy(pg_sys::Interval { time: i.micros, day: i.days, month: i.months })
            }
            Kind::Uuid => {
                let h: Hugeint = v.get(row);
                arena.copy(uuid::uuid_from_duck(h.lower, h.upper))
            }
            Kind::ViaText(io) | Kind::NumericText(io) => input_text(io, col.typmod, v.bytes(row))?,
            Kind::Opaque(io) => receive(io, col.typmod, v.bytes(row)),
            Kind::Array(a) => read_array(a, col, v, row, arena)?,
        }
    })
}

/// A LIST entry back into a one-dimensional array (lower bound 1).
unsafe fn read_array(a: &ArrayKind, col: &Column, v: &ColumnView, row: usize, arena: &mut Arena) -> Result<pg_sys::Datum> {
    let (offset, len) = v.list_entry(row);
    if len == 0 {
        return Ok(pg_sys::Datum::from(pg_sys::construct_empty_array(a.elem_type)));
    }
    let child = v.list_child();
    let mut elems = Vec::with_capacity(len);
    let mut nulls = Vec::with_capacity(len);
    for i in offset..offset + len {
        let valid = child.is_valid(i);
        elems.push(if valid { read_value(&a.element, col, &child, i, arena)? } else { pg_sys::Datum::from(0usize) });
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
