//! The one error type of pg_duckam. Logic returns `Result<T>`; the boundary
//! (AM callbacks, hooks, SQL functions) turns an `Error` into a PostgreSQL
//! ERROR with its SQLSTATE via `report()` / `or_report()`.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

use duckam_logic::wire::ErrorKind;

use crate::engine_server::ffi::DuckError;

#[derive(Debug, Clone)]
pub struct Error {
    pub code: PgSqlErrorCode,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: PgSqlErrorCode, message: impl Into<String>) -> Error {
        Error { code, message: message.into(), detail: None, hint: None }
    }

    /// SQLSTATE 0A000: something duckdb tables do not support (yet).
    pub fn unsupported(message: impl Into<String>) -> Error {
        Error::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, message)
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.detail = Some(detail.into());
        self
    }

    /// Raises the error in PostgreSQL; does not return.
    pub fn report(self) -> ! {
        if self.code == PgSqlErrorCode::ERRCODE_QUERY_CANCELED || crate::engine::cancel_pending() {
            // DuckDB stopped because PostgreSQL has an interrupt pending
            // (whichever error the stopped statement ended with): let
            // PostgreSQL raise its own cancel / timeout error.
            pgrx::pg_sys::check_for_interrupts!();
        }
        let mut report = ErrorReport::new(self.code, self.message, "pg_duckam");
        if let Some(d) = self.detail {
            report = report.set_detail(d);
        }
        if let Some(h) = self.hint {
            report = report.set_hint(h);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("ERROR does not return")
    }
}

/// Errors the deparser has DuckDB raise with `error(text)` on PostgreSQL's
/// behalf (new-row checks of UPDATE/INSERT), with the SQLSTATE carried in
/// the text.
const RAISED: [(&str, PgSqlErrorCode); 7] = [
    ("23502", PgSqlErrorCode::ERRCODE_NOT_NULL_VIOLATION),
    ("23514", PgSqlErrorCode::ERRCODE_CHECK_VIOLATION),
    ("42501", PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE),
    ("44000", PgSqlErrorCode::ERRCODE_WITH_CHECK_OPTION_VIOLATION),
    ("22001", PgSqlErrorCode::ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
    ("22003", PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
    ("21000", PgSqlErrorCode::ERRCODE_CARDINALITY_VIOLATION),
];

/// The text for DuckDB's `error()` that comes back as `code` + `message`.
pub fn raise_text(code: PgSqlErrorCode, message: &str) -> String {
    let sqlstate = RAISED.iter().find(|(_, c)| *c == code).map_or("XX000", |(s, _)| s);
    format!("pg_duckam[{sqlstate}]: {message}")
}

fn raised(message: &str) -> Option<Error> {
    let rest = &message[message.find("pg_duckam[")? + "pg_duckam[".len()..];
    let (sqlstate, text) = rest.split_once("]: ")?;
    let (_, code) = RAISED.iter().find(|(s, _)| *s == sqlstate)?;
    let err = Error::new(*code, text.lines().next().unwrap_or(text));
    Some(if *code == PgSqlErrorCode::ERRCODE_CARDINALITY_VIOLATION {
        err.with_hint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values.")
    } else {
        err
    })
}

/// DuckDB's write-write conflicts: another transaction changed the same
/// rows (or catalog entry) and committed after this one began.
const CONFLICTS: [&str; 4] = ["Conflict on update", "Conflict on tuple deletion", "write-write conflict", "Catalog write-write conflict"];

impl From<DuckError> for Error {
    fn from(e: DuckError) -> Error {
        if let Some(err) = raised(&e.message) {
            return err;
        }
        if CONFLICTS.iter().any(|c| e.message.contains(c)) {
            return Error::new(PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE, "could not serialize access due to concurrent update of a duckdb table")
                .with_detail(format!("duckdb: {}", e.message))
                .with_hint("Retry the transaction.");
        }
        if e.kind == ErrorKind::Engine {
            let code = if e.message.contains("does not exist") { PgSqlErrorCode::ERRCODE_UNDEFINED_FILE } else { PgSqlErrorCode::ERRCODE_INTERNAL_ERROR };
            let mut err = Error::new(code, e.message);
            if code == PgSqlErrorCode::ERRCODE_UNDEFINED_FILE {
                err = err.with_hint("duckdb tables are stored per database; a database created from a template does not copy them.");
            }
            return err;
        }
        // Errors the deparser asks DuckDB to raise with PostgreSQL's
        // wording, and DuckDB errors that are PostgreSQL errors by meaning:
        // (DuckDB text, SQLSTATE, PostgreSQL's own message if it has one
        // (else DuckDB's first line, prefixed "duckdb: "), hint).
        const DIVISION: Option<&str> = Some("division by zero");
        let by_message = [
            ("No space left on device", PgSqlErrorCode::ERRCODE_DISK_FULL, None, Some("The disk holding the DuckDB file or duckam.temp_directory (where DuckDB spills) is full.")),
            // DuckDB's advice that follows (TRY, a setting) does not apply here.
            ("Division by zero", PgSqlErrorCode::ERRCODE_DIVISION_BY_ZERO, DIVISION, None),
            ("division by zero", PgSqlErrorCode::ERRCODE_DIVISION_BY_ZERO, DIVISION, None),
            ("value out of range", PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, None, None),
            ("date out of range", PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW, Some("date out of range"), None),
            ("Date out of range", PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW, Some("date out of range"), None),
            ("cannot subtract infinite dates", PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW, Some("cannot subtract infinite dates"), None),
            ("Date and time not in timestamp range", PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW, Some("timestamp out of range"), None),
            ("More than one row returned by a subquery", PgSqlErrorCode::ERRCODE_CARDINALITY_VIOLATION, None, None),
            ("out of memory in the pg_duckam engine", PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY, Some("out of memory in the pg_duckam engine"),
             Some("Raise duckam.memory_limit (the engine's memory for all sessions; restart needed): a single value needs room for several copies in DuckDB.")),
            ("pg_duckam: ", PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, None, None),
        ];
        if let Some((_, code, pg_message, hint)) = by_message.iter().find(|(m, ..)| e.message.contains(m)) {
            let err = match pg_message {
                Some(m) => Error::new(*code, *m),
                None => {
                    let message = e.message.split_once("Error: ").map(|(_, m)| m).unwrap_or(&e.message);
                    let message = message.lines().next().unwrap_or(message).trim_start_matches("pg_duckam: ");
                    Error::new(*code, format!("duckdb: {message}"))
                }
            };
            return match hint {
                Some(h) => err.with_hint(*h),
                None => err,
            };
        }
        // DuckDB's words for a date past the timestamp range (a date is an
        // INT32 of days, a timestamp an INT64 of microseconds).
        if e.message.contains("Type INT32 with value") && e.message.contains("can't be cast to the destination type INT64") {
            return Error::new(PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW, "date out of range for timestamp");
        }
        // Overflow and out-of-range conversions: PostgreSQL's own wording.
        if let Some(pg) = duckam_logic::range_errors::numeric_range_message(&e.message) {
            return Error::new(PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, pg);
        }
        let code = match e.kind {
            ErrorKind::Interrupted => PgSqlErrorCode::ERRCODE_QUERY_CANCELED,
            ErrorKind::OutOfMemory => PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY,
            ErrorKind::Constraint => PgSqlErrorCode::ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION,
            ErrorKind::OutOfRange => PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
            ErrorKind::Engine | ErrorKind::Other => PgSqlErrorCode::ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
        };
        if e.kind == ErrorKind::OutOfMemory {
            // DuckDB's own advice that follows (SET threads, SET
            // memory_limit) is not something a PostgreSQL user can do.
            return Error::new(code, "out of memory in the pg_duckam engine")
                .with_detail(format!("duckdb: {}", first_line(&e.message)))
                .with_hint("Raise duckam.memory_limit (the engine's memory for all sessions; restart needed), or give duckam.temp_directory more space to spill.");
        }
        // The first line is the error; DuckDB's context lines (the
        // generated SQL it points into) go to DETAIL.
        let mut err = Error::new(code, format!("duckdb: {}", first_line(&e.message)));
        let rest = e.message.lines().skip(1).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
        if !rest.is_empty() {
            err = err.with_detail(rest);
        }
        err
    }
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message)
}

/// `result.or_report()` raises the error as a PostgreSQL ERROR.
pub trait OrReport<T> {
    fn or_report(self) -> T;
}

impl<T> OrReport<T> for Result<T> {
    fn or_report(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => e.report(),
        }
    }
}
