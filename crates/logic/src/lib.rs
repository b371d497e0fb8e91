//! Pure logic of pg_duckam: naming, type rules and value conversions that do
//! not need PostgreSQL or DuckDB to run, so they are unit-tested with plain
//! `cargo test -p duckam_logic`.

pub mod bpchar;
pub mod decimal;
pub mod keys;
pub mod ledger;
pub mod naming;
pub mod profile;
pub mod range_errors;
pub mod sql;
pub mod temporal;
pub mod types;
pub mod uuid;
pub mod wire;
