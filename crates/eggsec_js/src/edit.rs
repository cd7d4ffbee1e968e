//! Plugin-file edits: where each entry of a `config/plugin*.js|ts` file is written, and the
//! minimal text edits that disable plugins while keeping the file's formatting and comments.
//!
//! Understood shapes: `exports.x = ...`, `module.exports.x = ...`, `module.exports = {...}`,
//! `exports = module.exports = {...}`, `export default {...}`, `const plugin: EggPlugin = {...};
//! export default plugin` (and `plugin.x = ...` on that object), `export const x = ...`, and
//! `exports.x.enable = ...` overrides.
//!
//! ```
//! use eggsec_js::edit::{apply, plan_disable};
//! let text = "// plugins\nexports.static = true; // assets\nexports.cors = {\n  package: 'egg-cors',\n};\n";
//! let edits = plan_disable(std::path::Path::new("config/plugin.js"), text, &["static", "cors", "jsonp"]).unwrap();
//! assert_eq!(
//!     apply(text, &edits),
//!     "// plugins\nexports.static = false; // assets\nexports.cors = {\n  enable: false,\n  package: 'egg-cors',\n};\nexports.jsonp = false;\n"
//! );
//! ```

use crate::error::JsError;
use crate::eval::source::{self, LineIndex};
use crate::eval::Limits;
use crate::uses::{chain_of, key_name, on_large_stack, parse};
use oxc::allocator::Allocator;
use oxc::ast::ast::*;
use oxc::span::{GetSpan, Span};
use std::path::Path;

/// A replacement of the bytes `start..end` of a file by `text` (an insertion when empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// One key inside an object plugin entry (`enable`, `package`, or a misspelling like `enabled`).
#[derive(Clone, Debug, PartialEq)]
pub struct EntryKey {
    pub name: String,
    pub line: u32,
    pub column: u32,
    /// The value, when it is a boolean literal.
    pub bool_value: Option<bool>,
}

/// How an entry's value is written.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryShape {
    /// `true` / `false`.
    Bool(bool),
    /// `{ ... }` with its keys.
    Object(Vec<EntryKey>),
    /// `exports.x.enable = V`: only the switch.
    EnableOverride(Option<bool>),
    /// Anything else (an identifier, a call, a spread).
    Other,
}

/// One plugin entry as written in a plugin file.
#[derive(Clone, Debug, PartialEq)]
pub struct EntrySyntax {
    pub name: String,
    /// 1-based line and column of the entry's key (or `exports.x`).
    pub line: u32,
    pub column: u32,
    pub shape: EntryShape,
}

/// The entries of a plugin file, in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PluginFileSyntax {
    pub entries: Vec<EntrySyntax>,
}

impl PluginFileSyntax {
    /// The last entry for `name` (a later one wins in egg).
    pub fn entry(&self, name: &str) -> Option<&EntrySyntax> {
        self.entries.iter().rev().find(|e| e.name == name)
    }
}

/// Where entries are, with the spans needed to edit them.
struct Found<'a> {
    name: String,
    key_start: u32,
    value: &'a Expression<'a>,
    /// The whole object property, for shorthand `{ mysql }` entries.
    shorthand: Option<Span>,
    enable_override: bool,
}

/// How new entries are added to the file.
enum Container<'a> {
    /// `exports.x = ...` statements: append a statement with this prefix.
    Statements { prefix: String, semicolon: bool },
    /// An object literal (`module.exports = {...}`, `export default {...}`).
    Object(&'a ObjectExpression<'a>),
    /// Nothing recognisable: append `exports.x = false;` (CJS) or refuse (ESM/TS).
    Unknown,
}

struct Scan<'a> {
    found: Vec<Found<'a>>,
    container: Container<'a>,
}

fn scan<'a>(program: &'a Program<'a>) -> Scan<'a> {
    let mut found = Vec::new();
    let mut container = Container::Unknown;
    let mut object_var: Option<String> = None;
    // `const plugin = {...}` declarations, for `export default plugin`.
    let mut decls: Vec<(String, &'a ObjectExpression<'a>)> = Vec::new();
    let mut statement_prefix: Option<(String, bool)> = None;
    // `export const x = ...` entries: egg reads them only when there is no default export (its
    // loader takes `default` of an ES module that has one: `export const plugin = {...};
    // export default plugin;` is the object, not an entry named `plugin`)
    let mut named: Vec<Found<'a>> = Vec::new();
    let mut has_default = false;
    // A compiled ES module (tsc's, babel's): `Object.defineProperty(exports, "__esModule", …)`
    // then `exports.default = …`. egg's loader takes `default` of such a module
    // (egg-core `utils.loadFile`): the plugins are that object, and the `exports.x` statements
    // beside it (`exports.plugin = {...}`) are not entries.
    let mut es_module = false;
    let mut cjs_default = false;
    for stmt in &program.body {
        if is_es_module_flag(stmt) {
            es_module = true;
            continue;
        }
        match stmt {
            Statement::VariableDeclaration(d) => {
                for decl in &d.declarations {
                    if let (BindingPattern::BindingIdentifier(id), Some(init)) =
                        (&decl.id, &decl.init)
                    {
                        if let Expression::ObjectExpression(o) = init.get_inner_expression() {
                            decls.push((id.name.as_str().to_owned(), o));
                        }
                    }
                }
            }
            Statement::ExpressionStatement(es) => {
                let Expression::AssignmentExpression(a) = es.expression.get_inner_expression()
                else {
                    continue;
                };
                let Some(m) = a.left.as_member_expression() else {
                    // `exports = module.exports = {...}`
                    if let AssignmentTarget::AssignmentTargetIdentifier(id) = &a.left {
                        if id.name == "exports" {
                            if let Some(o) = module_exports_object(&a.right) {
                                container = Container::Object(o);
                            }
                        }
                    }
                    continue;
                };
                let (root, mut path) = chain_of(m.object());
                path.push(m.static_property_name().unwrap_or("[*]").to_string());
                let base_len = match (root.as_str(), path.first().map(String::as_str)) {
                    ("module", Some("exports")) => 1,
                    ("exports", _) => 0,
                    (r, _) if object_var.as_deref() == Some(r) => 0,
                    _ => continue,
                };
                let rest = &path[base_len..];
                if es_module && rest.len() == 1 && rest[0] == "default" {
                    // `exports.default = exports.plugin` / `= _default` / `= {...}` (a
                    // `void 0` placeholder first resolves to nothing)
                    let object = match a.right.get_inner_expression() {
                        Expression::ObjectExpression(o) => {
                            let o: &'a ObjectExpression<'a> = o;
                            Some(o)
                        }
                        Expression::Identifier(id) => decls
                            .iter()
                            .find(|(n, _)| n == id.name.as_str())
                            .map(|(_, o)| *o),
                        right => right.as_member_expression().and_then(|m| {
                            let name = m.static_property_name()?;
                            let (root, path) = chain_of(m.object());
                            let exported = (root == "exports" && path.is_empty())
                                || (root == "module" && path == ["exports"]);
                            found.iter().rev().find_map(|f: &Found<'a>| {
                                let value: &'a Expression<'a> = f.value;
                                match value.get_inner_expression() {
                                    Expression::ObjectExpression(o)
                                        if exported && f.name == name =>
                                    {
                                        let o: &'a ObjectExpression<'a> = o;
                                        Some(o)
                                    }
                                    _ => None,
                                }
                            })
                        }),
                    };
                    cjs_default = true;
                    has_default = true;
                    found.clear();
                    named.clear();
                    if let Some(o) = object {
                        container = Container::Object(o);
                    }
                    continue;
                }
                if cjs_default {
                    // egg reads `default` only
                    continue;
                }
                match rest {
                    [] => {
                        // module.exports = {...} / = plugin
                        if let Some(o) = module_exports_object(&a.right) {
                            container = Container::Object(o);
                        } else if let Expression::Identifier(id) = a.right.get_inner_expression() {
                            if let Some((_, o)) = decls.iter().find(|(n, _)| n == id.name.as_str())
                            {
                                container = Container::Object(o);
                                object_var = Some(id.name.as_str().to_owned());
                            }
                        }
                    }
                    [name] => {
                        let text_prefix = if base_len == 1 {
                            "module.exports".to_string()
                        } else {
                            root.clone()
                        };
                        if statement_prefix.is_none() && root != "?" {
                            let semicolon = program
                                .source_text
                                .get(es.span.end as usize - 1..es.span.end as usize)
                                == Some(";");
                            statement_prefix = Some((text_prefix, semicolon));
                        }
                        found.push(Found {
                            name: name.clone(),
                            key_start: m.span().start,
                            value: &a.right,
                            shorthand: None,
                            enable_override: false,
                        });
                    }
                    [name, key] if key == "enable" => found.push(Found {
                        name: name.clone(),
                        key_start: m.span().start,
                        value: &a.right,
                        shorthand: None,
                        enable_override: true,
                    }),
                    _ => {}
                }
            }
            Statement::ExportDefaultDeclaration(ed) => {
                has_default = true;
                if let Some(e) = ed.declaration.as_expression() {
                    match e.get_inner_expression() {
                        Expression::ObjectExpression(o) => container = Container::Object(o),
                        Expression::Identifier(id) => {
                            if let Some((_, o)) = decls.iter().find(|(n, _)| n == id.name.as_str())
                            {
                                container = Container::Object(o);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Statement::ExportDeclaration(en) => {
                if let Declaration::VariableDeclaration(d) = &en.declaration {
                    for decl in &d.declarations {
                        if let (BindingPattern::BindingIdentifier(id), Some(init)) =
                            (&decl.id, &decl.init)
                        {
                            if let Expression::ObjectExpression(o) = init.get_inner_expression() {
                                decls.push((id.name.as_str().to_owned(), o));
                            }
                            named.push(Found {
                                name: id.name.as_str().to_owned(),
                                key_start: id.span.start,
                                value: init,
                                shorthand: None,
                                enable_override: false,
                            });
                        }
                    }
                }
            }
            _ => {}
        }
        // `const plugin = {}` assigned later through `plugin.x = ...` once exported.
        if object_var.is_none() {
            if let Statement::ExpressionStatement(es) = stmt {
                if let Expression::AssignmentExpression(a) = es.expression.get_inner_expression() {
                    if let Expression::Identifier(id) = a.right.get_inner_expression() {
                        if decls.iter().any(|(n, _)| n == id.name.as_str()) {
                            object_var = Some(id.name.as_str().to_owned());
                        }
                    }
                }
            }
        }
    }
    // `export default plugin` after `plugin.x = ...` statements: pick those up too.
    if let Container::Object(o) = &container {
        let var = decls
            .iter()
            .find(|(_, d)| std::ptr::eq(*d, *o))
            .map(|(n, _)| n.clone());
        if let Some(var) = var {
            for stmt in &program.body {
                let Statement::ExpressionStatement(es) = stmt else {
                    continue;
                };
                let Expression::AssignmentExpression(a) = es.expression.get_inner_expression()
                else {
                    continue;
                };
                let Some(m) = a.left.as_member_expression() else {
                    continue;
                };
                let (root, mut path) = chain_of(m.object());
                path.push(m.static_property_name().unwrap_or("[*]").to_string());
                if root != var || found.iter().any(|f| f.key_start == m.span().start) {
                    continue;
                }
                match path.as_slice() {
                    [name] => found.push(Found {
                        name: name.clone(),
                        key_start: m.span().start,
                        value: &a.right,
                        shorthand: None,
                        enable_override: false,
                    }),
                    [name, key] if key == "enable" => found.push(Found {
                        name: name.clone(),
                        key_start: m.span().start,
                        value: &a.right,
                        shorthand: None,
                        enable_override: true,
                    }),
                    _ => {}
                }
            }
        }
        for p in &o.properties {
            if let ObjectPropertyKind::ObjectProperty(p) = p {
                if let Some(name) = key_name(&p.key) {
                    found.push(Found {
                        name,
                        key_start: p.key.span().start,
                        value: &p.value,
                        shorthand: p.shorthand.then_some(p.span),
                        enable_override: false,
                    });
                }
            }
        }
    } else if let Some((prefix, semicolon)) = statement_prefix {
        container = Container::Statements { prefix, semicolon };
    }
    if !has_default {
        found.extend(named);
    }
    found.sort_by_key(|f| f.key_start);
    Scan { found, container }
}

/// `Object.defineProperty(exports, "__esModule", { value: true })` or
/// `exports.__esModule = true` (also through `module.exports`): the flag compilers put on a
/// module built from ES module source.
fn is_es_module_flag(stmt: &Statement<'_>) -> bool {
    let Statement::ExpressionStatement(es) = stmt else {
        return false;
    };
    let is_exports = |e: &Expression<'_>| {
        match e.get_inner_expression() {
        Expression::Identifier(id) => id.name == "exports",
        e => e.as_member_expression().is_some_and(|m| {
            m.static_property_name() == Some("exports")
                && matches!(m.object().get_inner_expression(), Expression::Identifier(id) if id.name == "module")
        }),
    }
    };
    match es.expression.get_inner_expression() {
        Expression::CallExpression(c) => {
            let Some(callee) = c.callee.as_member_expression() else {
                return false;
            };
            callee.static_property_name() == Some("defineProperty")
                && matches!(callee.object().get_inner_expression(), Expression::Identifier(id) if id.name == "Object")
                && c.arguments.len() >= 2
                && c.arguments[0].as_expression().is_some_and(is_exports)
                && matches!(
                    c.arguments[1].as_expression().map(|e| e.get_inner_expression()),
                    Some(Expression::StringLiteral(l)) if l.value == "__esModule"
                )
        }
        Expression::AssignmentExpression(a) => a.left.as_member_expression().is_some_and(|m| {
            m.static_property_name() == Some("__esModule") && is_exports(m.object())
        }),
        _ => false,
    }
}

/// `{...}` in `module.exports = {...}` or `exports = module.exports = {...}`.
fn module_exports_object<'a>(e: &'a Expression<'a>) -> Option<&'a ObjectExpression<'a>> {
    match e.get_inner_expression() {
        Expression::ObjectExpression(o) => Some(o),
        Expression::AssignmentExpression(a) => module_exports_object(&a.right),
        _ => None,
    }
}

fn bool_of(e: &Expression<'_>) -> Option<bool> {
    match e.get_inner_expression() {
        Expression::BooleanLiteral(b) => Some(b.value),
        _ => None,
    }
}

fn shape_of(f: &Found<'_>, lines: &LineIndex, text: &str) -> EntryShape {
    if f.enable_override {
        return EntryShape::EnableOverride(bool_of(f.value));
    }
    match f.value.get_inner_expression() {
        Expression::BooleanLiteral(b) => EntryShape::Bool(b.value),
        Expression::ObjectExpression(o) => EntryShape::Object(
            o.properties
                .iter()
                .filter_map(|p| match p {
                    ObjectPropertyKind::ObjectProperty(p) => {
                        let (line, column) = lines.line_col(text, p.key.span().start);
                        Some(EntryKey {
                            name: key_name(&p.key)?,
                            line,
                            column,
                            bool_value: bool_of(&p.value),
                        })
                    }
                    ObjectPropertyKind::SpreadProperty(_) => None,
                })
                .collect(),
        ),
        _ => EntryShape::Other,
    }
}

pub(crate) fn with_program<T: Send>(
    path: &Path,
    text: &str,
    f: impl for<'a> FnOnce(&'a Program<'a>, &'a str) -> T + Send,
) -> Result<T, JsError> {
    let limits = Limits::default();
    source::check_size(path, text.len() as u64, &limits)?;
    if source::nesting_exceeds_in(path, text, limits.max_depth) {
        return Err(JsError::TooDeep {
            path: path.to_path_buf(),
            limit: limits.max_depth,
        });
    }
    on_large_stack(path, || {
        let alloc = Allocator::default();
        let program = parse(&alloc, path, text)?;
        Ok(f(&program, text))
    })
}

/// The entries written in a plugin file's text.
pub fn plugin_entries(path: &Path, text: &str) -> Result<PluginFileSyntax, JsError> {
    with_program(path, text, |program, text| {
        let lines = LineIndex::new(text);
        let s = scan(program);
        PluginFileSyntax {
            entries: s
                .found
                .iter()
                .map(|f| {
                    let (line, column) = lines.line_col(text, f.key_start);
                    EntrySyntax {
                        name: f.name.clone(),
                        line,
                        column,
                        shape: shape_of(f, &lines, text),
                    }
                })
                .collect(),
        }
    })
}

/// Reads a plugin file (with eggsec's size/binary/UTF-8 checks) and returns its text and entries.
pub fn read_plugin_entries(path: &Path) -> Result<(String, PluginFileSyntax), JsError> {
    let text = source::read_text(path, &Limits::default())?;
    let entries = plugin_entries(path, &text)?;
    Ok((text, entries))
}

/// Edits that make every plugin in `names` disabled by this file: an existing entry's switch is
/// set to `false` (a literal `true` becomes `false`; an object gains `enable: false`), and a
/// plugin with no entry gets one added in the file's own style. Entries already disabled need
/// no edit. Edits do not overlap; apply them with [`apply`].
pub fn plan_disable(path: &Path, text: &str, names: &[&str]) -> Result<Vec<TextEdit>, JsError> {
    if crate::config_edit::exports_through_function(path, text)? {
        return plan_disable_in_function(path, text, names);
    }
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let esm_or_ts = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("ts" | "mts" | "mjs")
    );
    let planned = with_program(path, text, move |program, text| {
        let s = scan(program);
        let mut edits = Vec::new();
        let mut missing = Vec::new();
        for name in &names {
            match s.found.iter().rev().find(|f| &f.name == name) {
                Some(f) => disable_entry(f, text, &mut edits),
                None => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() {
            match &s.container {
                Container::Object(o) => add_to_object(o, text, &missing, &mut edits),
                Container::Statements { prefix, semicolon } => {
                    append_statements(text, prefix, *semicolon, &missing, &mut edits)
                }
                Container::Unknown if !esm_or_ts && !program.source_type.is_module() => {
                    append_statements(text, "exports", true, &missing, &mut edits)
                }
                Container::Unknown => return Err(missing),
            }
        }
        Ok(edits)
    })?;
    planned.map_err(|missing| JsError::Internal {
        path: path.to_path_buf(),
        message: format!(
            "cannot tell where this plugin file declares its plugins; add `{}: false` to it by hand",
            missing.join(": false`, `")
        ),
    })
}

/// `module.exports = () => ({...})` and the like: `exports.x` lines would be dead, so each
/// plugin's `enable: false` is set in the object the function returns (one whole-file edit).
fn plan_disable_in_function(
    path: &Path,
    text: &str,
    names: &[&str],
) -> Result<Vec<TextEdit>, JsError> {
    use crate::config_edit::{plan_set, written_value, SetResult};
    let mut out = text.to_string();
    for name in names {
        if written_value(path, &out, &[name.to_string()])?.as_deref() == Some("false") {
            continue;
        }
        let key = [name.to_string(), "enable".to_string()];
        match plan_set(path, &out, &key, "false")? {
            SetResult::Edits(e) => out = apply(&out, &e),
            SetResult::Unchanged => {}
            SetResult::Refused(why) => {
                return Err(JsError::Internal {
                    path: path.to_path_buf(),
                    message: format!(
                        "cannot disable `{name}` here: {why}; add `{name}: false` by hand"
                    ),
                })
            }
        }
    }
    if out == text {
        return Ok(Vec::new());
    }
    Ok(vec![TextEdit {
        start: 0,
        end: text.len(),
        text: out,
    }])
}

/// Whether the plugin file switches `name` off (`name: false` or `name.enable: false`) in the
/// object it really exports, when that object is returned by a function.
pub fn disabled_in_function(path: &Path, text: &str, name: &str) -> Result<bool, JsError> {
    use crate::config_edit::written_value;
    Ok(
        written_value(path, text, &[name.to_string()])?.as_deref() == Some("false")
            || written_value(path, text, &[name.to_string(), "enable".to_string()])?.as_deref()
                == Some("false"),
    )
}

fn disable_entry(f: &Found<'_>, text: &str, edits: &mut Vec<TextEdit>) {
    let value = f.value.get_inner_expression();
    let span = f.value.span();
    let replace = |edits: &mut Vec<TextEdit>, span: Span, with: String| {
        edits.push(TextEdit {
            start: span.start as usize,
            end: span.end as usize,
            text: with,
        })
    };
    if f.enable_override {
        if bool_of(value) != Some(false) {
            replace(edits, span, "false".into());
        }
        return;
    }
    match value {
        Expression::BooleanLiteral(b) => {
            if b.value {
                replace(edits, b.span, "false".into());
            }
        }
        Expression::ObjectExpression(o) => {
            let enable = o.properties.iter().rev().find_map(|p| match p {
                ObjectPropertyKind::ObjectProperty(p)
                    if key_name(&p.key).as_deref() == Some("enable") =>
                {
                    Some(p)
                }
                _ => None,
            });
            match enable {
                Some(p) if bool_of(&p.value) == Some(false) => {}
                Some(p) if p.shorthand => replace(edits, p.span, "enable: false".into()),
                Some(p) => replace(edits, p.value.span(), "false".into()),
                None => {
                    let open = o.span.start as usize + 1;
                    let Some(first) = o.properties.first() else {
                        replace(edits, o.span, "{ enable: false }".into());
                        return;
                    };
                    let first_start = first.span().start as usize;
                    let between = text.get(open..first_start).unwrap_or("");
                    let insert = if between.contains('\n') {
                        format!("\n{}enable: false,", indent_of(text, first_start))
                    } else {
                        " enable: false,".into()
                    };
                    edits.push(TextEdit {
                        start: open,
                        end: open,
                        text: insert,
                    });
                }
            }
        }
        _ => {
            let src = text
                .get(span.start as usize..span.end as usize)
                .unwrap_or("");
            match f.shorthand {
                Some(prop) => replace(
                    edits,
                    prop,
                    format!("{}: {{ ...{}, enable: false }}", f.name, f.name),
                ),
                None => replace(edits, span, format!("{{ ...({src}), enable: false }}")),
            }
        }
    }
}

/// The whitespace that starts the line holding `offset`.
pub(crate) fn indent_of(text: &str, offset: usize) -> String {
    let line_start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

pub(crate) fn object_key(name: &str) -> String {
    if is_identifier(name) {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn add_to_object(
    o: &ObjectExpression<'_>,
    text: &str,
    names: &[String],
    edits: &mut Vec<TextEdit>,
) {
    let Some(last) = o.properties.last() else {
        let body: Vec<String> = names
            .iter()
            .map(|n| format!("  {}: false,\n", object_key(n)))
            .collect();
        edits.push(TextEdit {
            start: o.span.start as usize,
            end: o.span.end as usize,
            text: format!("{{\n{}}}", body.concat()),
        });
        return;
    };
    let last_end = last.span().end as usize;
    let close = o.span.end as usize - 1;
    let after = text.get(last_end..close).unwrap_or("");
    let comma_at = after
        .char_indices()
        .find(|(_, c)| !c.is_whitespace())
        .filter(|(_, c)| *c == ',')
        .map(|(i, _)| last_end + i);
    let multiline = after.contains('\n');
    if !multiline {
        let list: Vec<String> = names
            .iter()
            .map(|n| format!("{}: false", object_key(n)))
            .collect();
        let (at, text) = match comma_at {
            Some(c) => (c + 1, format!(" {},", list.join(", "))),
            None => (last_end, format!(", {}", list.join(", "))),
        };
        edits.push(TextEdit {
            start: at,
            end: at,
            text,
        });
        return;
    }
    let indent = indent_of(text, last.span().start as usize);
    let trailing = comma_at.is_some();
    if !trailing {
        edits.push(TextEdit {
            start: last_end,
            end: last_end,
            text: ",".into(),
        });
    }
    // After the rest of the last property's line (a trailing comment stays with it).
    let from = comma_at.map_or(last_end, |c| c + 1);
    let eol = text[from..close].find('\n').map_or(close, |i| from + i);
    let mut insert = String::new();
    for (i, n) in names.iter().enumerate() {
        let comma = if trailing || i + 1 < names.len() {
            ","
        } else {
            ""
        };
        insert.push_str(&format!("\n{indent}{}: false{comma}", object_key(n)));
    }
    edits.push(TextEdit {
        start: eol,
        end: eol,
        text: insert,
    });
}

fn append_statements(
    text: &str,
    prefix: &str,
    semicolon: bool,
    names: &[String],
    edits: &mut Vec<TextEdit>,
) {
    let mut insert = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        insert.push('\n');
    }
    let semi = if semicolon { ";" } else { "" };
    for n in names {
        if is_identifier(n) {
            insert.push_str(&format!("{prefix}.{n} = false{semi}\n"));
        } else {
            insert.push_str(&format!("{prefix}[{}] = false{semi}\n", object_key(n)));
        }
    }
    edits.push(TextEdit {
        start: text.len(),
        end: text.len(),
        text: insert,
    });
}

/// The text of a new plugin file that disables `names` (for `config/plugin.<env>.js` when it
/// does not exist yet): CommonJS `exports.x = false;`, or `export default {...}` for TS/ESM.
pub fn new_plugin_file(path: &Path, esm: bool, names: &[&str]) -> String {
    let ts = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("ts" | "mts")
    );
    let mut out = String::new();
    if ts || esm {
        out.push_str("export default {\n");
        for n in names {
            out.push_str(&format!("  {}: false,\n", object_key(n)));
        }
        out.push_str("};\n");
    } else {
        out.push_str("'use strict';\n\n");
        for n in names {
            if is_identifier(n) {
                out.push_str(&format!("exports.{n} = false;\n"));
            } else {
                out.push_str(&format!("exports[{}] = false;\n", object_key(n)));
            }
        }
    }
    out
}

/// Applies non-overlapping edits (in any order; insertions at one offset keep their order).
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<(usize, &TextEdit)> = edits.iter().enumerate().collect();
    sorted.sort_by(|(ia, a), (ib, b)| a.start.cmp(&b.start).then(ia.cmp(ib)));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (_, e) in sorted {
        let start = e.start.clamp(at, text.len());
        out.push_str(&text[at..start]);
        out.push_str(&e.text);
        at = e.end.clamp(start, text.len());
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disable(file: &str, text: &str, names: &[&str]) -> String {
        let edits = plan_disable(Path::new(file), text, names).unwrap();
        apply(text, &edits)
    }

    #[test]
    fn exports_dot_style() {
        let text = "'use strict';\n\n/** view engine */\nexports.view = true;\nexports.mysql = {\n  enable: true, // prod DB\n  package: 'egg-mysql',\n};\nexports.cors = { package: 'egg-cors' }\n";
        let out = disable(
            "plugin.js",
            text,
            &["view", "mysql", "cors", "jsonp", "@scope/x"],
        );
        assert_eq!(
            out,
            "'use strict';\n\n/** view engine */\nexports.view = false;\nexports.mysql = {\n  enable: false, // prod DB\n  package: 'egg-mysql',\n};\nexports.cors = { enable: false, package: 'egg-cors' }\nexports.jsonp = false;\nexports['@scope/x'] = false;\n"
        );
        // Idempotent: a second run changes nothing.
        assert!(plan_disable(
            Path::new("plugin.js"),
            &out,
            &["view", "mysql", "cors", "jsonp"]
        )
        .unwrap()
        .is_empty());
    }

    #[test]
    fn object_styles_keep_comments_and_commas() {
        let text = "module.exports = {\n  // sessions for the admin\n  session: true,\n  static: {\n    enable: true,\n  },\n  cors: { package: 'egg-cors' } // api\n};\n";
        let out = disable("plugin.js", text, &["static", "i18n", "jsonp"]);
        assert_eq!(
            out,
            "module.exports = {\n  // sessions for the admin\n  session: true,\n  static: {\n    enable: false,\n  },\n  cors: { package: 'egg-cors' }, // api\n  i18n: false,\n  jsonp: false\n};\n"
        );
        let ts = "import { EggPlugin } from 'egg';\nconst plugin: EggPlugin = {\n  static: true,\n};\nexport default plugin;\n";
        assert_eq!(
            disable("plugin.ts", ts, &["static", "view"]),
            "import { EggPlugin } from 'egg';\nconst plugin: EggPlugin = {\n  static: false,\n  view: false,\n};\nexport default plugin;\n"
        );
        let esm = "export default { static: true };\n";
        assert_eq!(
            disable("plugin.js", esm, &["i18n"]),
            "export default { static: true, i18n: false };\n"
        );
        let empty = "module.exports = {};\n";
        assert_eq!(
            disable("plugin.js", empty, &["view"]),
            "module.exports = {\n  view: false,\n};\n"
        );
    }

    #[test]
    fn opaque_values_and_overrides() {
        let text = "const base = require('./base');\nexports.redis = base.redis;\nexports.static.enable = true;\n";
        assert_eq!(
            disable("plugin.js", text, &["redis", "static"]),
            "const base = require('./base');\nexports.redis = { ...(base.redis), enable: false };\nexports.static.enable = false;\n"
        );
        assert_eq!(
            disable("plugin.js", "", &["view"]),
            "exports.view = false;\n"
        );
        let err = plan_disable(
            Path::new("plugin.js"),
            "export const x = 1;\nimport y from 'y';\nexport default y;\n",
            &["view"],
        )
        .unwrap_err();
        assert!(err.to_string().contains("by hand"), "{err}");
    }

    #[test]
    fn entries_report_keys_and_lines() {
        let text = "exports.mysql = {\n  enabled: false,\n  package: 'egg-mysql',\n};\nexports.view = false;\n";
        let f = plugin_entries(Path::new("plugin.js"), text).unwrap();
        let mysql = f.entry("mysql").unwrap();
        assert_eq!((mysql.line, mysql.column), (1, 1));
        let EntryShape::Object(keys) = &mysql.shape else {
            panic!()
        };
        assert_eq!(keys[0].name, "enabled");
        assert_eq!(keys[0].bool_value, Some(false));
        assert_eq!(keys[0].line, 2);
        assert_eq!(f.entry("view").unwrap().shape, EntryShape::Bool(false));
        assert!(plugin_entries(Path::new("plugin.js"), "exports.x = {").is_err());
    }

    #[test]
    fn a_default_export_is_the_plugin_object_named_exports_are_not_entries() {
        // blog-server's config/plugin.ts: egg's loader takes `default` of an ES module
        let text = "import { EggPlugin } from 'egg';\n\nexport const plugin: EggPlugin = {\n  static: true,\n  mongoose: {\n    enable: true,\n    package: 'egg-mongoose',\n  },\n};\n\nexport default plugin;\n";
        let f = plugin_entries(Path::new("plugin.ts"), text).unwrap();
        let names: Vec<&str> = f.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["static", "mongoose"]);
        assert_eq!(f.entry("static").unwrap().line, 4);
        // look-alike: named exports with no default export are the entries
        let text = "export const mongoose = { enable: true, package: 'egg-mongoose' };\nexport const view = false;\n";
        let f = plugin_entries(Path::new("plugin.ts"), text).unwrap();
        let names: Vec<&str> = f.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["mongoose", "view"]);
    }

    #[test]
    fn compiled_es_modules_are_read_through_their_default_like_egg_does() {
        // blog-server's config/plugin.ts after its own `npm run tsc`: egg's loader takes
        // `default` of a module flagged `__esModule`
        let text = "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\nexports.plugin = {\n    static: true,\n    logrotator: {\n        enable: true,\n        package: 'egg-logrotator',\n    },\n};\nexports.default = exports.plugin;\n";
        let f = plugin_entries(Path::new("plugin.js"), text).unwrap();
        let names: Vec<&str> = f.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["static", "logrotator"]);
        assert_eq!(f.entry("logrotator").unwrap().line, 5);
        // disabling edits the object egg reads, not a statement egg ignores
        let out = disable("plugin.js", text, &["static", "jsonp"]);
        let f = plugin_entries(Path::new("plugin.js"), &out).unwrap();
        assert_eq!(f.entry("static").unwrap().shape, EntryShape::Bool(false));
        assert!(f.entry("jsonp").is_some(), "{out}");
        assert!(!out.contains("exports.jsonp"), "{out}");
        // babel's shape: a `_default` variable, `exports.default = void 0` first
        let text = "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", {\n  value: true\n});\nexports.default = void 0;\nconst _default = {\n  mysql: { enable: true, package: 'egg-mysql' }\n};\nexports.default = _default;\n";
        let f = plugin_entries(Path::new("plugin.js"), text).unwrap();
        let names: Vec<&str> = f.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["mysql"]);
        // look-alike: without the `__esModule` flag egg takes the exports as they are
        let text = "exports.mysql = { enable: true, package: 'egg-mysql' };\nexports.default = { view: false };\n";
        let f = plugin_entries(Path::new("plugin.js"), text).unwrap();
        let names: Vec<&str> = f.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["mysql", "default"]);
    }

    #[test]
    fn function_form_files_edit_the_returned_object() {
        // The `exports.view` line is dead once module.exports is reassigned: never edited.
        let text = "exports.view = true;\nmodule.exports = () => ({\n  static: true,\n  mysql: { package: 'egg-mysql' },\n});\n";
        let out = disable("plugin.js", text, &["static", "mysql", "jsonp"]);
        assert_eq!(
            out,
            "exports.view = true;\nmodule.exports = () => ({\n  static: {\n    enable: false,\n  },\n  mysql: { package: 'egg-mysql', enable: false },\n  jsonp: {\n    enable: false,\n  },\n});\n"
        );
        for n in ["static", "mysql", "jsonp"] {
            assert!(
                disabled_in_function(Path::new("plugin.js"), &out, n).unwrap(),
                "{n}"
            );
        }
        assert!(
            plan_disable(Path::new("plugin.js"), &out, &["static", "mysql", "jsonp"])
                .unwrap()
                .is_empty()
        );
        let ts = "import { EggPlugin } from 'egg';\nexport default (): EggPlugin => {\n  return { static: false };\n};\n";
        assert_eq!(disable("plugin.ts", ts, &["static"]), ts);
    }

    #[test]
    fn new_files() {
        assert_eq!(
            new_plugin_file(Path::new("config/plugin.prod.js"), false, &["view"]),
            "'use strict';\n\nexports.view = false;\n"
        );
        assert_eq!(
            new_plugin_file(Path::new("config/plugin.prod.ts"), false, &["view"]),
            "export default {\n  view: false,\n};\n"
        );
    }
}
