//! The host environment config files lean on: `path`, `os`, `url`, `process.env`, `Object.*`,
//! `RegExp`, `Set`, number/string conversions, TypeScript's interop helpers, egg 4's identity
//! `defineConfig*`, and the common string/array methods.

use super::expr::Site;
use super::heap::{ArrId, Builtin, JsVal};
use super::interp::{Interp, R};
use super::ops;
use crate::value::{Provenance, ValueKind};

/// Every modelled host function, by dotted name.
const FUNCS: &[&str] = &[
    "require",
    "require.resolve",
    "identity",
    "definePluginFactory",
    "__importDefault",
    "__importStar",
    "path.join",
    "path.resolve",
    "path.dirname",
    "path.basename",
    "path.extname",
    "path.normalize",
    "path.isAbsolute",
    "url.fileURLToPath",
    "machine",
    "Object.assign",
    "Object.keys",
    "Object.values",
    "Object.entries",
    "Object.freeze",
    "Object.defineProperty",
    "Array.isArray",
    "Number",
    "String",
    "Boolean",
    "parseInt",
    "parseFloat",
    "RegExp",
    "Set",
];

/// Host globals that exist but are not modelled: reading them gives an `Unknown` naming them.
const OTHER_GLOBALS: &[&str] = &[
    "JSON",
    "Math",
    "Date",
    "Promise",
    "Map",
    "WeakMap",
    "WeakSet",
    "Symbol",
    "Buffer",
    "URL",
    "console",
    "global",
    "globalThis",
    "Error",
    "TypeError",
    "Reflect",
    "Proxy",
    "setTimeout",
    "setInterval",
    "encodeURIComponent",
    "decodeURIComponent",
    "BigInt",
    "Intl",
];

fn func(name: &str) -> Option<&'static str> {
    FUNCS.iter().copied().find(|f| *f == name)
}

/// A global function the evaluator models (`parseInt`, `RegExp`, …).
pub(super) fn global_func(name: &str) -> Option<&'static str> {
    func(name).filter(|f| {
        !f.contains('.')
            && !matches!(
                *f,
                "identity" | "definePluginFactory" | "machine" | "require"
            )
    })
}

/// Is this a host global that exists but is not modelled?
pub(super) fn is_other_global(name: &str) -> bool {
    OTHER_GLOBALS.contains(&name)
}

/// The host module a `require`/`import` of a package names, if it is modelled.
pub(super) fn host_module(spec: &str) -> Option<&'static str> {
    match spec.strip_prefix("node:").unwrap_or(spec) {
        "path" | "path/posix" => Some("path"),
        "os" => Some("os"),
        "url" => Some("url"),
        "process" => Some("process"),
        _ => None,
    }
}

/// egg 4's typing helpers, identity functions at run time.
pub(super) fn is_identity_helper(name: &str) -> bool {
    matches!(name, "defineConfig" | "defineConfigFactory")
}

impl Interp<'_, '_> {
    /// `module.key` of a host module.
    pub(super) fn builtin_member(&mut self, b: Builtin, key: &str, prov: Provenance) -> JsVal {
        let m = match b {
            Builtin::Module(m) => m,
            Builtin::Func("Number") => {
                let n = match key {
                    "MAX_SAFE_INTEGER" => 9_007_199_254_740_991.0,
                    "MIN_SAFE_INTEGER" => -9_007_199_254_740_991.0,
                    "MAX_VALUE" => f64::MAX,
                    "POSITIVE_INFINITY" => f64::INFINITY,
                    "NEGATIVE_INFINITY" => f64::NEG_INFINITY,
                    "NaN" => f64::NAN,
                    _ => return JsVal::unknown(format!("`Number.{key}` is not modelled"), prov),
                };
                return JsVal::number(n, prov);
            }
            Builtin::Func("require") if key == "resolve" => {
                return JsVal::Builtin(Builtin::Func("require.resolve"))
            }
            Builtin::Func(f) => {
                return JsVal::unknown(format!("`{f}.{key}` is not modelled"), prov)
            }
            Builtin::PluginFactory(_) => {
                return JsVal::unknown(format!("`.{key}` of a plugin factory"), prov)
            }
        };
        if let Some(f) = func(&format!("{m}.{key}")) {
            return JsVal::Builtin(Builtin::Func(f));
        }
        match (m, key) {
            // `import path from 'path'` compiled by TypeScript reads `path_1.default`.
            (_, "default") => JsVal::Builtin(b),
            ("path", "sep") => JsVal::string("/", prov),
            ("path", "delimiter") => JsVal::string(":", prov),
            ("path", "posix") => JsVal::Builtin(b),
            ("os", "EOL") => JsVal::string("\n", prov),
            ("os", _) | ("process", "cwd" | "uptime" | "hrtime" | "memoryUsage") => {
                JsVal::Builtin(Builtin::Func("machine"))
            }
            ("process", "env") => JsVal::Builtin(Builtin::Module("process.env")),
            ("process.env", name) => JsVal::prim(
                ValueKind::Env {
                    name: name.to_string(),
                    default: None,
                },
                prov,
            ),
            _ => JsVal::unknown(
                format!("`{m}.{key}` depends on the machine or is not modelled"),
                prov,
            ),
        }
    }

    pub(super) fn call_builtin(
        &mut self,
        name: &'static str,
        args: Vec<JsVal>,
        site: &Site,
    ) -> R<JsVal> {
        let prov = self.prov(site.span);
        let arg = |i: usize| {
            args.get(i)
                .cloned()
                .unwrap_or_else(|| JsVal::undefined(prov.clone()))
        };
        Ok(match name {
            "require" => match arg(0).as_str() {
                Some(spec) => self.require(spec, site)?,
                None => JsVal::unknown(format!("require() of `{}`", self.arg_text(&arg(0))), prov),
            },
            // the file Node would load, when it is installed (jianghu apps join paths to their
            // framework's dir with `require.resolve('@jianghujs/jianghu')`)
            "require.resolve" => match arg(0).as_str().and_then(|spec| self.resolve_spec(spec)) {
                Some(file) => JsVal::string(file.to_string_lossy().into_owned(), prov),
                None => JsVal::unknown(
                    format!(
                        "require.resolve() of `{}` (not installed)",
                        self.arg_text(&arg(0))
                    ),
                    prov,
                ),
            },
            "identity" => arg(0),
            "definePluginFactory" => match arg(0) {
                JsVal::Obj(meta) => JsVal::Builtin(Builtin::PluginFactory(meta)),
                other => JsVal::unknown(
                    format!("definePluginFactory() of `{}`", self.arg_text(&other)),
                    prov,
                ),
            },
            "__importDefault" | "__importStar" => {
                let m = arg(0);
                let es = match &m {
                    JsVal::Obj(id) => {
                        let o = self.heap.obj(*id);
                        o.es_module
                            || o.props.get("__esModule").and_then(JsVal::truthy) == Some(true)
                    }
                    _ => true, // host modules answer `.default` with themselves
                };
                if es || m.unknown_why().is_some() {
                    m
                } else {
                    let id = self.heap.new_obj(prov);
                    if name == "__importStar" {
                        // Best effort: copying never fails for a known object.
                        let _ = self.copy_props(id, &m);
                    }
                    self.heap.obj_mut(id).props.insert("default".into(), m);
                    JsVal::Obj(id)
                }
            }
            "machine" => JsVal::unknown(format!("{}() depends on the machine", site.callee), prov),
            "url.fileURLToPath" => match arg(0).as_str().and_then(|u| u.strip_prefix("file://")) {
                Some(p) => JsVal::string(p, prov),
                None => JsVal::unknown(
                    format!("{}() of a value that is not known", site.callee),
                    prov,
                ),
            },
            n if n.starts_with("path.") => self.call_path(&n[5..], &args, site),
            n if n.starts_with("Object.") => self.call_object(&n[7..], args, site),
            "Array.isArray" => match arg(0) {
                JsVal::Arr(id) => JsVal::bool(!self.heap.arr(id).is_set, prov),
                v if v.unknown_why().is_some() => {
                    JsVal::unknown(v.unknown_why().unwrap_or_default(), prov)
                }
                _ => JsVal::bool(false, prov),
            },
            "Number" | "String" | "Boolean" | "parseInt" | "parseFloat" => {
                self.convert(name, &args, prov)
            }
            "RegExp" => self.make_regexp(&arg(0), &arg(1), prov),
            "Set" => {
                let items = match args.first() {
                    None => Ok(Vec::new()),
                    Some(v) if v.is_nullish() => Ok(Vec::new()),
                    Some(v) => self.list_items(v),
                };
                match items {
                    Ok(items) => {
                        let mut unique: Vec<JsVal> = Vec::new();
                        for item in items {
                            if !unique
                                .iter()
                                .any(|u| self.strict_equals(u, &item) == Some(true))
                            {
                                unique.push(item);
                            }
                        }
                        JsVal::Arr(self.heap.new_arr(unique, prov, true))
                    }
                    Err(why) => JsVal::unknown(why, prov),
                }
            }
            _ => self.unknown_call(None, &args, site),
        })
    }

    fn arg_text(&self, v: &JsVal) -> String {
        v.unknown_why().unwrap_or_else(|| "a computed value".into())
    }

    fn call_path(&mut self, f: &str, args: &[JsVal], site: &Site) -> JsVal {
        let prov = self.prov(site.span);
        let mut parts = Vec::new();
        for a in args {
            match a.as_str() {
                Some(s) if a.unknown_why().is_none() => parts.push(s.to_string()),
                _ => {
                    let why = a
                        .unknown_why()
                        .unwrap_or_else(|| "an argument that is not a string".into());
                    return JsVal::unknown(format!("{}() of {why}", site.callee), prov);
                }
            }
        }
        let first = parts.first().cloned().unwrap_or_default();
        match f {
            "join" => {
                let joined = parts
                    .iter()
                    .filter(|p| !p.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("/");
                JsVal::string(
                    posix_normalize(if joined.is_empty() { "." } else { &joined }),
                    prov,
                )
            }
            "resolve" => match parts.iter().rposition(|p| p.starts_with('/')) {
                Some(i) => {
                    let joined = parts[i..].join("/");
                    let mut out = posix_normalize(&joined);
                    if out.len() > 1 && out.ends_with('/') {
                        out.pop();
                    }
                    JsVal::string(out, prov)
                }
                None => JsVal::unknown(
                    format!("{}() relative to the working directory", site.callee),
                    prov,
                ),
            },
            "normalize" => JsVal::string(posix_normalize(&first), prov),
            "isAbsolute" => JsVal::bool(first.starts_with('/'), prov),
            "dirname" => {
                let trimmed = first.trim_end_matches('/');
                let dir = match trimmed.rfind('/') {
                    Some(0) => "/".to_string(),
                    Some(i) => trimmed[..i].to_string(),
                    None if first.starts_with('/') => "/".to_string(),
                    None => ".".to_string(),
                };
                JsVal::string(dir, prov)
            }
            "basename" => {
                let base = first
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default();
                let base = match parts.get(1) {
                    Some(ext) if base.ends_with(ext.as_str()) && base != ext => {
                        &base[..base.len() - ext.len()]
                    }
                    _ => base,
                };
                JsVal::string(base, prov)
            }
            "extname" => {
                let base = first.rsplit('/').next().unwrap_or_default();
                let ext = match base.rfind('.') {
                    Some(i) if i > 0 => &base[i..],
                    _ => "",
                };
                JsVal::string(ext, prov)
            }
            _ => JsVal::unknown(format!("{}() is not modelled", site.callee), prov),
        }
    }

    /// Calls the function egg 4.1's `definePluginFactory(meta)` returned (`...securityPlugin()`
    /// in egg's `dist/config/plugin.js`): `{ [meta.name]: { ...meta, ...options, name,
    /// skipMerge: true } }`, as egg's `lib/define.js` builds it.
    pub(super) fn call_plugin_factory(
        &mut self,
        meta: super::heap::ObjId,
        args: Vec<JsVal>,
        site: &Site,
    ) -> JsVal {
        let prov = self.prov(site.span);
        let name = match self.heap.obj(meta).props.get("name") {
            Some(n) if n.unknown_why().is_none() => n.as_str().map(str::to_string),
            _ => None,
        };
        let Some(name) = name else {
            return JsVal::unknown(
                format!("{}(): the plugin factory has no static `name`", site.callee),
                prov,
            );
        };
        let entry = self.heap.new_obj(prov.clone());
        let mut sources = vec![JsVal::Obj(meta)];
        sources.extend(args.into_iter().take(1));
        for src in &sources {
            if let Err(why) = self.copy_props(entry, src) {
                self.heap
                    .open(entry, &format!("{}() options ({why})", site.callee));
            }
        }
        let props = &mut self.heap.obj_mut(entry).props;
        props.insert("name".into(), JsVal::string(name.clone(), prov.clone()));
        props.insert("skipMerge".into(), JsVal::bool(true, prov.clone()));
        let out = self.heap.new_obj(prov);
        self.heap.obj_mut(out).props.insert(name, JsVal::Obj(entry));
        JsVal::Obj(out)
    }

    fn call_object(&mut self, f: &str, args: Vec<JsVal>, site: &Site) -> JsVal {
        let prov = self.prov(site.span);
        let target = args
            .first()
            .cloned()
            .unwrap_or_else(|| JsVal::undefined(prov.clone()));
        match (f, &target) {
            ("assign", JsVal::Obj(id)) => {
                for (i, src) in args.iter().enumerate().skip(1) {
                    if let Err(why) = self.copy_props(*id, src) {
                        let why = format!("Object.assign from argument {} ({why})", i + 1);
                        self.note(
                            site.span,
                            format!("{why}: the keys it may set are unknown; keys assigned after it keep their values"),
                        );
                        self.heap.open(*id, &why);
                    }
                }
                target
            }
            ("freeze", _) => target,
            ("keys" | "values" | "entries", JsVal::Obj(id))
                if self.heap.obj(*id).poisoned.is_none() =>
            {
                let props: Vec<_> = self
                    .heap
                    .obj(*id)
                    .props
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let items = props
                    .into_iter()
                    .map(|(k, v)| match f {
                        "keys" => JsVal::string(k, prov.clone()),
                        "values" => v,
                        _ => {
                            let pair = vec![JsVal::string(k, prov.clone()), v];
                            JsVal::Arr(self.heap.new_arr(pair, prov.clone(), false))
                        }
                    })
                    .collect();
                JsVal::Arr(self.heap.new_arr(items, prov, false))
            }
            ("defineProperty", JsVal::Obj(id)) => {
                let key = args.get(1).and_then(|k| self.key_of(k));
                let desc = args.get(2).cloned();
                match (key.as_deref(), desc) {
                    (Some("__esModule"), _) => self.heap.obj_mut(*id).es_module = true,
                    (Some(key), Some(desc @ JsVal::Obj(_))) => {
                        let span = site.span;
                        let enumerable = self.get_member(&desc, "enumerable", span).truthy();
                        let getter = !self.get_member(&desc, "get", span).is_nullish();
                        let value = if getter {
                            JsVal::unknown(format!("getter `{key}`"), prov.clone())
                        } else {
                            self.get_member(&desc, "value", span)
                        };
                        match enumerable {
                            Some(true) => self.set_member(&target, key.to_string(), value, span),
                            // Non-enumerable: egg's merge (a `for…in`) never sees it.
                            Some(false) => {}
                            None => self.heap.poison(
                                &target,
                                "Object.defineProperty with a descriptor that is not known",
                            ),
                        }
                    }
                    _ => self
                        .heap
                        .poison(&target, "Object.defineProperty that is not followed"),
                }
                target
            }
            _ => self.unknown_call(None, &args, site),
        }
    }

    fn convert(&mut self, f: &str, args: &[JsVal], prov: Provenance) -> JsVal {
        let v = args
            .first()
            .cloned()
            .unwrap_or_else(|| JsVal::undefined(prov.clone()));
        if f == "Boolean" {
            return match v.truthy() {
                Some(t) => JsVal::bool(t, prov),
                None => JsVal::unknown(v.unknown_why().unwrap_or_default(), prov),
            };
        }
        let s = match self.to_js_string(&v) {
            Ok(s) => s,
            Err(why) => {
                return JsVal::unknown(format!("{f}() of a value {}", strip_computed(&why)), prov)
            }
        };
        match f {
            "String" => JsVal::string(s, prov),
            "parseInt" => {
                let radix = args
                    .get(1)
                    .and_then(|r| r.as_prim())
                    .and_then(|r| ops::to_number(&r.kind));
                JsVal::number(ops::parse_int(&s, radix.map(|r| r as u32)), prov)
            }
            "parseFloat" => JsVal::number(ops::parse_float(&s), prov),
            _ => match v.as_prim().and_then(|p| ops::to_number(&p.kind)) {
                Some(n) => JsVal::number(n, prov),
                None => JsVal::number(
                    ops::to_number(&ValueKind::String(s)).unwrap_or(f64::NAN),
                    prov,
                ),
            },
        }
    }

    fn make_regexp(&mut self, src: &JsVal, flags: &JsVal, prov: Provenance) -> JsVal {
        let (source, mut fl) = match src.as_prim().map(|p| &p.kind) {
            Some(ValueKind::Regex { source, flags }) => (source.clone(), flags.clone()),
            Some(ValueKind::String(s)) if src.unknown_why().is_none() => (s.clone(), String::new()),
            _ => {
                let why = src
                    .unknown_why()
                    .unwrap_or_else(|| "a value that is not a string".into());
                return JsVal::unknown(format!("RegExp() of {why}"), prov);
            }
        };
        match flags.as_prim().map(|p| &p.kind) {
            Some(ValueKind::String(f)) => fl = f.clone(),
            Some(ValueKind::Undefined) | None => {}
            Some(_) => return JsVal::unknown("RegExp() with flags that are not known", prov),
        }
        let source = if source.is_empty() {
            "(?:)".to_string()
        } else {
            source
        };
        JsVal::prim(ValueKind::Regex { source, flags: fl }, prov)
    }

    /// `recv.key(...args)`.
    pub(super) fn call_method(
        &mut self,
        recv: JsVal,
        key: Option<String>,
        args: Vec<JsVal>,
        site: &Site,
        awaited: bool,
    ) -> R<JsVal> {
        let prov = self.prov(site.span);
        let Some(key) = key else {
            return Ok(self.unknown_call(None, &args, site));
        };
        match &recv {
            JsVal::Obj(id) => {
                let obj = self.heap.obj(*id);
                if obj.poisoned.is_some() {
                    return Ok(self.unknown_call(Some(&key), &args, site));
                }
                match obj.props.get(&key).cloned() {
                    Some(f @ (JsVal::Func(_) | JsVal::Builtin(_))) => {
                        self.call_value(f, args, site, awaited)
                    }
                    None if key == "hasOwnProperty" => {
                        let k = args.first().and_then(|k| self.key_of(k));
                        Ok(match k {
                            Some(k) => JsVal::bool(self.heap.obj(*id).props.contains_key(&k), prov),
                            None => {
                                JsVal::unknown("hasOwnProperty() of a key that is not known", prov)
                            }
                        })
                    }
                    _ => Ok(self.unknown_call(Some(&key), &args, site)),
                }
            }
            JsVal::Arr(id) => self.array_method(*id, &key, args, site),
            JsVal::Builtin(b) => {
                let f = self.builtin_member(*b, &key, prov);
                self.call_value(f, args, site, awaited)
            }
            JsVal::Prim(p) => {
                if let (ValueKind::String(s), None) = (&p.kind, recv.unknown_why()) {
                    if let Some(v) = self.string_method(s, &key, &args, prov) {
                        return Ok(v);
                    }
                }
                if is_mutating(&key) {
                    let why = match recv.unknown_why() {
                        Some(why) => format!("the receiver is unknown: {why}"),
                        None if recv.is_nullish() => {
                            "the receiver does not exist (JS would throw)".into()
                        }
                        None => "the receiver is not a known array or object".into(),
                    };
                    self.note(
                        site.span,
                        format!("`{}(…)` not followed: {why}", site.callee),
                    );
                }
                Ok(self.unknown_call(Some(&key), &args, site))
            }
            JsVal::Func(_) | JsVal::Class { .. } => Ok(self.unknown_call(Some(&key), &args, site)),
        }
    }

    fn array_method(&mut self, id: ArrId, key: &str, args: Vec<JsVal>, site: &Site) -> R<JsVal> {
        let prov = self.prov(site.span);
        let arr = self.heap.arr(id);
        if arr.poisoned.is_some() {
            if is_mutating(key) {
                self.note(
                    site.span,
                    format!("`{}(…)` not followed: the receiver is unknown", site.callee),
                );
            }
            return Ok(self.unknown_call(Some(key), &args, site));
        }
        let is_set = arr.is_set;
        let items = arr.items.clone();
        if is_mutating(key) {
            if let Some(why) = self.havoc_why() {
                self.heap.poison(&JsVal::Arr(id), &why);
                return Ok(JsVal::unknown(why, prov));
            }
        }
        let len = |n: usize| JsVal::number(n as f64, prov.clone());
        let find = |it: &Self, x: &JsVal| -> Option<Option<usize>> {
            let mut undecided = false;
            for (i, item) in items.iter().enumerate() {
                match it.strict_equals(item, x) {
                    Some(true) => return Some(Some(i)),
                    Some(false) => {}
                    None => undecided = true,
                }
            }
            if undecided {
                None
            } else {
                Some(None)
            }
        };
        let x = args
            .first()
            .cloned()
            .unwrap_or_else(|| JsVal::undefined(prov.clone()));
        Ok(match (is_set, key) {
            (false, "push") => {
                let arr = self.heap.arr_mut(id);
                arr.items.extend(args);
                len(arr.items.len())
            }
            (false, "unshift") => {
                let arr = self.heap.arr_mut(id);
                arr.items.splice(0..0, args);
                len(arr.items.len())
            }
            (false, "pop") => self
                .heap
                .arr_mut(id)
                .items
                .pop()
                .unwrap_or_else(|| JsVal::undefined(prov)),
            (false, "shift") => {
                let arr = self.heap.arr_mut(id);
                if arr.items.is_empty() {
                    JsVal::undefined(prov)
                } else {
                    arr.items.remove(0)
                }
            }
            (false, "concat") => {
                let mut out = items;
                for a in &args {
                    match a {
                        JsVal::Arr(other) if !self.heap.arr(*other).is_set => {
                            match self.list_items(a) {
                                Ok(more) => out.extend(more),
                                Err(why) => return Ok(JsVal::unknown(why, prov)),
                            }
                        }
                        v if v.unknown_why().is_some() => {
                            return Ok(JsVal::unknown(v.unknown_why().unwrap_or_default(), prov));
                        }
                        v => out.push(v.clone()),
                    }
                }
                JsVal::Arr(self.heap.new_arr(out, prov, false))
            }
            (false, "slice") => {
                let n = items.len() as f64;
                let idx = |v: Option<&JsVal>, default: f64| -> usize {
                    let i = v
                        .and_then(|v| v.as_prim())
                        .and_then(|p| ops::to_number(&p.kind))
                        .unwrap_or(default);
                    let i = if i < 0.0 { (n + i).max(0.0) } else { i.min(n) };
                    i as usize
                };
                let (a, b) = (idx(args.first(), 0.0), idx(args.get(1), n));
                let out = items
                    .get(a..b.max(a))
                    .map(<[_]>::to_vec)
                    .unwrap_or_default();
                JsVal::Arr(self.heap.new_arr(out, prov, false))
            }
            (false, "join") => {
                let sep = args
                    .first()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_else(|| ",".into());
                let mut parts = Vec::new();
                for item in &items {
                    match if item.is_nullish() {
                        Ok(String::new())
                    } else {
                        self.to_js_string(item)
                    } {
                        Ok(s) => parts.push(s),
                        Err(why) => return Ok(JsVal::unknown(why, prov)),
                    }
                }
                JsVal::string(parts.join(&sep), prov)
            }
            (false, "includes") | (true, "has") => match find(self, &x) {
                Some(found) => JsVal::bool(found.is_some(), prov),
                None => JsVal::unknown("compares values that are not known", prov),
            },
            (false, "indexOf") => match find(self, &x) {
                Some(found) => JsVal::number(found.map_or(-1.0, |i| i as f64), prov),
                None => JsVal::unknown("compares values that are not known", prov),
            },
            (true, "add") => {
                match find(self, &x) {
                    Some(Some(_)) => {}
                    Some(None) => self.heap.arr_mut(id).items.push(x),
                    None => self
                        .heap
                        .poison(&JsVal::Arr(id), "Set.add() of a value that is not known"),
                }
                JsVal::Arr(id)
            }
            (true, "delete") => match find(self, &x) {
                Some(Some(i)) => {
                    self.heap.arr_mut(id).items.remove(i);
                    JsVal::bool(true, prov)
                }
                Some(None) => JsVal::bool(false, prov),
                None => {
                    self.heap
                        .poison(&JsVal::Arr(id), "Set.delete() of a value that is not known");
                    JsVal::unknown("Set.delete() of a value that is not known", prov)
                }
            },
            (_, "forEach" | "map" | "filter" | "some" | "every" | "find") => {
                let Some(JsVal::Func(f)) = args.first().cloned() else {
                    return Ok(self.unknown_call(Some(key), &args, site));
                };
                let mut out = Vec::new();
                let mut decided = true;
                for (i, item) in items.iter().enumerate() {
                    let call_args = vec![item.clone(), len(i), JsVal::Arr(id)];
                    let r = self.call_function(f, call_args, false)?;
                    match key {
                        "map" => out.push(r),
                        "forEach" => {}
                        _ => match r.truthy() {
                            Some(t) => out.push(JsVal::bool(t, prov.clone())),
                            None => decided = false,
                        },
                    }
                }
                if !decided {
                    return Ok(JsVal::unknown(
                        format!("{}() with a callback result that is not known", site.callee),
                        prov,
                    ));
                }
                let flags = || out.iter().map(|b| b.truthy() == Some(true));
                match key {
                    "forEach" => JsVal::undefined(prov),
                    "map" => JsVal::Arr(self.heap.new_arr(out, prov, false)),
                    "filter" => {
                        let kept = items
                            .iter()
                            .zip(flags())
                            .filter(|(_, k)| *k)
                            .map(|(v, _)| v.clone())
                            .collect();
                        JsVal::Arr(self.heap.new_arr(kept, prov, false))
                    }
                    "some" => JsVal::bool(flags().any(|b| b), prov),
                    "every" => JsVal::bool(flags().all(|b| b), prov),
                    _ => items
                        .iter()
                        .zip(flags())
                        .find(|(_, k)| *k)
                        .map_or(JsVal::undefined(prov), |(v, _)| v.clone()),
                }
            }
            _ => {
                if is_mutating(key) {
                    let why = format!("changed by {}()", site.callee);
                    self.note(
                        site.span,
                        format!("{why} is not followed; the array is unknown now"),
                    );
                    self.heap.poison(&JsVal::Arr(id), &why);
                }
                self.unknown_call(Some(key), &args, site)
            }
        })
    }

    fn string_method(
        &mut self,
        s: &str,
        key: &str,
        args: &[JsVal],
        prov: Provenance,
    ) -> Option<JsVal> {
        let str_arg = |i: usize| {
            args.get(i).and_then(|a| {
                if a.unknown_why().is_none() {
                    a.as_str()
                } else {
                    None
                }
            })
        };
        Some(match key {
            "toLowerCase" => JsVal::string(s.to_lowercase(), prov),
            "toUpperCase" => JsVal::string(s.to_uppercase(), prov),
            "trim" => JsVal::string(s.trim(), prov),
            "trimStart" => JsVal::string(s.trim_start(), prov),
            "trimEnd" => JsVal::string(s.trim_end(), prov),
            "startsWith" => JsVal::bool(s.starts_with(str_arg(0)?), prov),
            "endsWith" => JsVal::bool(s.ends_with(str_arg(0)?), prov),
            "includes" => JsVal::bool(s.contains(str_arg(0)?), prov),
            "indexOf" => JsVal::number(
                s.find(str_arg(0)?)
                    .map_or(-1.0, |i| s[..i].encode_utf16().count() as f64),
                prov,
            ),
            "replace" => JsVal::string(s.replacen(str_arg(0)?, str_arg(1)?, 1), prov),
            "replaceAll" => JsVal::string(s.replace(str_arg(0)?, str_arg(1)?), prov),
            "concat" => {
                let mut out = s.to_string();
                for a in args {
                    out.push_str(&self.to_js_string(a).ok()?);
                }
                JsVal::string(out, prov)
            }
            "split" => {
                let parts: Vec<String> = match str_arg(0) {
                    Some("") => s.chars().map(String::from).collect(),
                    Some(sep) => s.split(sep).map(String::from).collect(),
                    None if args.is_empty() => vec![s.to_string()],
                    None => return None,
                };
                let items = parts
                    .into_iter()
                    .map(|p| JsVal::string(p, prov.clone()))
                    .collect();
                JsVal::Arr(self.heap.new_arr(items, prov, false))
            }
            "toString" | "valueOf" => JsVal::string(s, prov),
            _ => return None,
        })
    }
}

fn is_mutating(method: &str) -> bool {
    matches!(
        method,
        "push"
            | "unshift"
            | "splice"
            | "pop"
            | "shift"
            | "sort"
            | "reverse"
            | "fill"
            | "copyWithin"
            | "add"
            | "delete"
            | "set"
            | "clear"
    )
}

/// Phrases a reason after "a value": `computed from env X` reads as is, others are wrapped.
fn strip_computed(why: &str) -> String {
    if why.starts_with("computed from") {
        why.to_string()
    } else {
        format!("that is not known ({why})")
    }
}

/// `path.normalize` for POSIX paths.
pub(super) fn posix_normalize(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let absolute = p.starts_with('/');
    let trailing = p.ends_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if absolute {
        out.insert(0, '/');
    }
    if out.is_empty() {
        out.push('.');
    }
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_normalize_matches_node() {
        assert_eq!(posix_normalize("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(posix_normalize("a/../../b"), "../b");
        assert_eq!(posix_normalize("/.."), "/");
        assert_eq!(posix_normalize("a/b/"), "a/b/");
        assert_eq!(posix_normalize(""), ".");
    }

    #[test]
    fn host_modules() {
        assert_eq!(host_module("node:path"), Some("path"));
        assert_eq!(host_module("os"), Some("os"));
        assert_eq!(host_module("fs"), None);
        assert_eq!(global_func("parseInt"), Some("parseInt"));
        assert_eq!(global_func("require"), None);
    }
}
