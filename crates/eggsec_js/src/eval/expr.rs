//! Expressions: literals, identifiers, members, operators, assignments and calls.

use super::heap::{Builtin, FnNode, JsVal};
use super::interp::{DeclKind, Interp, Stop, R};
use super::ops;
use crate::value::{Provenance, Value, ValueKind};
use oxc::ast::ast::*;
use oxc::span::GetSpan;

/// Where a call happens, for provenance and `Unknown` reasons.
pub(super) struct Site {
    pub(super) span: Span,
    /// Source text of the callee, e.g. `path.join`.
    pub(super) callee: String,
}

impl<'a> Interp<'a, '_> {
    pub(super) fn eval_expr(&mut self, expr: &'a Expression<'a>) -> R<JsVal> {
        self.enter()?;
        let r = self.eval_expr_inner(expr);
        self.leave();
        r
    }

    /// Evaluates `expr`, naming an anonymous function or class after the binding or key it is
    /// assigned to, as JS does (`const f = () => {}` has `f.name === 'f'`).
    pub(super) fn eval_named(
        &mut self,
        expr: &'a Expression<'a>,
        name: Option<String>,
    ) -> R<JsVal> {
        match expr.get_inner_expression() {
            Expression::ArrowFunctionExpression(a) => {
                Ok(self.make_function(FnNode::Arrow(a), name))
            }
            Expression::FunctionExpression(f) => Ok(self.make_function(FnNode::Func(f), name)),
            Expression::ClassExpression(c) => Ok(JsVal::Class {
                name: c.id.as_ref().map(|i| i.name.as_str().to_owned()).or(name),
                prov: self.prov(c.span),
            }),
            _ => self.eval_expr(expr),
        }
    }

    fn eval_expr_inner(&mut self, expr: &'a Expression<'a>) -> R<JsVal> {
        let prov = self.prov(expr.span());
        Ok(match expr {
            Expression::BooleanLiteral(b) => JsVal::bool(b.value, prov),
            Expression::NullLiteral(_) => JsVal::prim(ValueKind::Null, prov),
            Expression::NumericLiteral(n) => JsVal::number(n.value, prov),
            Expression::StringLiteral(s) => JsVal::string(s.value.as_str(), prov),
            Expression::BigIntLiteral(_) => JsVal::unknown("a BigInt", prov),
            Expression::RegExpLiteral(r) => JsVal::prim(
                ValueKind::Regex {
                    source: r.regex.pattern.text.to_string(),
                    flags: r.regex.flags.to_string(),
                },
                prov,
            ),
            Expression::TemplateLiteral(t) => self.eval_template(t)?,
            Expression::TaggedTemplateExpression(t) => JsVal::unknown(
                format!("tagged template {}", self.snippet(t.tag.span())),
                prov,
            ),
            Expression::Identifier(id) => self.eval_identifier(id.name.as_str(), prov),
            Expression::ArrayExpression(a) => self.eval_array(a)?,
            Expression::ObjectExpression(o) => self.eval_object(o)?,
            Expression::ArrowFunctionExpression(a) => self.make_function(FnNode::Arrow(a), None),
            Expression::FunctionExpression(f) => self.make_function(FnNode::Func(f), None),
            Expression::ClassExpression(c) => JsVal::Class {
                name: c.id.as_ref().map(|i| i.name.as_str().to_owned()),
                prov,
            },
            Expression::ParenthesizedExpression(p) => self.eval_expr(&p.expression)?,
            Expression::TSAsExpression(e) => self.eval_expr(&e.expression)?,
            Expression::TSSatisfiesExpression(e) => self.eval_expr(&e.expression)?,
            Expression::TSTypeAssertion(e) => self.eval_expr(&e.expression)?,
            Expression::TSNonNullExpression(e) => self.eval_expr(&e.expression)?,
            Expression::TSInstantiationExpression(e) => self.eval_expr(&e.expression)?,
            Expression::SequenceExpression(s) => {
                let mut last = JsVal::undefined(prov);
                for e in &s.expressions {
                    last = self.eval_expr(e)?;
                }
                last
            }
            Expression::UnaryExpression(u) => self.eval_unary(u)?,
            Expression::BinaryExpression(b) => {
                let l = self.eval_expr(&b.left)?;
                let r = self.eval_expr(&b.right)?;
                self.binary(b.operator, &l, &r, prov)
            }
            Expression::LogicalExpression(l) => self.eval_logical(l)?,
            Expression::ConditionalExpression(c) => {
                let test = self.eval_expr(&c.test)?;
                match test.truthy() {
                    Some(true) => self.eval_expr(&c.consequent)?,
                    Some(false) => self.eval_expr(&c.alternate)?,
                    None => JsVal::unknown(self.undecided_why(&test, c.test.span()), prov),
                }
            }
            Expression::AssignmentExpression(a) => self.eval_assignment(a)?,
            Expression::UpdateExpression(u) => self.eval_update(u)?,
            Expression::CallExpression(c) => self.eval_call(c, false)?,
            Expression::NewExpression(n) => self.eval_new(n)?,
            Expression::ChainExpression(c) => match self.eval_chain(&c.expression) {
                Err(Stop::ShortCircuit) => JsVal::undefined(prov),
                r => r?,
            },
            Expression::AwaitExpression(a) => match a.argument.get_inner_expression() {
                Expression::CallExpression(c) => self.eval_call(c, true)?,
                _ => self.eval_expr(&a.argument)?,
            },
            Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)
            | Expression::PrivateFieldExpression(_) => {
                let m = expr.as_member_expression().ok_or(Stop::ShortCircuit)?;
                self.eval_member(m)?
            }
            Expression::ImportExpression(_) => JsVal::unknown("dynamic import()", prov),
            Expression::ImportMeta(_) => self.import_meta(prov),
            Expression::ThisExpression(_) => JsVal::unknown("`this`", prov),
            _ => JsVal::unknown(
                format!("`{}` is not evaluated", self.snippet(expr.span())),
                prov,
            ),
        })
    }

    fn eval_chain(&mut self, elem: &'a ChainElement<'a>) -> R<JsVal> {
        match elem {
            ChainElement::CallExpression(c) => self.eval_call(c, false),
            ChainElement::TSNonNullExpression(e) => self.eval_expr(&e.expression),
            other => match other.as_member_expression() {
                Some(m) => self.eval_member(m),
                None => Ok(JsVal::unknown("unsupported chain", self.prov(other.span()))),
            },
        }
    }

    fn eval_identifier(&mut self, name: &str, prov: Provenance) -> JsVal {
        if let Some(v) = self.lookup(name) {
            return restamp(v, &prov);
        }
        match name {
            "undefined" => JsVal::undefined(prov),
            "NaN" => JsVal::number(f64::NAN, prov),
            "Infinity" => JsVal::number(f64::INFINITY, prov),
            "process" => JsVal::Builtin(Builtin::Module("process")),
            "Object" => JsVal::Builtin(Builtin::Module("Object")),
            "Array" => JsVal::Builtin(Builtin::Module("Array")),
            "require" => JsVal::Builtin(Builtin::Func("require")),
            "defineConfig" | "defineConfigFactory" => JsVal::Builtin(Builtin::Func("identity")),
            "definePluginFactory" => JsVal::Builtin(Builtin::Func("definePluginFactory")),
            _ => match super::builtins::global_func(name) {
                Some(f) => JsVal::Builtin(Builtin::Func(f)),
                None if super::builtins::is_other_global(name) => {
                    JsVal::unknown(format!("host global `{name}`"), prov)
                }
                None => JsVal::unknown(format!("`{name}` is not defined in this file"), prov),
            },
        }
    }

    fn import_meta(&mut self, prov: Provenance) -> JsVal {
        let id = self.heap.new_obj(prov.clone());
        let path = self.src.path.display().to_string();
        let dir = self.src.dir().display().to_string();
        let props = [
            ("filename", JsVal::string(path.clone(), prov.clone())),
            ("dirname", JsVal::string(dir, prov.clone())),
            ("url", JsVal::string(format!("file://{path}"), prov)),
        ];
        self.heap
            .obj_mut(id)
            .props
            .extend(props.map(|(k, v)| (k.to_string(), v)));
        JsVal::Obj(id)
    }

    fn eval_template(&mut self, t: &'a TemplateLiteral<'a>) -> R<JsVal> {
        let prov = self.prov(t.span);
        let mut out = String::new();
        for (i, quasi) in t.quasis.iter().enumerate() {
            out.push_str(
                quasi
                    .value
                    .cooked
                    .as_ref()
                    .map_or(quasi.value.raw.as_str(), |c| c.as_str()),
            );
            if let Some(e) = t.expressions.get(i) {
                let v = self.eval_expr(e)?;
                match self.to_js_string(&v) {
                    Ok(s) => out.push_str(&s),
                    Err(why) => return Ok(JsVal::unknown(why, prov)),
                }
            }
        }
        Ok(JsVal::string(out, prov))
    }

    /// `ToString` of any value; `Err(why)` when it cannot be known.
    pub(super) fn to_js_string(&self, v: &JsVal) -> Result<String, String> {
        match v {
            JsVal::Prim(p) => match v.unknown_why() {
                Some(why) => Err(why),
                None => ops::to_string(&p.kind).ok_or_else(|| "not a string".into()),
            },
            JsVal::Arr(id) => {
                let arr = self.heap.arr(*id);
                if let Some(why) = &arr.poisoned {
                    return Err(why.clone());
                }
                if arr.is_set {
                    return Ok("[object Set]".into());
                }
                let parts = arr
                    .items
                    .iter()
                    .map(|i| {
                        if i.is_nullish() {
                            Ok(String::new())
                        } else {
                            self.to_js_string(i)
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let len: usize = parts.iter().map(String::len).sum::<usize>() + parts.len();
                if len > super::heap::MAX_STRING_BYTES {
                    return Err("a string longer than the evaluation budget".into());
                }
                Ok(parts.join(","))
            }
            JsVal::Obj(_) => Ok("[object Object]".into()),
            JsVal::Func(_) | JsVal::Class { .. } => Err("source text of a function".into()),
            JsVal::Builtin(_) => Err("a host object".into()),
        }
    }

    fn eval_array(&mut self, a: &'a ArrayExpression<'a>) -> R<JsVal> {
        let prov = self.prov(a.span);
        let mut items = Vec::new();
        for elem in &a.elements {
            match elem {
                ArrayExpressionElement::SpreadElement(s) => {
                    let v = self.eval_expr(&s.argument)?;
                    match self.list_items(&v) {
                        Ok(list) => items.extend(list),
                        Err(why) => {
                            let why =
                                format!("spreads `{}` ({why})", self.snippet(s.argument.span()));
                            return Ok(JsVal::unknown(why, prov));
                        }
                    }
                }
                ArrayExpressionElement::Elision(e) => {
                    items.push(JsVal::undefined(self.prov(e.span)))
                }
                other => match other.as_expression() {
                    Some(e) => items.push(self.eval_expr(e)?),
                    None => items.push(JsVal::unknown("unsupported element", prov.clone())),
                },
            }
        }
        Ok(JsVal::Arr(self.heap.new_arr(items, prov, false)))
    }

    fn eval_object(&mut self, o: &'a ObjectExpression<'a>) -> R<JsVal> {
        let prov = self.prov(o.span);
        let id = self.heap.new_obj(prov.clone());
        for prop in &o.properties {
            match prop {
                ObjectPropertyKind::SpreadProperty(s) => {
                    let v = self.eval_expr(&s.argument)?;
                    if let Err(why) = self.copy_props(id, &v) {
                        let why = format!("spreads `{}` ({why})", self.snippet(s.argument.span()));
                        self.note(
                            s.span,
                            format!("{why}: the keys it may set are unknown; keys written after it keep their values"),
                        );
                        self.heap.open(id, &why);
                    }
                }
                ObjectPropertyKind::ObjectProperty(p) => {
                    let Some(key) = self.property_key(&p.key, p.computed)? else {
                        let what = self.snippet(p.key.span());
                        self.note(
                            p.span,
                            format!("object key `{what}` is not known; property skipped"),
                        );
                        continue;
                    };
                    let val = match p.kind {
                        PropertyKind::Init => {
                            if key == "__proto__" && !p.computed && !p.shorthand && !p.method {
                                continue; // sets the prototype, not a property
                            }
                            self.eval_named(&p.value, Some(key.clone()))?
                        }
                        PropertyKind::Get => {
                            JsVal::unknown(format!("getter `{key}`"), self.prov(p.span))
                        }
                        PropertyKind::Set => continue,
                    };
                    self.heap.obj_mut(id).props.insert(key, val);
                }
            }
        }
        Ok(JsVal::Obj(id))
    }

    /// Copies the own enumerable properties of `src` into object `dst` (spread, `Object.assign`).
    pub(super) fn copy_props(
        &mut self,
        dst: super::heap::ObjId,
        src: &JsVal,
    ) -> Result<(), String> {
        let props: Vec<(String, JsVal)> = match src {
            JsVal::Obj(id) => {
                let obj = self.heap.obj(*id);
                if let Some(why) = &obj.poisoned {
                    return Err(why.clone());
                }
                obj.props
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }
            JsVal::Arr(id) if !self.heap.arr(*id).is_set => {
                let arr = self.heap.arr(*id);
                if let Some(why) = &arr.poisoned {
                    return Err(why.clone());
                }
                arr.items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v.clone()))
                    .collect()
            }
            JsVal::Prim(p) => match (&p.kind, src.unknown_why()) {
                (_, Some(why)) => return Err(why),
                (ValueKind::String(s), _) => s
                    .chars()
                    .enumerate()
                    .map(|(i, c)| (i.to_string(), JsVal::string(c.to_string(), p.prov.clone())))
                    .collect(),
                _ => Vec::new(), // null, undefined, numbers, booleans: nothing to copy
            },
            JsVal::Arr(_) | JsVal::Func(_) | JsVal::Class { .. } | JsVal::Builtin(_) => Vec::new(),
        };
        let rest = match src {
            JsVal::Obj(id) => self.heap.obj(*id).rest.clone(),
            _ => None,
        };
        if let Some(why) = &rest {
            // Keys the source does not list may still be in it: the target's keys that the
            // source does not overwrite by name may be replaced by them.
            let listed: Vec<String> = props.iter().map(|(k, _)| k.clone()).collect();
            let obj = self.heap.obj_mut(dst);
            for (k, v) in obj.props.iter_mut() {
                if !listed.contains(k) {
                    let prov = v.as_prim().map_or(obj.prov.clone(), |p| p.prov.clone());
                    *v = JsVal::unknown(format!("may be replaced: {why}"), prov);
                }
            }
            obj.rest.get_or_insert_with(|| why.clone());
        }
        let havoc = self.havoc_why();
        let obj = self.heap.obj_mut(dst);
        for (k, v) in props {
            let v = match &havoc {
                Some(why) => JsVal::unknown(
                    why.clone(),
                    v.as_prim().map_or(obj.prov.clone(), |p| p.prov.clone()),
                ),
                None => v,
            };
            obj.props.insert(k, v);
        }
        Ok(())
    }

    /// The string key of a property (`a`, `'a'`, `1`, `[expr]`); `None` if not known.
    pub(super) fn property_key(
        &mut self,
        key: &'a PropertyKey<'a>,
        computed: bool,
    ) -> R<Option<String>> {
        Ok(match key {
            PropertyKey::StaticIdentifier(id) if !computed => Some(id.name.as_str().to_owned()),
            PropertyKey::PrivateIdentifier(p) => Some(format!("#{}", p.name)),
            other => match other.as_expression() {
                Some(Expression::StringLiteral(s)) => Some(s.value.as_str().to_owned()),
                Some(Expression::NumericLiteral(n)) => Some(ops::number_to_string(n.value)),
                Some(e) if computed => {
                    let v = self.eval_expr(e)?;
                    self.key_of(&v)
                }
                Some(e) => other
                    .static_name()
                    .map(|n| n.to_string())
                    .or_else(|| Some(self.snippet(e.span()))),
                None => None,
            },
        })
    }

    /// A value used as a property key.
    pub(super) fn key_of(&self, v: &JsVal) -> Option<String> {
        match v {
            JsVal::Prim(p) if v.unknown_why().is_none() => ops::to_string(&p.kind),
            _ => None,
        }
    }

    // ---- members -----------------------------------------------------------------------

    pub(super) fn eval_member(&mut self, m: &'a MemberExpression<'a>) -> R<JsVal> {
        let obj = self.eval_expr(m.object())?;
        if m.optional() && obj.is_nullish() {
            return Err(Stop::ShortCircuit);
        }
        let span = m.span();
        match self.member_key(m)? {
            Some(key) => Ok(self.get_member(&obj, &key, span)),
            None => {
                let what = self.snippet(span);
                Ok(JsVal::unknown(
                    format!("`{what}` has a key that is not known"),
                    self.prov(span),
                ))
            }
        }
    }

    pub(super) fn member_key(&mut self, m: &'a MemberExpression<'a>) -> R<Option<String>> {
        Ok(match m {
            MemberExpression::StaticMemberExpression(s) => {
                Some(s.property.name.as_str().to_owned())
            }
            MemberExpression::PrivateFieldExpression(p) => Some(format!("#{}", p.field.name)),
            MemberExpression::ComputedMemberExpression(c) => {
                let k = self.eval_expr(&c.expression)?;
                self.key_of(&k)
            }
        })
    }

    /// `obj[key]` for a known key.
    pub(super) fn get_member(&mut self, obj: &JsVal, key: &str, span: Span) -> JsVal {
        let prov = self.prov(span);
        match obj {
            JsVal::Obj(id) => {
                let o = self.heap.obj(*id);
                if let Some(why) = &o.poisoned {
                    return JsVal::unknown(why.clone(), prov);
                }
                match o.props.get(key) {
                    Some(v) => restamp(v.clone(), &prov),
                    None if key == "__esModule" && o.es_module => JsVal::bool(true, prov),
                    None => match &o.rest {
                        Some(why) => JsVal::unknown(why.clone(), prov),
                        None => JsVal::undefined(prov),
                    },
                }
            }
            JsVal::Arr(id) => {
                let arr = self.heap.arr(*id);
                if let Some(why) = &arr.poisoned {
                    return JsVal::unknown(why.clone(), prov);
                }
                match key {
                    "length" if !arr.is_set => JsVal::number(arr.items.len() as f64, prov),
                    "size" if arr.is_set => JsVal::number(arr.items.len() as f64, prov),
                    _ => match key.parse::<usize>() {
                        Ok(i) if !arr.is_set => arr
                            .items
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| JsVal::undefined(prov)),
                        _ => JsVal::unknown(format!("`.{key}` of an array"), prov),
                    },
                }
            }
            JsVal::Builtin(b) => self.builtin_member(*b, key, prov),
            JsVal::Prim(p) => {
                if let Some(why) = obj.unknown_why() {
                    return JsVal::unknown(why, prov);
                }
                match &p.kind {
                    ValueKind::String(s) => match key {
                        "length" => JsVal::number(s.encode_utf16().count() as f64, prov),
                        _ => match key.parse::<usize>() {
                            Ok(i) => s
                                .chars()
                                .nth(i)
                                .map_or(JsVal::undefined(prov.clone()), |c| {
                                    JsVal::string(c.to_string(), prov.clone())
                                }),
                            Err(_) => JsVal::unknown(format!("`.{key}` of a string"), prov),
                        },
                    },
                    ValueKind::Undefined | ValueKind::Null => {
                        let what = self.snippet(span);
                        JsVal::unknown(
                            format!(
                                "`{what}` reads `{key}` of {}",
                                ops::to_string(&p.kind).unwrap_or_default()
                            ),
                            prov,
                        )
                    }
                    _ => JsVal::unknown(
                        format!("`.{key}` of a {}", ops::type_of(&p.kind).unwrap_or("value")),
                        prov,
                    ),
                }
            }
            JsVal::Func(_) | JsVal::Class { .. } => {
                JsVal::unknown(format!("`.{key}` of a function"), prov)
            }
        }
    }

    /// `obj[key] = val` for a known key. Writing into something that is not a known object
    /// or array is skipped with a note (never creates intermediate objects).
    pub(super) fn set_member(&mut self, obj: &JsVal, key: String, val: JsVal, span: Span) {
        let val = self.stored(val, self.prov(span));
        match obj {
            JsVal::Obj(id) => {
                let o = self.heap.obj_mut(*id);
                if o.poisoned.is_none() {
                    o.props.insert(key, val);
                }
            }
            JsVal::Arr(id) if !self.heap.arr(*id).is_set => {
                let havoc = self.havoc_why();
                let arr = self.heap.arr_mut(*id);
                match key.parse::<usize>() {
                    Ok(i) if i < arr.items.len() => arr.items[i] = val,
                    Ok(i) if i == arr.items.len() => arr.items.push(val),
                    _ => {
                        let why = havoc.unwrap_or_else(|| format!("`{key}` set on an array"));
                        arr.poisoned.get_or_insert(why);
                    }
                }
            }
            _ => {
                let what = self.snippet(span);
                let why = match obj.unknown_why() {
                    Some(why) => format!("the object is unknown: {why}"),
                    None if obj.is_nullish() => "the object does not exist (JS would throw)".into(),
                    None => "the target is not a plain object".into(),
                };
                self.note(span, format!("`{what}` not followed: {why}"));
            }
        }
    }

    // ---- operators ---------------------------------------------------------------------

    fn eval_unary(&mut self, u: &'a UnaryExpression<'a>) -> R<JsVal> {
        let prov = self.prov(u.span);
        if u.operator == UnaryOperator::Delete {
            if let Some(m) = u.argument.get_inner_expression().as_member_expression() {
                let obj = self.eval_expr(m.object())?;
                let key = self.member_key(m)?;
                match (&obj, key, self.havoc_why()) {
                    (JsVal::Obj(id), Some(k), None) => {
                        self.heap.obj_mut(*id).props.shift_remove(&k);
                    }
                    (JsVal::Obj(id), Some(k), Some(why)) => {
                        if self.heap.obj(*id).props.contains_key(&k) {
                            self.heap
                                .obj_mut(*id)
                                .props
                                .insert(k, JsVal::unknown(why, prov.clone()));
                        }
                    }
                    (target, _, _) => {
                        let why = format!("`{}` not followed", self.snippet(u.span));
                        self.heap.poison(target, &why);
                    }
                }
            }
            return Ok(JsVal::bool(true, prov));
        }
        if u.operator == UnaryOperator::Typeof {
            if let Expression::Identifier(id) = u.argument.get_inner_expression() {
                if self.lookup(id.name.as_str()).is_none()
                    && super::builtins::global_func(id.name.as_str()).is_none()
                {
                    return Ok(JsVal::string("undefined", prov));
                }
            }
        }
        let v = self.eval_expr(&u.argument)?;
        Ok(match u.operator {
            UnaryOperator::Void => JsVal::undefined(prov),
            UnaryOperator::Typeof => match &v {
                JsVal::Prim(p) => match ops::type_of(&p.kind) {
                    Some(t) => JsVal::string(t, prov),
                    None => JsVal::unknown(v.unknown_why().unwrap_or_default(), prov),
                },
                JsVal::Obj(_) | JsVal::Arr(_) => JsVal::string("object", prov),
                JsVal::Func(_) | JsVal::Class { .. } => JsVal::string("function", prov),
                JsVal::Builtin(Builtin::Func(_) | Builtin::PluginFactory(_)) => {
                    JsVal::string("function", prov)
                }
                JsVal::Builtin(Builtin::Module(_)) => JsVal::string("object", prov),
            },
            UnaryOperator::LogicalNot => match v.truthy() {
                Some(t) => JsVal::bool(!t, prov),
                None => JsVal::unknown(v.unknown_why().unwrap_or_default(), prov),
            },
            op => match self.to_primitive(&v) {
                Ok(p) => match ops::unary(op, &p) {
                    Some(k) => JsVal::prim(k, prov),
                    None => JsVal::unknown(format!("`{}`", self.snippet(u.span)), prov),
                },
                Err(why) => JsVal::unknown(why, prov),
            },
        })
    }

    /// `ToPrimitive` for operators; `Err(why)` for unknowns and env references.
    fn to_primitive(&self, v: &JsVal) -> Result<ValueKind, String> {
        match v {
            JsVal::Prim(p) => match v.unknown_why() {
                Some(why) => Err(why),
                None => Ok(p.kind.clone()),
            },
            other => self.to_js_string(other).map(ValueKind::String),
        }
    }

    /// `===` on any values (identity for objects); `None` if not known.
    pub(super) fn strict_equals(&self, a: &JsVal, b: &JsVal) -> Option<bool> {
        match (a, b) {
            (JsVal::Prim(x), JsVal::Prim(y)) => ops::strict_equals(&x.kind, &y.kind),
            (JsVal::Prim(_), _) | (_, JsVal::Prim(_)) => {
                if a.unknown_why().is_some() || b.unknown_why().is_some() {
                    None
                } else {
                    Some(false)
                }
            }
            (JsVal::Obj(x), JsVal::Obj(y)) => Some(x == y),
            (JsVal::Arr(x), JsVal::Arr(y)) => Some(x == y),
            (JsVal::Func(x), JsVal::Func(y)) => Some(x == y),
            (JsVal::Builtin(x), JsVal::Builtin(y)) => Some(x == y),
            (JsVal::Class { prov: x, .. }, JsVal::Class { prov: y, .. }) => Some(x == y),
            _ => Some(false),
        }
    }

    pub(super) fn binary(
        &mut self,
        op: BinaryOperator,
        l: &JsVal,
        r: &JsVal,
        prov: Provenance,
    ) -> JsVal {
        use BinaryOperator as B;
        match op {
            B::StrictEquality | B::StrictInequality => {
                return match self.strict_equals(l, r) {
                    Some(eq) => JsVal::bool(eq == (op == B::StrictEquality), prov),
                    None => JsVal::unknown(
                        l.unknown_why().or(r.unknown_why()).unwrap_or_default(),
                        prov,
                    ),
                };
            }
            // `==` with an object operand: identity, or never equal to null/undefined.
            B::Equality | B::Inequality
                if !matches!((l, r), (JsVal::Prim(_), JsVal::Prim(_)))
                    && l.unknown_why().is_none()
                    && r.unknown_why().is_none() =>
            {
                let same = self.strict_equals(l, r);
                let nullish = l.is_nullish() || r.is_nullish();
                if let (true, Some(eq)) = (nullish || same == Some(true), same) {
                    return JsVal::bool(eq == (op == B::Equality), prov);
                }
            }
            B::In => {
                return match (self.key_of(l), r) {
                    (Some(k), JsVal::Obj(id)) if self.heap.obj(*id).poisoned.is_none() => {
                        JsVal::bool(self.heap.obj(*id).props.contains_key(&k), prov)
                    }
                    _ => JsVal::unknown("`in` on a value that is not known", prov),
                };
            }
            _ => {}
        }
        match (self.to_primitive(l), self.to_primitive(r)) {
            (Ok(a), Ok(b)) => match ops::binary(op, &a, &b) {
                Some(k) => JsVal::prim(k, prov),
                None => {
                    let len = |v: &ValueKind| match v {
                        ValueKind::String(s) => s.len(),
                        _ => 0,
                    };
                    let why = if op == BinaryOperator::Addition
                        && len(&a) + len(&b) > super::heap::MAX_STRING_BYTES / 2
                    {
                        format!(
                            "a string longer than {} bytes ({})",
                            super::heap::MAX_STRING_BYTES,
                            super::BUDGET_MARK
                        )
                    } else {
                        format!("`{}` on these operands", op.as_str())
                    };
                    JsVal::unknown(why, prov)
                }
            },
            (Err(why), _) | (_, Err(why)) => JsVal::unknown(why, prov),
        }
    }

    fn eval_logical(&mut self, l: &'a LogicalExpression<'a>) -> R<JsVal> {
        let prov = self.prov(l.span);
        let left = self.eval_expr(&l.left)?;
        // `process.env.X || 'default'` / `?? 'default'` keep the env reference and its default.
        let defaults = matches!(l.operator, LogicalOperator::Or | LogicalOperator::Coalesce);
        let left = match left {
            JsVal::Prim(env) if defaults && matches!(env.kind, ValueKind::Env { .. }) => {
                let right = self.eval_expr(&l.right)?;
                return Ok(match self.heap.lower(&right, self.opts.limits.max_depth) {
                    Ok(default) => JsVal::Prim(with_env_default(env, default, prov)),
                    Err(()) => JsVal::unknown("default value nested too deeply", prov),
                });
            }
            other => other,
        };
        let decided = match l.operator {
            LogicalOperator::Or => left.truthy(),
            LogicalOperator::And => left.truthy().map(|t| !t),
            LogicalOperator::Coalesce => match &left {
                JsVal::Prim(_) if left.unknown_why().is_some() => None,
                _ => Some(!left.is_nullish()),
            },
        };
        match decided {
            Some(true) => Ok(left),
            Some(false) => self.eval_expr(&l.right),
            None => Ok(JsVal::unknown(
                self.undecided_why(&left, l.left.span()),
                prov,
            )),
        }
    }

    // ---- assignments -------------------------------------------------------------------

    fn eval_assignment(&mut self, a: &'a AssignmentExpression<'a>) -> R<JsVal> {
        let prov = self.prov(a.span);
        let hint = match &a.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) => Some(id.name.as_str().to_owned()),
            AssignmentTarget::StaticMemberExpression(m) => {
                Some(m.property.name.as_str().to_owned())
            }
            _ => None,
        };
        if a.operator == AssignmentOperator::Assign {
            let val = self.eval_named(&a.right, hint)?;
            self.assign_to_target(&a.left, val.clone(), a.span)?;
            return Ok(val);
        }
        // Compound: read the target, combine, write back.
        let current = self.read_target(&a.left)?;
        let val = if let Some(logical) = a.operator.to_logical_operator() {
            let decided = match logical {
                LogicalOperator::Or => current.truthy().map(|t| !t),
                LogicalOperator::And => current.truthy(),
                LogicalOperator::Coalesce => {
                    if current.unknown_why().is_some() {
                        None
                    } else {
                        Some(current.is_nullish())
                    }
                }
            };
            match decided {
                Some(false) => return Ok(current),
                Some(true) => self.eval_named(&a.right, hint)?,
                None => JsVal::unknown(self.undecided_why(&current, a.left.span()), prov),
            }
        } else {
            let right = self.eval_expr(&a.right)?;
            match a.operator.to_binary_operator() {
                Some(op) => self.binary(op, &current, &right, prov),
                None => JsVal::unknown("unsupported assignment operator", prov),
            }
        };
        self.assign_to_target(&a.left, val.clone(), a.span)?;
        Ok(val)
    }

    fn read_target(&mut self, target: &'a AssignmentTarget<'a>) -> R<JsVal> {
        let prov = self.prov(target.span());
        if let AssignmentTarget::AssignmentTargetIdentifier(id) = target {
            return Ok(self.eval_identifier(id.name.as_str(), prov));
        }
        match target.as_member_expression() {
            Some(m) => self.eval_member(m),
            None => Ok(JsVal::unknown("destructuring target", prov)),
        }
    }

    pub(super) fn assign_to_target(
        &mut self,
        target: &'a AssignmentTarget<'a>,
        val: JsVal,
        span: Span,
    ) -> R<()> {
        match target {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                let val = self.stored(val, self.prov(span));
                self.assign_name(id.name.as_str(), val);
            }
            AssignmentTarget::TSAsExpression(e) => self.assign_to_expr(&e.expression, val, span)?,
            AssignmentTarget::TSSatisfiesExpression(e) => {
                self.assign_to_expr(&e.expression, val, span)?
            }
            AssignmentTarget::TSNonNullExpression(e) => {
                self.assign_to_expr(&e.expression, val, span)?
            }
            AssignmentTarget::TSTypeAssertion(e) => {
                self.assign_to_expr(&e.expression, val, span)?
            }
            AssignmentTarget::ObjectAssignmentTarget(_)
            | AssignmentTarget::ArrayAssignmentTarget(_) => {
                self.note(
                    span,
                    "destructuring assignment not followed; its targets are unknown",
                );
                self.havoc_pattern_targets(target, span);
            }
            other => {
                if let Some(m) = other.as_member_expression() {
                    let obj = self.eval_expr(m.object())?;
                    match self.member_key(m)? {
                        Some(key) => self.set_member(&obj, key, val, span),
                        None => {
                            let what = self.snippet(m.span());
                            self.note(
                                span,
                                format!("`{what}` = … not followed: the key is not known"),
                            );
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn assign_to_expr(&mut self, e: &'a Expression<'a>, val: JsVal, span: Span) -> R<()> {
        match e.get_inner_expression() {
            Expression::Identifier(id) => {
                let val = self.stored(val, self.prov(span));
                self.assign_name(id.name.as_str(), val);
                Ok(())
            }
            inner => match inner.as_member_expression() {
                Some(m) => {
                    let obj = self.eval_expr(m.object())?;
                    if let Some(key) = self.member_key(m)? {
                        self.set_member(&obj, key, val, span);
                    }
                    Ok(())
                }
                None => Ok(()),
            },
        }
    }

    /// Identifiers assigned by a destructuring assignment become unknown.
    fn havoc_pattern_targets(&mut self, target: &'a AssignmentTarget<'a>, span: Span) {
        let why = format!("assigned by `{}`", self.snippet(span));
        let prov = self.prov(span);
        let mut names = Vec::new();
        collect_target_names(target, &mut names);
        for name in names {
            self.assign_name(name, JsVal::unknown(why.clone(), prov.clone()));
        }
    }

    fn eval_update(&mut self, u: &'a UpdateExpression<'a>) -> R<JsVal> {
        let prov = self.prov(u.span);
        let current = match &u.argument {
            SimpleAssignmentTarget::AssignmentTargetIdentifier(id) => {
                self.eval_identifier(id.name.as_str(), prov.clone())
            }
            other => match other.as_member_expression() {
                Some(m) => self.eval_member(m)?,
                None => JsVal::unknown("update of an unsupported target", prov.clone()),
            },
        };
        let old = match self.to_primitive(&current) {
            Ok(k) => ops::to_number(&k).map(|n| JsVal::number(n, prov.clone())),
            Err(_) => None,
        };
        let new = match &old {
            Some(JsVal::Prim(Value {
                kind: ValueKind::Number(n),
                ..
            })) => JsVal::number(
                if u.operator == UpdateOperator::Increment {
                    n + 1.0
                } else {
                    n - 1.0
                },
                prov.clone(),
            ),
            _ => JsVal::unknown(
                current
                    .unknown_why()
                    .unwrap_or_else(|| "`++`/`--` on a value that is not a number".into()),
                prov.clone(),
            ),
        };
        match &u.argument {
            SimpleAssignmentTarget::AssignmentTargetIdentifier(id) => {
                let stored = self.stored(new.clone(), prov.clone());
                self.assign_name(id.name.as_str(), stored);
            }
            other => {
                if let Some(m) = other.as_member_expression() {
                    let obj = self.eval_expr(m.object())?;
                    if let Some(key) = self.member_key(m)? {
                        self.set_member(&obj, key, new.clone(), u.span);
                    }
                }
            }
        }
        Ok(if u.prefix { new } else { old.unwrap_or(new) })
    }

    // ---- calls -------------------------------------------------------------------------

    pub(super) fn eval_args(&mut self, args: &'a [Argument<'a>]) -> R<Vec<JsVal>> {
        let mut out = Vec::with_capacity(args.len());
        for arg in args {
            match arg {
                Argument::SpreadElement(s) => {
                    let v = self.eval_expr(&s.argument)?;
                    match self.list_items(&v) {
                        Ok(items) => out.extend(items),
                        Err(why) => out.push(JsVal::unknown(why, self.prov(s.span))),
                    }
                }
                other => match other.as_expression() {
                    Some(e) => out.push(self.eval_expr(e)?),
                    None => out.push(JsVal::unknown(
                        "unsupported argument",
                        self.prov(other.span()),
                    )),
                },
            }
        }
        Ok(out)
    }

    pub(super) fn eval_call(&mut self, call: &'a CallExpression<'a>, awaited: bool) -> R<JsVal> {
        let callee = call.callee.get_inner_expression();
        let site = Site {
            span: call.span,
            callee: self.snippet(callee_text_span(callee)),
        };
        if let Some(m) = callee.as_member_expression() {
            let recv = self.eval_expr(m.object())?;
            if m.optional() && recv.is_nullish() {
                return Err(Stop::ShortCircuit);
            }
            let key = self.member_key(m)?;
            let args = self.eval_args(&call.arguments)?;
            if call.optional {
                if let Some(k) = &key {
                    if self.get_member(&recv, k, m.span()).is_nullish() {
                        return Err(Stop::ShortCircuit);
                    }
                }
            }
            return self.call_method(recv, key, args, &site, awaited);
        }
        let f = self.eval_expr(callee)?;
        if call.optional && f.is_nullish() {
            return Err(Stop::ShortCircuit);
        }
        let args = self.eval_args(&call.arguments)?;
        self.call_value(f, args, &site, awaited)
    }

    pub(super) fn call_value(
        &mut self,
        f: JsVal,
        args: Vec<JsVal>,
        site: &Site,
        awaited: bool,
    ) -> R<JsVal> {
        match f {
            JsVal::Func(id) => self.call_function(id, args, awaited),
            JsVal::Builtin(Builtin::Func(name)) => self.call_builtin(name, args, site),
            JsVal::Builtin(Builtin::PluginFactory(meta)) => {
                Ok(self.call_plugin_factory(meta, args, site))
            }
            _ => Ok(self.unknown_call(None, &args, site)),
        }
    }

    /// A call the evaluator cannot follow: `Unknown { why: "call to f()" }`. A merge-like call
    /// (`_.merge(config, …)`) may change its first argument, which is then unknown too.
    pub(super) fn unknown_call(
        &mut self,
        method: Option<&str>,
        args: &[JsVal],
        site: &Site,
    ) -> JsVal {
        let why = format!("call to {}()", site.callee);
        let last = site.callee.rsplit('.').next().unwrap_or_default();
        let name = method.unwrap_or(last);
        if matches!(
            name,
            "merge" | "mergeWith" | "extend" | "assign" | "defaults" | "defaultsDeep" | "set"
        ) {
            if let Some(target @ (JsVal::Obj(_) | JsVal::Arr(_))) = args.first() {
                self.heap
                    .poison(target, &format!("may be changed by {}()", site.callee));
                self.note(
                    site.span,
                    format!(
                        "{}() may change its first argument; it is unknown now",
                        site.callee
                    ),
                );
            }
        }
        JsVal::unknown(why, self.prov(site.span))
    }

    fn eval_new(&mut self, n: &'a NewExpression<'a>) -> R<JsVal> {
        let callee = n.callee.get_inner_expression();
        let site = Site {
            span: n.span,
            callee: self.snippet(callee.span()),
        };
        let ctor = self.eval_expr(callee)?;
        let args = self.eval_args(&n.arguments)?;
        match ctor {
            JsVal::Builtin(Builtin::Func(name @ ("RegExp" | "Set"))) => {
                self.call_builtin(name, args, &site)
            }
            _ => Ok(JsVal::unknown(
                format!("new {}()", site.callee),
                self.prov(n.span),
            )),
        }
    }

    /// Declares a value under a name in the current scope (imports, helpers).
    pub(super) fn bind(&mut self, name: &str, val: JsVal) {
        self.declare(name, val, DeclKind::Lexical);
    }
}

/// The part of a callee to name in messages: `(0, path_1.join)` is named `path_1.join`.
fn callee_text_span(callee: &Expression<'_>) -> Span {
    match callee {
        Expression::SequenceExpression(s) => s.expressions.last().map_or(s.span, |e| e.span()),
        other => other.span(),
    }
}

/// Values with no source span (appInfo fields, host constants) take the span of the
/// expression that reads them.
fn restamp(v: JsVal, prov: &Provenance) -> JsVal {
    match v {
        JsVal::Prim(mut p) if p.prov.line == 0 => {
            p.prov = prov.clone();
            JsVal::Prim(p)
        }
        other => other,
    }
}

/// Attaches `default` to the innermost env reference without one
/// (`process.env.A || process.env.B || 'x'`).
fn with_env_default(env: Value, default: Value, prov: Provenance) -> Value {
    match env.kind {
        ValueKind::Env {
            name,
            default: None,
        } => Value::new(
            ValueKind::Env {
                name,
                default: Some(Box::new(default)),
            },
            prov,
        ),
        ValueKind::Env {
            name,
            default: Some(inner),
        } => {
            let inner_prov = inner.prov.clone();
            let nested = match inner.kind {
                ValueKind::Env { .. } => with_env_default(*inner, default, inner_prov),
                _ => *inner, // already has a plain default: `||` never reaches the new one
            };
            Value::new(
                ValueKind::Env {
                    name,
                    default: Some(Box::new(nested)),
                },
                prov,
            )
        }
        other => Value::new(other, prov),
    }
}

fn collect_target_names<'a>(target: &'a AssignmentTarget<'a>, out: &mut Vec<&'a str>) {
    match target {
        AssignmentTarget::AssignmentTargetIdentifier(id) => out.push(id.name.as_str()),
        AssignmentTarget::ObjectAssignmentTarget(o) => {
            for p in &o.properties {
                match p {
                    AssignmentTargetProperty::AssignmentTargetPropertyIdentifier(i) => {
                        out.push(i.binding.name.as_str())
                    }
                    AssignmentTargetProperty::AssignmentTargetPropertyProperty(pp) => {
                        if let Some(t) = maybe_default_target(&pp.binding) {
                            collect_target_names(t, out);
                        }
                    }
                }
            }
            if let Some(rest) = &o.rest {
                collect_target_names(&rest.target, out);
            }
        }
        AssignmentTarget::ArrayAssignmentTarget(a) => {
            for t in a.elements.iter().flatten() {
                if let Some(t) = maybe_default_target(t) {
                    collect_target_names(t, out);
                }
            }
            if let Some(rest) = &a.rest {
                collect_target_names(&rest.target, out);
            }
        }
        _ => {}
    }
}

fn maybe_default_target<'a>(
    t: &'a AssignmentTargetMaybeDefault<'a>,
) -> Option<&'a AssignmentTarget<'a>> {
    match t {
        AssignmentTargetMaybeDefault::AssignmentTargetWithDefault(d) => Some(&d.binding),
        other => other.as_assignment_target(),
    }
}
