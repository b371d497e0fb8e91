//! Names of DuckDB objects that stand for PostgreSQL storage.
//!
//! A DuckDB table stands for one relfilenode (not one relation): TRUNCATE and
//! table rewrites give a relation a new relfilenode, hence a new DuckDB table,
//! exactly as heap storage gets a new file. Columns are named by attribute
//! number, so renaming a column in PostgreSQL needs no change in DuckDB.

/// DuckDB table name for a relfilenode.
pub fn table_name(relfilenode: u32) -> String {
    format!("r_{relfilenode}")
}

/// Parses a DuckDB table name back into its relfilenode; `None` for tables
/// that are not ours.
pub fn relfilenode_of(table: &str) -> Option<u32> {
    let digits = table.strip_prefix("r_")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// DuckDB column name for a PostgreSQL attribute number.
pub fn column_name(attnum: i16) -> String {
    format!("c{attnum}")
}

/// File name of a database's DuckDB file, relative to `$PGDATA/pg_duckam`.
pub fn database_file(database_oid: u32) -> String {
    format!("{database_oid}.duckdb")
}

/// Quotes an identifier for DuckDB SQL.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for DuckDB SQL.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_round_trip() {
        assert_eq!(table_name(16384), "r_16384");
        assert_eq!(relfilenode_of("r_16384"), Some(16384));
        assert_eq!(relfilenode_of(&table_name(u32::MAX)), Some(u32::MAX));
        for bad in ["r_", "r_01", "x_1", "r_1a", "r_99999999999", "R_1"] {
            assert_eq!(relfilenode_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(column_name(3), "c3");
        assert_eq!(database_file(5), "5.duckdb");
    }
}
