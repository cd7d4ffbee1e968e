//! The owned value model produced by the static evaluator.
//!
//! Every value carries a [`Provenance`]: the file, line and column of the expression that
//! produced it. Values that cannot be known statically are [`ValueKind::Unknown`] with the
//! reason — never a guess.

use indexmap::IndexMap;
use serde_json::json;
use std::fmt;
use std::sync::Arc;

/// Where a value came from. `line`/`column` are 1-based; `0` means "not from a source span"
/// (embedded defaults, runtime dumps).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Provenance {
    /// Display path of the file (absolute or as given), or a pseudo-name such as
    /// `<embedded egg@3 egg-security/config/config.default.js>` or `<runtime-dump>`.
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl Provenance {
    pub fn new(file: impl Into<Arc<str>>, line: u32, column: u32) -> Self {
        Self {
            file: file.into(),
            line,
            column,
        }
    }
    /// A provenance with no source span (embedded defaults, dumps).
    pub fn synthetic(file: impl Into<Arc<str>>) -> Self {
        Self {
            file: file.into(),
            line: 0,
            column: 0,
        }
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// An ordered JS object (insertion order is preserved, as in JS and in egg's dumps).
pub type Object = IndexMap<String, Value>;

/// The key under which an object records that it may hold *other* keys than those listed,
/// whose names and values are not known (an unevaluable spread `{ ...shared, a: 1 }`, an
/// unknown base of `Object.assign`, a config file whose export cannot be evaluated). Its value
/// is an `Unknown` saying why. [`Value::get`] answers that `Unknown` for every key the object
/// does not list, so a lookup never mistakes "not known" for "not set". The name cannot be
/// written in JS source without an escape, and renderers show it as `$unknown_keys`.
pub const UNKNOWN_KEYS: &str = "\u{0}unknown-keys";

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// JS `undefined`: egg's extend2 skips it, so it never overwrites.
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Regex {
        source: String,
        flags: String,
    },
    Array(Vec<Value>),
    /// `new Set([...])` — replaced whole by extend2, like arrays.
    Set(Vec<Value>),
    Object(Object),
    /// A function (arrow, function expression, method). The provenance is its span.
    Function {
        name: Option<String>,
    },
    /// `process.env.NAME`, optionally with the `|| default` / `?? default` fallback.
    Env {
        name: String,
        default: Option<Box<Value>>,
    },
    /// Cannot be known statically; `why` says what was seen.
    Unknown {
        why: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub prov: Provenance,
}

impl Value {
    pub fn new(kind: ValueKind, prov: Provenance) -> Self {
        Self { kind, prov }
    }
    pub fn unknown(why: impl Into<String>, prov: Provenance) -> Self {
        Self::new(ValueKind::Unknown { why: why.into() }, prov)
    }
    pub fn object(map: Object, prov: Provenance) -> Self {
        Self::new(ValueKind::Object(map), prov)
    }

    pub fn as_object(&self) -> Option<&Object> {
        match &self.kind {
            ValueKind::Object(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match &mut self.kind {
            ValueKind::Object(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            ValueKind::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match &self.kind {
            ValueKind::Number(n) => Some(*n),
            _ => None,
        }
    }
    /// Elements of an array or a set.
    pub fn as_list(&self) -> Option<&[Value]> {
        match &self.kind {
            ValueKind::Array(v) | ValueKind::Set(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_undefined(&self) -> bool {
        matches!(self.kind, ValueKind::Undefined)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, ValueKind::Unknown { .. })
    }
    pub fn is_function(&self) -> bool {
        matches!(self.kind, ValueKind::Function { .. })
    }
    /// JS truthiness when it is statically known.
    pub fn truthy(&self) -> Option<bool> {
        Some(match &self.kind {
            ValueKind::Undefined | ValueKind::Null => false,
            ValueKind::Bool(b) => *b,
            ValueKind::Number(n) => !(*n == 0.0 || n.is_nan()),
            ValueKind::String(s) => !s.is_empty(),
            ValueKind::Regex { .. }
            | ValueKind::Array(_)
            | ValueKind::Set(_)
            | ValueKind::Object(_)
            | ValueKind::Function { .. } => true,
            ValueKind::Env { .. } | ValueKind::Unknown { .. } => return None,
        })
    }

    /// Child by key (objects only): only the keys the object lists (see [`Value::lookup`] for
    /// the effective value of an object that may hold unknown keys).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Why this object may hold keys that are not known (see [`UNKNOWN_KEYS`]).
    pub fn unknown_keys(&self) -> Option<&str> {
        match &self.as_object()?.get(UNKNOWN_KEYS)?.kind {
            ValueKind::Unknown { why } => Some(why),
            _ => None,
        }
    }

    /// Child by dotted path: `get_path("security.csrf.enable")`, through the keys each object
    /// lists. A walk that meets an `Unknown` on the way answers that `Unknown`.
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        self.walk(path, false)
    }

    /// The effective value at a dotted path: like [`Value::get_path`], and an object that may
    /// hold unknown keys ([`UNKNOWN_KEYS`]) answers its `Unknown` for a key it does not list,
    /// so that "not known" is never mistaken for "not set".
    pub fn lookup(&self, path: &str) -> Option<&Value> {
        self.walk(path, true)
    }

    fn walk(&self, path: &str, open: bool) -> Option<&Value> {
        if path.is_empty() {
            return Some(self);
        }
        path.split('.').try_fold(self, |v, k| {
            if v.is_unknown() {
                return Some(v);
            }
            let o = v.as_object()?;
            match o.get(k) {
                Some(child) => Some(child),
                None if open => o.get(UNKNOWN_KEYS),
                None => None,
            }
        })
    }

    /// Walks a dotted path like [`Value::lookup`] and, when the answer is not statically
    /// known, says why: an `Unknown` on the way (an unevaluable file, spread or entry).
    pub fn unknown_at(&self, path: &str) -> Option<&str> {
        match &self.lookup(path)?.kind {
            ValueKind::Unknown { why } => Some(why),
            _ => None,
        }
    }

    /// The JSON contract of `eggsec config`: plain values are plain JSON; the rest are tagged:
    /// `{"$function": "file:line"}`, `{"$regex": "/x/i"}`, `{"$env": "NAME", "default": ...}`,
    /// `{"$unknown": "why"}`, `{"$set": [...]}`. `undefined` is `{"$undefined": true}`.
    /// Secret masking is done by the caller (see `eggsec_app::secrets`).
    pub fn to_tagged_json(&self) -> serde_json::Value {
        match &self.kind {
            ValueKind::Undefined => json!({"$undefined": true}),
            ValueKind::Null => serde_json::Value::Null,
            ValueKind::Bool(b) => json!(b),
            ValueKind::Number(n) => number_json(*n),
            ValueKind::String(s) => json!(s),
            ValueKind::Regex { source, flags } => json!({"$regex": format!("/{source}/{flags}")}),
            ValueKind::Array(v) => {
                serde_json::Value::Array(v.iter().map(Value::to_tagged_json).collect())
            }
            ValueKind::Set(v) => {
                json!({"$set": v.iter().map(Value::to_tagged_json).collect::<Vec<_>>()})
            }
            ValueKind::Object(o) => serde_json::Value::Object(
                o.iter()
                    .map(|(k, v)| (display_key(k).to_string(), v.to_tagged_json()))
                    .collect(),
            ),
            ValueKind::Function { .. } => {
                json!({"$function": format!("{}:{}", self.prov.file, self.prov.line)})
            }
            ValueKind::Env { name, default } => json!({
                "$env": name,
                "default": default.as_ref().map(|d| d.to_tagged_json()).unwrap_or(serde_json::Value::Null)
            }),
            ValueKind::Unknown { why } => json!({"$unknown": why}),
        }
    }
}

/// How a key is shown: [`UNKNOWN_KEYS`] as `$unknown_keys`, every other key as it is.
pub fn display_key(key: &str) -> &str {
    if key == UNKNOWN_KEYS {
        "$unknown_keys"
    } else {
        key
    }
}

/// Integral numbers print as integers (`31536000`, not `31536000.0`), up to
/// `Number.MAX_SAFE_INTEGER` (egg's default `httpclient.*.maxSockets`).
pub fn number_json(n: f64) -> serde_json::Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 {
        json!(n as i64)
    } else if n.is_finite() {
        json!(n)
    } else {
        json!({"$number": n.to_string()})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Provenance {
        Provenance::new("config/config.default.js", 3, 5)
    }

    #[test]
    fn get_path_walks_objects() {
        let mut inner = Object::new();
        inner.insert("enable".into(), Value::new(ValueKind::Bool(false), p()));
        let mut outer = Object::new();
        outer.insert("csrf".into(), Value::object(inner, p()));
        let v = Value::object(outer, p());
        assert_eq!(
            v.get_path("csrf.enable").and_then(Value::as_bool),
            Some(false)
        );
        assert!(v.get_path("csrf.type").is_none());
    }

    #[test]
    fn open_objects_answer_unknown_for_keys_they_do_not_list() {
        let mut security = Object::new();
        security.insert("csrf".into(), Value::new(ValueKind::Bool(false), p()));
        security.insert(UNKNOWN_KEYS.into(), Value::unknown("spreads `shared`", p()));
        let mut root = Object::new();
        root.insert("security".into(), Value::object(security, p()));
        root.insert("session".into(), Value::unknown("from a file", p()));
        let v = Value::object(root, p());
        assert_eq!(
            v.get_path("security.csrf").and_then(Value::as_bool),
            Some(false)
        );
        assert_eq!(
            v.unknown_at("security.hsts.enable"),
            Some("spreads `shared`")
        );
        assert_eq!(v.unknown_at("session.httpOnly"), Some("from a file"));
        assert!(v.lookup("nothing").is_none());
        assert!(v.get_path("security.hsts").is_none());
        assert!(v.get_path("nothing").is_none());
        assert_eq!(
            v.get("security").unwrap().unknown_keys(),
            Some("spreads `shared`")
        );
        assert_eq!(
            v.to_tagged_json()["security"]["$unknown_keys"],
            json!({"$unknown": "spreads `shared`"})
        );
    }

    #[test]
    fn tagged_json_shapes() {
        let f = Value::new(ValueKind::Function { name: None }, p());
        assert_eq!(
            f.to_tagged_json(),
            json!({"$function": "config/config.default.js:3"})
        );
        let e = Value::new(
            ValueKind::Env {
                name: "DB_PASS".into(),
                default: Some(Box::new(Value::new(ValueKind::String("x".into()), p()))),
            },
            p(),
        );
        assert_eq!(
            e.to_tagged_json(),
            json!({"$env": "DB_PASS", "default": "x"})
        );
        assert_eq!(number_json(1.5), json!(1.5));
        assert_eq!(number_json(10.0), json!(10));
        assert_eq!(
            number_json(9_007_199_254_740_991.0),
            json!(9_007_199_254_740_991_i64)
        );
    }
}
