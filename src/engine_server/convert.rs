//! DuckDB data chunks ⇄ wire batches (crates/logic wire::batch), a column
//! at a time: fixed-width values and validity masks are copied as memory,
//! strings and lists element by element.

use duckam_logic::types::DuckType;
use duckam_logic::wire::{Batch, BatchBuilder, ColumnBuilder, ColumnView, Physical};

use super::ffi::{DataChunk, DuckError, DuckResult, Vector};

/// Validity words of rows `start..start + n` of `words` (None: all valid),
/// shifted to start at bit 0.
fn slice_validity(words: Option<&[u64]>, start: usize, n: usize) -> Option<Vec<u64>> {
    let words = words?;
    if start % 64 == 0 {
        return Some(words[start / 64..(start + n).div_ceil(64)].to_vec());
    }
    let mut out = vec![u64::MAX; n.div_ceil(64)];
    for r in 0..n {
        let s = start + r;
        if words[s / 64] >> (s % 64) & 1 == 0 {
            out[r / 64] &= !(1 << (r % 64));
        }
    }
    Some(out)
}

/// Appends rows `start..start + n` of `v` (of type `t`) to `col`.
fn append_vector(col: &mut ColumnBuilder, v: Vector, t: &DuckType, start: usize, n: usize) {
    let validity = v.validity_words(start + n);
    match Physical::of(t) {
        Physical::Fixed(w) => {
            let w = w as usize;
            let data = &v.data_bytes(start + n, w)[start * w..];
            col.extend_fixed(n, data, slice_validity(validity, start, n).as_deref());
        }
        Physical::Bytes => {
            for r in start..start + n {
                if v.is_valid(r) {
                    col.push_bytes(v.get_bytes(r));
                } else {
                    col.push_null();
                }
            }
        }
        Physical::List(_) => {
            let DuckType::List(child_type) = t else { unreachable!("list physical for a list type") };
            let child = v.list_child();
            for r in start..start + n {
                if v.is_valid(r) {
                    let (offset, len) = v.list_entry(r);
                    append_vector(col.child(), child, child_type, offset, len);
                    col.finish_list();
                } else {
                    col.push_null();
                }
            }
        }
    }
}

/// Appends every row of `chunk` (whose columns have `types`) to `batch`.
pub fn append_chunk(batch: &mut BatchBuilder, chunk: &DataChunk, types: &[DuckType]) {
    let n = chunk.len();
    for (i, t) in types.iter().enumerate() {
        append_vector(batch.column(i), chunk.column(i), t, 0, n);
    }
    batch.finish_rows(n);
}

/// Copies rows `start..start + n` of `src` into rows `at..at + n` of `v`.
/// Fails only when DuckDB cannot allocate (a huge value under its memory
/// limit).
fn fill_vector(v: Vector, src: ColumnView, t: &DuckType, start: usize, n: usize, at: usize) -> Result<(), String> {
    match Physical::of(t) {
        Physical::Fixed(w) => {
            let w = w as usize;
            v.data_bytes_mut(at + n, w)[at * w..].copy_from_slice(src.fixed_slice(start, n));
            if src.validity_words().is_none() {
                if at == 0 {
                    v.set_all_valid(n);
                } else {
                    (0..n).for_each(|r| v.set_valid(at + r));
                }
            } else {
                for r in 0..n {
                    if src.is_valid(start + r) {
                        v.set_valid(at + r);
                    } else {
                        v.set_null(at + r)?;
                    }
                }
            }
        }
        Physical::Bytes => {
            if src.validity_words().is_none() {
                if at == 0 {
                    v.set_all_valid(n);
                } else {
                    (0..n).for_each(|r| v.set_valid(at + r));
                }
                for r in 0..n {
                    v.set_bytes(at + r, src.bytes(start + r))?;
                }
                return Ok(());
            }
            for r in 0..n {
                if src.is_valid(start + r) {
                    v.set_valid(at + r);
                    v.set_bytes(at + r, src.bytes(start + r))?;
                } else {
                    v.set_null(at + r)?;
                }
            }
        }
        Physical::List(_) => {
            let DuckType::List(child_type) = t else { unreachable!("list physical for a list type") };
            let (child_src, child) = (src.list_child(), v.list_child());
            for r in 0..n {
                if !src.is_valid(start + r) {
                    v.set_null(at + r)?;
                    v.set_list_entry(at + r, v.list_len(), 0);
                    continue;
                }
                v.set_valid(at + r);
                let (offset, len) = src.list_entry(start + r);
                let base = v.list_len();
                v.list_resize(base + len)?;
                fill_vector(child, child_src, child_type, offset, len, base)?;
                v.set_list_entry(at + r, base, len);
            }
        }
    }
    Ok(())
}

/// Copies rows `start..start + n` of `batch` into `chunk` (from its row 0),
/// whose columns have `types`, and sets the chunk's size.
pub fn fill_chunk(chunk: &mut DataChunk, batch: &Batch, types: &[DuckType], start: usize, n: usize) -> DuckResult<()> {
    if !batch.matches(types) {
        return Err(DuckError::other("pg_duckam: a batch does not have the columns DuckDB expects"));
    }
    for (i, t) in types.iter().enumerate() {
        fill_vector(chunk.column(i), batch.column(i), t, start, n, 0).map_err(DuckError::other)?;
    }
    chunk.set_len(n);
    Ok(())
}
