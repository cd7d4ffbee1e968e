//! Version skew (issue 18, deliverable 4): without `node_modules`, egg's and its built-in
//! plugins' defaults come from one embedded snapshot per egg major (egg 2.37.0, 3.34.0...),
//! while the app may be locked to another version (egg 2.26.0 with egg-session 3.1.0, which has
//! no `session.logValue`). The app's lockfile (package-lock.json, yarn.lock, pnpm-lock.yaml)
//! says which versions egg would run with; `defaults/skew.json` (generated from the real
//! packages by `tests/oracle/gen-version-skew.js`) says which config keys differ between
//! versions. Each embedded layer of a unit locked to another version than the snapshot's gets,
//! for every varying key, the value of the locked version — or an `Unknown` saying why when the
//! locked version lies between two sampled versions that disagree, or outside what was sampled.

use crate::config::LoadUnit;
use crate::defaults::{fill_pkg_dir, from_tagged, Snapshot};
use crate::model::{ConfigLayer, Diagnostic, DiagnosticLevel, UnitKind};
use eggsec_js::{AppInfo, Object, Provenance, Value, ValueKind};
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// One package's sampled versions and the keys that differ between them.
#[derive(Debug, Deserialize)]
pub struct SkewPackage {
    /// Sampled versions, oldest first.
    pub versions: Vec<String>,
    /// env → file type → dotted key → its tagged value per sampled version (`{"$absent": true}`),
    /// as [`Runs`].
    pub files: IndexMap<String, IndexMap<String, IndexMap<String, Runs>>>,
    /// `eggPlugin` field (`env`, `dependencies`, `optionalDependencies`) → its value per sampled
    /// version (as [`Runs`]), for the fields that differ between versions.
    #[serde(default)]
    pub meta: IndexMap<String, Runs>,
}

/// Values per sampled version, stored as runs: `[[first version index, value], ...]`, each
/// value holding from its index up to the next run's. A key changes a handful of times over a
/// hundred versions: the table holds a fifteenth of the values it would hold one per version
/// (parsing them all was a sixth of a small app's audit).
#[derive(Debug, PartialEq)]
pub struct Runs(Vec<(usize, serde_json::Value)>);

impl Runs {
    /// The value at the version index `i`.
    pub fn get(&self, i: usize) -> Option<&serde_json::Value> {
        let k = self.0.partition_point(|(start, _)| *start <= i);
        k.checked_sub(1).map(|k| &self.0[k].1)
    }

    /// The index after which no run starts (the versions must reach past it).
    #[cfg(test)]
    fn last_start(&self) -> usize {
        self.0.last().map_or(0, |(start, _)| *start)
    }

    /// Runs of values given one per version (as the generator makes them).
    #[cfg(test)]
    fn of(values: Vec<serde_json::Value>) -> Runs {
        let mut runs: Vec<(usize, serde_json::Value)> = Vec::new();
        for (i, v) in values.into_iter().enumerate() {
            if runs.last().is_none_or(|(_, last)| *last != v) {
                runs.push((i, v));
            }
        }
        Runs(runs)
    }
}

impl<'de> Deserialize<'de> for Runs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let runs: Vec<(usize, serde_json::Value)> = Vec::deserialize(d)?;
        let ordered = runs.first().is_some_and(|(start, _)| *start == 0)
            && runs.windows(2).all(|w| w[0].0 < w[1].0);
        if !ordered {
            return Err(serde::de::Error::custom(
                "runs must start at version index 0 and go up",
            ));
        }
        Ok(Runs(runs))
    }
}

static SKEW: OnceLock<Option<IndexMap<String, SkewPackage>>> = OnceLock::new();

/// The embedded version-skew table (`defaults/skew.json`).
pub fn table() -> Option<&'static IndexMap<String, SkewPackage>> {
    SKEW.get_or_init(|| serde_json::from_str(include_str!("../defaults/skew.json")).ok())
        .as_ref()
}

/// The versions the app's lockfile resolves egg and its plugins to.
#[derive(Clone, Debug, Default)]
pub struct Locked {
    /// The lockfile, as shown (relative to the app root).
    pub file: String,
    /// package → version: the app's own dependency, else egg's when egg depends on it, else the
    /// first instance.
    pub versions: HashMap<String, String>,
}

impl Locked {
    /// Reads the lockfile of the app whose package.json is in `pkg_dir` (or an ancestor's, for a
    /// workspace). `None` without a lockfile.
    pub fn read(pkg_dir: &Path) -> Option<Locked> {
        eggsec_deps::inventory::find_lockfile(pkg_dir)?;
        let inv = eggsec_deps::inventory::inventory_shared(pkg_dir);
        if inv.format.is_none() || inv.packages.is_empty() {
            return None;
        }
        let mut versions = HashMap::new();
        // egg-core looks a plugin package up in the app's node_modules first, then in egg's:
        // a plugin the app depends on itself (installed at the top) wins over egg's own
        // dependency (egg-multipart 1.5.1 in the app, 2.13.1 under egg)
        for d in inv.direct.iter().filter(|d| !d.dev) {
            if let Some(p) = d.resolved.and_then(|i| inv.packages.get(i)) {
                versions.insert(p.name.clone(), p.version.clone());
            }
        }
        let egg = inv
            .direct
            .iter()
            .find(|d| d.name == "egg")
            .and_then(|d| d.resolved)
            .or_else(|| inv.packages.iter().position(|p| p.name == "egg"));
        if let Some(i) = egg {
            let egg_pkg = &inv.packages[i];
            versions.insert("egg".to_string(), egg_pkg.version.clone());
            for &d in &egg_pkg.deps {
                if let Some(p) = inv.packages.get(d) {
                    versions
                        .entry(p.name.clone())
                        .or_insert_with(|| p.version.clone());
                }
            }
        }
        for p in &inv.packages {
            versions
                .entry(p.name.clone())
                .or_insert_with(|| p.version.clone());
        }
        Some(Locked {
            file: inv.file.clone(),
            versions,
        })
    }

    pub fn version(&self, package: &str) -> Option<&str> {
        self.versions.get(package).map(String::as_str)
    }
}

fn semver(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split('.').map(|p| p.parse::<u64>().ok());
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(Some(a)), Some(Some(b)), Some(Some(c)), None) => Some((a, b, c)),
        _ => None,
    }
}

/// What a varying key is at `version`.
#[derive(Debug, PartialEq)]
enum At<'a> {
    Set(&'a serde_json::Value),
    Absent,
    Unknown(String),
}

fn absent(v: &serde_json::Value) -> bool {
    v.get("$absent").is_some()
}

fn show(v: &serde_json::Value) -> String {
    if absent(v) {
        "not set".into()
    } else {
        v.to_string()
    }
}

/// The value of a key at `version` from its values per sampled version.
fn value_at<'a>(package: &str, versions: &[String], values: &'a Runs, version: &str) -> At<'a> {
    let found = |v: &'a serde_json::Value| if absent(v) { At::Absent } else { At::Set(v) };
    let Some(want) = semver(version) else {
        return At::Unknown(format!(
            "depends on {package}'s version: the lockfile has {version}, which is not a release version"
        ));
    };
    let parsed: Vec<Option<(u64, u64, u64)>> = versions.iter().map(|v| semver(v)).collect();
    if let Some(i) = parsed.iter().position(|p| *p == Some(want)) {
        return values.get(i).map_or(At::Unknown(String::new()), found);
    }
    let below = parsed.iter().rposition(|p| p.is_some_and(|p| p < want));
    let above = parsed.iter().position(|p| p.is_some_and(|p| p > want));
    let at = |i: usize| values.get(i).unwrap_or(&serde_json::Value::Null);
    match (below, above) {
        (Some(b), Some(a)) if values.get(b) == values.get(a) && values.get(a).is_some() => {
            found(at(a))
        }
        (Some(b), Some(a)) => At::Unknown(format!(
            "depends on {package}'s version: the lockfile has {version}; {package} {} has {}, {} has {}",
            versions[b],
            show(at(b)),
            versions[a],
            show(at(a))
        )),
        _ => At::Unknown(format!(
            "depends on {package}'s version: the lockfile has {version}, outside the versions eggsec knows ({}–{})",
            versions.first().map_or("", String::as_str),
            versions.last().map_or("", String::as_str)
        )),
    }
}

/// Sets (or removes) the value at a dotted path of an object value, creating objects on the way.
fn set_path(root: &mut Value, path: &str, value: Option<Value>, prov: &Provenance) {
    let mut parts = path.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        if !matches!(node.kind, ValueKind::Object(_)) {
            if value.is_none() {
                return;
            }
            *node = Value::object(Object::new(), prov.clone());
        }
        let ValueKind::Object(map) = &mut node.kind else {
            return;
        };
        if parts.peek().is_none() {
            match value {
                Some(v) => {
                    map.insert(part.to_string(), v);
                }
                None => {
                    map.shift_remove(part);
                }
            }
            return;
        }
        if value.is_none() && !map.contains_key(part) {
            return;
        }
        node = map
            .entry(part.to_string())
            .or_insert_with(|| Value::object(Object::new(), prov.clone()));
    }
}

/// The package a layer's unit loads from, and the version the embedded data has for it: egg's
/// snapshot for egg and its built-in plugins, eggsec's plugin knowledge for a third-party one.
fn unit_package<'a>(
    snap: &'a Snapshot,
    unit: &UnitKind,
    units: &[LoadUnit],
) -> Option<(&'a str, &'a str)> {
    match unit {
        UnitKind::Framework(name) if name == "egg" => Some(("egg", snap.egg_version.as_str())),
        UnitKind::Plugin(name) => {
            let package = units
                .iter()
                .find(|u| &u.kind == unit)
                .and_then(|u| u.package.as_deref())
                .unwrap_or(name);
            let p = snap
                .plugin(name, Some(package))
                .or_else(|| crate::defaults::plugin_knowledge()?.plugin(name, Some(package)))?;
            Some((p.package.as_str(), p.version.as_deref()?))
        }
        _ => None,
    }
}

/// `meta` (a plugin's `eggPlugin`, from embedded data generated from `embedded_version`) as the
/// version the lockfile pins has it: each field that differs between versions takes the locked
/// version's value. A field whose value at that version is not known stays the embedded one,
/// and a diagnostic says so. The plugin order and implicit enables follow these fields
/// (egg-multipart 2.1 has no `optionalDependencies: ['schedule']`, 2.3 has).
pub fn plugin_meta_at(
    meta: &mut crate::plugins::PluginMeta,
    package: &str,
    embedded_version: &str,
    locked: &Locked,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(version) = locked.version(package).filter(|v| *v != embedded_version) else {
        return;
    };
    let Some(data) = table().and_then(|t| t.get(package)) else {
        return;
    };
    for (field, values) in &data.meta {
        let target = match field.as_str() {
            "env" => &mut meta.env,
            "dependencies" => &mut meta.dependencies,
            "optionalDependencies" => &mut meta.optional_dependencies,
            _ => continue,
        };
        match value_at(package, &data.versions, values, version) {
            At::Set(j) => {
                *target = j
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                meta.source = format!(
                    "<embedded {package}@{version} package.json (version from {})>",
                    locked.file
                );
            }
            At::Absent => target.clear(),
            At::Unknown(why) => diags.push(Diagnostic::general(
                DiagnosticLevel::Warning,
                format!("eggPlugin.{field} of {package}: {why}; {embedded_version}'s {target:?} is used"),
            )),
        }
    }
}

/// Gives every embedded layer of a unit the lockfile pins to another version than the
/// snapshot's the values of that version for the keys that differ between versions (or an
/// `Unknown`). Returns whether a layer changed (the config must then be merged again).
pub fn apply(
    layers: &mut [ConfigLayer],
    units: &[LoadUnit],
    snap: &Snapshot,
    locked: &Locked,
    info: &AppInfo,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Some(table) = table() else {
        return false;
    };
    let data_env = if ["local", "unittest", "prod"].contains(&info.env.as_str()) {
        info.env.as_str()
    } else {
        "prod"
    };
    let mut changed = false;
    let mut said: Vec<String> = Vec::new();
    for layer in layers.iter_mut().filter(|l| l.embedded) {
        let Some((package, embedded_version)) = unit_package(snap, &layer.unit, units) else {
            continue;
        };
        let Some(version) = locked.version(package) else {
            continue;
        };
        if version == embedded_version {
            continue;
        }
        let major = |v: &str| v.split('.').next().map(str::to_string);
        let sampled_major =
            |d: &&SkewPackage| d.versions.iter().any(|v| major(v) == major(version));
        let Some(data) = table.get(package).filter(sampled_major) else {
            if !said.iter().any(|p| p == package) {
                said.push(package.to_string());
                diags.push(Diagnostic::general(
                    DiagnosticLevel::Info,
                    format!("{} locks {package} {version}, eggsec embeds {embedded_version} and has no record of how their config differs: {package}'s defaults are those of {embedded_version}", locked.file),
                ));
            }
            continue;
        };
        let type_name = if data_env == info.env {
            layer.type_name.as_str()
        } else {
            "default"
        };
        let Some(keys) = data.files.get(data_env).and_then(|f| f.get(type_name)) else {
            continue;
        };
        let prov = Provenance::synthetic(format!(
            "<embedded {package}@{version} config.{type_name} (version from {})>",
            locked.file
        ));
        let pkg_dir = crate::defaults::node_modules_dir(info)
            .join(package)
            .display()
            .to_string();
        let (mut set, mut unknown) = (0, 0);
        let mut removed: Vec<&str> = Vec::new();
        let mut kept: Vec<&str> = Vec::new();
        for (path, values) in keys {
            let new = match value_at(package, &data.versions, values, version) {
                At::Set(j) => {
                    // paths the unit computes from its own directory: where it would be installed
                    let mut v = from_tagged(j, &prov, info);
                    fill_pkg_dir(&mut v, &pkg_dir);
                    Some(v)
                }
                At::Absent => None,
                At::Unknown(why) => {
                    unknown += 1;
                    Some(Value::unknown(why, prov.clone()))
                }
            };
            let before = layer.value.get_path(path).cloned();
            if new.is_none() {
                removed.push(path);
            } else {
                kept.push(path);
            }
            if before.as_ref() != new.as_ref() {
                set += usize::from(!new.as_ref().is_some_and(Value::is_unknown));
                set_path(&mut layer.value, path, new, &prov);
                changed = true;
            }
        }
        // an object whose every key the locked version does not set is not there at all
        // (egg-security 1.x has no `security.referrerPolicy`), unless that version sets it empty
        for path in removed {
            let mut parent = path;
            while let Some((up, _)) = parent.rsplit_once('.') {
                let empty = layer
                    .value
                    .get_path(up)
                    .and_then(Value::as_object)
                    .is_some_and(|o| o.is_empty());
                if !empty || kept.contains(&up) {
                    break;
                }
                set_path(&mut layer.value, up, None, &prov);
                parent = up;
            }
        }
        if set + unknown > 0 && !said.iter().any(|p| p == package) {
            said.push(package.to_string());
            diags.push(Diagnostic::general(
                DiagnosticLevel::Info,
                format!("{} locks {package} {version} (eggsec embeds {embedded_version}): its version-dependent defaults are used ({set} keys of {version}, {unknown} unknown between sampled versions)", locked.file),
            ));
        }
    }
    changed
}

/// Merges the layers again (egg's order is the layers' order).
pub fn remerge(layers: &[ConfigLayer]) -> Value {
    let mut config = Value::object(Object::new(), Provenance::synthetic("<merged config>"));
    for layer in layers {
        crate::merge::extend(&mut config, &layer.value);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn versions(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_locked_version_between_equal_samples_is_known_and_between_different_ones_unknown() {
        let vs = versions(&["3.0.0", "3.1.0", "3.2.0"]);
        let vals = Runs::of(vec![
            json!({"$absent": true}),
            json!({"$absent": true}),
            json!(true),
        ]);
        assert_eq!(vals.0.len(), 2);
        assert_eq!(value_at("egg-session", &vs, &vals, "3.1.0"), At::Absent);
        assert_eq!(value_at("egg-session", &vs, &vals, "3.0.5"), At::Absent);
        assert_eq!(
            value_at("egg-session", &vs, &vals, "3.2.0"),
            At::Set(&json!(true))
        );
        let At::Unknown(why) = value_at("egg-session", &vs, &vals, "3.1.4") else {
            panic!()
        };
        assert!(why.contains("3.1.0 has not set, 3.2.0 has true"), "{why}");
        assert!(matches!(
            value_at("egg-session", &vs, &vals, "3.9.0"),
            At::Unknown(_)
        ));
        assert!(matches!(
            value_at("egg-session", &vs, &vals, "3.1.0-beta.1"),
            At::Unknown(_)
        ));
    }

    #[test]
    fn an_app_locked_to_egg_2_26_gets_its_versions_keys_without_node_modules() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/skew-egg226");
        let opts = crate::LoadOptions {
            env: Some("prod".into()),
            embedded_defaults_only: true,
            ..Default::default()
        };
        let m = crate::load(&root, &opts).unwrap();
        assert_eq!(m.egg_major, Some(2));
        // egg-session 3.1.0 and egg 2.26.0 do not have these (2.37.0's snapshot does)
        assert!(m.config_at("session.logValue").is_none());
        assert!(m.config_at("siteFile.cacheControl").is_none());
        assert_eq!(
            m.config_at("session.httpOnly").and_then(Value::as_bool),
            Some(true)
        );
        assert!(m.diagnostics.iter().any(|d| d
            .message
            .starts_with("package-lock.json locks egg-session 3.1.0")));
    }

    #[test]
    fn set_path_creates_and_removes() {
        let mut v = Value::object(Object::new(), Provenance::synthetic("t"));
        let p = Provenance::synthetic("p");
        set_path(
            &mut v,
            "session.logValue",
            Some(Value::new(ValueKind::Bool(true), p.clone())),
            &p,
        );
        assert_eq!(
            v.get_path("session.logValue").and_then(Value::as_bool),
            Some(true)
        );
        set_path(&mut v, "session.logValue", None, &p);
        assert!(v.get_path("session.logValue").is_none());
        set_path(&mut v, "nothing.here", None, &p);
        assert!(v.get("nothing").is_none());
    }

    #[test]
    fn the_embedded_table_knows_version_dependent_session_and_site_file_keys() {
        let t = table().expect("skew.json parses");
        // every key's runs end before the versions do
        for (name, p) in t {
            let keys = p
                .files
                .values()
                .flat_map(|f| f.values())
                .flat_map(|k| k.values());
            for runs in keys.chain(p.meta.values()) {
                assert!(runs.last_start() < p.versions.len(), "{name}: {runs:?}");
            }
        }
        let runs = Runs::of(vec![json!(1), json!(1), json!(2), json!(1)]);
        assert_eq!(runs.0.len(), 3);
        let got: Vec<_> = (0..4).map(|i| runs.get(i).cloned()).collect();
        assert_eq!(got, [json!(1), json!(1), json!(2), json!(1)].map(Some));
        for bad in [
            "[]",
            "[[1, true]]",
            "[[0, 1], [0, 2]]",
            "[[0, 1], [3, 2], [2, 1]]",
        ] {
            assert!(serde_json::from_str::<Runs>(bad).is_err(), "{bad}");
        }
        let session = &t["egg-session"];
        assert!(session.files["prod"]["default"].contains_key("session.logValue"));
        let egg = &t["egg"];
        assert!(egg.files["prod"]["default"].contains_key("siteFile.cacheControl"));
    }
}
