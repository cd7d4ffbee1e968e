//! The evaluator's run-time values. Objects, arrays and sets live in an arena ([`Heap`]) and are
//! referred to by id, so aliasing (`const config = exports = {}`) and mutation work as in JS
//! without reference cycles or shared mutable borrows. [`Heap::lower`] turns a run-time value
//! into the owned [`Value`] tree the rest of eggsec sees.

use super::source::Src;
use crate::value::{Object, Provenance, Value, ValueKind};
use foldhash::{HashMap, HashMapExt};
use indexmap::IndexMap;
use oxc::ast::ast::{ArrowFunctionExpression, Function};
use std::rc::Rc;

/// Strings longer than this (bytes) are `Unknown`: a string doubled in a loop stays small.
pub(super) const MAX_STRING_BYTES: usize = 1 << 20;
/// Arrays longer than this are `Unknown` (poisoned): an array doubled in a loop stays small.
pub(super) const MAX_ARRAY_ITEMS: usize = 100_000;
/// Lowering a value (objects shared many times — a DAG of constants — expand into a tree)
/// produces at most this many nodes per file; the parts beyond are `Unknown`.
pub(super) const MAX_LOWERED_NODES: usize = 200_000;
/// One object or array shared by many parents is written out at most this many times; the
/// other places hold an `Unknown` (a DAG of constants is never expanded into a huge tree).
pub(super) const MAX_EXPANSIONS_PER_VALUE: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ObjId(usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ArrId(usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FnId(usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ScopeId(usize);

/// A run-time value.
#[derive(Clone, Debug)]
pub(super) enum JsVal {
    /// A primitive, regex, env reference or unknown — never an object, array or set.
    Prim(Value),
    Obj(ObjId),
    /// An array, or a `Set` (see [`Arr::is_set`]).
    Arr(ArrId),
    Func(FnId),
    Class {
        name: Option<String>,
        prov: Provenance,
    },
    /// A host object or function the evaluator models (`path.join`, `Object.assign`, …).
    Builtin(Builtin),
}

impl JsVal {
    pub(super) fn prim(kind: ValueKind, prov: Provenance) -> Self {
        JsVal::Prim(Value::new(kind, prov))
    }
    pub(super) fn unknown(why: impl Into<String>, prov: Provenance) -> Self {
        JsVal::Prim(Value::unknown(why, prov))
    }
    pub(super) fn undefined(prov: Provenance) -> Self {
        Self::prim(ValueKind::Undefined, prov)
    }
    pub(super) fn string(s: impl Into<String>, prov: Provenance) -> Self {
        let s = s.into();
        if s.len() > MAX_STRING_BYTES {
            return Self::unknown(
                format!("a string longer than {MAX_STRING_BYTES} bytes (evaluation budget)"),
                prov,
            );
        }
        Self::prim(ValueKind::String(s), prov)
    }
    pub(super) fn bool(b: bool, prov: Provenance) -> Self {
        Self::prim(ValueKind::Bool(b), prov)
    }
    pub(super) fn number(n: f64, prov: Provenance) -> Self {
        Self::prim(ValueKind::Number(n), prov)
    }
    pub(super) fn as_prim(&self) -> Option<&Value> {
        match self {
            JsVal::Prim(v) => Some(v),
            _ => None,
        }
    }
    pub(super) fn as_str(&self) -> Option<&str> {
        self.as_prim().and_then(Value::as_str)
    }
    pub(super) fn is_nullish(&self) -> bool {
        matches!(
            self.as_prim().map(|v| &v.kind),
            Some(ValueKind::Undefined | ValueKind::Null)
        )
    }
    pub(super) fn is_undefined(&self) -> bool {
        matches!(self.as_prim().map(|v| &v.kind), Some(ValueKind::Undefined))
    }
    /// Why this value is not statically known, if it is not (unknown, or read from the env).
    pub(super) fn unknown_why(&self) -> Option<String> {
        match self.as_prim().map(|v| &v.kind) {
            Some(ValueKind::Unknown { why }) => Some(why.clone()),
            Some(ValueKind::Env { name, .. }) => Some(format!("computed from env {name}")),
            _ => None,
        }
    }
    /// JS truthiness; `None` when it cannot be known statically.
    pub(super) fn truthy(&self) -> Option<bool> {
        match self {
            JsVal::Prim(v) => v.truthy(),
            _ => Some(true),
        }
    }
}

/// A modelled host object (`Module`) or function (`Func`), by its dotted name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Builtin {
    Module(&'static str),
    Func(&'static str),
    /// The function egg 4.1's `definePluginFactory(meta)` returns (its `meta` object): called
    /// with options it gives `{ [meta.name]: { ...meta, ...options, name, skipMerge: true } }`.
    PluginFactory(ObjId),
}

/// An object: ordered own enumerable properties.
#[derive(Debug)]
pub(super) struct Obj {
    pub(super) props: IndexMap<String, JsVal>,
    pub(super) prov: Provenance,
    /// Set when something the evaluator could not follow may have changed any key.
    pub(super) poisoned: Option<String>,
    /// Set when the object may hold other keys than `props`, of unknown names and values (an
    /// unevaluable spread or `Object.assign` source); the listed keys are still known.
    pub(super) rest: Option<String>,
    /// `Object.defineProperty(exports, '__esModule', …)` was seen (non-enumerable flag).
    pub(super) es_module: bool,
}

/// An array or a `Set`.
#[derive(Debug)]
pub(super) struct Arr {
    pub(super) items: Vec<JsVal>,
    pub(super) prov: Provenance,
    pub(super) poisoned: Option<String>,
    pub(super) is_set: bool,
}

/// The AST of a callable function.
#[derive(Clone, Copy, Debug)]
pub(super) enum FnNode<'a> {
    Arrow(&'a ArrowFunctionExpression<'a>),
    Func(&'a Function<'a>),
}

impl FnNode<'_> {
    pub(super) fn is_async(self) -> bool {
        match self {
            FnNode::Arrow(a) => a.r#async,
            FnNode::Func(f) => f.r#async,
        }
    }
    pub(super) fn is_generator(self) -> bool {
        matches!(self, FnNode::Func(f) if f.generator)
    }
}

/// A function value with the scope it closes over.
#[derive(Debug)]
pub(super) struct Closure<'a> {
    pub(super) node: FnNode<'a>,
    pub(super) scope: ScopeId,
    pub(super) src: Rc<Src<'a>>,
    pub(super) name: Option<String>,
    pub(super) prov: Provenance,
}

/// A lexical scope.
#[derive(Debug)]
pub(super) struct Scope {
    pub(super) vars: HashMap<String, JsVal>,
    pub(super) parent: Option<ScopeId>,
    /// Function and module scopes receive `var` declarations.
    pub(super) function: bool,
}

/// The arena of objects, arrays, functions and scopes of one evaluation.
#[derive(Debug, Default)]
pub(super) struct Heap<'a> {
    objs: Vec<Obj>,
    arrs: Vec<Arr>,
    fns: Vec<Closure<'a>>,
    scopes: Vec<Scope>,
}

impl<'a> Heap<'a> {
    pub(super) fn new_obj(&mut self, prov: Provenance) -> ObjId {
        self.objs.push(Obj {
            props: IndexMap::new(),
            prov,
            poisoned: None,
            rest: None,
            es_module: false,
        });
        ObjId(self.objs.len() - 1)
    }
    pub(super) fn obj(&self, id: ObjId) -> &Obj {
        &self.objs[id.0]
    }
    pub(super) fn obj_mut(&mut self, id: ObjId) -> &mut Obj {
        &mut self.objs[id.0]
    }
    pub(super) fn new_arr(
        &mut self,
        mut items: Vec<JsVal>,
        prov: Provenance,
        is_set: bool,
    ) -> ArrId {
        let poisoned = (items.len() > MAX_ARRAY_ITEMS).then(|| {
            items.truncate(MAX_ARRAY_ITEMS);
            format!("an array longer than {MAX_ARRAY_ITEMS} items (evaluation budget)")
        });
        self.arrs.push(Arr {
            items,
            prov,
            poisoned,
            is_set,
        });
        ArrId(self.arrs.len() - 1)
    }
    pub(super) fn arr(&self, id: ArrId) -> &Arr {
        &self.arrs[id.0]
    }
    pub(super) fn arr_mut(&mut self, id: ArrId) -> &mut Arr {
        &mut self.arrs[id.0]
    }
    pub(super) fn new_fn(&mut self, closure: Closure<'a>) -> FnId {
        self.fns.push(closure);
        FnId(self.fns.len() - 1)
    }
    pub(super) fn func(&self, id: FnId) -> &Closure<'a> {
        &self.fns[id.0]
    }
    pub(super) fn new_scope(&mut self, parent: Option<ScopeId>, function: bool) -> ScopeId {
        self.scopes.push(Scope {
            vars: HashMap::new(),
            parent,
            function,
        });
        ScopeId(self.scopes.len() - 1)
    }
    pub(super) fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.0]
    }
    pub(super) fn scope_mut(&mut self, id: ScopeId) -> &mut Scope {
        &mut self.scopes[id.0]
    }

    /// The scope that declares `name`, searching outwards from `from`.
    pub(super) fn find_binding(&self, from: ScopeId, name: &str) -> Option<ScopeId> {
        let mut cur = Some(from);
        while let Some(id) = cur {
            let scope = self.scope(id);
            if scope.vars.contains_key(name) {
                return Some(id);
            }
            cur = scope.parent;
        }
        None
    }

    /// The nearest function (or module) scope, which receives `var` declarations.
    pub(super) fn function_scope(&self, from: ScopeId) -> ScopeId {
        let mut id = from;
        while !self.scope(id).function {
            match self.scope(id).parent {
                Some(p) => id = p,
                None => break,
            }
        }
        id
    }

    /// Opens object `id`: it may now hold keys of unknown names and values (`why`), which may
    /// also have replaced every key it lists so far — those become `Unknown` too. Keys set
    /// afterwards stay known.
    pub(super) fn open(&mut self, id: ObjId, why: &str) {
        let obj = self.obj_mut(id);
        for v in obj.props.values_mut() {
            let prov = match v {
                JsVal::Prim(p) => p.prov.clone(),
                _ => obj.prov.clone(),
            };
            *v = JsVal::unknown(format!("may be replaced: {why}"), prov);
        }
        obj.rest.get_or_insert_with(|| why.to_string());
    }

    /// Poisons an object or array: something may have changed it in a way not followed.
    pub(super) fn poison(&mut self, val: &JsVal, why: &str) {
        match val {
            JsVal::Obj(id) => {
                self.obj_mut(*id)
                    .poisoned
                    .get_or_insert_with(|| why.to_string());
            }
            JsVal::Arr(id) => {
                self.arr_mut(*id)
                    .poisoned
                    .get_or_insert_with(|| why.to_string());
            }
            _ => {}
        }
    }

    /// Turns a run-time value into an owned [`Value`]. Cycles become `Unknown`; more than
    /// `max_depth` levels gives `Err(())` (the caller reports it as too deep).
    pub(super) fn lower(&self, val: &JsVal, max_depth: usize) -> Result<Value, ()> {
        self.lower_counted(val, max_depth).map(|(v, _)| v)
    }

    /// Like [`Heap::lower`], also saying whether the node budget ([`MAX_LOWERED_NODES`]) ran
    /// out (the parts beyond it are `Unknown`).
    pub(super) fn lower_counted(&self, val: &JsVal, max_depth: usize) -> Result<(Value, bool), ()> {
        let mut path = Vec::new();
        let mut budget = Budget {
            nodes: MAX_LOWERED_NODES,
            seen: HashMap::new(),
            exhausted: false,
        };
        let v = self.lower_in(val, &mut path, max_depth, &mut budget)?;
        Ok((v, budget.exhausted))
    }

    fn lower_in(
        &self,
        val: &JsVal,
        path: &mut Vec<Ref>,
        max_depth: usize,
        budget: &mut Budget,
    ) -> Result<Value, ()> {
        if path.len() > max_depth {
            return Err(());
        }
        let shared = match val {
            JsVal::Obj(id) => Some(Ref::Obj(*id)),
            JsVal::Arr(id) => Some(Ref::Arr(*id)),
            _ => None,
        };
        let over_shared = shared.is_some_and(|r| {
            let n = budget.seen.entry(r).or_insert(0);
            *n += 1;
            *n > MAX_EXPANSIONS_PER_VALUE
        });
        if budget.nodes == 0 || over_shared {
            budget.exhausted = true;
            let prov = match val {
                JsVal::Prim(v) => v.prov.clone(),
                JsVal::Obj(id) => self.obj(*id).prov.clone(),
                JsVal::Arr(id) => self.arr(*id).prov.clone(),
                _ => Provenance::synthetic("<budget>"),
            };
            return Ok(Value::unknown(
                format!(
                    "the value is too large (more than {MAX_LOWERED_NODES} parts, e.g. one object shared many times; evaluation budget)"
                ),
                prov,
            ));
        }
        budget.nodes -= 1;
        Ok(match val {
            JsVal::Prim(v) => v.clone(),
            JsVal::Func(id) => {
                let f = self.func(*id);
                Value::new(
                    ValueKind::Function {
                        name: f.name.clone(),
                    },
                    f.prov.clone(),
                )
            }
            JsVal::Class { name, prov } => {
                Value::new(ValueKind::Function { name: name.clone() }, prov.clone())
            }
            JsVal::Builtin(b) => {
                let name = match b {
                    Builtin::Module(n) | Builtin::Func(n) => n,
                    Builtin::PluginFactory(_) => "definePluginFactory()",
                };
                Value::unknown(
                    format!("host object `{name}`"),
                    Provenance::synthetic("<builtin>"),
                )
            }
            JsVal::Obj(id) => {
                let obj = self.obj(*id);
                if let Some(why) = &obj.poisoned {
                    return Ok(Value::unknown(why.clone(), obj.prov.clone()));
                }
                if path.contains(&Ref::Obj(*id)) {
                    return Ok(Value::unknown("circular reference", obj.prov.clone()));
                }
                path.push(Ref::Obj(*id));
                let mut map = Object::new();
                for (k, v) in &obj.props {
                    map.insert(k.clone(), self.lower_in(v, path, max_depth, budget)?);
                }
                if let Some(why) = &obj.rest {
                    map.insert(
                        crate::value::UNKNOWN_KEYS.to_string(),
                        Value::unknown(why.clone(), obj.prov.clone()),
                    );
                }
                path.pop();
                Value::object(map, obj.prov.clone())
            }
            JsVal::Arr(id) => {
                let arr = self.arr(*id);
                if let Some(why) = &arr.poisoned {
                    return Ok(Value::unknown(why.clone(), arr.prov.clone()));
                }
                if path.contains(&Ref::Arr(*id)) {
                    return Ok(Value::unknown("circular reference", arr.prov.clone()));
                }
                path.push(Ref::Arr(*id));
                let items = arr
                    .items
                    .iter()
                    .map(|v| self.lower_in(v, path, max_depth, budget))
                    .collect::<Result<_, _>>()?;
                path.pop();
                let kind = if arr.is_set {
                    ValueKind::Set(items)
                } else {
                    ValueKind::Array(items)
                };
                Value::new(kind, arr.prov.clone())
            }
        })
    }

    /// Turns an owned [`Value`] (e.g. `appConfig`) into run-time objects, at most `max_depth`
    /// levels deep (deeper parts stay opaque `Unknown`s).
    pub(super) fn raise(&mut self, v: &Value, max_depth: usize) -> JsVal {
        if max_depth == 0 {
            return JsVal::unknown("nested too deeply", v.prov.clone());
        }
        match &v.kind {
            ValueKind::Object(map) => {
                let id = self.new_obj(v.prov.clone());
                for (k, child) in map {
                    if k == crate::value::UNKNOWN_KEYS {
                        if let ValueKind::Unknown { why } = &child.kind {
                            self.obj_mut(id).rest = Some(why.clone());
                        }
                        continue;
                    }
                    let child = self.raise(child, max_depth - 1);
                    self.obj_mut(id).props.insert(k.clone(), child);
                }
                JsVal::Obj(id)
            }
            ValueKind::Array(items) | ValueKind::Set(items) => {
                let is_set = matches!(v.kind, ValueKind::Set(_));
                let items = items.iter().map(|c| self.raise(c, max_depth - 1)).collect();
                JsVal::Arr(self.new_arr(items, v.prov.clone(), is_set))
            }
            _ => JsVal::Prim(v.clone()),
        }
    }

    /// Raises a parsed JSON document (`appInfo.pkg`).
    pub(super) fn raise_json(
        &mut self,
        v: &serde_json::Value,
        prov: &Provenance,
        max_depth: usize,
    ) -> JsVal {
        use serde_json::Value as J;
        if max_depth == 0 {
            return JsVal::unknown("nested too deeply", prov.clone());
        }
        match v {
            J::Null => JsVal::prim(ValueKind::Null, prov.clone()),
            J::Bool(b) => JsVal::bool(*b, prov.clone()),
            J::Number(n) => JsVal::number(n.as_f64().unwrap_or(f64::NAN), prov.clone()),
            J::String(s) => JsVal::string(s.clone(), prov.clone()),
            J::Array(items) => {
                let items = items
                    .iter()
                    .map(|c| self.raise_json(c, prov, max_depth - 1))
                    .collect();
                JsVal::Arr(self.new_arr(items, prov.clone(), false))
            }
            J::Object(map) => {
                let id = self.new_obj(prov.clone());
                for (k, child) in map {
                    let child = self.raise_json(child, prov, max_depth - 1);
                    self.obj_mut(id).props.insert(k.clone(), child);
                }
                JsVal::Obj(id)
            }
        }
    }
}

struct Budget {
    nodes: usize,
    seen: HashMap<Ref, usize>,
    exhausted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Ref {
    Obj(ObjId),
    Arr(ArrId),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Provenance {
        Provenance::new("t.js", 1, 1)
    }

    #[test]
    fn lowering_keeps_order_and_marks_cycles() {
        let mut heap = Heap::default();
        let o = heap.new_obj(p());
        heap.obj_mut(o)
            .props
            .insert("b".into(), JsVal::number(1.0, p()));
        heap.obj_mut(o).props.insert("a".into(), JsVal::Obj(o));
        let v = heap.lower(&JsVal::Obj(o), 10).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "a"]);
        assert!(v.get("a").unwrap().is_unknown());
    }

    #[test]
    fn lowering_refuses_excess_depth() {
        let mut heap = Heap::default();
        let mut cur = JsVal::number(1.0, p());
        for _ in 0..20 {
            let o = heap.new_obj(p());
            heap.obj_mut(o).props.insert("a".into(), cur);
            cur = JsVal::Obj(o);
        }
        assert!(heap.lower(&cur, 10).is_err());
        assert!(heap.lower(&cur, 30).is_ok());
    }

    #[test]
    fn a_dag_of_shared_objects_is_not_expanded_past_the_budget() {
        let mut heap = Heap::default();
        let mut cur = JsVal::number(1.0, p());
        for _ in 0..40 {
            let o = heap.new_obj(p());
            heap.obj_mut(o).props.insert("a".into(), cur.clone());
            heap.obj_mut(o).props.insert("b".into(), cur);
            cur = JsVal::Obj(o);
        }
        let (v, exhausted) = heap.lower_counted(&cur, 100).unwrap();
        assert!(exhausted);
        assert!(v.get("a").is_some());
    }

    #[test]
    fn raise_then_lower_round_trips() {
        let mut heap = Heap::default();
        let mut map = Object::new();
        map.insert("s".into(), Value::new(ValueKind::Set(vec![]), p()));
        map.insert("n".into(), Value::new(ValueKind::Null, p()));
        let v = Value::object(map, p());
        let raised = heap.raise(&v, 10);
        assert_eq!(heap.lower(&raised, 10).unwrap(), v);
    }
}
