//! Reachability of service methods: egg calls a service only through `ctx.service.<name>`
//! (`this.service.<name>` in controllers), so a method of `app/service/**` that no code of the
//! app names — through that chain, as a method of its own class, or by taking the service as
//! a value — is dead code, and a flow that starts in it never runs for a request.

use crate::routes::CodeModel;
use eggsec_js::uses::{UseKind, DYNAMIC, SYMBOL};
use std::collections::HashSet;

/// The service methods the app's code names.
#[derive(Clone, Debug, Default)]
pub struct ServiceRefs {
    /// `(service, method)` named through a `service` chain (`ctx.service.goods.deleteById` →
    /// `("goods", "deleteById")`), the service by its [`service_key`].
    called: HashSet<(String, String)>,
    /// Services taken whole as a value (`const s = ctx.service.goods`): every method may be
    /// called through the alias.
    whole: HashSet<String>,
    /// A service picked at run time (`ctx.service[name]`) or `ctx.service` taken as a value:
    /// any method may be called.
    dynamic: bool,
    /// Per file: the methods of its own class and the plain functions it names (`this.update()`
    /// → `update`, a bare `helper()` → `helper`).
    local: Vec<HashSet<String>>,
}

/// A service's loader name reduced for matching: lower case, no `_`/`-` (`goods_brand`,
/// `goodsBrand` → `goodsbrand`).
pub fn service_key(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl ServiceRefs {
    /// Reads the member uses of every file of `code` once.
    pub fn of(code: &CodeModel) -> Self {
        let mut out = ServiceRefs::default();
        for f in &code.files {
            let mut local = HashSet::new();
            for u in &f.facts.uses {
                let chain: Vec<&str> = std::iter::once(u.root.as_str())
                    .chain(u.path.iter().map(String::as_str))
                    .collect();
                // a method of the same class (`this.update()`), a plain function (`rm()`)
                match chain.as_slice() {
                    [f] => {
                        local.insert((*f).to_string());
                    }
                    [r, m] if matches!(*r, "this" | "that" | "self" | "_this") => {
                        local.insert((*m).to_string());
                    }
                    _ => {}
                }
                // a chain from a local that is not egg's `ctx`/`this`/`app` nor a model may
                // reach a service through an alias (`svc.goods.update` after
                // `const { service: svc } = this`): its last two names count
                let egg_root = matches!(chain[0], "ctx" | "this" | "app" | "that" | "self");
                if !egg_root && !chain.contains(&"model") {
                    if let [.., s, m] = chain.as_slice() {
                        out.called.insert((service_key(s), (*m).to_string()));
                    }
                }
                let Some(i) = chain.iter().position(|s| *s == "service") else {
                    continue;
                };
                let rest = &chain[i + 1..];
                match rest {
                    // `const { service } = this`: its uses are chains of their own
                    [] if u.kind == UseKind::Destructure => {}
                    [] => out.dynamic = true,
                    [s, ..] if *s == DYNAMIC || *s == SYMBOL => out.dynamic = true,
                    [s] => {
                        out.whole.insert(service_key(s));
                    }
                    [.., s, m] => {
                        if *m == DYNAMIC {
                            out.whole.insert(service_key(s));
                        } else {
                            out.called.insert((service_key(s), (*m).to_string()));
                        }
                    }
                }
            }
            out.local.push(local);
        }
        out
    }

    /// Whether the flow step at `line` of file `fi` lies in a method of a service under
    /// `app/service/` that nothing names (the method is [`crate::routes::CodeFile::function_at`]).
    pub fn dead_service_method(&self, code: &CodeModel, fi: usize, line: u32) -> bool {
        if self.dynamic {
            return false;
        }
        let Some(file) = code.files.get(fi) else {
            return false;
        };
        let Some(rest) = file.unit_rel().strip_prefix("app/service/") else {
            return false;
        };
        let stem = rest.rsplit_once('.').map_or(rest, |(s, _)| s);
        let service = service_key(stem.rsplit('/').next().unwrap_or(stem));
        if self.whole.contains(&service) {
            return false;
        }
        let Some(m) = file.function_at(line) else {
            return false;
        };
        if m.name.is_empty() || m.name.starts_with('<') {
            return false;
        }
        !self.called.contains(&(service, m.name.clone()))
            && !self.local.get(fi).is_some_and(|l| l.contains(&m.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(files: &[(&str, &str)]) -> (tempfile::TempDir, CodeModel) {
        let dir = tempfile::tempdir().unwrap();
        for (rel, src) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, src).unwrap();
        }
        let code = crate::routes::code_model(dir.path(), &mut Vec::new());
        (dir, code)
    }

    const SERVICE: &str = "const { Service } = require('egg');\nclass GoodsBrand extends Service {\n  async update(id) {\n    return id;\n  }\n  async deleteById(id) {\n    return id;\n  }\n  async helper(id) {\n    return id;\n  }\n  async both(id) {\n    return this.helper(id);\n  }\n}\nmodule.exports = GoodsBrand;\n";

    fn dead(controller: &str) -> Vec<&'static str> {
        let (_d, c) = code(&[
            ("app/service/goods_brand.js", SERVICE),
            ("app/controller/brand.js", controller),
        ]);
        let refs = ServiceRefs::of(&c);
        let fi = c
            .files
            .iter()
            .position(|f| f.rel == "app/service/goods_brand.js")
            .unwrap();
        [
            ("update", 4),
            ("deleteById", 7),
            ("helper", 10),
            ("both", 13),
        ]
        .into_iter()
        .filter(|(_, line)| refs.dead_service_method(&c, fi, *line))
        .map(|(n, _)| n)
        .collect()
    }

    #[test]
    fn named_methods_live_the_others_are_dead() {
        // `update` through ctx.service, `helper` through this.helper in its own class
        let ctl = "exports.a = async ctx => { await ctx.service.goodsBrand.update(1); };\nexports.b = async function () { await this.service.goodsBrand.both(2); };\n";
        assert_eq!(dead(ctl), ["deleteById"]);
    }

    #[test]
    fn a_destructured_service_names_its_methods() {
        let ctl = "exports.a = async function () { const { ctx, service } = this; await service.goodsBrand.deleteById(ctx.params.id); };\n";
        assert_eq!(dead(ctl), ["update", "both"]);
    }

    #[test]
    fn aliases_and_dynamic_names_keep_every_method() {
        for ctl in [
            "exports.a = async ctx => { const s = ctx.service.goodsBrand; await s.x(1); };\n",
            "exports.a = async ctx => { await ctx.service[ctx.query.s].update(1); };\n",
            "exports.a = async ctx => { const s = ctx.service; await s.goodsBrand.x(1); };\n",
            "exports.a = async ctx => { await ctx.service.goodsBrand[ctx.query.m](1); };\n",
        ] {
            assert!(dead(ctl).is_empty(), "{ctl}: {:?}", dead(ctl));
        }
    }
}
