//! Exact decimals as DuckDB stores them: an integer scaled by 10^scale, with
//! at most `width` digits (width ≤ 38). PostgreSQL numerics travel as their
//! canonical text (`numeric_out` / `numeric_in`), so no rounding can happen
//! on the way: a value that does not fit is an error, never a changed value.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalError {
    /// NaN or ±Infinity: DuckDB's DECIMAL has no such values.
    NotFinite,
    /// More digits than the column's precision allows.
    Overflow,
    /// More fractional digits than the column's scale.
    TooManyFractionDigits,
    Syntax,
}

/// Largest magnitude with `width` digits.
pub fn max_for_width(width: u8) -> i128 {
    10i128.pow(width as u32) - 1
}

/// Parses PostgreSQL numeric text into an integer scaled by 10^scale.
pub fn parse_scaled(text: &str, width: u8, scale: u8) -> Result<i128, DecimalError> {
    let t = text.trim();
    match t {
        "NaN" | "Infinity" | "-Infinity" | "+Infinity" => return Err(DecimalError::NotFinite),
        _ => {}
    }
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError::Syntax);
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > scale as usize {
        return Err(DecimalError::TooManyFractionDigits);
    }
    let max = max_for_width(width);
    let mut value: i128 = 0;
    let digits = int_part
        .bytes()
        .chain(frac_trimmed.bytes())
        .chain(std::iter::repeat_n(b'0', scale as usize - frac_trimmed.len()));
    for d in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as i128))
            .filter(|v| *v <= max)
            .ok_or(DecimalError::Overflow)?;
    }
    Ok(if negative { -value } else { value })
}

/// Formats a scaled integer the way PostgreSQL prints numeric(p, scale):
/// exactly `scale` fractional digits.
pub fn format_scaled(value: i128, scale: u8) -> String {
    let digits = value.unsigned_abs().to_string();
    let scale = scale as usize;
    let mut out = String::with_capacity(digits.len() + 3);
    if value < 0 {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (i, f) = digits.split_at(digits.len() - scale);
        out.push_str(i);
        out.push('.');
        out.push_str(f);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    }
    out
}

/// A PostgreSQL numeric in its stored binary form (the varlena payload:
/// header word(s) then base-10000 digits) as an integer scaled by
/// 10^`scale`, without going through text. Values with more fraction
/// digits than `scale`, or beyond `width` digits, are errors, as are NaN
/// and ±Infinity (the caller then reports them as the text path does).
pub fn from_pg_numeric(payload: &[u8], width: u8, scale: u8) -> Result<i128, DecimalError> {
    let word = |i: usize| payload.get(2 * i..2 * i + 2).map(|b| u16::from_ne_bytes([b[0], b[1]])).ok_or(DecimalError::Syntax);
    let header = word(0)?;
    const SIGN_MASK: u16 = 0xC000;
    const SHORT: u16 = 0x8000;
    const SPECIAL: u16 = 0xC000;
    const NEG: u16 = 0x4000;
    let (negative, weight, first_digit) = match header & SIGN_MASK {
        SPECIAL => return Err(DecimalError::NotFinite),
        SHORT => {
            // short format: sign 0x2000, weight in 7 bits (sign 0x0040)
            let raw = (header & 0x003F) as i32;
            let weight = if header & 0x0040 != 0 { raw | !0x003F } else { raw };
            (header & 0x2000 != 0, weight, 1)
        }
        sign => (sign == NEG, word(1)? as i16 as i32, 2),
    };
    let ndigits = payload.len() / 2 - first_digit;
    let mut value: i128 = 0;
    for i in 0..ndigits {
        let digit = word(first_digit + i)? as i128;
        // this digit counts 10000^(weight - i); scaled: 10^(4 (weight - i) + scale)
        let exponent = 4 * (weight - i as i32) + scale as i32;
        let term = if exponent >= 0 {
            if exponent > 38 {
                if digit == 0 {
                    continue;
                }
                return Err(DecimalError::Overflow);
            }
            digit.checked_mul(10i128.pow(exponent as u32)).ok_or(DecimalError::Overflow)?
        } else {
            let divisor = 10i128.pow((-exponent).min(38) as u32);
            if digit % divisor != 0 {
                return Err(DecimalError::TooManyFractionDigits);
            }
            digit / divisor
        };
        value = value.checked_add(term).ok_or(DecimalError::Overflow)?;
    }
    if value >= max_for_width(width) {
        return Err(DecimalError::Overflow);
    }
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_scales() {
        assert_eq!(parse_scaled("123.45", 10, 2), Ok(12345));
        assert_eq!(parse_scaled("-0.5", 10, 2), Ok(-50));
        assert_eq!(parse_scaled("7", 5, 3), Ok(7000));
        assert_eq!(parse_scaled("0.000", 5, 3), Ok(0));
        assert_eq!(parse_scaled("1.230", 5, 2), Ok(123), "trailing zeros are not extra digits");
        assert_eq!(parse_scaled("1.234", 5, 2), Err(DecimalError::TooManyFractionDigits));
        assert_eq!(parse_scaled("1000", 5, 2), Err(DecimalError::Overflow));
        assert_eq!(parse_scaled("999.99", 5, 2), Ok(99999));
        assert_eq!(parse_scaled("NaN", 5, 2), Err(DecimalError::NotFinite));
        assert_eq!(parse_scaled("-Infinity", 5, 2), Err(DecimalError::NotFinite));
        assert_eq!(parse_scaled("1e5", 5, 2), Err(DecimalError::Syntax));
        assert_eq!(parse_scaled("", 5, 2), Err(DecimalError::Syntax));
        let max38 = "9".repeat(38);
        assert_eq!(parse_scaled(&max38, 38, 0), Ok(max_for_width(38)));
        assert_eq!(parse_scaled(&format!("1{max38}"), 38, 0), Err(DecimalError::Overflow));
    }

    #[test]
    fn formats_like_postgres() {
        assert_eq!(format_scaled(12345, 2), "123.45");
        assert_eq!(format_scaled(-5, 3), "-0.005");
        assert_eq!(format_scaled(0, 2), "0.00");
        assert_eq!(format_scaled(42, 0), "42");
        assert_eq!(format_scaled(-max_for_width(38), 10).len(), 40);
        for (v, s) in [(1i128, 0u8), (-123456789, 4), (max_for_width(38), 38)] {
            assert_eq!(parse_scaled(&format_scaled(v, s), 38, s), Ok(v));
        }
    }

    fn words(ws: &[u16]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    #[test]
    fn reads_binary_numerics() {
        // long format: 1234.5678 = digits [1234, 5678], weight 0, dscale 4
        assert_eq!(from_pg_numeric(&words(&[4, 0, 1234, 5678]), 10, 4), Ok(12345678));
        // negative: -0.05 at scale 2 = digit 500 with weight -1
        assert_eq!(from_pg_numeric(&words(&[0x4000 | 2, (-1i16) as u16, 500]), 10, 2), Ok(-5));
        // short format: 120000 = digits [12], weight 1 (12 * 10000), dscale 0
        assert_eq!(from_pg_numeric(&words(&[0x8000 | 1, 12]), 12, 2), Ok(12000000));
        // short negative with negative weight: -0.0001 = digit 1, weight -1
        assert_eq!(from_pg_numeric(&words(&[0x8000 | 0x2000 | (4 << 7) | 0x7F, 1]), 10, 4), Ok(-1));
        // zero has no digits
        assert_eq!(from_pg_numeric(&words(&[0x8000]), 10, 2), Ok(0));
        assert_eq!(from_pg_numeric(&words(&[0xC000]), 10, 2), Err(DecimalError::NotFinite));
        assert_eq!(from_pg_numeric(&words(&[0, 2, 1]), 4, 0), Err(DecimalError::Overflow));
        assert_eq!(from_pg_numeric(&words(&[4, 0, 1, 5]), 10, 2), Err(DecimalError::TooManyFractionDigits));
    }
}
