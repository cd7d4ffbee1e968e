//! `package-lock.json` / `npm-shrinkwrap.json`: v1 (nested `dependencies` with `requires`),
//! v2 and v3 (flat `packages` keyed by install path). Lines come from a cursor walk over the
//! text in document order (serde_json keeps key order).

use super::{name_from_path, resolve_path, ExtractError, Format, Graph, LineIndex, Node};
use foldhash::{HashMap, HashMapExt};
use serde_json::{Map, Value};

/// Whether `text` looks like an npm lockfile (cheap check).
pub fn applies(file_name: &str, text: &str) -> bool {
    (file_name == "package-lock.json" || file_name == "npm-shrinkwrap.json")
        && text.trim_start().starts_with('{')
}

/// Finds the entry key `"key": {` from `cursor`; returns its offset.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    lines: LineIndex,
}

impl Cursor<'_> {
    fn find_entry(&mut self, key: &str) -> u32 {
        let needle = format!("\"{key}\"");
        let mut from = self.pos;
        while let Some(rel) = self.text[from..].find(&needle) {
            let at = from + rel;
            let after = self.text[at + needle.len()..].trim_start();
            if let Some(rest) = after.strip_prefix(':') {
                if rest.trim_start().starts_with('{') {
                    self.pos = at + needle.len();
                    return self.lines.line_of(at);
                }
            }
            from = at + needle.len();
        }
        0
    }
}

/// Reads an npm lockfile; the root edges are those of `importer`, the app's directory relative
/// to the lockfile's (`""`: the lockfile's own; `packages/api`, a workspace of v2 and v3).
pub fn extract(text: &str, file: &str, importer: &str) -> Result<(Format, Graph), ExtractError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ExtractError::new(file, format!("not valid JSON: {e}")))?;
    let Some(obj) = doc.as_object() else {
        return Err(ExtractError::new(file, "not a JSON object"));
    };
    let version = obj
        .get("lockfileVersion")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let mut cursor = Cursor {
        text,
        pos: 0,
        lines: LineIndex::new(text),
    };
    match (version, obj.get("packages").and_then(Value::as_object)) {
        (2 | 3, Some(packages)) => {
            let format = if version == 2 {
                Format::PackageLockV2
            } else {
                Format::PackageLockV3
            };
            if let Some(p) = text.find("\"packages\"") {
                cursor.pos = p;
            }
            Ok((format, from_packages(packages, &mut cursor, importer)))
        }
        (1 | 2, _) => {
            let empty = Map::new();
            let deps = obj
                .get("dependencies")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            if let Some(p) = text.find("\"dependencies\"") {
                cursor.pos = p;
            }
            let mut g = Graph::default();
            let mut keys = HashMap::new();
            let mut requires = Vec::new();
            walk_v1(
                deps,
                "",
                &mut cursor,
                &mut g,
                &mut keys,
                &mut requires,
                file,
            )?;
            for (i, key, names) in requires {
                g.nodes[i].deps = names
                    .iter()
                    .filter_map(|n| resolve_path(&keys, &key, n))
                    .collect();
            }
            g.root = top_level(&keys);
            Ok((Format::PackageLockV1, g))
        }
        (v, _) => Err(ExtractError::new(
            file,
            format!("lockfileVersion {v} is not supported (1, 2 and 3 are)"),
        )),
    }
}

fn top_level(keys: &HashMap<String, usize>) -> HashMap<String, usize> {
    keys.iter()
        .filter(|(k, _)| k.starts_with("node_modules/") && k.matches("node_modules/").count() == 1)
        .map(|(k, &i)| (name_from_path(k).to_string(), i))
        .collect()
}

/// `"npm:real@1.0.0"` → (`real`, `1.0.0`).
fn alias(version: &str) -> Option<(&str, &str)> {
    let spec = version.strip_prefix("npm:")?;
    let at = spec[1..].find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

type Requires = Vec<(usize, String, Vec<String>)>;

fn walk_v1(
    deps: &Map<String, Value>,
    parent: &str,
    cursor: &mut Cursor<'_>,
    g: &mut Graph,
    keys: &mut HashMap<String, usize>,
    requires: &mut Requires,
    file: &str,
) -> Result<(), ExtractError> {
    for (name, entry) in deps {
        let line = cursor.find_entry(name);
        let Some(e) = entry.as_object() else {
            return Err(ExtractError::new(
                file,
                format!("line {line}: dependency {name:?} is not an object"),
            ));
        };
        let key = if parent.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{parent}/node_modules/{name}")
        };
        let raw_version = e.get("version").and_then(Value::as_str).unwrap_or("");
        let (real, version) = alias(raw_version).unwrap_or((name.as_str(), raw_version));
        let i = g.nodes.len();
        g.nodes.push(Node {
            name: real.to_string(),
            version: version.to_string(),
            dev: Some(e.get("dev").and_then(Value::as_bool).unwrap_or(false)),
            optional: e.get("optional").and_then(Value::as_bool).unwrap_or(false),
            line,
            ..Node::default()
        });
        keys.insert(key.clone(), i);
        let names = e
            .get("requires")
            .and_then(Value::as_object)
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        requires.push((i, key.clone(), names));
        if let Some(nested) = e.get("dependencies").and_then(Value::as_object) {
            walk_v1(nested, &key, cursor, g, keys, requires, file)?;
        }
    }
    Ok(())
}

fn from_packages(packages: &Map<String, Value>, cursor: &mut Cursor<'_>, importer: &str) -> Graph {
    // the app's own entry in a workspace (`"packages/api": {...}`), else the root's
    let importer = if !importer.is_empty() && packages.contains_key(importer) {
        importer
    } else {
        ""
    };
    let mut g = Graph::default();
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let mut pending: Vec<(usize, String, Vec<String>)> = Vec::new();
    let mut root_deps: Vec<String> = Vec::new();
    for (key, entry) in packages {
        let line = if key.is_empty() {
            0
        } else {
            cursor.find_entry(key)
        };
        let empty = Map::new();
        let e = entry.as_object().unwrap_or(&empty);
        let dep_names: Vec<String> = [
            "dependencies",
            "optionalDependencies",
            "peerDependencies",
            "devDependencies",
        ]
        .iter()
        // the app's own entry: its dev dependencies, not its peers; a package's: the reverse
        .filter(|k| key != importer || **k != "peerDependencies")
        .filter(|k| key == importer || **k != "devDependencies")
        .filter_map(|k| e.get(*k).and_then(Value::as_object))
        .flat_map(|o| o.keys().cloned())
        .collect();
        if key == importer {
            root_deps = dep_names;
            continue;
        }
        if key.is_empty() {
            continue;
        }
        if e.get("link").and_then(Value::as_bool) == Some(true) {
            if let Some(target) = e.get("resolved").and_then(Value::as_str) {
                links.push((key.clone(), target.to_string()));
            }
            continue;
        }
        let name = e
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_else(|| name_from_path(key))
            .to_string();
        let i = g.nodes.len();
        g.nodes.push(Node {
            name,
            version: e
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            dev: Some(
                e.get("dev").and_then(Value::as_bool).unwrap_or(false)
                    || e.get("devOptional")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                        && e.get("optional").is_none(),
            ),
            optional: e.get("optional").and_then(Value::as_bool).unwrap_or(false),
            line,
            ..Node::default()
        });
        keys.insert(key.clone(), i);
        pending.push((i, key.clone(), dep_names));
    }
    for (link, target) in links {
        if let Some(&i) = keys.get(&target) {
            keys.insert(link, i);
        }
    }
    for (i, key, names) in pending {
        g.nodes[i].deps = names
            .iter()
            .filter_map(|n| resolve_path(&keys, &key, n))
            .collect();
    }
    g.root = root_deps
        .iter()
        .filter_map(|n| resolve_path(&keys, importer, n).map(|i| (n.clone(), i)))
        .collect();
    for (n, i) in top_level(&keys) {
        g.root.entry(n).or_insert(i);
    }
    g
}
