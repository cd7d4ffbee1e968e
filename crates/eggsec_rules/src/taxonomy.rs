//! CWE and OWASP Top 10 (2021) tags of every rule, from `data/taxonomy.tsv` (a rule not listed
//! there gets its strategy's row). SARIF carries them as `external/cwe/cwe-89` and
//! `external/owasp/owasp-a03` tags, the way GitHub code scanning filters them.

use eggsec_report::Strategy;

const TABLE: &str = include_str!("../data/taxonomy.tsv");

/// `(CWE ids, OWASP category like "A03")` for a rule code of `strategy`.
pub fn lookup(code: &str, strategy: Strategy) -> (Vec<u32>, &'static str) {
    let wanted_strategy = format!("*{}", strategy.as_str());
    let mut fallback = (Vec::new(), "");
    for line in TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut cols = line.split('\t');
        let (Some(key), Some(cwes), Some(owasp)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        let parsed = || {
            cwes.split(',')
                .filter_map(|c| c.trim().parse().ok())
                .collect::<Vec<u32>>()
        };
        if key.eq_ignore_ascii_case(code) {
            return (parsed(), owasp.trim());
        }
        if key == wanted_strategy {
            fallback = (parsed(), owasp.trim());
        }
    }
    fallback
}

/// The SARIF tags: `security`, the strategy, `external/cwe/cwe-N` per CWE and
/// `external/owasp/owasp-aNN`.
pub fn tags(code: &str, strategy: Strategy) -> Vec<String> {
    let (cwes, owasp) = lookup(code, strategy);
    let mut tags = vec!["security".to_string(), strategy.as_str().to_string()];
    tags.extend(cwes.iter().map(|c| format!("external/cwe/cwe-{c}")));
    if !owasp.is_empty() {
        tags.push(format!(
            "external/owasp/owasp-{}",
            owasp.to_ascii_lowercase()
        ));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses_and_names_a_rule() {
        for line in TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 3, "{line:?}");
            assert!(
                cols[0].starts_with('*') || crate::catalog::find(cols[0]).is_some(),
                "{} is not a rule",
                cols[0]
            );
            assert!(
                cols[1].split(',').all(|c| c.parse::<u32>().is_ok()),
                "{line:?}"
            );
            assert!(cols[2].starts_with('A') && cols[2].len() == 3, "{line:?}");
        }
        assert_eq!(
            tags("MW001", Strategy::Middleware),
            [
                "security",
                "middleware",
                "external/cwe/cwe-89",
                "external/owasp/owasp-a03"
            ]
        );
        assert!(tags("XYZ999", Strategy::Csrf).contains(&"external/cwe/cwe-352".to_string()));
    }
}
