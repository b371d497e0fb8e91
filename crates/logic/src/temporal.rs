//! Dates and timestamps between PostgreSQL (epoch 2000-01-01) and DuckDB
//! (epoch 1970-01-01), keeping ±infinity and refusing what DuckDB can't hold.

/// Days from 1970-01-01 to 2000-01-01.
pub const EPOCH_SHIFT_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
pub const EPOCH_SHIFT_MICROS: i64 = 946_684_800_000_000;

/// PostgreSQL's `-infinity` / `infinity` dates.
pub const PG_DATE_NOBEGIN: i32 = i32::MIN;
pub const PG_DATE_NOEND: i32 = i32::MAX;
/// DuckDB's `-infinity` / `infinity` dates.
pub const DUCK_DATE_NINF: i32 = -i32::MAX;
pub const DUCK_DATE_PINF: i32 = i32::MAX;
/// PostgreSQL's `-infinity` / `infinity` timestamps.
pub const PG_TS_NOBEGIN: i64 = i64::MIN;
pub const PG_TS_NOEND: i64 = i64::MAX;
/// DuckDB's `-infinity` / `infinity` timestamps.
pub const DUCK_TS_NINF: i64 = -i64::MAX;
pub const DUCK_TS_PINF: i64 = i64::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange;

pub fn date_pg_to_duck(days: i32) -> Result<i32, OutOfRange> {
    match days {
        PG_DATE_NOBEGIN => Ok(DUCK_DATE_NINF),
        PG_DATE_NOEND => Ok(DUCK_DATE_PINF),
        d => match d.checked_add(EPOCH_SHIFT_DAYS) {
            Some(v) if v != DUCK_DATE_PINF && v != DUCK_DATE_NINF => Ok(v),
            _ => Err(OutOfRange),
        },
    }
}

pub fn date_duck_to_pg(days: i32) -> Result<i32, OutOfRange> {
    match days {
        DUCK_DATE_NINF => Ok(PG_DATE_NOBEGIN),
        DUCK_DATE_PINF => Ok(PG_DATE_NOEND),
        d => match d.checked_sub(EPOCH_SHIFT_DAYS) {
            Some(v) if v != PG_DATE_NOBEGIN && v != PG_DATE_NOEND => Ok(v),
            _ => Err(OutOfRange),
        },
    }
}

pub fn timestamp_pg_to_duck(micros: i64) -> Result<i64, OutOfRange> {
    match micros {
        PG_TS_NOBEGIN => Ok(DUCK_TS_NINF),
        PG_TS_NOEND => Ok(DUCK_TS_PINF),
        t => match t.checked_add(EPOCH_SHIFT_MICROS) {
            Some(v) if v != DUCK_TS_PINF && v != DUCK_TS_NINF => Ok(v),
            _ => Err(OutOfRange),
        },
    }
}

pub fn timestamp_duck_to_pg(micros: i64) -> Result<i64, OutOfRange> {
    match micros {
        DUCK_TS_NINF => Ok(PG_TS_NOBEGIN),
        DUCK_TS_PINF => Ok(PG_TS_NOEND),
        t => match t.checked_sub(EPOCH_SHIFT_MICROS) {
            Some(v) if v != PG_TS_NOBEGIN && v != PG_TS_NOEND => Ok(v),
            _ => Err(OutOfRange),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_shift_and_keep_infinity() {
        assert_eq!(date_pg_to_duck(0), Ok(10_957));
        assert_eq!(date_duck_to_pg(10_957), Ok(0));
        assert_eq!(date_pg_to_duck(PG_DATE_NOEND), Ok(DUCK_DATE_PINF));
        assert_eq!(date_pg_to_duck(PG_DATE_NOBEGIN), Ok(DUCK_DATE_NINF));
        assert_eq!(date_duck_to_pg(DUCK_DATE_NINF), Ok(PG_DATE_NOBEGIN));
        assert_eq!(date_duck_to_pg(DUCK_DATE_PINF), Ok(PG_DATE_NOEND));
        // PostgreSQL's extreme dates (4713 BC .. 5874897 AD) survive.
        for pg in [-2_451_545, 2_145_031_948, -1, 1] {
            assert_eq!(date_duck_to_pg(date_pg_to_duck(pg).unwrap()), Ok(pg));
        }
        assert_eq!(date_pg_to_duck(i32::MAX - 10), Err(OutOfRange));
    }

    #[test]
    fn timestamps_shift_and_keep_infinity() {
        assert_eq!(timestamp_pg_to_duck(0), Ok(EPOCH_SHIFT_MICROS));
        assert_eq!(timestamp_pg_to_duck(PG_TS_NOEND), Ok(DUCK_TS_PINF));
        assert_eq!(timestamp_duck_to_pg(DUCK_TS_NINF), Ok(PG_TS_NOBEGIN));
        // 4714-11-24 BC, PostgreSQL's lowest timestamp.
        let min = -211_813_488_000_000_000;
        assert_eq!(timestamp_duck_to_pg(timestamp_pg_to_duck(min).unwrap()), Ok(min));
        // 294276 AD is beyond DuckDB's last timestamp (294247 AD).
        assert_eq!(timestamp_pg_to_duck(9_223_371_331_200_000_000 - 1), Err(OutOfRange));
        // The value that would land on DuckDB's infinity is refused, not aliased.
        assert_eq!(timestamp_pg_to_duck(i64::MAX - EPOCH_SHIFT_MICROS), Err(OutOfRange));
    }
}

/// Civil date (year, month, day) of a day count since 1970-01-01
/// (proleptic Gregorian; year 0 is 1 BC).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// ISO text of a DuckDB date (days since 1970) for years 1..=9999, the
/// range both systems parse the same way.
pub fn iso_date(days: i32) -> Option<String> {
    let (y, m, d) = civil_from_days(days as i64);
    (1..=9999).contains(&y).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// ISO text of a DuckDB timestamp (µs since 1970, UTC) for years 1..=9999.
pub fn iso_timestamp(micros: i64) -> Option<String> {
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    let date = iso_date(i32::try_from(days).ok()?)?;
    let (h, mi, s, us) = (rest / 3_600_000_000, rest / 60_000_000 % 60, rest / 1_000_000 % 60, rest % 1_000_000);
    Some(format!("{date} {h:02}:{mi:02}:{s:02}.{us:06}"))
}

/// DuckDB text of an interval with PostgreSQL's three fields (months, days,
/// microseconds). Both systems keep the fields apart and apply them in that
/// order, so no field is folded into another.
pub fn interval_text(months: i32, days: i32, micros: i64) -> String {
    format!("{months} months {days} days {micros} microseconds")
}

#[cfg(test)]
mod civil_tests {
    use super::*;

    #[test]
    fn interval_fields_stay_apart() {
        assert_eq!(interval_text(3, 0, 0), "3 months 0 days 0 microseconds");
        assert_eq!(interval_text(-1, 40, -86_400_000_001), "-1 months 40 days -86400000001 microseconds");
    }

    #[test]
    fn iso_forms() {
        assert_eq!(iso_date(0).as_deref(), Some("1970-01-01"));
        assert_eq!(iso_date(10_957).as_deref(), Some("2000-01-01"));
        assert_eq!(iso_date(19_782).as_deref(), Some("2024-02-29"));
        assert_eq!(iso_date(-719_162).as_deref(), Some("0001-01-01"));
        assert_eq!(iso_date(-719_163), None);
        assert_eq!(iso_date(2_932_896).as_deref(), Some("9999-12-31"));
        assert_eq!(iso_date(2_932_897), None);
        assert_eq!(iso_timestamp(-1).as_deref(), Some("1969-12-31 23:59:59.999999"));
        assert_eq!(iso_timestamp(1_709_164_800_000_001).as_deref(), Some("2024-02-29 00:00:00.000001"));
    }
}
