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
    /// What went wrong, without the file (for a diagnostic that names the file and line
    /// itself): `column 45: syntax error: Unexpected token`, `cannot read: …`.
    pub fn reason(&self) -> String {
        match self {
            JsError::Parse {
                column, message, ..
            } => format!("column {column}: syntax error: {message}"),
            other => {
                let full = other.to_string();
                let path = other.path().display().to_string();
                match full.strip_prefix(&path).and_then(|r| r.strip_prefix(": ")) {
                    Some(rest) => rest.to_string(),
                    None => full,
                }
            }
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_the_message_without_the_file() {
        let path = PathBuf::from("/a/config/config.prod.js");
        let parse = JsError::Parse {
            path: path.clone(),
            line: 22,
            column: 45,
            message: "Unexpected token".into(),
        };
        assert_eq!(parse.reason(), "column 45: syntax error: Unexpected token");
        assert!(parse
            .to_string()
            .starts_with("/a/config/config.prod.js:22:45: "));
        let deep = JsError::TooDeep { path, limit: 128 };
        assert_eq!(
            deep.reason(),
            "nesting is too deep to evaluate (over 128 levels)"
        );
    }
}
