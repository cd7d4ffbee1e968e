//! The rule registry: a plain static list. Adding a rule = one file under
//! `rules/<strategy>/<rule_name>.rs`, one `pub mod` line in `rules/mod.rs`, one line here.

use crate::rules;
use crate::Rule;

/// Every rule, grouped by strategy in the seed document's order.
pub static RULES: &[&dyn Rule] = &[
    // updates
    &rules::updates::vulnerable_egg_package::VulnerableEggPackage,
    &rules::updates::egg_major_end_of_life::EggMajorEndOfLife,
    &rules::updates::lockfile_missing::LockfileMissing,
    // (updates rules go above this line)
    // plugins
    &rules::plugins::plugin_never_used::PluginNeverUsed,
    &rules::plugins::plugin_without_justification::PluginWithoutJustification,
    &rules::plugins::development_plugin_in_prod::DevelopmentPluginInProd,
    &rules::plugins::plugin_enabled_not_installed::PluginEnabledNotInstalled,
    &rules::plugins::plugin_entry_misspelled_key::PluginEntryMisspelledKey,
    &rules::plugins::security_plugin_disabled::SecurityPluginDisabled,
    &rules::plugins::plugin_path_outside_repo::PluginPathOutsideRepo,
    // (plugins rules go above this line)
    // middleware
    &rules::middleware::sql_built_from_request::SqlBuiltFromRequest,
    &rules::middleware::shell_command_from_request::ShellCommandFromRequest,
    &rules::middleware::code_eval_of_request_data::CodeEvalOfRequestData,
    &rules::middleware::html_built_from_request::HtmlBuiltFromRequest,
    &rules::middleware::file_path_from_request::FilePathFromRequest,
    &rules::middleware::open_redirect_from_request::OpenRedirectFromRequest,
    &rules::middleware::outbound_request_to_request_url::OutboundRequestToRequestUrl,
    &rules::middleware::regexp_built_from_request::RegexpBuiltFromRequest,
    &rules::middleware::mongo_query_from_request_object::MongoQueryFromRequestObject,
    &rules::middleware::deep_merge_of_request_body::DeepMergeOfRequestBody,
    &rules::middleware::state_changing_route_without_auth::StateChangingRouteWithoutAuth,
    &rules::middleware::middleware_input_not_validated::MiddlewareInputNotValidated,
    &rules::middleware::authentication_weakened_in_code::AuthenticationWeakenedInCode,
    &rules::middleware::module_loaded_from_request::ModuleLoadedFromRequest,
    &rules::middleware::safe_curl_without_ssrf_config::SafeCurlWithoutSsrfConfig,
    &rules::middleware::model_or_method_chosen_by_request::ModelOrMethodChosenByRequest,
    &rules::middleware::template_prints_request_data_raw::TemplatePrintsRequestDataRaw,
    &rules::middleware::nosql_filter_from_body_field::NosqlFilterFromBodyField,
    &rules::middleware::mass_assignment_from_request_body::MassAssignmentFromRequestBody,
    &rules::middleware::stored_value_in_path_or_command::StoredValueInPathOrCommand,
    &rules::middleware::token_sent_to_request_url::TokenSentToRequestUrl,
    &rules::middleware::absolute_url_from_host_header::AbsoluteUrlFromHostHeader,
    &rules::middleware::request_text_served_as_html::RequestTextServedAsHtml,
    &rules::middleware::template_link_or_location_from_request::TemplateLinkOrLocationFromRequest,
    &rules::middleware::record_accessed_without_owner_check::RecordAccessedWithoutOwnerCheck,
    // (middleware rules go above this line)
    // builtin
    &rules::builtin::keys_weak::KeysWeak,
    &rules::builtin::keys_hard_coded_in_prod::KeysHardCodedInProd,
    &rules::builtin::secret_hard_coded_in_config::SecretHardCodedInConfig,
    &rules::builtin::session_cookie_not_http_only::SessionCookieNotHttpOnly,
    &rules::builtin::session_not_encrypted_or_signed::SessionNotEncryptedOrSigned,
    &rules::builtin::session_max_age_too_long::SessionMaxAgeTooLong,
    &rules::builtin::session_same_site_none_without_secure::SessionSameSiteNoneWithoutSecure,
    &rules::builtin::session_cookie_not_secure::SessionCookieNotSecure,
    &rules::builtin::cookies_weakened::CookiesWeakened,
    &rules::builtin::body_parser_limit_too_large::BodyParserLimitTooLarge,
    &rules::builtin::query_string_limits_raised::QueryStringLimitsRaised,
    &rules::builtin::multipart_dangerous_extensions::MultipartDangerousExtensions,
    &rules::builtin::multipart_whitelist_accepts_all::MultipartWhitelistAcceptsAll,
    &rules::builtin::multipart_file_size_too_large::MultipartFileSizeTooLarge,
    &rules::builtin::static_serves_outside_public::StaticServesOutsidePublic,
    &rules::builtin::jsonp_without_csrf_or_referrer_check::JsonpWithoutCsrfOrReferrerCheck,
    &rules::builtin::cors_credentials_with_any_origin::CorsCredentialsWithAnyOrigin,
    &rules::builtin::proxy_without_max_ips_count::ProxyWithoutMaxIpsCount,
    &rules::builtin::domain_white_list_empty_with_redirects::DomainWhiteListEmptyWithRedirects,
    &rules::builtin::debug_enabled_in_prod::DebugEnabledInProd,
    &rules::builtin::config_for_disabled_plugin::ConfigForDisabledPlugin,
    &rules::builtin::session_not_renewed_on_login::SessionNotRenewedOnLogin,
    &rules::builtin::cookie_set_with_weak_options::CookieSetWithWeakOptions,
    // (builtin rules go above this line)
    // csrf
    &rules::csrf::csrf_disabled::CsrfDisabled,
    &rules::csrf::csrf_ignore_json::CsrfIgnoreJson,
    &rules::csrf::csrf_exemption_too_broad::CsrfExemptionTooBroad,
    &rules::csrf::csrf_type_weaker_than_needed::CsrfTypeWeakerThanNeeded,
    &rules::csrf::csrf_set_in_plugin_file::CsrfSetInPluginFile,
    &rules::csrf::csrf_session_token_off_with_session_auth::CsrfSessionTokenOffWithSessionAuth,
    // (csrf rules go above this line)
    // headers
    &rules::headers::hsts_disabled::HstsDisabled,
    &rules::headers::hsts_max_age_too_short::HstsMaxAgeTooShort,
    &rules::headers::csp_disabled::CspDisabled,
    &rules::headers::csp_report_only::CspReportOnly,
    &rules::headers::csp_weak_policy::CspWeakPolicy,
    &rules::headers::csp_missing_directive::CspMissingDirective,
    &rules::headers::xframe_disabled::XframeDisabled,
    &rules::headers::nosniff_disabled::NosniffDisabled,
    &rules::headers::referrer_policy_weak::ReferrerPolicyWeak,
    &rules::headers::security_default_middleware_trimmed::SecurityDefaultMiddlewareTrimmed,
    &rules::headers::xss_protection_legacy_value::XssProtectionLegacyValue,
    &rules::headers::permissions_policy_not_set::PermissionsPolicyNotSet,
    &rules::headers::coop_not_set::CoopNotSet,
    // (headers rules go above this line)
    // errors
    &rules::errors::error_details_sent_to_client::ErrorDetailsSentToClient,
    &rules::errors::development_error_page_in_prod::DevelopmentErrorPageInProd,
    &rules::errors::error_handling_strategy_missing::ErrorHandlingStrategyMissing,
    &rules::errors::catch_block_sends_error_details::CatchBlockSendsErrorDetails,
    // (errors rules go above this line)
    // logging
    &rules::logging::logger_debug_in_prod::LoggerDebugInProd,
    &rules::logging::logrotator_disabled::LogrotatorDisabled,
    &rules::logging::log_dir_public::LogDirPublic,
    &rules::logging::dump_ignore_misses_secret_keys::DumpIgnoreMissesSecretKeys,
    &rules::logging::sensitive_data_logged::SensitiveDataLogged,
    &rules::logging::log_retention_outside_policy::LogRetentionOutsidePolicy,
    &rules::logging::error_log_not_separated::ErrorLogNotSeparated,
    &rules::logging::console_logging_kept_in_prod::ConsoleLoggingKeptInProd,
    // (logging rules go above this line)
];

/// Finds a rule by its code (`CSRF001`, case-insensitive) or its name (`csrf-disabled`).
pub fn find_rule(id_or_name: &str) -> Option<&'static dyn Rule> {
    let wanted = id_or_name.trim();
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(wanted) || r.meta().name == wanted)
}
