//! Secret detection by config key name and masking for display (`eggsec config` output and
//! reports never show a secret unless asked).

/// Masks a secret: the first 2 and last 2 characters are kept (`ab****yz`); strings of 8
/// characters or fewer are masked fully (`****`).
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 8 {
        return "****".into();
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}****{tail}")
}

/// Whether a config key names a secret value: passwords (`password`, `passwd`, `pwd`, `pass`),
/// `secret`, `token`, egg's `keys`, a `dsn`, credentials, and names ending in `Key`, `Secret`,
/// `Token`, `Password` (`accessKey`, `apiKey`, `privateKey`, `clientSecret`, `authToken`).
/// Names that merely mention one (`tokenName`, `keyPrefix`, `secretName`, `headerName`,
/// `passThrough`, `maxKeys`) are not secrets: the last word of the name decides.
pub fn is_secret_key(key: &str) -> bool {
    let words = split_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    let whole = words.concat();
    if matches!(
        whole.as_str(),
        "keys" | "dsn" | "credentials" | "credential" | "passphrase" | "privatekey" | "accesskeyid"
    ) {
        return true;
    }
    // A bare `key` is a name (the session cookie's `key: 'EGG_SESS'`), not a secret.
    matches!(
        last.as_str(),
        "password"
            | "passwd"
            | "pwd"
            | "pass"
            | "secret"
            | "token"
            | "key"
            | "credential"
            | "credentials"
            | "dsn"
            | "apikey"
            | "secretkey"
            | "accesskey"
            | "privatekey"
    ) && !(words.len() == 1 && last == "key")
}

/// Splits camelCase, snake_case, kebab-case and dotted names into lower-case words.
fn split_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_two_and_two() {
        assert_eq!(mask("abcdefghyz"), "ab****yz");
        assert_eq!(mask("sk_live_1234abcd"), "sk****cd");
        assert_eq!(mask("short"), "****");
        assert_eq!(mask(""), "****");
        assert_eq!(mask("ééééééééé"), "éé****éé");
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
