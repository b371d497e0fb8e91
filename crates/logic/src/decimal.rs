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
    if value > max_for_width(width) {
        return Err(DecimalError::Overflow);
    }
    Ok(if negative { -value } else { value })
}

/// The stored binary form of the PostgreSQL numeric equal to `value` /
/// 10^`scale` with display scale `scale` (the varlena payload, as
/// numeric_in would build it for numeric(p, scale): base-10000 digits
/// aligned on the decimal point, leading and trailing zero digits
/// dropped, the short header where it fits).
pub fn to_pg_numeric(value: i128, scale: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    write_pg_numeric(value, scale, &mut out);
    out
}

/// Base-10000 digits of `value` / 10^`scale` (most significant first) and
/// the weight of the first, before zero digits are dropped.
fn base10000_digits(value: u128, scale: u32) -> (Vec<u16>, i32) {
    let pad = (4 - scale % 4) % 4;
    let mut digits = Vec::with_capacity(12);
    if value <= u64::MAX as u128 && scale + pad <= 19 {
        // The common case in 64 bits (128-bit division is a library call).
        let weight = split_groups(value as u64, scale, pad, &mut digits);
        return (digits, weight);
    }
    if scale + pad <= 38 {
        let weight = split_groups(value, scale, pad, &mut digits);
        return (digits, weight);
    }
    // Scales of 37 and 38: the padded fraction would not fit in 128 bits;
    // go through the digits' text.
    let mut text = value.to_string();
    let scale = scale as usize;
    if text.len() <= scale {
        text.insert_str(0, &"0".repeat(scale + 1 - text.len()));
    }
    let (int_part, frac_part) = text.split_at(text.len() - scale);
    let group = |s: &[u8]| s.iter().fold(0u16, |acc, b| acc * 10 + (b - b'0') as u16);
    let lead = int_part.len() % 4;
    if lead > 0 {
        digits.push(group(&int_part.as_bytes()[..lead]));
    }
    digits.extend(int_part.as_bytes()[lead..].chunks(4).map(group));
    let weight = digits.len() as i32 - 1;
    digits.extend(frac_part.as_bytes().chunks(4).map(|c| group(c) * 10u16.pow(4 - c.len() as u32)));
    (digits, weight)
}

/// The unsigned integers base10000_digits divides in.
trait Groups: Copy + PartialOrd + std::ops::Div<Output = Self> + std::ops::Rem<Output = Self> + std::ops::Mul<Output = Self> {
    const ZERO: Self;
    const TEN_THOUSAND: Self;
    fn pow10(n: u32) -> Self;
    fn low_group(self) -> u16;
}

impl Groups for u64 {
    const ZERO: u64 = 0;
    const TEN_THOUSAND: u64 = 10_000;
    fn pow10(n: u32) -> u64 {
        10u64.pow(n)
    }
    fn low_group(self) -> u16 {
        (self % 10_000) as u16
    }
}

impl Groups for u128 {
    const ZERO: u128 = 0;
    const TEN_THOUSAND: u128 = 10_000;
    fn pow10(n: u32) -> u128 {
        10u128.pow(n)
    }
    fn low_group(self) -> u16 {
        (self % 10_000) as u16
    }
}

/// Appends the base-10000 groups of `value` / 10^`scale` (the fraction
/// padded by `pad` digits to whole groups) and returns the first's weight.
fn split_groups<T: Groups>(value: T, scale: u32, pad: u32, digits: &mut Vec<u16>) -> i32 {
    let (mut int, frac) = (value / T::pow10(scale), value % T::pow10(scale));
    // u128 has at most 39 digits: 10 groups
    let mut int_digits = [0u16; 10];
    let mut n = 0;
    while int > T::ZERO {
        int_digits[n] = int.low_group();
        int = int / T::TEN_THOUSAND;
        n += 1;
    }
    digits.extend(int_digits[..n].iter().rev());
    let mut frac = frac * T::pow10(pad);
    let groups = ((scale + pad) / 4) as usize;
    let start = digits.len();
    digits.resize(start + groups, 0);
    for i in (0..groups).rev() {
        digits[start + i] = frac.low_group();
        frac = frac / T::TEN_THOUSAND;
    }
    n as i32 - 1
}

/// `to_pg_numeric` appending to `out`.
pub fn write_pg_numeric(value: i128, scale: u8, out: &mut Vec<u8>) {
    let (mut digits, mut weight) = base10000_digits(value.unsigned_abs(), scale as u32);
    let leading = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..leading);
    weight -= leading as i32;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let negative = value < 0 && !digits.is_empty();
    if digits.is_empty() {
        weight = 0;
    }
    let scale = scale as u16;
    if scale <= 63 && (-64..=63).contains(&weight) {
        let header: u16 = 0x8000
            | if negative { 0x2000 } else { 0 }
            | (scale << 7)
            | if weight < 0 { 0x0040 } else { 0 }
            | (weight as u16 & 0x003F);
        out.extend_from_slice(&header.to_ne_bytes());
    } else {
        let sign_dscale: u16 = if negative { 0x4000 } else { 0 } | (scale & 0x3FFF);
        out.extend_from_slice(&sign_dscale.to_ne_bytes());
        out.extend_from_slice(&(weight as i16).to_ne_bytes());
    }
    for d in digits {
        out.extend_from_slice(&d.to_ne_bytes());
    }
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
    fn writes_binary_numerics() {
        // 1234.5678 at scale 4: short header (dscale 4, weight 0), digits 1234 5678
        assert_eq!(to_pg_numeric(12345678, 4), words(&[0x8000 | (4 << 7), 1234, 5678]));
        // -0.05 at scale 2: weight -1, digit 500
        assert_eq!(to_pg_numeric(-5, 2), words(&[0x8000 | 0x2000 | (2 << 7) | 0x0040 | 0x3F, 500]));
        // 120000 at scale 2: digits [12] (trailing zero groups dropped), weight 1
        assert_eq!(to_pg_numeric(12000000, 2), words(&[0x8000 | (2 << 7) | 1, 12]));
        // zero: no digits, weight 0, positive even when -0 would be asked
        assert_eq!(to_pg_numeric(0, 3), words(&[0x8000 | (3 << 7)]));
        // 10000.5: digits [1, 0, 5000], weight 1
        assert_eq!(to_pg_numeric(100005, 1), words(&[0x8000 | (1 << 7) | 1, 1, 0, 5000]));
        for (v, w, s) in [
            (12345678i128, 10u8, 4u8),
            (-5, 10, 2),
            (1, 38, 38),
            (-max_for_width(38), 38, 0),
            (max_for_width(38), 38, 10),
            (987654321012, 18, 9),
            (-1, 5, 5),
            (10i128.pow(37), 38, 1),
            (-123456789012345678901234567890123456, 38, 37),
            (12345, 38, 38),
            (7, 38, 36),
        ] {
            let payload = to_pg_numeric(v, s);
            assert_eq!(from_pg_numeric(&payload, w, s), Ok(v), "{v} scale {s}");
        }
    }

    /// Digits and weight straight from the decimal text (the obvious way).
    fn reference_digits(value: u128, scale: usize) -> (Vec<u16>, i32) {
        let mut text = value.to_string();
        if text.len() <= scale {
            text.insert_str(0, &"0".repeat(scale + 1 - text.len()));
        }
        let (i, f) = text.split_at(text.len() - scale);
        let i = format!("{}{i}", "0".repeat((4 - i.len() % 4) % 4));
        let f = format!("{f}{}", "0".repeat((4 - f.len() % 4) % 4));
        let g = |s: &str| s.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap().parse::<u16>().unwrap()).collect::<Vec<_>>();
        let int = g(&i);
        let weight = int.len() as i32 - 1;
        ([int, g(&f)].concat(), weight)
    }

    #[test]
    fn binary_numerics_match_the_decimal_text() {
        let mut x: u128 = 0x9E3779B97F4A7C15;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let scale = (x % 39) as u32;
            let digits = (x >> 8) % 39;
            let value = (x >> 16) % 10u128.pow(digits as u32).max(1);
            let strip = |(mut d, mut w): (Vec<u16>, i32)| {
                let lead = d.iter().take_while(|&&v| v == 0).count();
                d.drain(..lead);
                w -= lead as i32;
                while d.last() == Some(&0) {
                    d.pop();
                }
                if d.is_empty() {
                    w = 0;
                }
                (d, w)
            };
            assert_eq!(strip(base10000_digits(value, scale)), strip(reference_digits(value, scale as usize)), "{value} scale {scale}");
        }
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
