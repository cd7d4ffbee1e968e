//! `pnpm-lock.yaml`: 5.x (`/name/1.0.0` keys, `_peer` suffixes), 6.0 (`/name@1.0.0(peer)`
//! keys, `{specifier, version}` root entries) and 9.0 (`name@1.0.0` keys, edges under
//! `snapshots`, root edges under `importers`). Parsed with serde-saphyr.

use super::{lines_inclusive, ExtractError, Format, Graph, Node};
use foldhash::{HashMap, HashMapExt};
use serde_json::Value;

/// Whether `text` looks like a pnpm lockfile (cheap check).
pub fn applies(file_name: &str, text: &str) -> bool {
    file_name == "pnpm-lock.yaml" && text.contains("lockfileVersion")
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `1.2.3(peer@1)` / `1.2.3_peer@1` → `1.2.3`.
fn strip_peers(version: &str, v5: bool) -> &str {
    let v = version.split('(').next().unwrap_or(version);
    if v5 {
        v.split('_').next().unwrap_or(v)
    } else {
        v
    }
}

/// Splits a package key into (name, version, peer-suffixed key without the leading `/`).
fn split_key(key: &str, v5: bool) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    if v5 {
        let (name, version) = k.rsplit_once('/')?;
        return Some((name.to_string(), strip_peers(version, true).to_string()));
    }
    let base = k.split('(').next().unwrap_or(k);
    let at = base.get(1..)?.find('@')? + 1;
    Some((base[..at].to_string(), base[at + 1..].to_string()))
}

/// `text` with the one-line package fields eggsec never reads blanked (`    resolution:
/// {integrity: …}`, `    engines: {node: …}`: half the bytes of a real lockfile, a third of
/// its parse). Only a line that is, whole, a package entry's field (4 spaces) holding a
/// complete flow mapping is blanked: no brace, `#` or backslash inside the braces, and its
/// quotes paired. Line breaks stay, so parse errors keep their line numbers.
fn without_unread_fields(text: &str) -> std::borrow::Cow<'_, str> {
    fn unread(line: &str) -> bool {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(rest) = line.strip_prefix("    ") else {
            return false;
        };
        let Some(inner) = rest
            .strip_prefix("resolution: {")
            .or_else(|| rest.strip_prefix("engines: {"))
            .and_then(|r| r.strip_suffix('}'))
        else {
            return false;
        };
        !inner.contains(['{', '}', '#', '\\'])
            && inner.matches('\'').count() % 2 == 0
            && inner.matches('"').count() % 2 == 0
    }
    if !text.contains("    resolution: {") && !text.contains("    engines: {") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in lines_inclusive(text) {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if unread(body) {
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Reads a pnpm lockfile; the root edges are those of `importer`, the app's directory relative
/// to the lockfile's (`""`: the lockfile's own; `packages/api` in a workspace).
pub fn extract(text: &str, file: &str, importer: &str) -> Result<(Format, Graph), ExtractError> {
    extract_parsing(&without_unread_fields(text), text, file, importer)
}

/// [`extract`], parsing `parsed` (the lockfile, or it with unread fields blanked) and
/// finding lines in `text`.
fn extract_parsing(
    parsed: &str,
    text: &str,
    file: &str,
    importer: &str,
) -> Result<(Format, Graph), ExtractError> {
    let doc: Value = serde_saphyr::from_str(parsed).map_err(|e| {
        ExtractError::new(
            file,
            format!("not valid YAML: {}", first_line(&e.to_string())),
        )
    })?;
    let Some(obj) = doc.as_object() else {
        return Err(ExtractError::new(file, "not a YAML mapping"));
    };
    let version = obj
        .get("lockfileVersion")
        .and_then(scalar)
        .ok_or_else(|| ExtractError::new(file, "no lockfileVersion"))?;
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let format = match major {
        5 => Format::PnpmV5,
        6 => Format::PnpmV6,
        9 => Format::PnpmV9,
        _ => {
            return Err(ExtractError::new(
                file,
                format!("lockfileVersion {version} is not supported (5.x, 6.0 and 9.0 are)"),
            ))
        }
    };
    let v5 = major == 5;
    let empty = serde_json::Map::new();
    let packages = obj
        .get("packages")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let snapshots = obj.get("snapshots").and_then(Value::as_object);

    // Lines of the entries under `packages:` (and `snapshots:` for v9).
    let mut key_lines: HashMap<String, u32> = HashMap::new();
    let mut section = "";
    for (n, line) in lines_inclusive(text).enumerate() {
        let l = line.trim_end();
        if !l.starts_with(' ') && l.ends_with(':') {
            section = l.trim_end_matches(':');
        } else if section == "packages" && l.starts_with("  ") && !l.starts_with("   ") {
            let key = l.trim().trim_end_matches(':').trim_matches(['\'', '"']);
            key_lines.insert(key.to_string(), n as u32 + 1);
        }
    }

    // v9 nodes are snapshots (peer-resolved instances); earlier ones are packages.
    let instances = if major == 9 {
        snapshots.unwrap_or(packages)
    } else {
        packages
    };
    let mut g = Graph::default();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (key, entry) in instances {
        let Some((name, version)) = split_key(key, v5) else {
            continue;
        };
        let base = key.split('(').next().unwrap_or(key);
        let line = key_lines
            .get(key.as_str())
            .or_else(|| key_lines.get(base))
            .copied()
            .unwrap_or(0);
        let dev = entry.get("dev").and_then(Value::as_bool);
        let optional = entry
            .get("optional")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        by_key.insert(key.trim_start_matches('/').to_string(), g.nodes.len());
        g.nodes.push(Node {
            name,
            version,
            dev,
            optional,
            line,
            ..Node::default()
        });
    }
    let dep_key = |name: &str, version: &str| -> String {
        if version.starts_with('/') {
            return version.trim_start_matches('/').to_string();
        }
        if major == 9
            && version.contains('@')
            && !version.starts_with('(')
            && version.split('(').next().unwrap_or("").contains('@')
        {
            // npm alias: `string-width-cjs: string-width@4.2.3`
            return version.to_string();
        }
        if v5 {
            format!("{name}/{version}")
        } else {
            format!("{name}@{version}")
        }
    };
    let instance_keys: Vec<String> = instances.keys().cloned().collect();
    for key in instance_keys {
        let Some(&i) = by_key.get(key.trim_start_matches('/')) else {
            continue;
        };
        let entry = &instances[&key];
        let mut deps = Vec::new();
        for field in ["dependencies", "optionalDependencies"] {
            if let Some(d) = entry.get(field).and_then(Value::as_object) {
                for (n, v) in d {
                    if let Some(v) = scalar(v) {
                        if let Some(&j) = by_key.get(&dep_key(n, &v)) {
                            deps.push(j);
                        }
                    }
                }
            }
        }
        g.nodes[i].deps = deps;
    }
    // Root edges: the app's importer in a workspace (`importers["packages/api"]`), else
    // `importers["."]` (5.x workspaces, 6.0 workspaces, 9.0), else the top-level maps.
    let importers = obj.get("importers");
    let root_obj = importers
        .and_then(|i| i.get(if importer.is_empty() { "." } else { importer }))
        .or_else(|| importers.and_then(|i| i.get(".")))
        .and_then(Value::as_object)
        .unwrap_or(obj);
    for field in ["dependencies", "devDependencies", "optionalDependencies"] {
        if let Some(d) = root_obj.get(field).and_then(Value::as_object) {
            for (n, v) in d {
                let version = match v {
                    Value::Object(o) => o.get("version").and_then(scalar),
                    other => scalar(other),
                };
                if let Some(version) = version {
                    if let Some(&j) = by_key.get(&dep_key(n, &version)) {
                        g.root.insert(n.clone(), j);
                    }
                }
            }
        }
    }
    Ok((format, g))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Every pnpm lockfile at hand: the fixtures, and the corpus app's when the corpus is
    /// beside the repo.
    fn lockfiles() -> Vec<PathBuf> {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut out: Vec<PathBuf> = ["deps-pnpm-v5", "deps-pnpm-v6", "deps-pnpm-v9"]
            .iter()
            .map(|d| repo.join("tests/fixtures").join(d).join("pnpm-lock.yaml"))
            .collect();
        if let Some(corpus) = repo.canonicalize().ok().and_then(|r| {
            r.ancestors()
                .map(|a| a.join("shared/corpus"))
                .find(|c| c.join("apps.txt").is_file())
        }) {
            out.push(corpus.join("power17+poster-backend/pnpm-lock.yaml"));
        }
        out
    }

    #[test]
    fn blanking_unread_fields_changes_no_result() {
        let files = lockfiles();
        assert!(files.len() >= 3);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let blanked = without_unread_fields(&text);
            assert_eq!(
                blanked.lines().count(),
                text.lines().count(),
                "{}",
                f.display()
            );
            // (the root edges' map has no order of its own: compared sorted)
            let canon = |(format, g): (Format, Graph)| {
                let root: std::collections::BTreeMap<_, _> = g.root.into_iter().collect();
                format!("{format:?} {:?} {root:?} {:?}", g.nodes, g.problems)
            };
            let full = canon(extract_parsing(&text, &text, "pnpm-lock.yaml", "").unwrap());
            let fast = canon(extract(&text, "pnpm-lock.yaml", "").unwrap());
            assert_eq!(fast, full, "{}", f.display());
        }
        // the real lockfile loses most of its bytes to blanking
        if let Some(real) = files.get(3) {
            let text = std::fs::read_to_string(real).unwrap();
            assert!(without_unread_fields(&text).len() < text.len() * 3 / 5);
        }
    }

    #[test]
    fn only_whole_one_line_fields_are_blanked() {
        let kept = [
            "    resolution: {integrity: a, tarball: {",
            "    resolution: {integrity: 'a}",
            "    resolution: {integrity: a # }",
            "    resolution: {a: \"b\\\"}",
            "      resolution: {integrity: a}",
            "  resolution: {integrity: a}",
            "    resolutions: {integrity: a}",
            "    engines: {node: '>=6'} # x",
            "    dependencies: {a: 1}",
        ];
        for line in kept {
            let text = format!("a:\n{line}\n");
            assert_eq!(without_unread_fields(&text), text, "{line}");
        }
        let text = "a:\n    resolution: {integrity: sha512-x}\r\n    engines: {node: '>=6'}\n    dev: false\n";
        assert_eq!(without_unread_fields(text), "a:\n\n\n    dev: false\n");
    }
}
