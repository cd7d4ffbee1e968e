//! eggsec's integration tests: one test binary (fast linking on 2 cores), one module per area.

mod audit_expectations;
mod cli;
mod oracle;
mod oracle_support;
mod runtime_dump;
