//! DuckDB's words for a duplicate key, read back into what PostgreSQL's
//! 23505 error names: which columns and which values.
//!
//! DuckDB reports a key that is already in the table as
//! `Duplicate key "c1: 5, c2: x" violates primary key constraint.` (or
//! `… unique constraint.`), and two equal keys inside one appended batch as
//! `PRIMARY KEY or UNIQUE constraint violation: duplicate key "5, x"`
//! (values only).

/// A duplicate key as DuckDB reported it.
#[derive(Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    /// Attribute numbers of the key's columns, when DuckDB named them.
    pub attnos: Option<Vec<i16>>,
    /// The key's values as DuckDB printed them.
    pub values: Vec<String>,
}

/// Parses a DuckDB constraint error; None if it is not a duplicate key.
pub fn duplicate_key(message: &str) -> Option<DuplicateKey> {
    let at = message.find("Duplicate key \"").map(|i| i + "Duplicate key \"".len()).or_else(|| {
        message.find("duplicate key \"").map(|i| i + "duplicate key \"".len())
    })?;
    let rest = &message[at..];
    // The key text ends at the last quote (values may hold quotes).
    let end = rest.rfind('"')?;
    let key = &rest[..end];
    let parts: Vec<&str> = key.split(", ").collect();
    let named: Option<Vec<(i16, String)>> = parts
        .iter()
        .map(|p| {
            let (name, value) = p.split_once(": ")?;
            Some((name.strip_prefix('c')?.parse::<i16>().ok()?, value.to_string()))
        })
        .collect();
    Some(match named {
        Some(named) => DuplicateKey { attnos: Some(named.iter().map(|(a, _)| *a).collect()), values: named.into_iter().map(|(_, v)| v).collect() },
        None => DuplicateKey { attnos: None, values: parts.into_iter().map(str::to_string).collect() },
    })
}

/// The bytes of a BLOB as DuckDB prints it: printable ASCII as itself,
/// other bytes as `\xHH`. None if the text is not such a print.
pub fn printed_blob(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) != Some(&b'x') {
                return None;
            }
            let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// DuckDB's name for the unique index that stands for a PostgreSQL key
/// index with relfilenode `relfilenode` (an index gets a new relfilenode
/// when REINDEX or a table rewrite rebuilds it, as its table does).
pub fn index_name(relfilenode: u32) -> String {
    format!("k_{relfilenode}")
}

/// Parses a DuckDB index name back into its relfilenode.
pub fn index_relfilenode(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("k_")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_key() {
        let k = duplicate_key("Constraint Error: Duplicate key \"c1: 5, c3: x y\" violates primary key constraint.").unwrap();
        assert_eq!(k.attnos, Some(vec![1, 3]));
        assert_eq!(k.values, vec!["5".to_string(), "x y".to_string()]);
    }

    #[test]
    fn batch_key() {
        let k = duplicate_key("Constraint Error: PRIMARY KEY or UNIQUE constraint violation: duplicate key \"1, x\"").unwrap();
        assert_eq!(k.attnos, None);
        assert_eq!(k.values, vec!["1".to_string(), "x".to_string()]);
    }

    #[test]
    fn quoted_value() {
        let k = duplicate_key("Duplicate key \"c2: say \"hi\"\" violates unique constraint.").unwrap();
        assert_eq!(k.values, vec!["say \"hi\"".to_string()]);
    }

    #[test]
    fn other_errors() {
        assert_eq!(duplicate_key("Constraint Error: NOT NULL constraint failed: t.c1"), None);
    }

    #[test]
    fn blobs() {
        assert_eq!(printed_blob("\\x02 \\x00\\x04\\x0A\\x00\\x00\\x01"), Some(vec![2, 32, 0, 4, 10, 0, 0, 1]));
        assert_eq!(printed_blob("ab"), Some(b"ab".to_vec()));
        assert_eq!(printed_blob("\\x0"), None);
        assert_eq!(printed_blob("\\y00"), None);
    }

    #[test]
    fn index_names() {
        assert_eq!(index_name(16384), "k_16384");
        assert_eq!(index_relfilenode("k_16384"), Some(16384));
        assert_eq!(index_relfilenode("r_16384"), None);
        assert_eq!(index_relfilenode("k_"), None);
    }
}
