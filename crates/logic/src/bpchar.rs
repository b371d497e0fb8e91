//! char(n) (PostgreSQL's bpchar) values: PostgreSQL pads them with spaces
//! to n characters when they are stored, and ignores trailing spaces when
//! comparing them. DuckDB keeps the padded bytes as VARCHAR, so a
//! comparison is exact either between two values padded to the same n, or
//! after trimming trailing spaces from both sides.

/// The value without trailing spaces (what PostgreSQL compares).
pub fn trimmed(value: &str) -> &str {
    value.trim_end_matches(' ')
}

/// `value` padded with spaces to `n` characters, as a char(n) column holds
/// it, or None when its trimmed form is longer than `n` (no char(n) value
/// can equal it).
pub fn padded_to(value: &str, n: usize) -> Option<String> {
    let core = trimmed(value);
    let len = core.chars().count();
    if len > n {
        return None;
    }
    let mut out = String::with_capacity(core.len() + n - len);
    out.push_str(core);
    out.extend(std::iter::repeat_n(' ', n - len));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_to_characters_not_bytes() {
        assert_eq!(padded_to("ab", 4).as_deref(), Some("ab  "));
        assert_eq!(padded_to("é", 3).as_deref(), Some("é  "));
        assert_eq!(padded_to("", 2).as_deref(), Some("  "));
    }

    #[test]
    fn trailing_spaces_do_not_count() {
        assert_eq!(padded_to("ab      ", 2).as_deref(), Some("ab"));
        assert_eq!(padded_to(" a ", 2).as_deref(), Some(" a"));
        assert_eq!(trimmed("a \t "), "a \t");
    }

    #[test]
    fn too_long_cannot_match() {
        assert_eq!(padded_to("abc", 2), None);
        assert_eq!(padded_to("ééé", 2), None);
    }
}
