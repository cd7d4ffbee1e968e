//! eggsec's integration tests: one test binary (fast linking on 2 cores), one module per area.

mod advisories_update;
mod audit_expectations;
mod cli;
mod code_rules;
mod corpus;
mod corpus_oracle;
mod deps;
mod egg41;
mod fix_proof;
mod fix_rules;
mod fix_write;
mod hostile;
mod html;
mod logs;
mod logs_watch;
mod npm_pack;
mod oracle;
mod oracle_support;
mod plugins_usage;
mod probe;
mod registry_net;
mod routes_oracle;
mod runtime_dump;
mod sarif_gh;
mod ux;
