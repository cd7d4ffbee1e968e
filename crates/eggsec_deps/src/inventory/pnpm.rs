//! `pnpm-lock.yaml`: 5.x (`/name/1.0.0` keys, `_peer` suffixes), 6.0 (`/name@1.0.0(peer)`
//! keys, `{specifier, version}` root entries) and 9.0 (`name@1.0.0` keys, edges under
//! `snapshots`, root edges under `importers`). Parsed with serde-saphyr.

use super::{ExtractError, Format, Graph, LineIndex, Node};
use serde_json::Value;
use std::collections::HashMap;

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

/// Reads a pnpm lockfile.
pub fn extract(text: &str, file: &str) -> Result<(Format, Graph), ExtractError> {
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| {
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
    let index = LineIndex::new(text);
    let mut key_lines: HashMap<String, u32> = HashMap::new();
    let mut section = "";
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end();
        if !l.starts_with(' ') && l.ends_with(':') {
            section = l.trim_end_matches(':');
        } else if section == "packages" && l.starts_with("  ") && !l.starts_with("   ") {
            let key = l.trim().trim_end_matches(':').trim_matches(['\'', '"']);
            key_lines.insert(key.to_string(), index.line_of(offset));
        }
        offset += line.len();
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
    // Root edges: `importers["."]` (5.x workspaces, 6.0 workspaces, 9.0) or top-level maps.
    let root_obj = obj
        .get("importers")
        .and_then(|i| i.get("."))
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
