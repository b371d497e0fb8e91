//! UUIDs: PostgreSQL stores the 16 bytes in network order; DuckDB stores a
//! 128-bit integer whose top bit is flipped so that signed comparison sorts
//! like the bytes do.

/// (lower, upper) halves of DuckDB's hugeint for the given UUID bytes.
pub fn uuid_to_duck(bytes: &[u8; 16]) -> (u64, i64) {
    let upper = u64::from_be_bytes(bytes[0..8].try_into().unwrap()) ^ (1u64 << 63);
    let lower = u64::from_be_bytes(bytes[8..16].try_into().unwrap());
    (lower, upper as i64)
}

pub fn uuid_from_duck(lower: u64, upper: i64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[0..8].copy_from_slice(&((upper as u64) ^ (1u64 << 63)).to_be_bytes());
    out[8..16].copy_from_slice(&lower.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        let a = [0u8; 16];
        let b = [0xffu8; 16];
        let c: [u8; 16] = core::array::from_fn(|i| i as u8 * 17);
        for u in [a, b, c] {
            let (lo, hi) = uuid_to_duck(&u);
            assert_eq!(uuid_from_duck(lo, hi), u);
        }
        let (_, ha) = uuid_to_duck(&a);
        let (_, hb) = uuid_to_duck(&b);
        assert!(ha < hb, "byte order must survive as signed order");
    }
}
