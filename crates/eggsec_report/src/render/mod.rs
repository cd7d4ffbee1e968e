//! The output formats of `eggsec audit --format
//! text|json|sarif|markdown|html|concise|github|gitlab|junit`.

pub mod ci;
mod frames;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;

/// Escapes text for one cell of a Markdown table (pipes, newlines).
pub(crate) fn md_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}
