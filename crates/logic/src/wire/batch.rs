//! The columnar batch that crosses between a backend and the engine, both
//! ways: query results to the backend, heap rows and inserted rows to the
//! engine. Its layout is DuckDB's own vector layout, flattened into one
//! buffer, so either side converts a whole column with copies, never per
//! value text:
//!
//! ```text
//! batch   := rows:u32 ncols:u32 column*
//! column  := kind:u8 width:u8 len:u64 has_validity:u8 [validity: u64 × ⌈len/64⌉] payload
//! payload := fixed: len × width bytes          (kind 0; booleans, integers,
//!                                               floats, decimals, dates,
//!                                               times, timestamps, intervals, uuids)
//!          | bytes: offsets:u64 × (len+1) data  (kind 1; VARCHAR, BLOB)
//!          | list:  offsets:u64 × (len+1) child  (kind 2; child has offsets[len] rows)
//! ```
//! A validity bit of 1 means "not NULL", as in DuckDB. All integers are
//! little-endian (both ends are processes of one machine). Decoding checks
//! every length and offset, so a damaged buffer is an error, never a
//! wild read.

use crate::types::DuckType;
use super::codec::{Dec, Enc, WireError};

/// How a column's values are laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Physical {
    /// `width` bytes per value.
    Fixed(u8),
    /// Variable-length bytes per value.
    Bytes,
    /// A list per value, elements in the child column.
    List(Box<Physical>),
}

impl Physical {
    /// The layout DuckDB uses for a type (decimals by their width, as
    /// DuckDB stores them in 16, 32, 64 or 128 bits).
    pub fn of(t: &DuckType) -> Physical {
        match t {
            DuckType::Boolean => Physical::Fixed(1),
            DuckType::SmallInt => Physical::Fixed(2),
            DuckType::Integer | DuckType::Float | DuckType::Date => Physical::Fixed(4),
            DuckType::BigInt | DuckType::Double | DuckType::Time | DuckType::Timestamp | DuckType::TimestampTz => Physical::Fixed(8),
            DuckType::Decimal { width, .. } => Physical::Fixed(match width {
                0..=4 => 2,
                5..=9 => 4,
                10..=18 => 8,
                _ => 16,
            }),
            DuckType::Interval | DuckType::Uuid => Physical::Fixed(16),
            DuckType::Varchar | DuckType::Blob => Physical::Bytes,
            DuckType::List(child) => Physical::List(Box::new(Physical::of(child))),
        }
    }
}

/// Bytes a fixed-width value occupies; `Copy` values are read and written
/// as their in-memory (little-endian) representation.
fn as_bytes<T: Copy>(v: &T) -> &[u8] {
    // SAFETY: T is Copy plain data; we view its bytes only.
    unsafe { std::slice::from_raw_parts(v as *const T as *const u8, std::mem::size_of::<T>()) }
}

/// NULL bitmap: materialized only once a NULL appears.
#[derive(Debug, Clone, Default)]
struct Validity {
    words: Option<Vec<u64>>,
}

impl Validity {
    fn set(&mut self, row: usize, valid: bool) {
        if valid && self.words.is_none() {
            return;
        }
        let words = self.words.get_or_insert_with(Vec::new);
        let need = row / 64 + 1;
        if words.len() < need {
            words.resize(need, u64::MAX);
        }
        if valid {
            words[row / 64] |= 1 << (row % 64);
        } else {
            words[row / 64] &= !(1 << (row % 64));
        }
    }

    fn truncate(&mut self, len: usize) {
        if let Some(w) = self.words.as_mut() {
            w.truncate(len.div_ceil(64));
            if len % 64 != 0 {
                if let Some(last) = w.last_mut() {
                    *last |= !0u64 << (len % 64);
                }
            }
        }
    }

    fn encode(&self, len: usize, out: &mut Enc) {
        match &self.words {
            None => out.u8(0),
            Some(w) => {
                out.u8(1);
                for i in 0..len.div_ceil(64) {
                    out.u64(w.get(i).copied().unwrap_or(u64::MAX));
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Payload {
    Fixed { width: usize, data: Vec<u8> },
    Bytes { offsets: Vec<u64>, data: Vec<u8> },
    List { offsets: Vec<u64>, child: Box<ColumnBuilder> },
}

/// One column being filled, value by value or slice by slice.
#[derive(Debug, Clone)]
pub struct ColumnBuilder {
    len: usize,
    validity: Validity,
    payload: Payload,
}

impl ColumnBuilder {
    pub fn new(physical: &Physical) -> ColumnBuilder {
        let payload = match physical {
            Physical::Fixed(w) => Payload::Fixed { width: *w as usize, data: Vec::new() },
            Physical::Bytes => Payload::Bytes { offsets: vec![0], data: Vec::new() },
            Physical::List(child) => Payload::List { offsets: vec![0], child: Box::new(ColumnBuilder::new(child)) },
        };
        ColumnBuilder { len: 0, validity: Validity::default(), payload }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Payload bytes held, for batch size limits.
    pub fn byte_size(&self) -> usize {
        match &self.payload {
            Payload::Fixed { data, .. } => data.len(),
            Payload::Bytes { offsets, data } => offsets.len() * 8 + data.len(),
            Payload::List { offsets, child } => offsets.len() * 8 + child.byte_size(),
        }
    }

    /// Appends a NULL (the payload gets a placeholder: zeros, an empty
    /// string or an empty list, as DuckDB leaves behind a NULL).
    pub fn push_null(&mut self) {
        match &mut self.payload {
            Payload::Fixed { width, data } => data.resize(data.len() + *width, 0),
            Payload::Bytes { offsets, data } => offsets.push(data.len() as u64),
            Payload::List { offsets, child } => offsets.push(child.len as u64),
        }
        self.validity.set(self.len, false);
        self.len += 1;
    }

    /// Appends a fixed-width value; `T` must have the column's width.
    pub fn push<T: Copy>(&mut self, value: T) {
        match &mut self.payload {
            Payload::Fixed { width, data } => {
                debug_assert_eq!(*width, std::mem::size_of::<T>(), "value width");
                data.extend_from_slice(as_bytes(&value));
            }
            _ => panic!("push of a fixed-width value into a variable-width column"),
        }
        self.validity.set(self.len, true);
        self.len += 1;
    }

    /// Appends a VARCHAR / BLOB value.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        match &mut self.payload {
            Payload::Bytes { offsets, data } => {
                data.extend_from_slice(bytes);
                offsets.push(data.len() as u64);
            }
            _ => panic!("push of bytes into a column that is not VARCHAR or BLOB"),
        }
        self.validity.set(self.len, true);
        self.len += 1;
    }

    /// The element column of a list column (elements are pushed there,
    /// then `finish_list` closes the list value).
    pub fn child(&mut self) -> &mut ColumnBuilder {
        match &mut self.payload {
            Payload::List { child, .. } => child,
            _ => panic!("child of a column that is not a list"),
        }
    }

    /// Closes a list value made of the elements pushed into `child()` since
    /// the previous list value.
    pub fn finish_list(&mut self) {
        match &mut self.payload {
            Payload::List { offsets, child } => offsets.push(child.len as u64),
            _ => panic!("finish_list on a column that is not a list"),
        }
        self.validity.set(self.len, true);
        self.len += 1;
    }

    /// Appends `n` fixed-width values given as raw little-endian bytes,
    /// with DuckDB's validity words (None: all valid).
    pub fn extend_fixed(&mut self, n: usize, data: &[u8], validity: Option<&[u64]>) {
        match &mut self.payload {
            Payload::Fixed { width, data: mine } => {
                assert_eq!(data.len(), n * *width, "fixed-width slice length");
                mine.extend_from_slice(data);
            }
            _ => panic!("extend_fixed on a variable-width column"),
        }
        self.extend_validity(n, validity);
        self.len += n;
    }

    /// Records validity for `n` rows about to be appended (not advancing len).
    fn extend_validity(&mut self, n: usize, validity: Option<&[u64]>) {
        match validity {
            None => {
                if self.validity.words.is_some() {
                    for r in 0..n {
                        self.validity.set(self.len + r, true);
                    }
                }
            }
            Some(words) => {
                for r in 0..n {
                    let valid = words.get(r / 64).is_none_or(|w| w >> (r % 64) & 1 == 1);
                    self.validity.set(self.len + r, valid);
                }
            }
        }
    }

    /// Empties the column, keeping its allocations (the next batch reuses
    /// them: no regrowing, no fresh pages to fault in).
    fn clear(&mut self) {
        match &mut self.payload {
            Payload::Fixed { data, .. } => data.clear(),
            Payload::Bytes { offsets, data } => {
                offsets.truncate(1);
                data.clear();
            }
            Payload::List { offsets, child } => {
                offsets.truncate(1);
                child.clear();
            }
        }
        // Validity words exist only while a NULL has been pushed (1 bit a
        // row: not worth keeping).
        self.validity.words = None;
        self.len = 0;
    }

    /// Drops values after the first `len` (a row that failed half-way).
    pub fn truncate(&mut self, len: usize) {
        if len > self.len {
            return;
        }
        match &mut self.payload {
            Payload::Fixed { width, data } => data.truncate(len * *width),
            Payload::Bytes { offsets, data } => {
                offsets.truncate(len + 1);
                data.truncate(offsets[len] as usize);
            }
            Payload::List { offsets, child } => {
                offsets.truncate(len + 1);
                let keep = offsets[len] as usize;
                child.truncate(keep);
            }
        }
        self.validity.truncate(len);
        self.len = len;
    }

    fn encode(&self, out: &mut Enc) {
        let (kind, width) = match &self.payload {
            Payload::Fixed { width, .. } => (0u8, *width as u8),
            Payload::Bytes { .. } => (1, 0),
            Payload::List { .. } => (2, 0),
        };
        out.u8(kind);
        out.u8(width);
        out.u64(self.len as u64);
        self.validity.encode(self.len, out);
        match &self.payload {
            Payload::Fixed { data, .. } => out.raw(data),
            Payload::Bytes { offsets, data } => {
                for o in offsets {
                    out.u64(*o);
                }
                out.raw(data);
            }
            Payload::List { offsets, child } => {
                for o in offsets {
                    out.u64(*o);
                }
                child.encode(out);
            }
        }
    }
}

/// Rows being gathered column-wise: a row is pushed one value per column,
/// then `finish_row` counts it; `discard_row` takes back a half-pushed row.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    rows: usize,
    types: Vec<DuckType>,
    columns: Vec<ColumnBuilder>,
}

impl BatchBuilder {
    pub fn new(types: &[DuckType]) -> BatchBuilder {
        BatchBuilder { rows: 0, types: types.to_vec(), columns: types.iter().map(|t| ColumnBuilder::new(&Physical::of(t))).collect() }
    }

    /// The column types the batch was built for.
    pub fn types(&self) -> &[DuckType] {
        &self.types
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn column(&mut self, i: usize) -> &mut ColumnBuilder {
        &mut self.columns[i]
    }

    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    pub fn finish_row(&mut self) {
        self.rows += 1;
        debug_assert!(self.columns.iter().all(|c| c.len == self.rows), "every column got a value");
    }

    /// Adds `n` rows whose columns were extended directly.
    pub fn finish_rows(&mut self, n: usize) {
        self.rows += n;
        debug_assert!(self.columns.iter().all(|c| c.len == self.rows), "every column got its values");
    }

    pub fn discard_row(&mut self) {
        for c in &mut self.columns {
            c.truncate(self.rows);
        }
    }

    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.columns.iter_mut().for_each(ColumnBuilder::clear);
        self.rows = 0;
    }

    pub fn byte_size(&self) -> usize {
        self.columns.iter().map(ColumnBuilder::byte_size).sum()
    }

    /// Appends the encoded batch to `enc`.
    pub fn encode_to(&self, enc: &mut Enc) {
        enc.reserve(self.byte_size() + 64);
        enc.u32(self.rows as u32);
        enc.u32(self.columns.len() as u32);
        for c in &self.columns {
            c.encode(enc);
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut enc = Enc::new();
        self.encode_to(&mut enc);
        enc.finish()
    }
}

/// Where one decoded column's parts sit in the batch buffer.
#[derive(Debug, Clone)]
struct ColumnLayout {
    physical: Physical,
    len: usize,
    /// Byte offset of the validity words, if any.
    validity: Option<usize>,
    /// Fixed: values; Bytes and List: the offsets array.
    data: usize,
    /// Bytes: start of the string data.
    bytes: usize,
    child: Option<Box<ColumnLayout>>,
}

/// A decoded batch: the buffer and where each column lies in it.
#[derive(Debug, Clone)]
pub struct Batch {
    buf: Vec<u8>,
    rows: usize,
    columns: Vec<ColumnLayout>,
}

fn decode_column(d: &mut Dec) -> Result<ColumnLayout, WireError> {
    let kind = d.u8()?;
    let width = d.u8()?;
    let len = d.len64()?;
    let validity = match d.u8()? {
        0 => None,
        1 => Some(d.skip(len.div_ceil(64).checked_mul(8).ok_or_else(|| WireError::new("validity too large"))?)?),
        v => return Err(WireError::new(format!("bad validity flag {v}"))),
    };
    let offsets_len = |len: usize| len.checked_add(1).and_then(|n| n.checked_mul(8)).ok_or_else(|| WireError::new("column too long"));
    let read_offsets = |d: &mut Dec, at: usize, len: usize| -> Result<u64, WireError> {
        let mut prev = 0u64;
        for i in 0..=len {
            let o = d.u64_at(at + i * 8)?;
            if o < prev || (i == 0 && o != 0) {
                return Err(WireError::new("offsets out of order"));
            }
            prev = o;
        }
        Ok(prev)
    };
    Ok(match kind {
        0 => {
            if !matches!(width, 1 | 2 | 4 | 8 | 16) {
                return Err(WireError::new(format!("bad value width {width}")));
            }
            let data = d.skip(len.checked_mul(width as usize).ok_or_else(|| WireError::new("column too long"))?)?;
            ColumnLayout { physical: Physical::Fixed(width), len, validity, data, bytes: 0, child: None }
        }
        1 => {
            let data = d.skip(offsets_len(len)?)?;
            let total = read_offsets(d, data, len)?;
            let bytes = d.skip(usize::try_from(total).map_err(|_| WireError::new("string data too large"))?)?;
            ColumnLayout { physical: Physical::Bytes, len, validity, data, bytes, child: None }
        }
        2 => {
            let data = d.skip(offsets_len(len)?)?;
            let total = read_offsets(d, data, len)?;
            let child = decode_column(d)?;
            if child.len as u64 != total {
                return Err(WireError::new("list child length mismatch"));
            }
            let physical = Physical::List(Box::new(child.physical.clone()));
            ColumnLayout { physical, len, validity, data, bytes: 0, child: Some(Box::new(child)) }
        }
        k => return Err(WireError::new(format!("bad column kind {k}"))),
    })
}

impl Batch {
    /// Decodes an encoded batch (it takes the buffer).
    pub fn decode(buf: Vec<u8>) -> Result<Batch, WireError> {
        let (rows, columns) = {
            let mut d = Dec::new(&buf);
            let rows = d.u32()? as usize;
            let n = d.u32()? as usize;
            let mut columns = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                let c = decode_column(&mut d)?;
                if c.len != rows {
                    return Err(WireError::new("column length differs from the batch's rows"));
                }
                columns.push(c);
            }
            d.finish()?;
            (rows, columns)
        };
        Ok(Batch { buf, rows, columns })
    }

    /// A batch of no rows and no columns.
    pub fn empty() -> Batch {
        Batch { buf: Vec::new(), rows: 0, columns: Vec::new() }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    pub fn column(&self, i: usize) -> ColumnView<'_> {
        ColumnView { buf: &self.buf, layout: &self.columns[i] }
    }

    /// Whether the columns have the layouts of `types` (what a reader
    /// expects before it interprets the bytes).
    pub fn matches(&self, types: &[DuckType]) -> bool {
        self.columns.len() == types.len() && self.columns.iter().zip(types).all(|(c, t)| c.physical == Physical::of(t))
    }

    /// The encoded bytes (as received).
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

/// Read access to one column of a decoded batch.
#[derive(Clone, Copy)]
pub struct ColumnView<'a> {
    buf: &'a [u8],
    layout: &'a ColumnLayout,
}

impl<'a> ColumnView<'a> {
    pub fn len(&self) -> usize {
        self.layout.len
    }

    pub fn is_empty(&self) -> bool {
        self.layout.len == 0
    }

    pub fn physical(&self) -> &'a Physical {
        &self.layout.physical
    }

    fn word(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.buf[at..at + 8].try_into().expect("8 bytes"))
    }

    pub fn is_valid(&self, row: usize) -> bool {
        match self.layout.validity {
            None => true,
            Some(v) => self.word(v + row / 64 * 8) >> (row % 64) & 1 == 1,
        }
    }

    /// DuckDB-style validity words (None: no NULLs).
    pub fn validity_words(&self) -> Option<impl Iterator<Item = u64> + 'a> {
        let (buf, len) = (self.buf, self.layout.len);
        self.layout.validity.map(move |v| (0..len.div_ceil(64)).map(move |i| u64::from_le_bytes(buf[v + i * 8..v + i * 8 + 8].try_into().expect("8 bytes"))))
    }

    /// The fixed-width value of `row`; `T` must have the column's width.
    pub fn get<T: Copy>(&self, row: usize) -> T {
        let size = std::mem::size_of::<T>();
        assert!(matches!(self.layout.physical, Physical::Fixed(w) if w as usize == size), "value width");
        assert!(row < self.layout.len, "row in range");
        let at = self.layout.data + row * size;
        let bytes = &self.buf[at..at + size];
        // SAFETY: `bytes` holds exactly size_of::<T>() bytes of a Copy type.
        unsafe { std::ptr::read_unaligned(bytes.as_ptr() as *const T) }
    }

    /// The raw values of rows `start..start + n` of a fixed-width column.
    pub fn fixed_slice(&self, start: usize, n: usize) -> &'a [u8] {
        let Physical::Fixed(w) = self.layout.physical else { panic!("fixed_slice of a variable-width column") };
        assert!(start + n <= self.layout.len, "rows in range");
        let at = self.layout.data + start * w as usize;
        &self.buf[at..at + n * w as usize]
    }

    fn offset(&self, i: usize) -> usize {
        self.word(self.layout.data + i * 8) as usize
    }

    /// The bytes of a VARCHAR / BLOB value.
    pub fn bytes(&self, row: usize) -> &'a [u8] {
        assert!(matches!(self.layout.physical, Physical::Bytes), "bytes of a column that is not VARCHAR or BLOB");
        let (s, e) = (self.offset(row), self.offset(row + 1));
        &self.buf[self.layout.bytes + s..self.layout.bytes + e]
    }

    /// (first element, element count) of a list value.
    pub fn list_entry(&self, row: usize) -> (usize, usize) {
        assert!(matches!(self.layout.physical, Physical::List(_)), "list entry of a column that is not a list");
        let (s, e) = (self.offset(row), self.offset(row + 1));
        (s, e - s)
    }

    /// The elements of a list column.
    pub fn list_child(&self) -> ColumnView<'a> {
        ColumnView { buf: self.buf, layout: self.layout.child.as_ref().expect("list column has a child") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<DuckType> {
        vec![DuckType::BigInt, DuckType::Varchar, DuckType::List(Box::new(DuckType::Integer)), DuckType::Decimal { width: 38, scale: 2 }]
    }

    fn sample(rows: usize) -> BatchBuilder {
        let mut b = BatchBuilder::new(&types());
        for r in 0..rows {
            if r % 3 == 0 {
                b.column(0).push_null();
            } else {
                b.column(0).push(r as i64 * 1_000_000_007);
            }
            if r % 5 == 0 {
                b.column(1).push_null();
            } else {
                b.column(1).push_bytes(format!("row {r} ✓").as_bytes());
            }
            let list = b.column(2);
            for e in 0..(r % 4) {
                if e == 1 {
                    list.child().push_null();
                } else {
                    list.child().push((r * 10 + e) as i32);
                }
            }
            list.finish_list();
            b.column(3).push(-(r as i128) << 70);
            b.finish_row();
        }
        b
    }

    #[test]
    fn round_trip() {
        for rows in [0, 1, 63, 64, 65, 2048, 5000] {
            let batch = Batch::decode(sample(rows).encode()).expect("decodes");
            assert_eq!(batch.rows(), rows);
            assert!(batch.matches(&types()));
            for r in 0..rows {
                let c0 = batch.column(0);
                assert_eq!(c0.is_valid(r), r % 3 != 0);
                if r % 3 != 0 {
                    assert_eq!(c0.get::<i64>(r), r as i64 * 1_000_000_007);
                }
                let c1 = batch.column(1);
                assert_eq!(c1.is_valid(r), r % 5 != 0);
                if r % 5 != 0 {
                    assert_eq!(c1.bytes(r), format!("row {r} ✓").as_bytes());
                } else {
                    assert_eq!(c1.bytes(r), b"");
                }
                let c2 = batch.column(2);
                let (off, n) = c2.list_entry(r);
                assert_eq!(n, r % 4);
                for e in 0..n {
                    let child = c2.list_child();
                    assert_eq!(child.is_valid(off + e), e != 1);
                    if e != 1 {
                        assert_eq!(child.get::<i32>(off + e), (r * 10 + e) as i32);
                    }
                }
                assert_eq!(batch.column(3).get::<i128>(r), -(r as i128) << 70);
            }
        }
    }

    #[test]
    fn no_nulls_means_no_bitmap() {
        let mut b = BatchBuilder::new(&[DuckType::Integer]);
        for i in 0..100 {
            b.column(0).push(i as i32);
            b.finish_row();
        }
        let batch = Batch::decode(b.encode()).expect("decodes");
        assert!(batch.column(0).validity_words().is_none());
        assert_eq!(batch.column(0).fixed_slice(10, 2), &[10, 0, 0, 0, 11, 0, 0, 0]);
    }

    #[test]
    fn discard_takes_back_a_half_row() {
        let mut b = sample(10);
        b.column(0).push(7i64);
        b.column(1).push_bytes(b"half");
        b.column(2).child().push(1i32);
        b.column(2).child().push(2i32);
        b.discard_row();
        let whole = sample(10).encode();
        assert_eq!(b.encode(), whole);
    }

    #[test]
    fn extend_fixed_with_validity() {
        let mut b = BatchBuilder::new(&[DuckType::SmallInt]);
        b.column(0).push(1i16);
        b.finish_row();
        let data: Vec<u8> = (0..70i16).flat_map(|v| v.to_le_bytes()).collect();
        let validity = [!(1u64 << 5), !(1u64 << 2)];
        b.column(0).extend_fixed(70, &data, Some(&validity));
        b.finish_rows(70);
        let batch = Batch::decode(b.encode()).expect("decodes");
        let c = batch.column(0);
        assert_eq!(batch.rows(), 71);
        assert!(c.is_valid(0) && !c.is_valid(6) && !c.is_valid(67) && c.is_valid(68));
        assert_eq!(c.get::<i16>(70), 69);
    }

    #[test]
    fn damaged_buffers_are_errors() {
        let good = sample(100).encode();
        for cut in [0, 3, 8, 20, good.len() / 2, good.len() - 1] {
            assert!(Batch::decode(good[..cut].to_vec()).is_err(), "cut at {cut}");
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(Batch::decode(extra).is_err());
        // a string offset pointing past the data
        let mut b = BatchBuilder::new(&[DuckType::Varchar]);
        b.column(0).push_bytes(b"abc");
        b.finish_row();
        let mut bad = b.encode();
        // header(8) + kind, width(2) + len(8) + validity flag(1) + offset[0](8) = offset[1]
        bad[27] = 200;
        assert!(Batch::decode(bad).is_err());
    }
}
