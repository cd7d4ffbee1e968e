//! Symbolic links in an app's code. egg's loader (globby) and Node's `require` follow them: a
//! controller or a directory of services linked in from elsewhere in a monorepo is loaded as
//! if it were there. Every walker of the app's code follows them too
//! ([`eggsec_fs::walk_following`]), within the repository that holds the app
//! ([`eggsec_fs::link_scope`]); a link out of it (an absolute path, `../../..` past the
//! repository) is not read — a hostile repository must not make an audit read the CI
//! machine's files — and one that may hold code makes the run partial, since egg would load
//! what eggsec did not read.

use crate::model::DiagnosticLevel;
use eggsec_fs::{Entry, Unfollowed};

/// What a walk of the app's code says of a link it did not follow (a diagnostic at the link's
/// path), or `None` when nothing egg loads is left out: a dangling link (globby skips
/// it too), or a link whose target is a file that is not code (`is_code` of the link's path).
pub fn unfollowed(
    e: &Entry,
    why: Unfollowed,
    is_code: &dyn Fn(&std::path::Path) -> bool,
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
