//! `yarn.lock`: v1 (yarn classic) and berry (yarn 2+, `__metadata`), parsed with
//! `yarn-lock-parser`. Entries are keyed by their descriptors (`name@range`); a dependency
//! `name: range` resolves to the entry holding that descriptor.

use super::{ExtractError, Format, Graph, Node};
use foldhash::{HashMap, HashMapExt};

/// Whether `text` looks like a yarn lockfile (cheap check).
pub fn applies(file_name: &str, text: &str) -> bool {
    file_name == "yarn.lock"
        && (text.contains("# yarn lockfile v1") || text.contains("__metadata:"))
}

/// `npm:^1.2.3` → `^1.2.3` (berry protocol prefixes for registry packages).
fn strip_protocol(range: &str) -> &str {
    range.strip_prefix("npm:").unwrap_or(range)
}

/// Reads a yarn lockfile.
pub fn extract(text: &str, file: &str) -> Result<(Format, Graph), ExtractError> {
    // yarn-lock-parser wants "\n" endings and a trailing newline.
    let normalised;
    let text = if text.contains('\r') || !text.ends_with('\n') {
        normalised = format!("{}\n", text.replace("\r\n", "\n").trim_end_matches('\n'));
        normalised.as_str()
    } else {
        text
    };
    let lock = std::panic::catch_unwind(|| yarn_lock_parser::parse_str(text))
        .map_err(|_| ExtractError::new(file, "the yarn lockfile parser failed on this file"))?
        .map_err(|e| ExtractError::new(file, format!("not a valid yarn.lock: {e}")))?;
    let berry = text.contains("__metadata:");
    let format = if berry {
        Format::YarnBerry
    } else {
        Format::YarnV1
    };
    // Header lines (not indented, ending in ':') → line numbers.
    let mut headers: Vec<(u32, &str)> = Vec::new();
    for (n, line) in super::lines_inclusive(text).enumerate() {
        let l = line.trim_end();
        if !l.is_empty() && !l.starts_with([' ', '#']) && l.ends_with(':') {
            headers.push((n as u32 + 1, l));
        }
    }
    let mut g = Graph::default();
    // (borrowed from the parsed lockfile: no strings per descriptor or per dependency)
    let mut by_descriptor: HashMap<(&str, &str), usize> = HashMap::new();
    let mut header_cursor = 0;
    for entry in &lock.entries {
        if berry && entry.version == "0.0.0-use.local" {
            // The workspace itself.
            continue;
        }
        let first = entry.descriptors.first();
        let mut line = 0;
        if let Some((n, r)) = first {
            let needle = format!("{n}@{r}");
            let found = headers[header_cursor..]
                .iter()
                .position(|(_, h)| h.contains(&needle))
                .map(|p| p + header_cursor)
                .or_else(|| headers.iter().position(|(_, h)| h.contains(&needle)));
            if let Some(p) = found {
                line = headers[p].0;
                header_cursor = p + 1;
            }
        }
        let i = g.nodes.len();
        g.nodes.push(Node {
            name: entry.name.to_string(),
            version: entry.version.to_string(),
            dev: None,
            optional: false,
            line,
            ..Node::default()
        });
        for (n, r) in &entry.descriptors {
            by_descriptor.insert((n, strip_protocol(r)), i);
        }
    }
    let mut node_index = 0;
    for entry in &lock.entries {
        if berry && entry.version == "0.0.0-use.local" {
            continue;
        }
        let deps = entry
            .dependencies
            .iter()
            .chain(&entry.optional_dependencies)
            .filter_map(|(n, r)| by_descriptor.get(&(*n, strip_protocol(r))).copied())
            .collect();
        g.nodes[node_index].deps = deps;
        node_index += 1;
    }
    // Root edges: yarn.lock does not record the root; package.json ranges resolve through the
    // descriptors (see `resolve_root`).
    g.root = HashMap::new();
    for ((n, r), &i) in &by_descriptor {
        g.root.insert(format!("{n}@{r}"), i);
    }
    Ok((format, g))
}

/// Resolves the app's declared `name@range` pairs through a yarn graph's descriptor map.
pub fn resolve_root(g: &mut Graph, declared: &[(String, String, bool)]) {
    let by_descriptor = std::mem::take(&mut g.root);
    for (name, range, _) in declared {
        let key = format!("{name}@{}", strip_protocol(range));
        if let Some(&i) = by_descriptor.get(&key) {
            g.root.insert(name.clone(), i);
        }
    }
}
