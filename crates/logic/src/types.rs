//! DuckDB column types that stand for PostgreSQL types, and the rules that
//! choose them.

/// A DuckDB type we store. Only types with an exact PostgreSQL round trip.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DuckType {
    Boolean,
    SmallInt,
    Integer,
    BigInt,
    Float,
    Double,
    Decimal { width: u8, scale: u8 },
    Varchar,
    Blob,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    List(Box<DuckType>),
}

impl DuckType {
    /// Whether values of this type (as DuckDB returned them) can be read
    /// as `expected`: the same type, or decimals of the same scale stored
    /// in the same width (a column whose precision was raised without a
    /// rewrite is read with its new typmod).
    pub fn readable_as(&self, expected: &DuckType) -> bool {
        use crate::wire::Physical;
        match (self, expected) {
            (DuckType::Decimal { scale: a, .. }, DuckType::Decimal { scale: b, .. }) => a == b && Physical::of(self) == Physical::of(expected),
            (DuckType::List(a), DuckType::List(b)) => a.readable_as(b),
            _ => self == expected,
        }
    }

    /// The type as written in DuckDB DDL.
    pub fn sql(&self) -> String {
        match self {
            DuckType::Boolean => "BOOLEAN".into(),
            DuckType::SmallInt => "SMALLINT".into(),
            DuckType::Integer => "INTEGER".into(),
            DuckType::BigInt => "BIGINT".into(),
            DuckType::Float => "FLOAT".into(),
            DuckType::Double => "DOUBLE".into(),
            DuckType::Decimal { width, scale } => format!("DECIMAL({width},{scale})"),
            DuckType::Varchar => "VARCHAR".into(),
            DuckType::Blob => "BLOB".into(),
            DuckType::Date => "DATE".into(),
            DuckType::Time => "TIME".into(),
            DuckType::Timestamp => "TIMESTAMP".into(),
            DuckType::TimestampTz => "TIMESTAMP WITH TIME ZONE".into(),
            DuckType::Interval => "INTERVAL".into(),
            DuckType::Uuid => "UUID".into(),
            DuckType::List(child) => format!("{}[]", child.sql()),
        }
    }
}

/// DuckDB's HUGEINT (and UUID, DECIMAL wider than 18 digits) as it lies
/// in a vector: the low 64 bits first.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hugeint {
    pub lower: u64,
    pub upper: i64,
}

impl Hugeint {
    pub fn from_i128(v: i128) -> Hugeint {
        Hugeint { lower: v as u64, upper: (v >> 64) as i64 }
    }
    pub fn to_i128(self) -> i128 {
        ((self.upper as i128) << 64) | self.lower as i128
    }
}

/// DuckDB's INTERVAL as it lies in a vector.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

/// Maximum DECIMAL width DuckDB supports.
pub const MAX_DECIMAL_WIDTH: i32 = 38;

/// numeric without a typmod is stored as its canonical text, which keeps
/// each value's display scale; DuckDB computes on it as
/// DECIMAL(38, UNCONSTRAINED_SCALE) (Spark's and Hive's default for
/// unbounded decimals), so every stored value must fit that exactly.
pub const UNCONSTRAINED_SCALE: u8 = 18;
pub const UNCONSTRAINED_INTEGER_DIGITS: usize = MAX_DECIMAL_WIDTH as usize - UNCONSTRAINED_SCALE as usize;

/// Why a numeric value (numeric_out's text) cannot be stored in an
/// unconstrained numeric column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnconstrainedMisfit {
    NotFinite,
    TooManyIntegerDigits(usize),
    TooManyFractionalDigits(usize),
}

/// Checks numeric_out's text (`-123.4500`, `NaN`, `Infinity`) against the
/// DECIMAL DuckDB computes unconstrained numerics in.
pub fn unconstrained_fits(text: &str) -> Result<(), UnconstrainedMisfit> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return Err(UnconstrainedMisfit::NotFinite);
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    if int.len() > UNCONSTRAINED_INTEGER_DIGITS {
        return Err(UnconstrainedMisfit::TooManyIntegerDigits(int.len()));
    }
    if frac.len() > UNCONSTRAINED_SCALE as usize {
        return Err(UnconstrainedMisfit::TooManyFractionalDigits(frac.len()));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumericRule {
    Decimal { width: u8, scale: u8 },
    /// numeric without precision: no exact DuckDB type for every value.
    Unconstrained,
    /// precision above DuckDB's 38 digits.
    TooWide { precision: i32 },
}

/// Chooses the DECIMAL for `numeric(precision, scale)` given PostgreSQL's
/// typmod (-1 when unconstrained). PostgreSQL 15 allows a negative scale and
/// a scale above the precision; DuckDB needs 0 ≤ scale ≤ width, so the
/// DECIMAL is widened to hold exactly the same set of values.
pub fn numeric_rule(typmod: i32) -> NumericRule {
    if typmod < 4 {
        return NumericRule::Unconstrained;
    }
    let t = typmod - 4;
    let precision = (t >> 16) & 0xffff;
    // scale is an 11-bit signed field
    let scale = ((t & 0x7ff) ^ 1024) - 1024;
    let (width, scale) = if scale < 0 {
        // numeric(3,-2) holds multiples of 100 up to 99900: 5 integer digits.
        (precision - scale, 0)
    } else if scale > precision {
        // numeric(2,5) holds |x| < 0.001 with 5 fractional digits.
        (scale, scale)
    } else {
        (precision, scale)
    };
    if width > MAX_DECIMAL_WIDTH {
        return NumericRule::TooWide { precision };
    }
    NumericRule::Decimal { width: width as u8, scale: scale as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typmod(p: i32, s: i32) -> i32 {
        ((p << 16) | (s & 0x7ff)) + 4
    }

    #[test]
    fn numeric_typmods() {
        assert_eq!(numeric_rule(-1), NumericRule::Unconstrained);
        assert_eq!(numeric_rule(typmod(12, 2)), NumericRule::Decimal { width: 12, scale: 2 });
        assert_eq!(numeric_rule(typmod(38, 0)), NumericRule::Decimal { width: 38, scale: 0 });
        assert_eq!(numeric_rule(typmod(39, 0)), NumericRule::TooWide { precision: 39 });
        assert_eq!(numeric_rule(typmod(3, -2)), NumericRule::Decimal { width: 5, scale: 0 });
        assert_eq!(numeric_rule(typmod(2, 5)), NumericRule::Decimal { width: 5, scale: 5 });
    }

    #[test]
    fn unconstrained_limits() {
        use UnconstrainedMisfit::*;
        assert_eq!(unconstrained_fits("0"), Ok(()));
        assert_eq!(unconstrained_fits("-123.4500"), Ok(()));
        assert_eq!(unconstrained_fits("99999999999999999999.999999999999999999"), Ok(()));
        assert_eq!(unconstrained_fits("0.000000000000000001"), Ok(()));
        assert_eq!(unconstrained_fits("100000000000000000000"), Err(TooManyIntegerDigits(21)));
        assert_eq!(unconstrained_fits("0.0000000000000000001"), Err(TooManyFractionalDigits(19)));
        assert_eq!(unconstrained_fits("1.0000000000000000000"), Err(TooManyFractionalDigits(19)));
        assert_eq!(unconstrained_fits("NaN"), Err(NotFinite));
        assert_eq!(unconstrained_fits("-Infinity"), Err(NotFinite));
    }

    #[test]
    fn readable_as() {
        let d = |width, scale| DuckType::Decimal { width, scale };
        assert!(d(10, 3).readable_as(&d(14, 3)));
        assert!(!d(10, 3).readable_as(&d(20, 3)));
        assert!(!d(10, 2).readable_as(&d(10, 3)));
        assert!(DuckType::List(Box::new(d(4, 1))).readable_as(&DuckType::List(Box::new(d(3, 1)))));
        assert!(!DuckType::Integer.readable_as(&DuckType::Float));
        assert!(!DuckType::Varchar.readable_as(&DuckType::Blob));
    }

    #[test]
    fn sql_names() {
        assert_eq!(DuckType::Decimal { width: 12, scale: 2 }.sql(), "DECIMAL(12,2)");
        assert_eq!(DuckType::List(Box::new(DuckType::Integer)).sql(), "INTEGER[]");
        assert_eq!(DuckType::TimestampTz.sql(), "TIMESTAMP WITH TIME ZONE");
    }
}
