//! What a function is called, for the visitors that report per function (flow, auth, mistakes,
//! ownership): a function takes the name of the method, property, `const`, `function` or
//! member it is bound to, keyed by where its value starts, and the class it sits in.
//!
//! One walk notes the names on the way down (`visit_method_definition` runs before the
//! function it holds is entered), so [`Namer::name_at`] is ready when the function is entered.

use oxc::ast::ast::*;
use oxc::span::GetSpan;

/// Function names by the start of the function's span, and the stack of enclosing classes.
#[derive(Debug, Default)]
pub(crate) struct Namer {
    /// by span start (a u32: Fx, not SipHash; every visitor fills one per file)
    names: rustc_hash::FxHashMap<u32, String>,
    classes: Vec<String>,
}

/// The name of a class's superclass when it is a plain identifier (`class A extends
/// AbstractController` → `AbstractController`): a class of another file whose methods `this.m()`
/// may reach.
pub(crate) fn superclass(it: &Class<'_>) -> Option<String> {
    match it.heritage.as_ref()?.expression.get_inner_expression() {
        Expression::Identifier(i) => Some(i.name.as_str().to_owned()),
        _ => None,
    }
}

impl Namer {
    /// A class is entered (an anonymous class counts with an empty name).
    pub(crate) fn enter_class(&mut self, it: &Class<'_>) {
        let name = it
            .id
            .as_ref()
            .map(|i| i.name.as_str().to_owned())
            .unwrap_or_default();
        self.classes.push(name);
    }

    pub(crate) fn leave_class(&mut self) {
        self.classes.pop();
    }

    /// The innermost enclosing class, if any.
    pub(crate) fn class(&self) -> Option<String> {
        self.classes.last().cloned()
    }

    pub(crate) fn in_class(&self) -> bool {
        !self.classes.is_empty()
    }

    /// `async show() {}` in a class.
    pub(crate) fn method(&mut self, it: &MethodDefinition<'_>) {
        if let Some(k) = it.key.static_name() {
            self.names.insert(it.value.span.start, k.to_string());
        }
    }

    /// `{ show: async () => {} }`, `{ async show() {} }`.
    pub(crate) fn property(&mut self, it: &ObjectProperty<'_>) {
        // no function starts where a literal, a name, an object or an array does (most
        // properties: config and schema objects): nothing to name
        if matches!(
            it.value,
            Expression::StringLiteral(_)
                | Expression::NumericLiteral(_)
                | Expression::BooleanLiteral(_)
                | Expression::NullLiteral(_)
                | Expression::BigIntLiteral(_)
                | Expression::RegExpLiteral(_)
                | Expression::TemplateLiteral(_)
                | Expression::Identifier(_)
                | Expression::ObjectExpression(_)
                | Expression::ArrayExpression(_)
        ) {
            return;
        }
        if let Some(k) = it.key.static_name() {
            self.names.insert(it.value.span().start, k.to_string());
        }
    }

    /// `function show() {}`: its own name unless a binding named it already.
    pub(crate) fn function(&mut self, it: &Function<'_>) {
        if let Some(id) = &it.id {
            self.names
                .entry(it.span.start)
                .or_insert_with(|| id.name.as_str().to_owned());
        }
    }

    /// `const show = async () => {}` / `const show = function () {}`.
    pub(crate) fn declarator(&mut self, it: &VariableDeclarator<'_>) {
        let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init) else {
            return;
        };
        let inner = init.get_inner_expression();
        if matches!(
            inner,
            Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)
        ) {
            self.names
                .insert(inner.span().start, id.name.as_str().to_owned());
        }
    }

    /// `exports.show = async ctx => {}`: whatever is assigned to a member takes its name.
    pub(crate) fn assignment(&mut self, it: &AssignmentExpression<'_>) {
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
            self.names.insert(
                it.right.get_inner_expression().span().start,
                m.property.name.as_str().to_owned(),
            );
        }
    }

    /// The name of the function whose span starts at `start` (`<anonymous>` when unnamed).
    pub(crate) fn name_at(&self, start: u32) -> String {
        self.names
            .get(&start)
            .cloned()
            .unwrap_or_else(|| "<anonymous>".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxc::allocator::Allocator;
    use oxc::ast_visit::{walk, Visit};
    use oxc::parser::Parser;
    use oxc::span::SourceType;
    use oxc::syntax::scope::ScopeFlags;

    /// Records `class.name` of every function entered, in source order.
    #[derive(Default)]
    struct Names {
        namer: Namer,
        seen: Vec<String>,
    }

    impl Names {
        fn enter(&mut self, start: u32) {
            let class = self.namer.class().unwrap_or_default();
            self.seen
                .push(format!("{class}.{}", self.namer.name_at(start)));
        }
    }

    impl<'a> Visit<'a> for Names {
        fn visit_class(&mut self, it: &Class<'a>) {
            self.namer.enter_class(it);
            walk::walk_class(self, it);
            self.namer.leave_class();
        }
        fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
            self.namer.method(it);
            walk::walk_method_definition(self, it);
        }
        fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
            self.namer.property(it);
            walk::walk_object_property(self, it);
        }
        fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
            self.namer.declarator(it);
            walk::walk_variable_declarator(self, it);
        }
        fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
            self.namer.assignment(it);
            walk::walk_assignment_expression(self, it);
        }
        fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
            self.namer.function(it);
            self.enter(it.span.start);
            walk::walk_function(self, it, flags);
        }
        fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
            self.enter(it.span.start);
            walk::walk_arrow_function_expression(self, it);
        }
    }

    fn names(src: &str) -> Vec<String> {
        let alloc = Allocator::default();
        let ret = Parser::new(&alloc, src, SourceType::mjs()).parse();
        assert!(ret.diagnostics.is_empty(), "{:?}", ret.diagnostics);
        let mut v = Names::default();
        v.visit_program(&ret.program);
        v.seen
    }

    #[test]
    fn every_binding_form_names_its_function() {
        let got = names(
            "class Home { async show() { return () => 1; } }\n\
             const list = async ctx => {};\n\
             const edit = function named() {};\n\
             function remove() {}\n\
             exports.create = async function () {};\n\
             module.exports = { update: async () => {}, async find() {} };\n",
        );
        assert_eq!(
            got,
            [
                "Home.show",
                "Home.<anonymous>",
                ".list",
                ".edit",
                ".remove",
                ".create",
                ".update",
                ".find",
            ]
        );
    }

    #[test]
    fn a_property_names_the_function_its_value_starts_with_and_no_other() {
        let got = names(
            "module.exports = {\n\
               bound: function () {}.bind(this),\n\
               called: async () => {},\n\
               title: 'x', n: 1, on: true, none: null, re: /a/, t: `t`, id: other,\n\
               nested: { inner: () => 1 },\n\
               list: [() => 2],\n\
               wrapped: wrap(async () => {}),\n\
             };\n",
        );
        assert_eq!(
            got,
            [
                ".bound",
                ".called",
                ".inner",
                ".<anonymous>",
                ".<anonymous>"
            ]
        );
    }
}
