//! The rules, one file each: `rules/<strategy>/<rule_name>.rs`, where the file name is the
//! rule's kebab name with `_` (a test checks it, and that each file is in
//! [`crate::registry::RULES`]). Copy `csrf/csrf_disabled.rs` to start a new one.

pub mod updates {
    //! Review Egg.js core and plugin updates.
    pub mod egg_major_end_of_life;
    pub mod lockfile_missing;
    pub mod vulnerable_egg_package;
    // updates rules: add `pub mod` lines above this comment.
}

pub mod csrf {
    //! Enable and configure Egg.js CSRF protection.
    pub mod csrf_disabled;
    pub mod csrf_exemption_too_broad;
    pub mod csrf_ignore_json;
    pub mod csrf_session_token_off_with_session_auth;
    pub mod csrf_set_in_plugin_file;
    pub mod csrf_type_weaker_than_needed;
    // csrf rules: add `pub mod` lines above this comment.
}

pub mod headers {
    //! Implement security headers middleware in Egg.js.
    pub mod coop_not_set;
    pub mod csp_disabled;
    pub mod csp_missing_directive;
    pub mod csp_report_only;
    pub mod csp_weak_policy;
    pub mod hsts_disabled;
    pub mod hsts_max_age_too_short;
    pub mod nosniff_disabled;
    pub mod permissions_policy_not_set;
    pub mod referrer_policy_weak;
    pub mod security_default_middleware_trimmed;
    pub mod xframe_disabled;
    pub mod xss_protection_legacy_value;
    // headers rules: add `pub mod` lines above this comment.
}

pub mod plugins {
    //! Disable unnecessary Egg.js plugins.
    pub mod development_plugin_in_prod;
    pub mod plugin_enabled_not_installed;
    pub mod plugin_entry_misspelled_key;
    pub mod plugin_never_used;
    pub mod plugin_path_outside_repo;
    pub mod plugin_without_justification;
    pub mod security_plugin_disabled;
    // plugins rules: add `pub mod` lines above this comment.
}

pub mod builtin {
    //! Review and secure built-in Egg.js middleware configuration.
    pub mod body_parser_limit_too_large;
    pub mod config_for_disabled_plugin;
    pub mod cookie_set_with_weak_options;
    pub mod cookies_weakened;
    pub mod cors_credentials_with_any_origin;
    pub mod debug_enabled_in_prod;
    pub mod domain_white_list_empty_with_redirects;
    pub mod jsonp_without_csrf_or_referrer_check;
    pub mod keys_hard_coded_in_prod;
    pub mod keys_weak;
    pub mod multipart_dangerous_extensions;
    pub mod multipart_file_size_too_large;
    pub mod multipart_whitelist_accepts_all;
    pub mod proxy_without_max_ips_count;
    pub mod query_string_limits_raised;
    pub mod secret_hard_coded_in_config;
    pub mod session_cookie_not_http_only;
    pub mod session_cookie_not_secure;
    pub mod session_max_age_too_long;
    pub mod session_not_encrypted_or_signed;
    pub mod session_not_renewed_on_login;
    pub mod session_same_site_none_without_secure;
    pub mod static_serves_outside_public;
    // builtin rules: add `pub mod` lines above this comment.
}

pub mod errors {
    //! Secure error handling.
    pub mod catch_block_sends_error_details;
    pub mod development_error_page_in_prod;
    pub mod error_details_sent_to_client;
    pub mod error_handling_strategy_missing;
    // errors rules: add `pub mod` lines above this comment.
}

pub mod logging {
    //! Secure logging.
    pub mod console_logging_kept_in_prod;
    pub mod dump_ignore_misses_secret_keys;
    pub mod error_log_not_separated;
    pub mod log_dir_public;
    pub mod log_retention_outside_policy;
    pub mod logger_debug_in_prod;
    pub mod logrotator_disabled;
    pub mod sensitive_data_logged;
    // logging rules: add `pub mod` lines above this comment.
}

pub mod middleware {
    //! Secure custom middleware: request data flowing to dangerous sinks, routes without auth.
    pub mod absolute_url_from_host_header;
    pub mod authentication_weakened_in_code;
    pub mod code_eval_of_request_data;
    pub mod deep_merge_of_request_body;
    pub mod file_path_from_request;
    pub mod html_built_from_request;
    pub mod mass_assignment_from_request_body;
    pub mod middleware_input_not_validated;
    pub mod model_or_method_chosen_by_request;
    pub mod module_loaded_from_request;
    pub mod mongo_query_from_request_object;
    pub mod nosql_filter_from_body_field;
    pub mod open_redirect_from_request;
    pub mod outbound_request_to_request_url;
    pub mod record_accessed_without_owner_check;
    pub mod regexp_built_from_request;
    pub mod request_text_served_as_html;
    pub mod safe_curl_without_ssrf_config;
    pub mod shell_command_from_request;
    pub mod sql_built_from_request;
    pub mod state_changing_route_without_auth;
    pub mod stored_value_in_path_or_command;
    pub mod template_link_or_location_from_request;
    pub mod template_prints_request_data_raw;
    pub mod token_sent_to_request_url;
    // middleware rules: add `pub mod` lines above this comment.
}
