//! `MW031` `absolute-url-from-host-header`: an absolute URL built from `ctx.host`/`ctx.origin`
//! (the `Host` or `X-Forwarded-Host` header) sent in an email or to an outbound request —
//! password-reset poisoning and callbacks to the attacker's host (issue 12 class 9).

use crate::util::report_mistakes_adjusted;
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::mistakes::MistakeKind;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct AbsoluteUrlFromHostHeader;

static META: RuleMeta = RuleMeta {
    code: "MW031",
    name: "absolute-url-from-host-header",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Links in emails and outbound calls use a configured origin, not the request's Host",
    docs: RuleDocs {
        what: r#"Finds a value read from the request's host — `ctx.host`, `ctx.hostname`, `ctx.origin`, `ctx.href`, `ctx.get('host')`, `ctx.get('x-forwarded-host')`, `ctx.headers.host`, `const { origin } = ctx` (through `this.ctx` in services, and through locals and `+=` in the same function) — handed to a mail sender (`transporter.sendMail(...)`, `ctx.service.mail.send(...)`, `app.mailer.sendMail(...)`: a callee whose path names `mail` and whose method sends) or to an outbound request (`ctx.curl`, `app.httpclient.request`, `fetch`, `axios`, `got`). A host URL handed to a service method (`ctx.service.notify.passwordReset(user, link)`) (or to a tegg `@Inject()`ed service's method, `this.notifyService.sendReset(link)`) is followed into the service's file: reported at the method's mail or outbound call that the parameter reaches (through locals), with the controller's lines as the first steps. With `config.proxy = true`, egg reads `ctx.host` from `X-Forwarded-Host` (`config.hostHeaders`) and `ctx.protocol` from `X-Forwarded-Proto`: the finding is medium. With `proxy` off, `ctx.host` is the `Host` header, which a front proxy usually fixes: the finding is low, with low confidence."#,
        why: r#"Anyone can send a password-reset request with `Host: evil.example` or `X-Forwarded-Host: evil.example`: the victim then gets a genuine email whose link points at the attacker, who receives the reset token when the victim clicks (password-reset poisoning). The same value in an outbound call sends the app's data — webhook secrets, keys, callback URLs a payment provider will call — to the attacker's host. `maxIpsCount` only limits `X-Forwarded-For`; nothing in egg checks the host."#,
        bad: r#"// config.proxy = true
async forgot() {
  const { ctx } = this;
  const token = crypto.randomBytes(24).toString('hex');
  const link = `${ctx.protocol}://${ctx.host}/reset?token=${token}`;
  await ctx.service.mail.send(ctx.request.body.email, 'Reset your password', link);
}"#,
        good: r#"// config/config.prod.js: config.siteUrl = 'https://app.example.com';
async forgot() {
  const { ctx, app } = this;
  const token = crypto.randomBytes(24).toString('hex');
  const link = `${app.config.siteUrl}/reset?token=${token}`;
  await ctx.service.mail.send(ctx.request.body.email, 'Reset your password', link);
}"#,
        fix: r#"Build absolute URLs from a configured origin (`config.siteUrl`, per environment) instead of the request's host; if several hosts are served, check `ctx.host` against an allow-list first (`if (!app.config.allowedHosts.includes(ctx.host)) ctx.throw(400)`). Behind a proxy, have the proxy overwrite `X-Forwarded-Host` (nginx: `proxy_set_header X-Forwarded-Host $host;` with `server_name` listing the real hosts)."#,
    },
};

impl Rule for AbsoluteUrlFromHostHeader {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let proxy = cx
            .app
            .config_at("proxy")
            .and_then(|v| v.truthy())
            .unwrap_or(false);
        let header = if proxy {
            "X-Forwarded-Host (config.proxy is on)"
        } else {
            "Host"
        };
        let adjust = |f: &mut eggsec_report::Finding| {
            if !proxy {
                f.severity = Severity::Low;
                f.confidence = Confidence::Low;
            }
        };
        report_mistakes_adjusted(
            cx,
            MistakeKind::HostHeaderUrlSentOut,
            |m| {
                format!(
                    "A URL built from the request's host goes out in an email or an outbound request in {}: a request with a forged {header} header points it at another host",
                    m.function
                )
            },
            adjust,
        );
        // handed to a service method that sends it (another file)
        let app = cx.app;
        let mut seen = std::collections::HashSet::new();
        for file in &app.code.files {
            for c in &file.facts.host_calls {
                // `ctx.service.mail.send(link)` is a mail sender itself: reported where it is
                let direct = file.facts.mistakes.iter().any(|m| {
                    m.kind == MistakeKind::HostHeaderUrlSentOut
                        && m.line == c.line
                        && m.column == c.column
                });
                if direct {
                    continue;
                }
                let target = match &c.class {
                    Some(class) => app.code.class_file(class),
                    None => app.code.service_file(&c.service),
                };
                let Some(si) = target else {
                    continue;
                };
                let callee = c.class.as_deref().unwrap_or(&c.service);
                let service = &app.code.files[si];
                for s in service
                    .facts
                    .host_param_sinks
                    .iter()
                    .filter(|s| s.function == c.method && s.param == c.arg)
                {
                    if !seen.insert((si, s.line, s.column)) {
                        continue;
                    }
                    let prov = eggsec_js::Provenance::new(
                        service.abs.to_string_lossy().into_owned(),
                        s.line,
                        s.column,
                    );
                    let evidence = vec![
                        format!("source {}:{}: {}", file.rel, c.source.0, c.source.1),
                        format!("step {}:{}: {}", file.rel, c.line, c.what),
                        format!("sink {}:{}: {}", service.rel, s.line, s.what),
                    ];
                    let f = cx.report(
                        &prov,
                        format!(
                            "A URL built from the request's host in {} ({}) goes out in an email or an outbound request in {}.{}: a request with a forged {header} header points it at another host",
                            c.function, file.rel, callee, s.function
                        ),
                        evidence,
                        META.docs.fix,
                    );
                    // the sink in the service, reached from this caller
                    f.set_identity(format!(
                        "sink {} in {} from {}",
                        s.what, s.function, c.function
                    ));
                    adjust(f);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn with_proxy(src: &str, proxy: bool) -> eggsec_app::AppModel {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("app/controller")).expect("mkdir");
        std::fs::write(dir.join("app/controller/home.js"), src).expect("write");
        let mut app = test_model_in(dir, serde_json::json!({ "proxy": proxy }));
        app.code = eggsec_app::routes::code_model(dir, &mut Vec::new());
        app
    }

    #[test]
    fn hits() {
        for src in [
            "exports.forgot = async ctx => { const link = `${ctx.protocol}://${ctx.host}/reset?t=1`; await ctx.service.mail.send(ctx.request.body.email, 'Reset', link); };",
            "const nodemailer = require('nodemailer');\nconst t = nodemailer.createTransport({});\nexports.invite = async ctx => { let url = 'https://'; url += ctx.get('X-Forwarded-Host'); await t.sendMail({ to: 'a@b.c', html: `<a href=\"${url}/join\">join</a>` }); };",
            "exports.ping = async ctx => { const res = await ctx.curl(ctx.origin + '/internal/notify', { method: 'POST' }); ctx.body = res.status; };",
            "class S { async notify() { const { origin } = this.ctx; await this.app.httpclient.request('https://pay.example/api', { data: { notifyUrl: origin + '/pay/cb' } }); } }\nmodule.exports = S;",
        ] {
            let f = run_rule(&AbsoluteUrlFromHostHeader, &with_proxy(src, true));
            assert_eq!(f.len(), 1, "{src}");
            assert_eq!(f[0].severity, Severity::Medium);
            assert!(f[0].evidence[0].starts_with("source "), "{:?}", f[0].evidence);
            assert!(f[0].evidence.last().unwrap().starts_with("sink "), "{:?}", f[0].evidence);
            // without proxy the Host header is usually fixed by the front proxy: low
            let f = run_rule(&AbsoluteUrlFromHostHeader, &with_proxy(src, false));
            assert_eq!(f.len(), 1, "{src}");
            assert_eq!(f[0].severity, Severity::Low);
        }
    }

    fn files(files: &[(&str, &str)]) -> eggsec_app::AppModel {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        for (rel, src) in files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, src).expect("write");
        }
        let mut app = test_model_in(dir, serde_json::json!({ "proxy": true }));
        app.code = eggsec_app::routes::code_model(dir, &mut Vec::new());
        app
    }

    #[test]
    fn handed_to_a_service_that_sends_it() {
        let svc = "const nodemailer = require('nodemailer');\nclass Notify {\n  async reset(user, link) {\n    const html = `<p>${user.name}</p><a href=\"${link}\">reset</a>`;\n    await this.app.transporter.sendMail({ to: user.email, html });\n  }\n  async changed(user, when) {\n    await this.app.transporter.sendMail({ to: user.email, text: when });\n  }\n  async signedIn(user, host) {\n    this.ctx.logger.info('sign-in from %s', host);\n    await this.app.transporter.sendMail({ to: user.email, text: 'New sign-in' });\n  }\n  async ping(url) {\n    await this.ctx.curl('https://hooks.example.com/in', { method: 'POST', data: { url } });\n  }\n}\nmodule.exports = Notify;";
        for ctl in [
            "exports.forgot = async ctx => { const link = `${ctx.origin}/reset?t=1`; await ctx.service.notify.reset(ctx.state.user, link); };",
            "class C { async forgot() { const { ctx } = this; let base = ctx.protocol + '://'; base += ctx.get('x-forwarded-host'); await this.service.notify.reset(ctx.state.user, base + '/reset'); } }\nmodule.exports = C;",
            "exports.hook = async ctx => { await ctx.service.notify.ping(ctx.origin + '/cb'); };",
        ] {
            let f = run_rule(
                &AbsoluteUrlFromHostHeader,
                &files(&[("app/service/notify.js", svc), ("app/controller/home.js", ctl)]),
            );
            assert_eq!(f.len(), 1, "{ctl}: {f:?}");
            assert!(f[0].evidence[0].starts_with("source app/controller/home.js:"), "{:?}", f[0].evidence);
            assert!(f[0].evidence[2].starts_with("sink app/service/notify.js:"), "{:?}", f[0].evidence);
            assert_eq!(f[0].severity, Severity::Medium);
        }
        for ctl in [
            // a configured origin
            "exports.forgot = async ctx => { const link = `${ctx.app.config.siteUrl}/reset?t=1`; await ctx.service.notify.reset(ctx.state.user, link); };",
            // the host goes to a parameter the service only logs
            "exports.signedIn = async ctx => { await ctx.service.notify.signedIn(ctx.state.user, ctx.host); };",
            // a service of another name
            "exports.forgot = async ctx => { await ctx.service.audit.reset(ctx.state.user, ctx.origin); };",
        ] {
            assert!(
                run_rule(
                    &AbsoluteUrlFromHostHeader,
                    &files(&[("app/service/notify.js", svc), ("app/controller/home.js", ctl)]),
                )
                .is_empty(),
                "{ctl}"
            );
        }
    }

    #[test]
    fn handed_to_an_injected_tegg_service() {
        let svc = "import { SingletonProto } from '@eggjs/tegg';\n@SingletonProto()\nexport class MailService {\n  async reset(to: string, link: string) {\n    await this.transport.sendMail({ to, text: `Reset: ${link}` });\n  }\n  async welcome(to: string, host: string) {\n    console.log(host);\n    await this.transport.sendMail({ to, text: 'Welcome' });\n  }\n}\n";
        let ctl = |body: &str| {
            format!("import {{ HTTPController, HTTPMethod, HTTPMethodEnum, Context, EggContext, Inject }} from '@eggjs/tegg';\nimport {{ MailService }} from './MailService';\n@HTTPController({{ path: '/a' }})\nexport class AController {{\n  @Inject()\n  private readonly mailService: MailService;\n  @HTTPMethod({{ method: HTTPMethodEnum.POST, path: '/f' }})\n  async f(@Context() ctx: EggContext) {{\n    {body}\n  }}\n}}\n")
        };
        let hit = ctl("await this.mailService.reset('a@b.c', `${ctx.origin}/reset?t=1`);");
        let f = run_rule(
            &AbsoluteUrlFromHostHeader,
            &files(&[
                ("app/module/a/MailService.ts", svc),
                ("app/module/a/AController.ts", &hit),
            ]),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].evidence[2].starts_with("sink app/module/a/MailService.ts:5"),
            "{:?}",
            f[0].evidence
        );
        for body in [
            "await this.mailService.welcome('a@b.c', ctx.host);",
            "await this.mailService.reset('a@b.c', ctx.app.config.siteUrl + '/reset');",
        ] {
            let quiet = ctl(body);
            assert!(
                run_rule(
                    &AbsoluteUrlFromHostHeader,
                    &files(&[
                        ("app/module/a/MailService.ts", svc),
                        ("app/module/a/AController.ts", &quiet),
                    ]),
                )
                .is_empty(),
                "{body}"
            );
        }
    }

    #[test]
    fn look_alikes_are_quiet() {
        for src in [
            // a configured origin
            "exports.forgot = async ctx => { const link = ctx.app.config.siteUrl + '/reset?t=1'; await ctx.service.mail.send(ctx.request.body.email, 'Reset', link); };",
            // the host only goes back to the same client
            "exports.info = async ctx => { ctx.body = { host: ctx.host, origin: ctx.origin }; };",
            "exports.go = async ctx => { ctx.redirect(ctx.origin + '/home'); };",
            // a logger is not an email
            "exports.log = async ctx => { ctx.logger.info('from %s', ctx.host); await ctx.service.mail.send('ops@x', 'hi', 'static'); };",
        ] {
            assert!(run_rule(&AbsoluteUrlFromHostHeader, &with_proxy(src, true)).is_empty(), "{src}");
        }
    }
}
