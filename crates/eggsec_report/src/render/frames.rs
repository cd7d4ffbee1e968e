//! The masked source lines code frames show (text and HTML reports): each file read and masked
//! once per report ([`crate::mask::mask_source`]), and only down to the last line a frame of
//! the report shows (each line's mask depends on the lines above it, never below).

use crate::render::text::SourceLookup;
use crate::{Location, Report};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub(crate) struct Frames<'a> {
    lookup: Option<SourceLookup<'a>>,
    /// The last line of each file a frame of the report shows.
    shown_to: HashMap<PathBuf, usize>,
    /// Each file's masked lines (`None`: it could not be read).
    masked: RefCell<HashMap<PathBuf, Option<Rc<Vec<String>>>>>,
}

impl<'a> Frames<'a> {
    /// The frames of `report`, each showing `context` lines below its finding's line; no
    /// frames without `lookup`.
    pub(crate) fn new(report: &Report, lookup: Option<SourceLookup<'a>>, context: usize) -> Self {
        let mut shown_to = HashMap::new();
        if lookup.is_some() {
            for app in &report.apps {
                for f in &app.findings {
                    if let Location::File { path, line, .. } = &f.location {
                        let last = shown_to.entry(file(&app.root, path)).or_insert(0usize);
                        *last = (*last).max(*line as usize + context);
                    }
                }
            }
        }
        Frames {
            lookup,
            shown_to,
            masked: RefCell::default(),
        }
    }

    /// The masked lines of a finding's file (`root`: its app's root as the report shows it),
    /// down to the last line a frame of the report shows; `None` without a lookup or when the
    /// file cannot be read.
    pub(crate) fn lines(&self, root: &str, path: &str) -> Option<Rc<Vec<String>>> {
        let lookup = self.lookup?;
        let file = file(root, path);
        self.masked
            .borrow_mut()
            .entry(file.clone())
            .or_insert_with(|| {
                let last = self.shown_to.get(&file).copied().unwrap_or(usize::MAX);
                lookup(&file).map(|source| Rc::new(crate::mask::mask_source_to(&source, last)))
            })
            .clone()
    }
}

/// The source file of a finding's location, as code frames read it.
fn file(root: &str, path: &str) -> PathBuf {
    Path::new(root).join(path)
}

/// A finding of rule `R1` at `path`:`line` (column 1), for the frame tests of both reports.
#[cfg(test)]
pub(crate) fn finding_at(path: &str, line: u32) -> crate::Finding {
    crate::Finding::new(
        "R1",
        "rule",
        crate::Strategy::Csrf,
        crate::Severity::High,
        "m",
        Location::File {
            path: path.into(),
            line,
            column: 1,
        },
    )
}
