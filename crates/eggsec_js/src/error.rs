//! Errors from reading and parsing a file. Each names the file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum JsError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid UTF-8 (byte offset {offset})")]
    InvalidUtf8 { path: PathBuf, offset: usize },
    #[error("{path}: file is too large to evaluate ({size} bytes, limit {limit})")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path}: nesting is too deep to evaluate (over {limit} levels)")]
    TooDeep { path: PathBuf, limit: usize },
    #[error("{path}:{line}:{column}: syntax error: {message}")]
    Parse {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("{path}: invalid JSON: {message}")]
    Json { path: PathBuf, message: String },
    #[error(
        "{path}: looks like a binary file (NUL byte at offset {offset}), not JavaScript or JSON"
    )]
    Binary { path: PathBuf, offset: usize },
    /// The evaluator itself failed (a bug); reported like any bad file so the run goes on.
    #[error("{path}: internal evaluator error: {message}")]
    Internal { path: PathBuf, message: String },
}

impl JsError {
    pub fn path(&self) -> &std::path::Path {
        match self {
            JsError::Io { path, .. }
            | JsError::InvalidUtf8 { path, .. }
            | JsError::TooLarge { path, .. }
            | JsError::TooDeep { path, .. }
            | JsError::Parse { path, .. }
            | JsError::Json { path, .. }
            | JsError::Binary { path, .. }
            | JsError::Internal { path, .. } => path,
        }
    }
}
