//! Engine errors. Each kind maps to a stable JS error code (`ERR_CONCLUDE_*`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input could not be parsed (`ERR_CONCLUDE_PARSE`).
    Parse,
    /// An option is out of range or malformed (`ERR_CONCLUDE_OPTIONS`).
    Options,
    /// Columnar input (`analyzeColumns`) is inconsistent: lengths differ, a timestamp is not
    /// finite, an id is empty (`ERR_CONCLUDE_COLUMNS`).
    Columns,
    /// The work was cancelled through an AbortSignal (`ABORT_ERR`, as Node's own).
    Aborted,
    /// Reading the input or a temporary file failed (`ERR_CONCLUDE_IO`).
    Io,
    /// A bug: a panic caught at the boundary (`ERR_CONCLUDE_INTERNAL`).
    Internal,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Parse => "ERR_CONCLUDE_PARSE",
            ErrorKind::Options => "ERR_CONCLUDE_OPTIONS",
            ErrorKind::Columns => "ERR_CONCLUDE_COLUMNS",
            ErrorKind::Aborted => "ABORT_ERR",
            ErrorKind::Io => "ERR_CONCLUDE_IO",
            ErrorKind::Internal => "ERR_CONCLUDE_INTERNAL",
        }
    }
}

/// An engine error. Parse errors carry the 1-based line and column and the reason; columnar
/// errors the series (its position in the input) and the field.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// 1-based line of the input, for parse errors.
    pub line: Option<usize>,
    /// 1-based column (byte offset in the line + 1) or CSV column name context, for parse errors.
    pub column: Option<usize>,
    /// Where a columnar input is wrong, for [`ErrorKind::Columns`].
    pub place: Option<ColumnPlace>,
}

/// A series of a columnar input (0-based position in the input) and its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnPlace {
    pub series: usize,
    /// `"id"`, `"ts"` or `"values"`.
    pub field: &'static str,
}

impl Error {
    pub fn parse(line: usize, column: usize, reason: impl fmt::Display) -> Self {
        Error {
            kind: ErrorKind::Parse,
            message: format!("line {line}, column {column}: {reason}"),
            line: Some(line),
            column: Some(column),
            place: None,
        }
    }
    /// `message` should name the series by position and id, as the caller knows both.
    pub fn columns(series: usize, field: &'static str, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Columns,
            message: message.into(),
            line: None,
            column: None,
            place: Some(ColumnPlace { series, field }),
        }
    }
    pub fn options(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Options, message: message.into(), line: None, column: None, place: None }
    }
    pub fn aborted() -> Self {
        Error {
            kind: ErrorKind::Aborted,
            message: "the analysis was aborted".into(),
            line: None,
            column: None,
            place: None,
        }
    }
    /// A file over the size it was allowed (no room left, as `ENOSPC` is for a file system).
    pub fn io_limit(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Io, message: message.into(), line: None, column: None, place: None }
    }
    /// An I/O failure: `what` names the file and the operation.
    pub fn io(what: impl fmt::Display, e: &std::io::Error) -> Self {
        Error { kind: ErrorKind::Io, message: format!("{what}: {e}"), line: None, column: None, place: None }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Internal, message: message.into(), line: None, column: None, place: None }
    }
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
