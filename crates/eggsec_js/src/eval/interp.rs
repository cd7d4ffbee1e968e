//! The interpreter: state, scopes, statements, function calls and binding patterns.
//! Expressions are in `expr.rs`, host functions in `builtins.rs`, modules in `modules.rs`.
//!
//! It runs real JS semantics on the subset config files use, with two twists: values it cannot
//! know are `Unknown { why }` (and flow through operators as such), and a branch whose condition
//! cannot be decided runs in *havoc* mode, where every assignment stores an `Unknown` naming
//! the condition instead of the value — never a guess at which branch runs.

use super::heap::{Builtin, FnId, FnNode, Heap, JsVal, ScopeId};
use super::source::Src;
use super::{EvalOptions, Note};
use crate::value::{Provenance, ValueKind};
use foldhash::{HashMap, HashMapExt};
use oxc::allocator::Allocator;
use oxc::ast::ast::*;
use oxc::span::GetSpan;
use std::path::PathBuf;
use std::rc::Rc;

/// Evaluation steps allowed per entry file (loops, recursion) before giving up.
const STEP_BUDGET: u64 = 2_000_000;
/// Nested calls of local functions allowed before the call result is `Unknown`.
const MAX_CALLS: usize = 64;
/// Iterations of one loop run before its remaining effect is `Unknown`.
const MAX_LOOP_ITERATIONS: usize = 10_000;

/// Why evaluation left the normal path.
#[derive(Debug)]
pub(super) enum Stop {
    /// A JS exception (`throw`, a module that cannot be found inside `try`): `catch` sees it.
    Throw(String),
    /// An optional chain (`a?.b`) met `null`/`undefined`: the whole chain is `undefined`.
    ShortCircuit,
    /// The step budget ran out: the entry's result is `Unknown`.
    Abort(String),
    /// Nesting beyond `limits.max_depth`.
    TooDeep,
}

pub(super) type R<T> = Result<T, Stop>;

/// How a statement completed.
#[derive(Debug)]
pub(super) enum Flow {
    Normal,
    Return(JsVal),
    Break(Option<String>),
    Continue(Option<String>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DeclKind {
    Var,
    Lexical,
}

/// A loaded module: its `module` object and, if it uses `export`, its ESM namespace.
#[derive(Clone, Copy, Debug)]
pub(super) struct ModRecord {
    pub(super) module_obj: super::heap::ObjId,
    pub(super) namespace: Option<super::heap::ObjId>,
}

pub(super) struct Interp<'a, 'o> {
    pub(super) alloc: &'a Allocator,
    pub(super) opts: &'o EvalOptions<'o>,
    pub(super) heap: Heap<'a>,
    pub(super) notes: Vec<Note>,
    /// Every file read, in first-read order.
    pub(super) files: Vec<PathBuf>,
    /// Loaded (or loading, for require cycles) modules by resolved path.
    pub(super) modules: HashMap<PathBuf, ModRecord>,
    pub(super) require_depth: usize,
    /// The file whose code is running (changes inside calls of functions from other files).
    pub(super) src: Rc<Src<'a>>,
    pub(super) scope: ScopeId,
    /// Reasons of the undecidable conditions being evaluated in havoc mode, innermost last.
    pub(super) havoc: Vec<String>,
    /// `try` blocks around the running code (a missing module throws only inside one).
    pub(super) try_depth: usize,
    /// Per active call: why its return value became uncertain (a `return` in havoc mode).
    frames: Vec<Option<String>>,
    depth: usize,
    steps: u64,
}

impl<'a, 'o> Interp<'a, 'o> {
    pub(super) fn new(alloc: &'a Allocator, opts: &'o EvalOptions<'o>, src: Rc<Src<'a>>) -> Self {
        let mut heap = Heap::default();
        let scope = heap.new_scope(None, true);
        Self {
            alloc,
            opts,
            heap,
            notes: Vec::new(),
            files: Vec::new(),
            modules: HashMap::new(),
            require_depth: 0,
            src,
            scope,
            havoc: Vec::new(),
            try_depth: 0,
            frames: Vec::new(),
            depth: 0,
            steps: 0,
        }
    }

    // ---- bookkeeping -------------------------------------------------------------------

    /// Counts one level of recursion and one step; fails beyond the limits.
    pub(super) fn enter(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > STEP_BUDGET {
            return Err(Stop::Abort(format!(
                "evaluation stopped after {STEP_BUDGET} steps ({})",
                super::BUDGET_MARK
            )));
        }
        if self.depth >= self.opts.limits.max_depth {
            return Err(Stop::TooDeep);
        }
        self.depth += 1;
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    pub(super) fn prov(&self, span: Span) -> Provenance {
        self.src.prov_at(span.start)
    }

    pub(super) fn snippet(&self, span: Span) -> String {
        self.src.snippet(span.start, span.end)
    }

    pub(super) fn note(&mut self, span: Span, message: impl Into<String>) {
        let prov = self.prov(span);
        self.notes.push(Note {
            file: self.src.path.clone(),
            line: prov.line,
            column: prov.column,
            message: message.into(),
            limit: false,
        });
    }

    /// The reason assignments are being replaced by `Unknown`, if in havoc mode.
    pub(super) fn havoc_why(&self) -> Option<String> {
        self.havoc.last().cloned()
    }

    /// Runs `f` in havoc mode: assignments store `Unknown { why }`.
    pub(super) fn with_havoc<T>(&mut self, why: String, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        self.havoc.push(why);
        let r = f(self);
        self.havoc.pop();
        r
    }

    /// What an assignment stores: the value, or in havoc mode an `Unknown` naming the condition.
    pub(super) fn stored(&self, val: JsVal, prov: Provenance) -> JsVal {
        match self.havoc_why() {
            Some(why) => JsVal::unknown(why, prov),
            None => val,
        }
    }

    // ---- scopes ------------------------------------------------------------------------

    pub(super) fn declare(&mut self, name: &str, val: JsVal, kind: DeclKind) {
        let target = match kind {
            DeclKind::Var => self.heap.function_scope(self.scope),
            DeclKind::Lexical => self.scope,
        };
        self.heap
            .scope_mut(target)
            .vars
            .insert(name.to_string(), val);
    }

    pub(super) fn lookup(&self, name: &str) -> Option<JsVal> {
        let id = self.heap.find_binding(self.scope, name)?;
        self.heap.scope(id).vars.get(name).cloned()
    }

    /// `name = val`: the nearest binding, or (sloppy mode) a new global.
    pub(super) fn assign_name(&mut self, name: &str, val: JsVal) {
        let target = self.heap.find_binding(self.scope, name).unwrap_or_else(|| {
            let mut id = self.scope;
            while let Some(p) = self.heap.scope(id).parent {
                id = p;
            }
            id
        });
        self.heap
            .scope_mut(target)
            .vars
            .insert(name.to_string(), val);
    }

    /// Runs `f` in a fresh block scope.
    pub(super) fn in_block<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let inner = self.heap.new_scope(Some(self.scope), false);
        let outer = std::mem::replace(&mut self.scope, inner);
        let r = f(self);
        self.scope = outer;
        r
    }

    // ---- statements --------------------------------------------------------------------

    /// Declares the function declarations of a statement list before running it (hoisting).
    pub(super) fn hoist_functions(&mut self, stmts: &'a [Statement<'a>]) {
        for stmt in stmts {
            let func = match stmt {
                Statement::FunctionDeclaration(f) => f,
                Statement::ExportDeclaration(e) => match &e.declaration {
                    Declaration::FunctionDeclaration(f) => f,
                    _ => continue,
                },
                _ => continue,
            };
            if let Some(id) = &func.id {
                let val = self.make_function(FnNode::Func(func), Some(id.name.as_str().to_owned()));
                self.declare(id.name.as_str(), val, DeclKind::Var);
            }
        }
    }

    pub(super) fn exec_list(&mut self, stmts: &'a [Statement<'a>]) -> R<Flow> {
        self.hoist_functions(stmts);
        for stmt in stmts {
            match self.exec_stmt(stmt)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    pub(super) fn exec_stmt(&mut self, stmt: &'a Statement<'a>) -> R<Flow> {
        self.enter()?;
        let r = self.exec_stmt_inner(stmt);
        self.leave();
        r
    }

    fn exec_stmt_inner(&mut self, stmt: &'a Statement<'a>) -> R<Flow> {
        match stmt {
            Statement::BlockStatement(b) => self.in_block(|it| it.exec_list(&b.body)),
            Statement::ExpressionStatement(e) => {
                self.eval_expr(&e.expression)?;
                Ok(Flow::Normal)
            }
            Statement::VariableDeclaration(d) => {
                self.exec_var_decl(d)?;
                Ok(Flow::Normal)
            }
            Statement::ClassDeclaration(c) => {
                if let Some(id) = &c.id {
                    let val = JsVal::Class {
                        name: Some(id.name.as_str().to_owned()),
                        prov: self.prov(c.span),
                    };
                    self.declare(id.name.as_str(), val, DeclKind::Lexical);
                }
                Ok(Flow::Normal)
            }
            Statement::IfStatement(s) => self.exec_if(s),
            Statement::ReturnStatement(r) => {
                let val = match &r.argument {
                    Some(e) => self.eval_expr(e)?,
                    None => JsVal::undefined(self.prov(r.span)),
                };
                match self.havoc_why() {
                    Some(why) => {
                        if let Some(frame) = self.frames.last_mut() {
                            frame.get_or_insert(why);
                        }
                        Ok(Flow::Normal)
                    }
                    None => Ok(Flow::Return(val)),
                }
            }
            Statement::SwitchStatement(s) => self.exec_switch(s),
            Statement::ForOfStatement(s) => self.exec_for_of(s),
            Statement::ForInStatement(s) => self.exec_for_in(s),
            Statement::ForStatement(s) => self.exec_for(s),
            Statement::WhileStatement(s) => self.exec_while(&s.test, &s.body, false, s.span),
            Statement::DoWhileStatement(s) => self.exec_while(&s.test, &s.body, true, s.span),
            Statement::TryStatement(t) => self.exec_try(t),
            Statement::ThrowStatement(t) => {
                self.eval_expr(&t.argument)?;
                let what = self.snippet(t.argument.span());
                if let Some(why) = self.havoc_why() {
                    self.note(
                        t.span,
                        format!("may throw {what} ({why}); evaluation continues"),
                    );
                    return Ok(Flow::Normal);
                }
                Err(Stop::Throw(what))
            }
            Statement::LabeledStatement(l) => match self.exec_stmt(&l.body)? {
                Flow::Break(Some(label)) if label == l.label.name.as_str() => Ok(Flow::Normal),
                flow => Ok(flow),
            },
            Statement::BreakStatement(b) => Ok(Flow::Break(
                b.label.as_ref().map(|l| l.name.as_str().to_owned()),
            )),
            Statement::ContinueStatement(c) => Ok(Flow::Continue(
                c.label.as_ref().map(|l| l.name.as_str().to_owned()),
            )),
            Statement::WithStatement(w) => {
                self.note(
                    w.span,
                    "`with` is not followed; assignments inside are unknown",
                );
                let why = "inside a `with` statement".to_string();
                self.with_havoc(why, |it| it.exec_stmt(&w.body))
            }
            // Hoisted already; types, imports and exports are handled at module level.
            _ => Ok(Flow::Normal),
        }
    }

    pub(super) fn exec_var_decl(&mut self, d: &'a VariableDeclaration<'a>) -> R<()> {
        let kind = if d.kind == VariableDeclarationKind::Var {
            DeclKind::Var
        } else {
            DeclKind::Lexical
        };
        for decl in &d.declarations {
            // TypeScript's CommonJS interop helpers, recognised by name.
            if let BindingPattern::BindingIdentifier(id) = &decl.id {
                let helper = match id.name.as_str() {
                    "__importDefault" => Some("__importDefault"),
                    "__importStar" => Some("__importStar"),
                    _ => None,
                };
                if let Some(h) = helper {
                    self.declare(h, JsVal::Builtin(Builtin::Func(h)), kind);
                    continue;
                }
            }
            let val = match &decl.init {
                Some(init) => {
                    let hint = match &decl.id {
                        BindingPattern::BindingIdentifier(id) => Some(id.name.as_str().to_owned()),
                        _ => None,
                    };
                    self.eval_named(init, hint)?
                }
                None if kind == DeclKind::Var => {
                    // `var x;` does not reset an existing binding.
                    if let BindingPattern::BindingIdentifier(id) = &decl.id {
                        if self.lookup(id.name.as_str()).is_some() {
                            continue;
                        }
                    }
                    JsVal::undefined(self.prov(decl.span))
                }
                None => JsVal::undefined(self.prov(decl.span)),
            };
            let val = self.stored(val, self.prov(decl.span));
            self.bind_pattern(&decl.id, val, kind)?;
        }
        Ok(())
    }

    fn exec_if(&mut self, s: &'a IfStatement<'a>) -> R<Flow> {
        let test = self.eval_expr(&s.test)?;
        match test.truthy() {
            Some(true) => self.exec_stmt(&s.consequent),
            Some(false) => match &s.alternate {
                Some(alt) => self.exec_stmt(alt),
                None => Ok(Flow::Normal),
            },
            None => {
                let why = self.undecided_why(&test, s.test.span());
                self.note(
                    s.test.span(),
                    format!("branch not decided: {why}; what it sets is unknown"),
                );
                self.with_havoc(why, |it| {
                    it.exec_stmt(&s.consequent)?;
                    if let Some(alt) = &s.alternate {
                        it.exec_stmt(alt)?;
                    }
                    Ok(Flow::Normal)
                })
            }
        }
    }

    /// The `why` for a condition that cannot be decided.
    pub(super) fn undecided_why(&self, test: &JsVal, span: Span) -> String {
        let cond = self.snippet(span);
        match test.unknown_why() {
            Some(inner) if !inner.is_empty() => format!("depends on `{cond}` ({inner})"),
            _ => format!("depends on `{cond}`"),
        }
    }

    fn exec_switch(&mut self, s: &'a SwitchStatement<'a>) -> R<Flow> {
        let disc = self.eval_expr(&s.discriminant)?;
        // Find the first matching case; an undecidable comparison puts the switch in havoc mode.
        let mut start = None;
        let mut undecided = None;
        for (i, case) in s.cases.iter().enumerate() {
            let Some(test) = &case.test else { continue };
            let val = self.eval_expr(test)?;
            match self.strict_equals(&disc, &val) {
                Some(true) => {
                    start = Some(i);
                    break;
                }
                Some(false) => {}
                None => {
                    undecided = Some(self.undecided_why(&disc, s.discriminant.span()));
                    break;
                }
            }
        }
        let body = |it: &mut Self, from: usize| -> R<Flow> {
            it.in_block(|it| {
                for case in &s.cases[from..] {
                    match it.exec_list(&case.consequent)? {
                        Flow::Normal => {}
                        Flow::Break(None) => return Ok(Flow::Normal),
                        flow => return Ok(flow),
                    }
                }
                Ok(Flow::Normal)
            })
        };
        if let Some(why) = undecided {
            self.note(
                s.discriminant.span(),
                format!("switch not decided: {why}; what it sets is unknown"),
            );
            return self.with_havoc(why, |it| {
                for case in &s.cases {
                    it.in_block(|it| it.exec_list(&case.consequent))?;
                }
                Ok(Flow::Normal)
            });
        }
        match start.or_else(|| s.cases.iter().position(|c| c.test.is_none())) {
            Some(i) => body(self, i),
            None => Ok(Flow::Normal),
        }
    }

    /// Runs a loop body once per item, handling `break`/`continue`.
    fn run_iterations(
        &mut self,
        items: Vec<JsVal>,
        left: &'a ForStatementLeft<'a>,
        body: &'a Statement<'a>,
    ) -> R<Flow> {
        for item in items {
            let flow = self.in_block(|it| {
                it.bind_for_left(left, item)?;
                it.exec_stmt(body)
            })?;
            match flow {
                Flow::Normal | Flow::Continue(None) => {}
                Flow::Break(None) => break,
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn bind_for_left(&mut self, left: &'a ForStatementLeft<'a>, val: JsVal) -> R<()> {
        match left {
            ForStatementLeft::VariableDeclaration(d) => {
                let kind = if d.kind == VariableDeclarationKind::Var {
                    DeclKind::Var
                } else {
                    DeclKind::Lexical
                };
                if let Some(decl) = d.declarations.first() {
                    let val = self.stored(val, self.prov(decl.span));
                    self.bind_pattern(&decl.id, val, kind)?;
                }
                Ok(())
            }
            other => match other.as_assignment_target() {
                Some(target) => self.assign_to_target(target, val, left.span()),
                None => Ok(()),
            },
        }
    }

    fn exec_for_of(&mut self, s: &'a ForOfStatement<'a>) -> R<Flow> {
        let iterable = self.eval_expr(&s.right)?;
        let items = match &iterable {
            JsVal::Arr(id) if self.heap.arr(*id).poisoned.is_none() => {
                Some(self.heap.arr(*id).items.clone())
            }
            JsVal::Prim(v) => v.as_str().map(|st| {
                st.chars()
                    .map(|c| JsVal::string(c.to_string(), v.prov.clone()))
                    .collect()
            }),
            _ => None,
        };
        match items {
            Some(items) if !s.r#await && items.len() <= MAX_LOOP_ITERATIONS => {
                self.run_iterations(items, &s.left, &s.body)
            }
            _ => self.havoc_loop(&s.body, s.span, Some((&s.left, s.right.span())), false),
        }
    }

    fn exec_for_in(&mut self, s: &'a ForInStatement<'a>) -> R<Flow> {
        let obj = self.eval_expr(&s.right)?;
        let keys = match &obj {
            JsVal::Obj(id) if self.heap.obj(*id).poisoned.is_none() => {
                let prov = self.prov(s.right.span());
                Some(
                    self.heap
                        .obj(*id)
                        .props
                        .keys()
                        .map(|k| JsVal::string(k.clone(), prov.clone()))
                        .collect::<Vec<_>>(),
                )
            }
            JsVal::Arr(id) if self.heap.arr(*id).poisoned.is_none() => {
                let prov = self.prov(s.right.span());
                Some(
                    (0..self.heap.arr(*id).items.len())
                        .map(|i| JsVal::string(i.to_string(), prov.clone()))
                        .collect(),
                )
            }
            _ => None,
        };
        match keys {
            Some(keys) if keys.len() <= MAX_LOOP_ITERATIONS => {
                self.run_iterations(keys, &s.left, &s.body)
            }
            _ => self.havoc_loop(&s.body, s.span, Some((&s.left, s.right.span())), false),
        }
    }

    fn exec_for(&mut self, s: &'a ForStatement<'a>) -> R<Flow> {
        self.in_block(|it| {
            match &s.init {
                Some(ForStatementInit::VariableDeclaration(d)) => it.exec_var_decl(d)?,
                Some(init) => {
                    if let Some(e) = init.as_expression() {
                        it.eval_expr(e)?;
                    }
                }
                None => {}
            }
            for _ in 0..MAX_LOOP_ITERATIONS {
                if let Some(test) = &s.test {
                    let t = it.eval_expr(test)?;
                    match t.truthy() {
                        Some(true) => {}
                        Some(false) => return Ok(Flow::Normal),
                        None => return it.havoc_loop(&s.body, s.span, None, false),
                    }
                }
                match it.in_block(|it| it.exec_stmt(&s.body))? {
                    Flow::Normal | Flow::Continue(None) => {}
                    Flow::Break(None) => return Ok(Flow::Normal),
                    flow => return Ok(flow),
                }
                if let Some(update) = &s.update {
                    it.eval_expr(update)?;
                }
            }
            it.havoc_loop(&s.body, s.span, None, true)
        })
    }

    fn exec_while(
        &mut self,
        test: &'a Expression<'a>,
        body: &'a Statement<'a>,
        do_while: bool,
        span: Span,
    ) -> R<Flow> {
        let mut first = do_while;
        for _ in 0..MAX_LOOP_ITERATIONS {
            if !first {
                match self.eval_expr(test)?.truthy() {
                    Some(true) => {}
                    Some(false) => return Ok(Flow::Normal),
                    None => return self.havoc_loop(body, span, None, false),
                }
            }
            first = false;
            match self.in_block(|it| it.exec_stmt(body))? {
                Flow::Normal | Flow::Continue(None) => {}
                Flow::Break(None) => return Ok(Flow::Normal),
                flow => return Ok(flow),
            }
        }
        self.havoc_loop(body, span, None, true)
    }

    /// A loop the evaluator cannot run: its body runs once in havoc mode so that everything it
    /// may set becomes unknown. `budget`: the loop ran past [`MAX_LOOP_ITERATIONS`] (what it
    /// sets is marked with [`super::BUDGET_MARK`], so the run is partial if the export has it).
    fn havoc_loop(
        &mut self,
        body: &'a Statement<'a>,
        span: Span,
        left: Option<(&'a ForStatementLeft<'a>, Span)>,
        budget: bool,
    ) -> R<Flow> {
        let line = self.prov(span).line;
        let why = if budget {
            format!(
                "set in a loop that runs past {MAX_LOOP_ITERATIONS} iterations (line {line}, {})",
                super::BUDGET_MARK
            )
        } else {
            format!("set in a loop that is not followed (line {line})")
        };
        self.note(span, "loop not followed; what it sets is unknown");
        self.with_havoc(why.clone(), |it| {
            it.in_block(|it| {
                if let Some((left, lspan)) = left {
                    it.bind_for_left(left, JsVal::unknown(why, it.prov(lspan)))?;
                }
                it.exec_stmt(body)
            })
        })?;
        Ok(Flow::Normal)
    }

    fn exec_try(&mut self, t: &'a TryStatement<'a>) -> R<Flow> {
        self.try_depth += 1;
        let r = self.in_block(|it| it.exec_list(&t.block.body));
        self.try_depth -= 1;
        let r = match (r, &t.handler) {
            (Err(Stop::Throw(what)), Some(handler)) => self.in_block(|it| {
                if let Some(param) = &handler.param {
                    let err =
                        JsVal::unknown(format!("the error thrown by {what}"), it.prov(param.span));
                    it.bind_pattern(&param.pattern, err, DeclKind::Lexical)?;
                }
                it.exec_list(&handler.body.body)
            }),
            (r, _) => r,
        };
        if let Some(fin) = &t.finalizer {
            match self.in_block(|it| it.exec_list(&fin.body))? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        r
    }

    // ---- functions ---------------------------------------------------------------------

    pub(super) fn make_function(&mut self, node: FnNode<'a>, name: Option<String>) -> JsVal {
        let (span, own) = match node {
            FnNode::Arrow(a) => (a.span, None),
            FnNode::Func(f) => (f.span, f.id.as_ref().map(|i| i.name.as_str().to_owned())),
        };
        let prov = self.prov(span);
        let id = self.heap.new_fn(super::heap::Closure {
            node,
            scope: self.scope,
            src: self.src.clone(),
            name: own.or(name),
            prov,
        });
        JsVal::Func(id)
    }

    /// Calls a local function. `awaited`: the call is the operand of `await` (or egg 4
    /// awaiting a config function), so an async function yields its value, not a Promise.
    pub(super) fn call_function(&mut self, id: FnId, args: Vec<JsVal>, awaited: bool) -> R<JsVal> {
        let (node, scope, src, prov) = {
            let c = self.heap.func(id);
            (c.node, c.scope, c.src.clone(), c.prov.clone())
        };
        if node.is_generator() {
            return Ok(JsVal::unknown("result of a generator function", prov));
        }
        if self.frames.len() >= MAX_CALLS {
            return Ok(JsVal::unknown("calls nested too deeply (recursion?)", prov));
        }
        let fscope = self.heap.new_scope(Some(scope), true);
        let outer_scope = std::mem::replace(&mut self.scope, fscope);
        let outer_src = std::mem::replace(&mut self.src, src);
        self.frames.push(None);
        let result = self.run_function(node, args);
        let uncertain = self.frames.pop().flatten();
        self.scope = outer_scope;
        self.src = outer_src;
        let val = result?;
        if let Some(why) = uncertain {
            return Ok(JsVal::unknown(format!("return value {why}"), prov));
        }
        if node.is_async() && !awaited {
            return Ok(JsVal::unknown(
                "a Promise (async function called without await)",
                prov,
            ));
        }
        Ok(val)
    }

    fn run_function(&mut self, node: FnNode<'a>, args: Vec<JsVal>) -> R<JsVal> {
        let params = match node {
            FnNode::Arrow(a) => &a.params,
            FnNode::Func(f) => &f.params,
        };
        if let FnNode::Func(f) = node {
            let prov = self.prov(f.span);
            let list = self.heap.new_arr(args.clone(), prov, false);
            self.declare("arguments", JsVal::Arr(list), DeclKind::Var);
        }
        let mut args = args.into_iter();
        for param in &params.items {
            let mut val = args
                .next()
                .unwrap_or_else(|| JsVal::undefined(self.prov(param.span)));
            if val.is_undefined() {
                if let Some(init) = &param.initializer {
                    val = self.eval_expr(init)?;
                }
            }
            self.bind_pattern(&param.pattern, val, DeclKind::Var)?;
        }
        if let Some(rest) = &params.rest {
            let prov = self.prov(rest.span);
            let list = self.heap.new_arr(args.collect(), prov, false);
            self.bind_pattern(&rest.rest.argument, JsVal::Arr(list), DeclKind::Var)?;
        }
        let body = match node {
            FnNode::Arrow(a) => match a.get_expression() {
                Some(e) => return self.eval_expr(e),
                None => a.get_function_body(),
            },
            FnNode::Func(f) => f.body.as_deref(),
        };
        let Some(body) = body else {
            return Ok(JsVal::undefined(self.prov(params.span)));
        };
        match self.exec_list(&body.statements)? {
            Flow::Return(v) => Ok(v),
            _ => Ok(JsVal::undefined(self.prov(body.span))),
        }
    }

    // ---- binding patterns --------------------------------------------------------------

    pub(super) fn bind_pattern(
        &mut self,
        pat: &'a BindingPattern<'a>,
        val: JsVal,
        kind: DeclKind,
    ) -> R<()> {
        self.enter()?;
        let r = self.bind_pattern_inner(pat, val, kind);
        self.leave();
        r
    }

    fn bind_pattern_inner(
        &mut self,
        pat: &'a BindingPattern<'a>,
        val: JsVal,
        kind: DeclKind,
    ) -> R<()> {
        match pat {
            BindingPattern::BindingIdentifier(id) => {
                self.declare(id.name.as_str(), val, kind);
            }
            BindingPattern::AssignmentPattern(p) => {
                let val = if val.is_undefined() {
                    self.eval_expr(&p.right)?
                } else {
                    val
                };
                self.bind_pattern(&p.left, val, kind)?;
            }
            BindingPattern::ObjectPattern(p) => {
                let mut used = Vec::new();
                for prop in &p.properties {
                    let key = self.property_key(&prop.key, prop.computed)?;
                    let child = match &key {
                        Some(k) => {
                            used.push(k.clone());
                            self.get_member(&val, k, prop.span)
                        }
                        None => {
                            JsVal::unknown("destructured with a computed key", self.prov(prop.span))
                        }
                    };
                    self.bind_pattern(&prop.value, child, kind)?;
                }
                if let Some(rest) = &p.rest {
                    let prov = self.prov(rest.span);
                    let rest_val = match &val {
                        JsVal::Obj(id) if self.heap.obj(*id).poisoned.is_none() => {
                            let props: Vec<_> = self
                                .heap
                                .obj(*id)
                                .props
                                .iter()
                                .filter(|(k, _)| !used.contains(k))
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            let new = self.heap.new_obj(prov);
                            self.heap.obj_mut(new).props.extend(props);
                            JsVal::Obj(new)
                        }
                        other => JsVal::unknown(
                            other.unknown_why().unwrap_or_else(|| {
                                "rest of a value that is not a known object".into()
                            }),
                            prov,
                        ),
                    };
                    self.bind_pattern(&rest.argument, rest_val, kind)?;
                }
            }
            BindingPattern::ArrayPattern(p) => {
                let items = self.list_items(&val);
                for (i, elem) in p.elements.iter().enumerate() {
                    let Some(elem) = elem else { continue };
                    let child = match &items {
                        Ok(items) => items
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| JsVal::undefined(self.prov(elem.span()))),
                        Err(why) => JsVal::unknown(why.clone(), self.prov(elem.span())),
                    };
                    self.bind_pattern(elem, child, kind)?;
                }
                if let Some(rest) = &p.rest {
                    let prov = self.prov(rest.span);
                    let rest_val = match items {
                        Ok(items) => {
                            let tail = items.into_iter().skip(p.elements.len()).collect();
                            JsVal::Arr(self.heap.new_arr(tail, prov, false))
                        }
                        Err(why) => JsVal::unknown(why, prov),
                    };
                    self.bind_pattern(&rest.argument, rest_val, kind)?;
                }
            }
        }
        Ok(())
    }

    /// The elements of a known array, set or string; otherwise why not.
    pub(super) fn list_items(&self, val: &JsVal) -> Result<Vec<JsVal>, String> {
        match val {
            JsVal::Arr(id) => {
                let arr = self.heap.arr(*id);
                match &arr.poisoned {
                    Some(why) => Err(why.clone()),
                    None => Ok(arr.items.clone()),
                }
            }
            JsVal::Prim(v) => match (&v.kind, val.unknown_why()) {
                (ValueKind::String(s), _) => Ok(s
                    .chars()
                    .map(|c| JsVal::string(c.to_string(), v.prov.clone()))
                    .collect()),
                (_, Some(why)) => Err(why),
                _ => Err("not a list".into()),
            },
            _ => Err("not a list".into()),
        }
    }
}
