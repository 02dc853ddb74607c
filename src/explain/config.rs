//! Configuration files for `s3cors explain`: CORSConfiguration XML, or YAML/JSON rules in the
//! case-file shape (`allowed_origins:` …) or the AWS CLI / console shape (`AllowedOrigins` …).

use crate::cors::{CorsConfiguration, CorsRule};
use crate::s3::S3Error;
use serde_json::Value;
use std::fmt;

/// Why a configuration file cannot be explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Neither XML nor YAML/JSON.
    Syntax(String),
    /// YAML/JSON, but not a list of rules in a shape we know (`rule 2: unknown key …`).
    Shape(String),
    /// A well-formed configuration that S3's PutBucketCors validation refuses.
    Rejected(S3Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Syntax(e) => write!(f, "not valid YAML or JSON: {e}"),
            ConfigError::Shape(e) => f.write_str(e),
            ConfigError::Rejected(e) => write!(
                f,
                "S3 would reject this configuration: {} ({})",
                e.message, e.code
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Parses a configuration file: XML when it starts with `<`, otherwise YAML (JSON included).
///
/// XML goes through S3's own validation; YAML/JSON rules are validated the same way so that a
/// configuration S3 would reject is reported instead of explained.
pub fn parse_config(text: &str) -> Result<CorsConfiguration, ConfigError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        return CorsConfiguration::from_xml(trimmed.as_bytes()).map_err(ConfigError::Rejected);
    }
    let value: Value =
        serde_saphyr::from_str(trimmed).map_err(|e| ConfigError::Syntax(e.to_string()))?;
    let rules = match &value {
        Value::Array(items) => items.as_slice(),
        Value::Object(map) => ["CORSRules", "rules", "cors"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_array))
            .map(Vec::as_slice)
            .ok_or_else(|| {
                ConfigError::Shape(
                    "expected a list of rules, or a map with `CORSRules:` or `rules:`".into(),
                )
            })?,
        _ => return Err(ConfigError::Shape("expected a list of rules".to_string())),
    };
    let rules = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            rule_from_value(r).map_err(|e| ConfigError::Shape(format!("rule {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let config = CorsConfiguration { rules };
    config.validate().map_err(ConfigError::Rejected)?;
    Ok(config)
}

/// One rule in either spelling: `allowed_origins` (case files) or `AllowedOrigins` /
/// `AllowedOrigin` (AWS CLI, console, CloudFormation). A single string counts as a list of one.
fn rule_from_value(v: &Value) -> Result<CorsRule, String> {
    let map = v.as_object().ok_or("expected a map")?;
    let mut rule = CorsRule::default();
    for (key, val) in map {
        let norm: String = key
            .chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        let list = || -> Result<Vec<String>, String> {
            match val {
                Value::String(s) => Ok(vec![s.clone()]),
                Value::Array(items) => items
                    .iter()
                    .map(|i| scalar(i).ok_or(format!("`{key}` must list strings")))
                    .collect(),
                _ => Err(format!("`{key}` must be a list of strings")),
            }
        };
        match norm.trim_end_matches('s') {
            "allowedorigin" => rule.allowed_origins = list()?,
            "allowedmethod" => rule.allowed_methods = list()?,
            "allowedheader" => rule.allowed_headers = list()?,
            "exposeheader" => rule.expose_headers = list()?,
            "id" => rule.id = Some(scalar(val).ok_or("`ID` must be a string")?),
            "maxagesecond" => {
                rule.max_age_seconds = Some(
                    scalar(val)
                        .and_then(|s| s.parse().ok())
                        .ok_or("`MaxAgeSeconds` must be an integer")?,
                )
            }
            _ => return Err(format!("unknown key `{key}`")),
        }
    }
    Ok(rule)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_rules_in_both_spellings() {
        let case = "- allowed_origins: [http://localhost:8000]\n  allowed_methods: [GET, HEAD]\n  expose_headers: [ETag]\n  max_age_seconds: 3000\n";
        let c = parse_config(case).unwrap_or_default();
        assert_eq!(c.rules.len(), 1);
        assert_eq!(c.rules[0].max_age_seconds, Some(3000));
        let aws = r#"{"CORSRules": [{"AllowedOrigins": ["http://a"], "AllowedMethods": ["GET"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 5, "ID": "x"}]}"#;
        let c = parse_config(aws).unwrap_or_default();
        assert_eq!(c.rules[0].expose_headers, vec!["ETag"]);
        assert_eq!(c.rules[0].id.as_deref(), Some("x"));
    }

    #[test]
    fn unknown_keys_are_shape_errors_naming_the_rule() {
        assert_eq!(
            parse_config("- allowed_origins: [a]\n  bogus: 1\n"),
            Err(ConfigError::Shape("rule 1: unknown key `bogus`".into()))
        );
        assert!(matches!(
            parse_config("just text"),
            Err(ConfigError::Shape(_))
        ));
        assert!(matches!(
            parse_config("- [unclosed"),
            Err(ConfigError::Syntax(_))
        ));
    }

    #[test]
    fn s3_validation_applies_to_yaml_rules_too() {
        let Err(ConfigError::Rejected(e)) =
            parse_config("- allowed_origins: [a]\n  allowed_methods: [get]\n")
        else {
            panic!("a lower-case method must be refused as S3 refuses it");
        };
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidRequest"));
        assert_eq!(
            e.message,
            "Found unsupported HTTP method in CORS config. Unsupported method is get"
        );
        let xml = "<CORSConfiguration><CORSRule><AllowedOrigin>a</AllowedOrigin>\
                   <AllowedMethod>get</AllowedMethod></CORSRule></CORSConfiguration>";
        assert!(matches!(parse_config(xml), Err(ConfigError::Rejected(_))));
    }

    #[test]
    fn display_keeps_the_cli_wording() {
        let e = ConfigError::Rejected(S3Error {
            status: 400,
            code: "InvalidRequest".into(),
            message: "M".into(),
            fields: Vec::new(),
            connection_close: false,
        });
        assert_eq!(
            e.to_string(),
            "S3 would reject this configuration: M (InvalidRequest)"
        );
    }
}
