//! Config guards: the conditions on the app's config under which a line of code runs.
//!
//! Apps switch whole features by config: `if (app.config.verification_mode === 'jwt') { …
//! bearer token … } else { … ctx.session … }`. A rule that asks "does this app keep the user in
//! a session?" must not count the session branch when the effective config selects the other
//! one. [`guards_at`] lists, for a place in a file, every enclosing `if` whose test compares a
//! config value with a literal (`===`, `==`, `!==`, `!=`, the config read on either side), and
//! every earlier `if` of the same block whose branch always leaves (`if (mode === 'jwt') {
//! return … }` guards what follows it); the caller decides each against its config.
//!
//! ```
//! use eggsec_js::config_guard::{guards_at, Guard};
//! let src = "if (app.config.mode === 'jwt') {\n  a();\n} else {\n  ctx.session.user = u;\n}\n";
//! let g = guards_at(std::path::Path::new("x.js"), src, 4, 3).unwrap();
//! assert_eq!(g, vec![Guard { key: "mode".into(), literal: "jwt".into(), equal: false }]);
//! ```

use crate::error::JsError;
use crate::uses::{chain_of, on_large_stack, parse};
use oxc::allocator::Allocator;
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::span::{GetSpan, Span};
use std::path::Path;

/// The code runs only when `config.<key> == literal` is `equal` (the literal as JavaScript
/// prints it: `jwt`, `1`, `true`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The config path after `config.` (`verification_mode`, `auth.mode`).
    pub key: String,
    pub literal: String,
    pub equal: bool,
}

/// The config guards of the place at 1-based `line` and `column` (characters) of `text`,
/// outermost first. A place no node starts at gives the guards of the innermost statement
/// holding it.
pub fn guards_at(path: &Path, text: &str, line: u32, column: u32) -> Result<Vec<Guard>, JsError> {
    let Some(offset) = offset_of(text, line, column) else {
        return Ok(Vec::new());
    };
    on_large_stack(path, || {
        let alloc = Allocator::default();
        let program = parse(&alloc, path, text)?;
        let mut v = Finder {
            offset,
            stack: Vec::new(),
            found: None,
        };
        v.visit_program(&program);
        Ok(v.found.unwrap_or_default())
    })
}

/// The byte offset of a 1-based line and column in characters.
fn offset_of(text: &str, line: u32, column: u32) -> Option<u32> {
    let start = if line <= 1 {
        crate::eval::source::bom_len(text)
    } else {
        memchr::memchr_iter(b'\n', text.as_bytes()).nth(line as usize - 2)? + 1
    };
    let rest = text.get(start..)?;
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(rest.len(), |(i, _)| i);
    u32::try_from(start + within).ok()
}

struct Finder {
    offset: u32,
    /// Guards of the statements being visited (`None`: a condition that is not a config test,
    /// kept so that the stack pops in step).
    stack: Vec<Option<Guard>>,
    found: Option<Vec<Guard>>,
}

impl Finder {
    fn note(&mut self, start: u32) {
        if self.found.is_none() && start == self.offset {
            self.found = Some(self.stack.iter().flatten().cloned().collect());
        }
    }

    /// Whether the walk goes into a node at `span`: the place is not found yet and lies
    /// inside it (an empty node holds its start). Notes the node when it starts there.
    fn enters(&mut self, span: Span) -> bool {
        if self.found.is_some()
            || !(span.start..span.end.max(span.start + 1)).contains(&self.offset)
        {
            return false;
        }
        self.note(span.start);
        true
    }
}

/// `config.K == 'lit'` (either side, any of `===` `==` `!==` `!=`): the guard for the branch
/// the test is true in. A config read is a member chain with a `config` link (`app.config.K`,
/// `this.app.config.K`, `this.config.K`) or rooted at a variable named `config`.
fn config_test(test: &Expression<'_>) -> Option<Guard> {
    let Expression::BinaryExpression(b) = test.get_inner_expression() else {
        return None;
    };
    let equal = match b.operator {
        BinaryOperator::StrictEquality | BinaryOperator::Equality => true,
        BinaryOperator::StrictInequality | BinaryOperator::Inequality => false,
        _ => return None,
    };
    let (read, lit) = match (config_key(&b.left), literal(&b.right)) {
        (Some(k), Some(l)) => (k, l),
        _ => (config_key(&b.right)?, literal(&b.left)?),
    };
    Some(Guard {
        key: read,
        literal: lit,
        equal,
    })
}

fn config_key(e: &Expression<'_>) -> Option<String> {
    let e = e.get_inner_expression();
    if !e.is_member_expression() {
        return None;
    }
    let (root, path) = chain_of(e);
    let after = if root == "config" {
        &path[..]
    } else {
        let at = path.iter().position(|p| p == "config")?;
        &path[at + 1..]
    };
    if after.is_empty() || after.iter().any(|p| p == crate::uses::DYNAMIC) {
        return None;
    }
    Some(after.join("."))
}

fn literal(e: &Expression<'_>) -> Option<String> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        Expression::BooleanLiteral(b) => Some(b.value.to_string()),
        Expression::NumericLiteral(n) => Some(n.value.to_string()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() && t.quasis.len() == 1 => {
            t.quasis[0].value.cooked.as_ref().map(|c| c.to_string())
        }
        _ => None,
    }
}

fn negated(g: &Option<Guard>) -> Option<Guard> {
    g.as_ref().map(|g| Guard {
        equal: !g.equal,
        ..g.clone()
    })
}

impl<'a> Visit<'a> for Finder {
    fn visit_statements(&mut self, stmts: &oxc::allocator::Vec<'a, Statement<'a>>) {
        // an `if` with no else whose branch always leaves guards the rest of the block
        let depth = self.stack.len();
        for s in stmts {
            if self.found.is_some() || s.span().start > self.offset {
                break;
            }
            self.visit_statement(s);
            if let Statement::IfStatement(i) = s {
                if i.alternate.is_none() && crate::flow::exits(&i.consequent) {
                    let g = config_test(&i.test);
                    self.stack.push(negated(&g));
                }
            }
        }
        self.stack.truncate(depth);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        if !self.enters(it.span) {
            return;
        }
        self.visit_expression(&it.test);
        let g = config_test(&it.test);
        self.stack.push(g.clone());
        self.visit_statement(&it.consequent);
        self.stack.pop();
        if let Some(alt) = &it.alternate {
            self.stack.push(negated(&g));
            self.visit_statement(alt);
            self.stack.pop();
        }
    }

    fn visit_statement(&mut self, it: &Statement<'a>) {
        if !self.enters(it.span()) {
            return;
        }
        walk::walk_statement(self, it);
        // nothing inside starts at the place: the statement holding it answers
        if self.found.is_none() {
            self.found = Some(self.stack.iter().flatten().cloned().collect());
        }
    }

    fn visit_expression(&mut self, it: &Expression<'a>) {
        if self.enters(it.span()) {
            walk::walk_expression(self, it);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, needle: &str) -> Vec<Guard> {
        let off = src.find(needle).expect("needle");
        let line = src[..off].matches('\n').count() as u32 + 1;
        let col = (off - src[..off].rfind('\n').map_or(0, |i| i + 1)) as u32 + 1;
        guards_at(Path::new("x.js"), src, line, col).unwrap()
    }

    fn g(key: &str, literal: &str, equal: bool) -> Guard {
        Guard {
            key: key.into(),
            literal: literal.into(),
            equal,
        }
    }

    #[test]
    fn branches_of_a_config_test() {
        // egg-beehive's jurisdiction_handler.js
        let src = "module.exports = (o, app) => async (ctx, next) => {\n  if (app.config.verification_mode === 'jwt') {\n    const t = ctx.request.headers.authorization;\n  } else if (app.config.verification_mode === 'session') {\n    if (ctx.session && ctx.session.user) { ctx.user = ctx.session.user; }\n  } else {\n    return;\n  }\n};\n";
        assert_eq!(
            at(src, "ctx.request.headers"),
            vec![g("verification_mode", "jwt", true)]
        );
        assert_eq!(
            at(src, "ctx.session &&"),
            vec![
                g("verification_mode", "jwt", false),
                g("verification_mode", "session", true)
            ]
        );
    }

    #[test]
    fn an_early_return_guards_the_rest_of_its_block() {
        // egg-beehive's service/users.js
        let src = "async function login() {\n  if (this.app.config.verification_mode === 'jwt') {\n    return { token: 1 };\n  }\n  ctx.session.currentRequestData = data;\n  return {};\n}\n";
        assert_eq!(
            at(src, "ctx.session.current"),
            vec![g("verification_mode", "jwt", false)]
        );
        // look-alike: a branch that does not leave guards nothing after it
        let src = "async function login() {\n  if (app.config.mode === 'jwt') {\n    log();\n  }\n  ctx.session.user = u;\n}\n";
        assert_eq!(at(src, "ctx.session"), vec![]);
    }

    #[test]
    fn other_conditions_are_not_guards() {
        let src = "if (ctx.query.mode === 'jwt') {\n  ctx.session.a = 1;\n}\nif (config.debug !== true) { ctx.session.b = 2; }\nif (x) { if ('on' == this.config.auth.mode) { ctx.session.c = 3; } }\n";
        assert_eq!(at(src, "ctx.session.a"), vec![]);
        assert_eq!(at(src, "ctx.session.b"), vec![g("debug", "true", false)]);
        assert_eq!(at(src, "ctx.session.c"), vec![g("auth.mode", "on", true)]);
    }
}
