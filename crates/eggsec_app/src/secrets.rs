//! Secret detection by config key name and masking for display (`eggsec config` output and
//! reports never show a secret unless asked).

pub use eggsec_report::mask::{is_secret_key, mask};
// Tested where they are defined: eggsec_report::mask.
