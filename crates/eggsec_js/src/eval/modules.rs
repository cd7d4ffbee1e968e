//! Modules: parsing a file, running its top level with CommonJS bindings (`module`, `exports`,
//! `require`, `__dirname`), ESM `import`/`export`, local requires (Node resolution, a module
//! cache that also ends require cycles, `limits.max_require_depth`), JSON files, and egg's
//! export unwrapping (`export default`, `exports.default` with `__esModule`).

use super::builtins::{host_module, is_identity_helper};
use super::expr::Site;
use super::heap::{Builtin, JsVal, ObjId};
use super::interp::{DeclKind, Flow, Interp, ModRecord, Stop, R};
use super::source::{self, Lang, Src};
use crate::error::JsError;
use crate::value::Provenance;
use oxc::ast::ast::*;
use oxc::parser::{ParseOptions, Parser};
use oxc::span::SourceType;
use std::path::Path;
use std::rc::Rc;

/// Why loading a module did not produce a record.
pub(super) enum LoadError {
    /// The file itself is bad (too large, not parseable, …).
    File(JsError),
    /// Evaluating its top level stopped (a throw, the budget, too deep).
    Stop(Stop),
}

impl From<Stop> for LoadError {
    fn from(s: Stop) -> Self {
        LoadError::Stop(s)
    }
}

/// What an import specifier names.
enum Target {
    Host(&'static str),
    Module(ModRecord),
    /// A package that is not evaluated, or a local file that could not be loaded: why.
    Opaque(String),
}

impl<'a> Interp<'a, '_> {
    /// Parses and runs one file, registering it in the module cache first (so a require cycle
    /// sees its partly filled exports, as in Node).
    pub(super) fn load_module(&mut self, path: &Path, text: &str) -> Result<ModRecord, LoadError> {
        let limits = self.opts.limits;
        source::check_size(path, text.len() as u64, &limits).map_err(LoadError::File)?;
        if !self.files.iter().any(|f| f == path) {
            self.files.push(path.to_path_buf());
        }
        if source::nesting_exceeds_in(path, text, limits.max_depth) {
            return Err(LoadError::File(JsError::TooDeep {
                path: path.to_path_buf(),
                limit: limits.max_depth,
            }));
        }
        let text: &'a str = self.alloc.alloc_str(text);
        let src = Rc::new(Src::new(path, text));
        let start = src.prov_at(0);
        let module_obj = self.heap.new_obj(start.clone());
        let exports = self.heap.new_obj(start.clone());
        self.heap
            .obj_mut(module_obj)
            .props
            .insert("exports".into(), JsVal::Obj(exports));
        let key = source::normalize(path);

        if Lang::of(path) == Lang::Json {
            let rec = ModRecord {
                module_obj,
                namespace: None,
            };
            self.modules.insert(key, rec);
            let value = self.eval_json(path, &src)?;
            self.heap
                .obj_mut(module_obj)
                .props
                .insert("exports".into(), value);
            return Ok(rec);
        }

        let program = self.parse(path, &src).map_err(LoadError::File)?;
        let has_exports = program.body.iter().any(|s| {
            matches!(
                s,
                Statement::ExportDefaultDeclaration(_)
                    | Statement::ExportDeclaration(_)
                    | Statement::ExportNamedDeclaration(_)
                    | Statement::ExportFromDeclaration(_)
                    | Statement::ExportAllDeclaration(_)
            )
        });
        let namespace = has_exports.then(|| self.heap.new_obj(start));
        let rec = ModRecord {
            module_obj,
            namespace,
        };
        self.modules.insert(key, rec);
        self.run_module(program, src, rec, exports)?;
        Ok(rec)
    }

    fn parse(&self, path: &Path, src: &Src<'a>) -> Result<&'a Program<'a>, JsError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("js");
        let source_type = match ext {
            "cjs" => SourceType::cjs(),
            "mjs" => SourceType::mjs(),
            "ts" | "mts" | "cts" | "tsx" => {
                let ts = SourceType::from_extension(ext).unwrap_or_else(|_| SourceType::ts());
                if ext == "ts" {
                    ts.with_unambiguous(true)
                } else {
                    ts
                }
            }
            "jsx" => SourceType::jsx().with_unambiguous(true),
            _ => SourceType::unambiguous(),
        };
        let options = ParseOptions {
            allow_return_outside_function: true,
            ..ParseOptions::default()
        };
        let ret = Parser::new(self.alloc, src.text, source_type)
            .with_options(options)
            .parse();
        if let Some(err) = ret.diagnostics.errors().next() {
            let offset = err.labels.first().map_or(0, |l| l.offset());
            let prov = src.prov_at(offset);
            return Err(JsError::Parse {
                path: path.to_path_buf(),
                line: prov.line,
                column: prov.column,
                message: err.message.to_string(),
            });
        }
        if ret.panicked {
            return Err(JsError::Parse {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: "cannot parse".into(),
            });
        }
        Ok(self.alloc.alloc(ret.program))
    }

    /// JSON: validated by serde_json (so JS-only syntax is refused as Node's `JSON.parse`
    /// would), then read through oxc as an expression to keep line/column provenance.
    fn eval_json(&mut self, path: &Path, src: &Rc<Src<'a>>) -> Result<JsVal, LoadError> {
        let text = src.text.strip_prefix('\u{feff}').unwrap_or(src.text);
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            let message = e.to_string();
            if message.contains("recursion limit") {
                return Err(LoadError::File(JsError::TooDeep {
                    path: path.to_path_buf(),
                    limit: 128,
                }));
            }
            return Err(LoadError::File(JsError::Json {
                path: path.to_path_buf(),
                message,
            }));
        }
        let expr = Parser::new(self.alloc, src.text, SourceType::mjs())
            .parse_expression()
            .map_err(|d| {
                let message = d
                    .first()
                    .map_or_else(|| "cannot parse".to_string(), |e| e.message.to_string());
                LoadError::File(JsError::Json {
                    path: path.to_path_buf(),
                    message,
                })
            })?;
        let expr: &'a Expression<'a> = self.alloc.alloc(expr);
        let outer = std::mem::replace(&mut self.src, src.clone());
        let r = self.eval_expr(expr);
        self.src = outer;
        Ok(r?)
    }

    fn run_module(
        &mut self,
        program: &'a Program<'a>,
        src: Rc<Src<'a>>,
        rec: ModRecord,
        exports: ObjId,
    ) -> R<()> {
        let scope = self.heap.new_scope(None, true);
        let outer_scope = std::mem::replace(&mut self.scope, scope);
        let outer_src = std::mem::replace(&mut self.src, src);
        let r = self.run_module_body(program, rec, exports);
        self.scope = outer_scope;
        self.src = outer_src;
        r
    }

    fn run_module_body(
        &mut self,
        program: &'a Program<'a>,
        rec: ModRecord,
        exports: ObjId,
    ) -> R<()> {
        let file = self.src.path.display().to_string();
        let dir = self.src.dir().display().to_string();
        let start = self.src.prov_at(0);
        self.bind("module", JsVal::Obj(rec.module_obj));
        self.bind("exports", JsVal::Obj(exports));
        self.bind("require", JsVal::Builtin(Builtin::Func("require")));
        self.bind("__filename", JsVal::string(file, start.clone()));
        self.bind("__dirname", JsVal::string(dir, start));

        // Imports are hoisted: they run before the module body.
        for stmt in &program.body {
            if let Statement::ImportDeclaration(decl) = stmt {
                self.exec_import(decl)?;
            }
        }
        self.hoist_functions(&program.body);
        // Named exports are live bindings: read them when the body is done.
        let mut named: Vec<(String, String)> = Vec::new();
        for stmt in &program.body {
            match stmt {
                Statement::ExportDefaultDeclaration(d) => {
                    let val = match &d.declaration {
                        ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                            let v = self.make_function(
                                super::heap::FnNode::Func(f),
                                Some("default".into()),
                            );
                            if let Some(id) = &f.id {
                                self.bind(id.name.as_str(), v.clone());
                            }
                            v
                        }
                        ExportDefaultDeclarationKind::ClassDeclaration(c) => JsVal::Class {
                            name: c
                                .id
                                .as_ref()
                                .map(|i| i.name.as_str().to_owned())
                                .or(Some("default".into())),
                            prov: self.prov(c.span),
                        },
                        ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => continue,
                        other => match other.as_expression() {
                            Some(e) => self.eval_named(e, Some("default".into()))?,
                            None => continue,
                        },
                    };
                    self.export(rec, "default", val);
                }
                Statement::ExportDeclaration(d) => {
                    match &d.declaration {
                        Declaration::VariableDeclaration(v) => {
                            self.exec_var_decl(v)?;
                            for decl in &v.declarations {
                                for id in decl.id.get_binding_identifiers() {
                                    named.push((
                                        id.name.as_str().to_owned(),
                                        id.name.as_str().to_owned(),
                                    ));
                                }
                            }
                        }
                        Declaration::FunctionDeclaration(f) => {
                            if let Some(id) = &f.id {
                                named.push((
                                    id.name.as_str().to_owned(),
                                    id.name.as_str().to_owned(),
                                ));
                            }
                        }
                        Declaration::ClassDeclaration(c) => {
                            if let Some(id) = &c.id {
                                let v = JsVal::Class {
                                    name: Some(id.name.as_str().to_owned()),
                                    prov: self.prov(c.span),
                                };
                                self.bind(id.name.as_str(), v);
                                named.push((
                                    id.name.as_str().to_owned(),
                                    id.name.as_str().to_owned(),
                                ));
                            }
                        }
                        _ => {} // types
                    }
                }
                Statement::ExportNamedDeclaration(d) if !d.export_kind.is_type() => {
                    for spec in d.specifiers.iter().filter(|s| !s.export_kind.is_type()) {
                        named.push((
                            spec.exported.name().to_string(),
                            spec.local.name().to_string(),
                        ));
                    }
                }
                Statement::ExportFromDeclaration(d) if !d.export_kind.is_type() => {
                    let target = self.import_target(d.source.value.as_str(), d.span)?;
                    for spec in d.specifiers.iter().filter(|s| !s.export_kind.is_type()) {
                        let val = self.imported_name(&target, &spec.local.name(), spec.span);
                        self.export(rec, &spec.exported.name(), val);
                    }
                }
                Statement::ExportAllDeclaration(d) if !d.export_kind.is_type() => {
                    let target = self.import_target(d.source.value.as_str(), d.span)?;
                    let ns = self.namespace_of(&target, d.span);
                    match &d.exported {
                        Some(name) => self.export(rec, &name.name(), ns),
                        None => match (&ns, rec.namespace) {
                            (JsVal::Obj(from), Some(to)) => {
                                let props: Vec<_> = self
                                    .heap
                                    .obj(*from)
                                    .props
                                    .iter()
                                    .filter(|(k, _)| k.as_str() != "default")
                                    .map(|(k, v)| (k.clone(), v.clone()))
                                    .collect();
                                self.heap.obj_mut(to).props.extend(props);
                            }
                            _ => {
                                if let Some(to) = rec.namespace {
                                    let why = format!(
                                        "re-exports `{}` which is not known",
                                        d.source.value
                                    );
                                    self.heap.obj_mut(to).poisoned.get_or_insert(why);
                                }
                            }
                        },
                    }
                }
                Statement::TSExportAssignment(e) => {
                    let val = self.eval_expr(&e.expression)?;
                    self.heap
                        .obj_mut(rec.module_obj)
                        .props
                        .insert("exports".into(), val);
                }
                Statement::ImportDeclaration(_)
                | Statement::ExportNamedDeclaration(_)
                | Statement::ExportFromDeclaration(_)
                | Statement::ExportAllDeclaration(_) => {}
                other => match self.exec_stmt(other)? {
                    Flow::Normal => {}
                    _ => break, // a top-level `return` ends a CommonJS module
                },
            }
        }
        for (exported, local) in named {
            let prov = self.src.prov_at(0);
            let val = self
                .lookup(&local)
                .unwrap_or_else(|| JsVal::undefined(prov));
            self.export(rec, &exported, val);
        }
        Ok(())
    }

    fn export(&mut self, rec: ModRecord, name: &str, val: JsVal) {
        if let Some(ns) = rec.namespace {
            self.heap.obj_mut(ns).props.insert(name.to_string(), val);
        }
    }

    fn exec_import(&mut self, decl: &'a ImportDeclaration<'a>) -> R<()> {
        if decl.import_kind.is_type() {
            return Ok(());
        }
        let target = self.import_target(decl.source.value.as_str(), decl.span)?;
        for spec in decl.specifiers.iter().flatten() {
            let (local, val) = match spec {
                ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                    (&s.local, self.default_of(&target, s.span))
                }
                ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                    (&s.local, self.namespace_of(&target, s.span))
                }
                ImportDeclarationSpecifier::ImportSpecifier(s) => {
                    if s.import_kind.is_type() {
                        continue;
                    }
                    (
                        &s.local,
                        self.imported_name(&target, &s.imported.name(), s.span),
                    )
                }
            };
            self.declare(local.name.as_str(), val, DeclKind::Lexical);
        }
        Ok(())
    }

    fn import_target(&mut self, spec: &str, span: Span) -> R<Target> {
        if let Some(m) = host_module(spec) {
            return Ok(Target::Host(m));
        }
        if !source::is_local_specifier(spec) {
            let Some(file) = source::plugin_factory_entry(&self.src.dir(), spec) else {
                return Ok(Target::Opaque(format!("package '{spec}' is not evaluated")));
            };
            let abs = file.to_string_lossy().into_owned();
            return Ok(match self.load_local(&abs, span)? {
                Ok(rec) => Target::Module(rec),
                Err(why) => Target::Opaque(why),
            });
        }
        Ok(match self.load_local(spec, span)? {
            Ok(rec) => Target::Module(rec),
            Err(why) => Target::Opaque(why),
        })
    }

    /// `import x from …`: the ESM default, or with CommonJS interop `exports.default` when
    /// `__esModule` is set, else `module.exports`.
    fn default_of(&mut self, target: &Target, span: Span) -> JsVal {
        match target {
            Target::Host(m) => JsVal::Builtin(Builtin::Module(m)),
            Target::Module(rec) => self.egg_export(*rec),
            Target::Opaque(why) => JsVal::unknown(why.clone(), self.prov(span)),
        }
    }

    /// `import * as ns from …` (and `require` of an ES module).
    fn namespace_of(&mut self, target: &Target, span: Span) -> JsVal {
        match target {
            Target::Host(m) => JsVal::Builtin(Builtin::Module(m)),
            Target::Module(rec) => self.require_value(*rec),
            Target::Opaque(why) => JsVal::unknown(why.clone(), self.prov(span)),
        }
    }

    fn imported_name(&mut self, target: &Target, name: &str, span: Span) -> JsVal {
        match target {
            Target::Opaque(_) if is_identity_helper(name) => {
                JsVal::Builtin(Builtin::Func("identity"))
            }
            Target::Opaque(_) if name == "definePluginFactory" => {
                JsVal::Builtin(Builtin::Func("definePluginFactory"))
            }
            Target::Opaque(why) => {
                JsVal::unknown(format!("`{name}` from a {why}"), self.prov(span))
            }
            _ => {
                let ns = self.namespace_of(target, span);
                self.get_member(&ns, name, span)
            }
        }
    }

    /// What `require()` returns: the ESM namespace, else `module.exports`.
    fn require_value(&mut self, rec: ModRecord) -> JsVal {
        match rec.namespace {
            Some(ns) => JsVal::Obj(ns),
            None => self.module_exports(rec),
        }
    }

    fn module_exports(&self, rec: ModRecord) -> JsVal {
        let module = self.heap.obj(rec.module_obj);
        module
            .props
            .get("exports")
            .cloned()
            .unwrap_or_else(|| JsVal::undefined(module.prov.clone()))
    }

    /// egg's `loadFile` unwrapping: an ES module's default export (or its namespace when it has
    /// none); for CommonJS `module.exports`, or its `default` when `__esModule` is set.
    pub(super) fn egg_export(&mut self, rec: ModRecord) -> JsVal {
        if let Some(ns) = rec.namespace {
            return match self.heap.obj(ns).props.get("default") {
                Some(v) => v.clone(),
                None => JsVal::Obj(ns),
            };
        }
        let exports = self.module_exports(rec);
        if let JsVal::Obj(id) = &exports {
            let o = self.heap.obj(*id);
            let es = o.es_module || o.props.get("__esModule").and_then(JsVal::truthy) == Some(true);
            if es {
                if let Some(d) = o.props.get("default") {
                    return d.clone();
                }
            }
        }
        exports
    }

    /// `require(spec)`.
    pub(super) fn require(&mut self, spec: &str, site: &Site) -> R<JsVal> {
        let prov = self.prov(site.span);
        if let Some(m) = host_module(spec) {
            return Ok(JsVal::Builtin(Builtin::Module(m)));
        }
        if !source::is_local_specifier(spec) {
            // a file inside an installed package (`require('@jianghujs/jianghu/config/x')`) is
            // evaluated like a local one; a package's main module is not (a library)
            if let Some(file) = source::resolve_package_subpath(&self.src.dir(), spec) {
                let abs = file.to_string_lossy().into_owned();
                return match self.load_local(&abs, site.span)? {
                    Ok(rec) => Ok(self.require_value(rec)),
                    Err(why) => Ok(JsVal::unknown(why, prov)),
                };
            }
            return Ok(JsVal::unknown(
                format!("require('{spec}') of a package is not evaluated"),
                prov,
            ));
        }
        match self.load_local(spec, site.span)? {
            Ok(rec) => Ok(self.require_value(rec)),
            Err(why) => Ok(JsVal::unknown(why, prov)),
        }
    }

    /// `require.resolve(spec)`: a local file, or a package's file (its main when `spec` names
    /// only the package) in the node_modules above the current file.
    pub(super) fn resolve_spec(&self, spec: &str) -> Option<std::path::PathBuf> {
        let dir = self.src.dir();
        if source::is_local_specifier(spec) {
            return source::resolve_local(&dir, spec);
        }
        source::resolve_package_subpath(&dir, spec)
            .or_else(|| source::resolve_package_main(&dir, spec))
    }

    /// Loads a local module (cached). `Ok(Err(why))` when it cannot be loaded: the file is
    /// missing or bad, or the require chain is too long. Inside a `try`, a missing module
    /// throws instead, as in Node (`try { require('./local') } catch {}`).
    fn load_local(&mut self, spec: &str, span: Span) -> R<Result<ModRecord, String>> {
        let dir = self.src.dir();
        let Some(path) = source::resolve_local(&dir, spec) else {
            let why = format!("cannot find module '{spec}'");
            if self.try_depth > 0 {
                return Err(Stop::Throw(why));
            }
            self.note(span, why.clone());
            return Ok(Err(why));
        };
        if let Some(rec) = self.modules.get(&path) {
            return Ok(Ok(*rec));
        }
        let limit = self.opts.limits.max_require_depth;
        if self.require_depth >= limit {
            let why = format!("'{spec}' is beyond the require depth limit ({limit})");
            self.note(span, why.clone());
            return Ok(Err(why));
        }
        let text = match source::read_text(&path, &self.opts.limits) {
            Ok(t) => t,
            Err(e) => {
                self.note(span, e.to_string());
                return Ok(Err(e.to_string()));
            }
        };
        self.require_depth += 1;
        let r = self.load_module(&path, &text);
        self.require_depth -= 1;
        match r {
            Ok(rec) => Ok(Ok(rec)),
            Err(LoadError::File(e)) => {
                self.note(span, e.to_string());
                Ok(Err(e.to_string()))
            }
            Err(LoadError::Stop(s)) => Err(s),
        }
    }

    /// Calls a config export as egg's `loadFile` does: functions (not classes) get
    /// `(appInfo, appConfig)`; async ones are awaited only for egg 4; a falsy result is `{}`.
    pub(super) fn call_config(&mut self, export: JsVal) -> R<JsVal> {
        let result = match export {
            JsVal::Func(id) => {
                let (is_async, prov) = {
                    let f = self.heap.func(id);
                    (f.node.is_async(), f.prov.clone())
                };
                if is_async && !self.opts.await_async {
                    self.notes.push(super::Note {
                        file: std::path::PathBuf::from(&*prov.file),
                        line: prov.line,
                        column: prov.column,
                        message: "async config function: egg 2/3 merge the returned Promise, which drops \
                                  this config ({} is used); egg 4 awaits it"
                            .into(),
                        limit: false,
                    });
                    return Ok(JsVal::Obj(self.heap.new_obj(prov)));
                }
                let app_info = self.app_info_value();
                let app_config = match self.opts.app_config {
                    Some(v) => self.heap.raise(v, self.opts.limits.max_depth),
                    None => JsVal::undefined(Provenance::synthetic("<appConfig>")),
                };
                self.call_function(id, vec![app_info, app_config], true)?
            }
            other => other,
        };
        Ok(match result.truthy() {
            Some(false) => {
                let prov = result
                    .as_prim()
                    .map_or_else(|| self.src.prov_at(0), |p| p.prov.clone());
                JsVal::Obj(self.heap.new_obj(prov))
            }
            _ => result,
        })
    }

    /// egg's `appInfo` for the env being evaluated.
    fn app_info_value(&mut self) -> JsVal {
        let info = self.opts.app_info;
        let prov = Provenance::synthetic("<appInfo>");
        let id = self.heap.new_obj(prov.clone());
        let s = |v: &str| JsVal::string(v, prov.clone());
        let pkg = match &info.pkg {
            Some(pkg) => self.heap.raise_json(pkg, &prov, self.opts.limits.max_depth),
            None => JsVal::unknown("appInfo.pkg (package.json) is not available", prov.clone()),
        };
        let props = [
            ("name", s(&info.name)),
            ("baseDir", s(&info.base_dir.display().to_string())),
            ("env", s(&info.env)),
            ("scope", s(&info.scope)),
            ("root", s(&info.root.display().to_string())),
            ("HOME", s(&info.home.display().to_string())),
            ("pkg", pkg),
        ];
        let app_dir = info
            .app_dir
            .as_ref()
            .map(|d| ("appDir", s(&d.display().to_string())));
        self.heap.obj_mut(id).props.extend(
            props
                .into_iter()
                .chain(app_dir)
                .map(|(k, v)| (k.to_string(), v)),
        );
        JsVal::Obj(id)
    }
}
