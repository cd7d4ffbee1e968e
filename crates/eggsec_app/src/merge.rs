//! egg's config merge: `extend2(true, target, src)` (extend2@1 in egg 2/3, @eggjs/extend2 in egg 4).
//!
//! Plain objects merge key by key; arrays, Sets, RegExps, functions and every other value are
//! replaced whole; `undefined` is skipped (it never deletes); `null` overwrites; `__proto__` is
//! ignored. Every leaf keeps the provenance of the file that set it.

use eggsec_js::{Object, Value, ValueKind, UNKNOWN_KEYS};

/// A config file's export as a layer to merge: an export that is not known at all becomes an
/// object of unknown keys (see [`UNKNOWN_KEYS`]), so that merging it makes every key it may set
/// `Unknown` and keeps what later files set.
pub fn layer_value(v: Value) -> Value {
    match &v.kind {
        ValueKind::Unknown { .. } => {
            let prov = v.prov.clone();
            let mut open = Object::new();
            open.insert(UNKNOWN_KEYS.to_string(), v);
            Value::object(open, prov)
        }
        _ => v,
    }
}

/// Deep-merges `src` into `target` with extend2's deep semantics.
///
/// When `target` is not a plain object and `src` is, `target` becomes a fresh object first (as
/// extend2 does for a nested key). A non-object `src` replaces `target` unless it is `undefined`.
pub fn extend(target: &mut Value, src: &Value) {
    match &src.kind {
        ValueKind::Undefined => {}
        ValueKind::Object(src_map) => {
            if let ValueKind::Unknown { why } = &target.kind {
                // Known keys merged over an unknown object: the keys stay known, every other
                // key is still unknown.
                let mut open = Object::new();
                open.insert(
                    UNKNOWN_KEYS.to_string(),
                    Value::unknown(why.clone(), target.prov.clone()),
                );
                *target = Value::object(open, target.prov.clone());
            } else if target.as_object().is_none() {
                *target = Value::object(Object::new(), src.prov.clone());
            }
            if let Some(map) = target.as_object_mut() {
                merge_into(map, src_map);
            }
        }
        _ => *target = src.clone(),
    }
}

/// Merges the keys of `src` into the object `target`.
///
/// When `src` may hold keys that are not known ([`UNKNOWN_KEYS`]: an unevaluable spread or
/// export), every key of `target` that `src` does not list may be replaced by one of them and
/// becomes `Unknown`, and `target` may hold unknown keys from then on. The keys `src` lists
/// still merge as usual, so known overrides over an unknown base are kept.
pub fn merge_into(target: &mut Object, src: &Object) {
    if let Some(rest) = src.get(UNKNOWN_KEYS) {
        let why = match &rest.kind {
            ValueKind::Unknown { why } => why.clone(),
            _ => "not known".to_string(),
        };
        for (key, value) in target.iter_mut() {
            if key != UNKNOWN_KEYS && !src.contains_key(key) && !value.is_unknown() {
                *value = Value::unknown(format!("may be replaced: {why}"), rest.prov.clone());
            }
        }
        target.insert(UNKNOWN_KEYS.to_string(), rest.clone());
    }
    for (key, value) in src {
        if key == "__proto__" || key == UNKNOWN_KEYS {
            continue;
        }
        match &value.kind {
            ValueKind::Undefined => {}
            ValueKind::Object(_) => {
                // a key an open object does not list may already hold anything: the object
                // merged into it stays open (its other keys are unknown, not absent)
                let rest = target.get(UNKNOWN_KEYS).filter(|r| r.is_unknown()).cloned();
                let slot = target.entry(key.clone()).or_insert_with(|| {
                    rest.unwrap_or_else(|| Value::object(Object::new(), value.prov.clone()))
                });
                extend(slot, value);
            }
            // `process.env.X` with no fallback is `undefined` when X is unset, and extend2
            // skips undefined: the value below stays. Say so as the env read's default.
            ValueKind::Env {
                name,
                default: None,
            } if target
                .get(key)
                .is_some_and(|prev| !matches!(prev.kind, ValueKind::Undefined)) =>
            {
                let prev = target.get(key).cloned().map(Box::new);
                target.insert(
                    key.clone(),
                    Value::new(
                        ValueKind::Env {
                            name: name.clone(),
                            default: prev,
                        },
                        value.prov.clone(),
                    ),
                );
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eggsec_js::Provenance;

    fn p(file: &str) -> Provenance {
        Provenance::new(file, 1, 1)
    }
    fn v(kind: ValueKind, file: &str) -> Value {
        Value::new(kind, p(file))
    }
    fn obj(entries: Vec<(&str, Value)>, file: &str) -> Value {
        Value::object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            p(file),
        )
    }
    fn num(n: f64, file: &str) -> Value {
        v(ValueKind::Number(n), file)
    }

    #[test]
    fn plain_objects_merge_and_leaves_keep_their_file() {
        let mut target = obj(
            vec![(
                "security",
                obj(
                    vec![(
                        "csrf",
                        obj(
                            vec![
                                ("enable", v(ValueKind::Bool(true), "a")),
                                ("type", v(ValueKind::String("ctoken".into()), "a")),
                            ],
                            "a",
                        ),
                    )],
                    "a",
                ),
            )],
            "a",
        );
        let src = obj(
            vec![(
                "security",
                obj(
                    vec![(
                        "csrf",
                        obj(vec![("enable", v(ValueKind::Bool(false), "b"))], "b"),
                    )],
                    "b",
                ),
            )],
            "b",
        );
        extend(&mut target, &src);
        let enable = target.get_path("security.csrf.enable").unwrap();
        assert_eq!(enable.as_bool(), Some(false));
        assert_eq!(&*enable.prov.file, "b");
        let ty = target.get_path("security.csrf.type").unwrap();
        assert_eq!(ty.as_str(), Some("ctoken"));
        assert_eq!(&*ty.prov.file, "a");
    }

    #[test]
    fn unknown_keys_in_src_make_unlisted_target_keys_unknown_and_keep_the_listed_ones() {
        let mut target = obj(
            vec![
                (
                    "security",
                    obj(vec![("csrf", v(ValueKind::Bool(true), "a"))], "a"),
                ),
                (
                    "session",
                    obj(vec![("httpOnly", v(ValueKind::Bool(true), "a"))], "a"),
                ),
            ],
            "a",
        );
        let src = obj(
            vec![
                (
                    "security",
                    obj(vec![("csrf", v(ValueKind::Bool(false), "b"))], "b"),
                ),
                (
                    UNKNOWN_KEYS,
                    v(
                        ValueKind::Unknown {
                            why: "spreads `shared`".into(),
                        },
                        "b",
                    ),
                ),
            ],
            "b",
        );
        extend(&mut target, &src);
        assert_eq!(
            target.get_path("security.csrf").and_then(Value::as_bool),
            Some(false)
        );
        assert!(target
            .unknown_at("session.httpOnly")
            .unwrap()
            .contains("shared"));
        assert!(target.unknown_at("jwt.secret").unwrap().contains("shared"));
    }

    #[test]
    fn an_object_merged_under_an_open_object_stays_open() {
        // `security` became unknown (an unreadable spread), then a later file sets one key of
        // `security.hsts`: hsts's other keys are unknown, not absent
        let unknown = v(
            ValueKind::Unknown {
                why: "spreads `shared`".into(),
            },
            "a",
        );
        let mut target = obj(vec![(UNKNOWN_KEYS, unknown)], "a");
        let src = obj(
            vec![(
                "security",
                obj(
                    vec![(
                        "hsts",
                        obj(vec![("enable", v(ValueKind::Bool(false), "b"))], "b"),
                    )],
                    "b",
                ),
            )],
            "b",
        );
        extend(&mut target, &src);
        assert_eq!(
            target
                .get_path("security.hsts.enable")
                .and_then(Value::as_bool),
            Some(false)
        );
        assert!(target
            .unknown_at("security.hsts.maxAge")
            .unwrap()
            .contains("shared"));
        assert!(target
            .unknown_at("security.csrf")
            .unwrap()
            .contains("shared"));
    }

    #[test]
    fn arrays_sets_regexps_and_functions_are_replaced_whole() {
        let arr =
            |xs: &[f64], f: &str| v(ValueKind::Array(xs.iter().map(|x| num(*x, f)).collect()), f);
        let mut target = obj(
            vec![
                ("arrTest", arr(&[1.0, 2.0, 3.0], "a")),
                ("ignore", v(ValueKind::Set(vec![num(1.0, "a")]), "a")),
                (
                    "re",
                    v(
                        ValueKind::Regex {
                            source: "a".into(),
                            flags: String::new(),
                        },
                        "a",
                    ),
                ),
            ],
            "a",
        );
        let src = obj(
            vec![
                ("arrTest", arr(&[9.0], "b")),
                ("ignore", v(ValueKind::Set(vec![]), "b")),
                ("re", v(ValueKind::Function { name: None }, "b")),
            ],
            "b",
        );
        extend(&mut target, &src);
        assert_eq!(target.get("arrTest").unwrap().as_list().unwrap().len(), 1);
        assert_eq!(target.get("ignore").unwrap().kind, ValueKind::Set(vec![]));
        assert!(target.get("re").unwrap().is_function());
    }

    #[test]
    fn undefined_is_skipped_null_overwrites_proto_ignored() {
        let mut target = obj(vec![("a", num(1.0, "a")), ("b", num(2.0, "a"))], "a");
        let src = obj(
            vec![
                ("a", v(ValueKind::Undefined, "b")),
                ("b", v(ValueKind::Null, "b")),
                ("__proto__", obj(vec![("x", num(1.0, "b"))], "b")),
            ],
            "b",
        );
        extend(&mut target, &src);
        assert_eq!(target.get("a").unwrap().as_f64(), Some(1.0));
        assert_eq!(target.get("b").unwrap().kind, ValueKind::Null);
        assert!(target.get("__proto__").is_none());
    }

    #[test]
    fn primitive_and_object_replace_each_other() {
        let mut target = obj(
            vec![
                ("a", num(1.0, "a")),
                ("b", obj(vec![("x", num(1.0, "a"))], "a")),
            ],
            "a",
        );
        let src = obj(
            vec![
                ("a", obj(vec![("y", num(2.0, "b"))], "b")),
                ("b", v(ValueKind::Bool(false), "b")),
            ],
            "b",
        );
        extend(&mut target, &src);
        assert_eq!(target.get_path("a.y").unwrap().as_f64(), Some(2.0));
        assert_eq!(target.get("b").unwrap().as_bool(), Some(false));
    }

    #[test]
    fn merged_object_is_a_copy_not_an_alias() {
        let mut target = obj(vec![], "a");
        let src = obj(vec![("o", obj(vec![("x", num(1.0, "b"))], "b"))], "b");
        extend(&mut target, &src);
        extend(
            &mut target,
            &obj(vec![("o", obj(vec![("y", num(2.0, "c"))], "c"))], "c"),
        );
        assert_eq!(src.get_path("o.y"), None);
        assert_eq!(target.get_path("o.x").unwrap().as_f64(), Some(1.0));
    }

    #[test]
    fn an_unset_env_read_keeps_the_value_below() {
        // config.default: secret 'dev'; config.prod: secret process.env.JWT (no fallback)
        let mut config = obj(
            vec![("secret", v(ValueKind::String("dev".into()), "d"))],
            "d",
        );
        let env = v(
            ValueKind::Env {
                name: "JWT".into(),
                default: None,
            },
            "p",
        );
        extend(
            &mut config,
            &obj(vec![("secret", env.clone()), ("other", env)], "p"),
        );
        let map = config.as_object().unwrap();
        match &map["secret"].kind {
            ValueKind::Env {
                name,
                default: Some(d),
            } => {
                assert_eq!(name, "JWT");
                assert_eq!(d.kind, ValueKind::String("dev".into()));
            }
            other => panic!("{other:?}"),
        }
        // nothing below: still an env read without default
        assert!(matches!(
            map["other"].kind,
            ValueKind::Env { default: None, .. }
        ));
    }
}
