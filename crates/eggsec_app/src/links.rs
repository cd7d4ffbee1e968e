//! Symbolic links in an app's code. egg's loader (globby) and Node's `require` follow them: a
//! controller or a directory of services linked in from elsewhere in a monorepo is loaded as
//! if it were there. Every walker of the app's code follows them too
//! ([`eggsec_fs::walk_following`]), within the repository that holds the app
//! ([`eggsec_fs::link_scope`]); a link out of it (an absolute path, `../../..` past the
//! repository) is not read — a hostile repository must not make an audit read the CI
//! machine's files — and one that may hold code makes the run partial, since egg would load
//! what eggsec did not read.

use crate::model::DiagnosticLevel;
use crate::vendored::{is_vendored_dir, is_vendored_name};
use eggsec_fs::{Entry, Unfollowed};
use std::path::{Path, PathBuf};

/// What one walker of an app's code says of the links it did not follow, the same way for
/// every walker: nothing of a link under a name the walker never reads, of browser or vendored
/// code, or of one that holds nothing egg loads; "too many" once.
#[derive(Default)]
pub struct Refused {
    too_many: bool,
}

impl Refused {
    /// The diagnostic for the link `e` below the app at `root` (to be shown at the link's
    /// path), or `None`. `skip_names`: the directory names the walker never enters.
    pub fn say(
        &mut self,
        root: &Path,
        e: &Entry,
        why: Unfollowed,
        skip_names: &[&str],
        is_code: &dyn Fn(&Path) -> bool,
    ) -> Option<(DiagnosticLevel, String)> {
        let name = eggsec_fs::lossy(&e.name);
        let rel = eggsec_fs::strip_root(&e.path, root).unwrap_or(&e.path);
        if skip_names.contains(&name.as_ref())
            || is_vendored_dir(rel)
            || is_vendored_name(&name)
            || (why == Unfollowed::TooMany && std::mem::replace(&mut self.too_many, true))
        {
            return None;
        }
        unfollowed(e, why, is_code)
    }
}

/// Every file below `dir` that `keep` takes, links followed within the repository of the app
/// at `root` (one not followed is said by the code model's walk), at most `limit`, in the
/// walk's order.
pub fn files_below(
    dir: &Path,
    root: &Path,
    limit: usize,
    keep: &dyn Fn(&Path) -> bool,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    eggsec_fs::walk_following(
        dir,
        false,
        root,
        &mut |_| true,
        &mut |e| {
            if out.len() < limit && e.file_type.is_some_and(|t| t.is_file()) && keep(&e.path) {
                out.push(e.path.clone());
            }
            out.len() < limit
        },
        &mut |_, _| {},
    );
    out
}

/// What a walk of the app's code says of a link it did not follow (a diagnostic at the link's
/// path), or `None` when nothing egg loads is left out: a dangling link (globby skips
/// it too), or a link whose target is a file that is not code (`is_code` of the link's path).
fn unfollowed(
    e: &Entry,
    why: Unfollowed,
    is_code: &dyn Fn(&Path) -> bool,
) -> Option<(DiagnosticLevel, String)> {
    let to = std::fs::read_link(&e.path)
        .map(|t| eggsec_fs::lossy(t.as_os_str()).into_owned())
        .unwrap_or_default();
    match why {
        Unfollowed::Dangling => None,
        Unfollowed::Loop => Some((
            DiagnosticLevel::Warning,
            format!(
                "a symbolic link to `{to}`, a directory it is inside (a loop): not \
followed"
            ),
        )),
        Unfollowed::Outside => {
            // (its type, without reading it: a link to an image outside is nothing egg loads)
            let file = std::fs::metadata(&e.path).is_ok_and(|m| m.is_file());
            if file && !is_code(&e.path) {
                return None;
            }
            Some((
                DiagnosticLevel::Unread,
                format!(
                    "a symbolic link to `{to}`, outside the repository: egg loads what \
it links to, eggsec does not read it (only links within the repository are followed)"
                ),
            ))
        }
        Unfollowed::TooMany => Some((
            DiagnosticLevel::Unread,
            format!(
                "a symbolic link not followed: more than {} entries met through links \
already",
                eggsec_fs::MAX_LINKED_ENTRIES
            ),
        )),
    }
}
