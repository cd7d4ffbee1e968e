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

    /// Child by key (objects only).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// Child by dotted path: `get_path("security.csrf.enable")`.
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        if path.is_empty() {
            return Some(self);
        }
        path.split('.').try_fold(self, |v, k| v.get(k))
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
                    .map(|(k, v)| (k.clone(), v.to_tagged_json()))
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
