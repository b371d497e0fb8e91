//! PostgreSQL's wording for DuckDB's out-of-range errors. DuckDB names its
//! physical types (INT32, DECIMAL(20,2)) or only the value; PostgreSQL
//! names the SQL type ("integer out of range", "numeric field overflow").

/// The PostgreSQL message for a DuckDB overflow or out-of-range
/// conversion error (SQLSTATE 22003), if `message` is one.
pub fn numeric_range_message(message: &str) -> Option<&'static str> {
    const INTS: [(&str, &str); 4] =
        [("INT16", "smallint out of range"), ("INT32", "integer out of range"), ("INT64", "bigint out of range"), ("INT8", "smallint out of range")];
    // "Overflow in addition of INT32 (…)"
    if message.contains("Overflow in ") {
        return INTS.iter().find(|(duck, _)| message.contains(&format!(" of {duck} "))).map(|(_, pg)| *pg);
    }
    // "Overflow on abs(-2147483648)": the one value of each width that has no absolute value.
    if let Some(rest) = message.split("Overflow on abs(").nth(1) {
        return match rest.split(')').next() {
            Some("-32768") => Some("smallint out of range"),
            Some("-2147483648") => Some("integer out of range"),
            Some("-9223372036854775808") => Some("bigint out of range"),
            _ => None,
        };
    }
    // "Type DOUBLE with value inf can't be cast because the value is out of
    // range for the destination type INT32", "Failed to cast decimal value
    // 999 to type INT16", "Casting value "9" to type DECIMAL(20,2) failed".
    let target = if let Some(t) = message.split("destination type ").nth(1) {
        t
    } else if message.contains("Failed to cast decimal value") || message.contains("Casting value") {
        message.split(" to type ").nth(1)?
    } else {
        return None;
    };
    let target = target.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
    if target == "DECIMAL" {
        return Some("numeric field overflow");
    }
    INTS.iter().find(|(duck, _)| *duck == target).map(|(_, pg)| *pg)
}

#[cfg(test)]
mod tests {
    use super::numeric_range_message as m;

    #[test]
    fn names_the_sql_type() {
        assert_eq!(m("Out of Range Error: Overflow in addition of INT32 (2147483647 + 1)!"), Some("integer out of range"));
        assert_eq!(m("Out of Range Error: Overflow in multiplication of INT64 (…)!"), Some("bigint out of range"));
        assert_eq!(m("Out of Range Error: Overflow on abs(-32768)"), Some("smallint out of range"));
        assert_eq!(m("Out of Range Error: Overflow on abs(-9223372036854775808)"), Some("bigint out of range"));
        assert_eq!(
            m("Conversion Error: Type DOUBLE with value inf can't be cast because the value is out of range for the destination type INT32"),
            Some("integer out of range")
        );
        assert_eq!(m("Conversion Error: Failed to cast decimal value 999999999998000000 to type INT32"), Some("integer out of range"));
        assert_eq!(m("Conversion Error: Casting value \"9223372036854775807\" to type DECIMAL(20,2) failed: value is out of range!"), Some("numeric field overflow"));
    }

    #[test]
    fn leaves_other_errors() {
        assert_eq!(m("Binder Error: column x not found"), None);
        assert_eq!(m("Out of Range Error: Overflow on abs(5)"), None);
    }
}
