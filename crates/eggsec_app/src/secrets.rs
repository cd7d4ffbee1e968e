//! Secret detection by config key name and masking for display (`eggsec config` output and
//! reports never show a secret unless asked).

pub use eggsec_report::mask::{is_secret_key, mask};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_at_most_two_and_the_length() {
        assert_eq!(mask("abcdefghyz"), "****(10 chars)");
        assert_eq!(mask("sk_live_1234abcd"), "sk****(16 chars)");
        assert_eq!(mask("short"), "****(5 chars)");
        assert_eq!(mask(""), "****(0 chars)");
        assert_eq!(mask("éééééééééééééééé"), "éé****(16 chars)");
    }

    #[test]
    fn secret_key_names() {
        for k in [
            "password",
            "passwd",
            "pwd",
            "pass",
            "secret",
            "token",
            "keys",
            "accessKey",
            "apiKey",
            "privateKey",
            "api_key",
            "clientSecret",
            "authToken",
            "dsn",
            "credentials",
            "DB_PASSWORD",
            "appSecret",
            "accessKeyId",
            "secretKey",
            "refresh-token",
        ] {
            assert!(is_secret_key(k), "{k} should be secret");
        }
        for k in [
            "tokenName",
            "keyPrefix",
            "secretName",
            "headerName",
            "passThrough",
            "key",
            "maxKeys",
            "cookieName",
            "sessionName",
            "keyGenerator",
            "tokenExpiry",
            "keepAlive",
            "user",
            "host",
            "csrf",
        ] {
            assert!(!is_secret_key(k), "{k} should not be secret");
        }
    }
}
