//! `CORSConfiguration` documents: parsing, validation (§1.2–§1.4) and rendering (§1.5).
//!
//! PutBucketCors bodies are parsed here into [`CorsConfiguration`] and judged exactly as
//! Amazon S3 judges them, with S3's codes and messages, so the embedded server can answer
//! bad configurations byte for byte like AWS. GetBucketCors bodies are rendered here too.
//!
//! Validation happens in two phases, mirroring a schema-validating XML front end followed by
//! semantic checks:
//!
//! 1. **Schema** (whole document, any failure is `MalformedXML`, §1.3 a, e, k, l): well-formed
//!    XML, root `CORSConfiguration`, only `CORSRule` children, only the six known members in a
//!    rule (any order, interleaved), at most one `ID` and one `MaxAgeSeconds`, an integer
//!    `MaxAgeSeconds`, at least one rule, every rule with at least one `AllowedOrigin` and one
//!    `AllowedMethod`. Comments and processing instructions are ignored; a DTD is refused.
//! 2. **Semantics** ([`CorsConfiguration::validate`]): more than 100 rules, then rule by rule
//!    in document order, the first failure winning (§1.3): methods (b–d), origin wildcards
//!    (f), allowed-header wildcards (g), expose-header wildcard and characters (h, i), ID
//!    length. Within a rule, lists are checked in stored order.
//!
//! Decisions on the points the spec leaves unknown (§1.3 n, §8), for the README:
//! - Body larger than 64 KB ([`MAX_CONFIG_BYTES`]): 400 `MalformedXML`, checked first.
//! - `ID` longer than 255 characters: 400 `InvalidArgument`
//!   `ID length should not exceed allowed limit of 255` (AWS's lifecycle-configuration
//!   wording for the same limit), checked after the rule's other fields.
//! - Negative `MaxAgeSeconds`: accepted and returned as sent. A value outside the 32-bit
//!   range (the API model's `Integer`) is `MalformedXML` like any non-integer.
//! - Duplicate `ID`s: accepted.
//! - Empty `AllowedHeader` / `ExposeHeader` values: accepted (and returned).
//! - The XML namespace is optional and not checked: `xmlns` may be the S3 namespace, another
//!   one or absent; elements are recognised by local name.
//! - Whitespace: string values (`ID`, origins, methods, headers) are kept verbatim, spaces
//!   included — `<AllowedMethod> GET </AllowedMethod>` is the unsupported method ` GET `.
//!   `MaxAgeSeconds` has surrounding XML whitespace trimmed before parsing, as an XML Schema
//!   integer does.
//! - Missing checksum (§1.4): 400 `InvalidRequest`
//!   `Missing required header for this request: Content-MD5 OR x-amz-checksum-*`.

use crate::s3::S3Error;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use quick_xml::events::Event;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Largest PutBucketCors body accepted (§1.2: "Document limit 64 KB").
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// Most rules in one configuration (§1.2, §1.3 j).
pub const MAX_RULES: usize = 100;
/// Longest `ID`, in characters (§1.2).
pub const MAX_ID_CHARS: usize = 255;
/// The S3 XML namespace, used when rendering (§1.5).
pub const S3_XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// §1.3 a/e/k/l message (`MalformedXML`).
pub const MSG_MALFORMED_XML: &str =
    "The XML you provided was not well-formed or did not validate against our published schema";
/// §1.3 j message (`InvalidRequest`).
pub const MSG_TOO_MANY_RULES: &str =
    "The number of CORS rules should not exceed allowed limit of 100 rules.";
/// §1.3 n decision: message for an over-long `ID` (`InvalidArgument`).
pub const MSG_ID_TOO_LONG: &str = "ID length should not exceed allowed limit of 255";
/// §1.4 message for a PutBucketCors without Content-MD5 or a flexible checksum.
pub const MSG_MISSING_CHECKSUM: &str =
    "Missing required header for this request: Content-MD5 OR x-amz-checksum-*";
/// AWS's `BadDigest` message (§1.4).
pub const MSG_BAD_DIGEST: &str = "The Content-MD5 you specified did not match what we received.";
/// AWS's `InvalidDigest` message (undecodable `Content-MD5`).
pub const MSG_INVALID_DIGEST: &str = "The Content-MD5 you specified is not valid.";

/// A bucket's CORS configuration: rules in stored order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CorsConfiguration {
    pub rules: Vec<CorsRule>,
}

/// One `CORSRule`, every list in stored order with case kept (§1.2, §1.5).
///
/// Also the shape of a rule in case files (`bucket.cors`), hence serde + schemars.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorsRule {
    /// `ID` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `AllowedOrigin` values.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// `AllowedMethod` values.
    #[serde(default)]
    pub allowed_methods: Vec<String>,
    /// `AllowedHeader` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_headers: Vec<String>,
    /// `ExposeHeader` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    /// `MaxAgeSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i64>,
}

impl CorsConfiguration {
    /// Parses and validates a PutBucketCors body exactly as S3 does (§1.2, §1.3).
    ///
    /// Schema errors anywhere in the document (`MalformedXML`) come before semantic errors;
    /// see the module docs for the full order.
    pub fn from_xml(body: &[u8]) -> Result<CorsConfiguration, S3Error> {
        if body.len() > MAX_CONFIG_BYTES {
            return Err(malformed());
        }
        let text = std::str::from_utf8(body).map_err(|_| malformed())?;
        let config = parse(text).ok_or_else(malformed)?;
        config.validate()?;
        Ok(config)
    }

    /// Applies S3's validation to a configuration built in memory (e.g. from a case file):
    /// the structural checks `from_xml` makes while parsing (at least one rule, each with an
    /// origin and a method; `MalformedXML`), then the semantic checks of §1.3 in S3's order.
    pub fn validate(&self) -> Result<(), S3Error> {
        if self.rules.is_empty()
            || self
                .rules
                .iter()
                .any(|r| r.allowed_origins.is_empty() || r.allowed_methods.is_empty())
        {
            return Err(malformed());
        }
        if self.rules.len() > MAX_RULES {
            return Err(S3Error::new(400, "InvalidRequest", MSG_TOO_MANY_RULES));
        }
        self.rules.iter().try_for_each(CorsRule::validate)
    }

    /// Renders the GetBucketCors 200 body (§1.5).
    ///
    /// Members per rule in botocore model order — `ID`, `AllowedHeader`*, `AllowedMethod`*,
    /// `AllowedOrigin`*, `ExposeHeader`*, `MaxAgeSeconds` — only those that are set, values
    /// verbatim and XML-escaped. For every valid configuration `c`,
    /// `from_xml(to_xml(c)) == c`.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(160 + self.rules.len() * 160);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration xmlns=\"");
        out.push_str(S3_XMLNS);
        out.push_str("\">");
        for rule in &self.rules {
            out.push_str("<CORSRule>");
            if let Some(id) = &rule.id {
                element(&mut out, "ID", id);
            }
            for v in &rule.allowed_headers {
                element(&mut out, "AllowedHeader", v);
            }
            for v in &rule.allowed_methods {
                element(&mut out, "AllowedMethod", v);
            }
            for v in &rule.allowed_origins {
                element(&mut out, "AllowedOrigin", v);
            }
            for v in &rule.expose_headers {
                element(&mut out, "ExposeHeader", v);
            }
            if let Some(max_age) = rule.max_age_seconds {
                element(&mut out, "MaxAgeSeconds", &max_age.to_string());
            }
            out.push_str("</CORSRule>");
        }
        out.push_str("</CORSConfiguration>");
        out
    }
}

impl CorsRule {
    /// A rule allowing `origins`, `methods` and request `headers`, nothing else set: the
    /// shape tests and generated cases build most often.
    pub fn allowing(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        CorsRule {
            allowed_origins: owned(origins),
            allowed_methods: owned(methods),
            allowed_headers: owned(headers),
            ..CorsRule::default()
        }
    }

    /// The semantic checks of §1.3 for one rule, first failure wins: methods (b–d), origins
    /// (f), allowed headers (g), expose headers (h before i for each value), `ID` length.
    pub fn validate(&self) -> Result<(), S3Error> {
        if let Some(m) = self
            .allowed_methods
            .iter()
            .find(|m| !super::matching::is_cors_method(m))
        {
            return Err(invalid_request(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
        if let Some(o) = self.allowed_origins.iter().find(|o| more_than_one_star(o)) {
            return Err(invalid_request(format!(
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            )));
        }
        if let Some(h) = self.allowed_headers.iter().find(|h| more_than_one_star(h)) {
            return Err(invalid_request(format!(
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            )));
        }
        for h in &self.expose_headers {
            if h.contains('*') {
                return Err(invalid_request(format!(
                    "ExposeHeader \"{h}\" contains wildcard. We currently do not support wildcard for ExposeHeader."
                )));
            }
            if !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(invalid_request(format!(
                    "AllowedHeader {h} contains invalid character."
                )));
            }
        }
        if self
            .id
            .as_ref()
            .is_some_and(|id| id.chars().count() > MAX_ID_CHARS)
        {
            return Err(S3Error::new(400, "InvalidArgument", MSG_ID_TOO_LONG));
        }
        Ok(())
    }
}

/// Checks the integrity headers of a PutBucketCors request (§1.4), before the body is parsed.
///
/// - Neither `Content-MD5` nor a flexible checksum (`x-amz-checksum-*`): 400 `InvalidRequest`
///   [`MSG_MISSING_CHECKSUM`].
/// - `Content-MD5` that is not base64 of 16 bytes: 400 `InvalidDigest` [`MSG_INVALID_DIGEST`].
/// - `Content-MD5` that does not match the body: 400 `BadDigest` [`MSG_BAD_DIGEST`].
///
/// When both are sent only the MD5 is checked here; verifying the flexible checksum value is
/// the HTTP layer's job (it knows the algorithm header).
pub fn check_put_cors_integrity(
    content_md5: Option<&str>,
    has_flexible_checksum: bool,
    body: &[u8],
) -> Result<(), S3Error> {
    let Some(md5) = content_md5 else {
        if has_flexible_checksum {
            return Ok(());
        }
        return Err(invalid_request(MSG_MISSING_CHECKSUM.to_owned()));
    };
    let claimed = base64::engine::general_purpose::STANDARD
        .decode(md5.trim())
        .ok()
        .filter(|d| d.len() == 16)
        .ok_or_else(|| S3Error::new(400, "InvalidDigest", MSG_INVALID_DIGEST))?;
    if Md5::digest(body).as_slice() != claimed.as_slice() {
        return Err(S3Error::new(400, "BadDigest", MSG_BAD_DIGEST));
    }
    Ok(())
}

fn malformed() -> S3Error {
    S3Error::new(400, "MalformedXML", MSG_MALFORMED_XML)
}

fn invalid_request(message: String) -> S3Error {
    S3Error::new(400, "InvalidRequest", message)
}

fn more_than_one_star(s: &str) -> bool {
    s.bytes().filter(|&b| b == b'*').nth(1).is_some()
}

/// Appends `<name>escaped value</name>`.
fn element(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A literal CR would be normalised away by any XML parser.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A `CORSRule` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Id,
    AllowedOrigin,
    AllowedMethod,
    AllowedHeader,
    ExposeHeader,
    MaxAgeSeconds,
}

impl Member {
    fn from_name(name: &str) -> Option<Member> {
        Some(match name {
            "ID" => Member::Id,
            "AllowedOrigin" => Member::AllowedOrigin,
            "AllowedMethod" => Member::AllowedMethod,
            "AllowedHeader" => Member::AllowedHeader,
            "ExposeHeader" => Member::ExposeHeader,
            "MaxAgeSeconds" => Member::MaxAgeSeconds,
            _ => return None,
        })
    }
}

/// Where the parser is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    BeforeRoot,
    InRoot,
    InRule,
    InMember(Member),
    AfterRoot,
}

/// Schema-level parse (phase 1). `None` means `MalformedXML`.
fn parse(text: &str) -> Option<CorsConfiguration> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut level = Level::BeforeRoot;
    let mut rules: Vec<CorsRule> = Vec::new();
    let mut value = String::new();
    loop {
        let event = reader.read_event().ok()?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().into_inner();
                let empty = matches!(event, Event::Empty(_));
                level = match level {
                    Level::BeforeRoot if name == "CORSConfiguration" => Level::InRoot,
                    Level::InRoot if name == "CORSRule" => {
                        rules.push(CorsRule::default());
                        Level::InRule
                    }
                    Level::InRule => {
                        value.clear();
                        Level::InMember(Member::from_name(name)?)
                    }
                    _ => return None,
                };
                if empty {
                    level = close(level, &mut rules, &mut value)?;
                }
            }
            Event::End(_) => level = close(level, &mut rules, &mut value)?,
            Event::Text(t) => {
                let content = t.xml10_content();
                if matches!(level, Level::InMember(_)) {
                    value.push_str(&content);
                } else if !content.bytes().all(is_xml_space) {
                    return None;
                }
            }
            Event::CData(t) => match level {
                Level::InMember(_) => value.push_str(&t.xml10_content()),
                _ => return None,
            },
            Event::GeneralRef(r) => match level {
                Level::InMember(_) => value.push(resolve_reference(&r)?),
                _ => return None,
            },
            Event::DocType(_) => return None,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if level != Level::AfterRoot || rules.is_empty() {
        return None;
    }
    Some(CorsConfiguration { rules })
}

/// Handles the end of the current element; returns the enclosing level.
fn close(level: Level, rules: &mut [CorsRule], value: &mut String) -> Option<Level> {
    match level {
        Level::InRoot => Some(Level::AfterRoot),
        Level::InRule => {
            let rule = rules.last()?;
            (!rule.allowed_origins.is_empty() && !rule.allowed_methods.is_empty())
                .then_some(Level::InRoot)
        }
        Level::InMember(member) => {
            let rule = rules.last_mut()?;
            let v = std::mem::take(value);
            match member {
                Member::Id if rule.id.is_none() => rule.id = Some(v),
                Member::AllowedOrigin => rule.allowed_origins.push(v),
                Member::AllowedMethod => rule.allowed_methods.push(v),
                Member::AllowedHeader => rule.allowed_headers.push(v),
                Member::ExposeHeader => rule.expose_headers.push(v),
                Member::MaxAgeSeconds if rule.max_age_seconds.is_none() => {
                    let n: i32 = v
                        .trim_matches(|c: char| c.is_ascii() && is_xml_space(c as u8))
                        .parse()
                        .ok()?;
                    rule.max_age_seconds = Some(i64::from(n));
                }
                Member::Id | Member::MaxAgeSeconds => return None,
            }
            Some(Level::InRule)
        }
        Level::BeforeRoot | Level::AfterRoot => None,
    }
}

/// Resolves `&name;`: the five predefined entities and character references.
fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match AsRef::<str>::as_ref(r) {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

    fn doc(rules: &str) -> String {
        format!("<CORSConfiguration xmlns=\"{NS}\">{rules}</CORSConfiguration>")
    }

    fn rule_xml(inner: &str) -> String {
        format!("<CORSRule>{inner}</CORSRule>")
    }

    fn ok_rule() -> String {
        rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")
    }

    fn err(body: &str) -> S3Error {
        match CorsConfiguration::from_xml(body.as_bytes()) {
            Err(e) => e,
            Ok(c) => panic!("expected an error, parsed {c:?}"),
        }
    }

    fn parse_ok(body: &str) -> CorsConfiguration {
        match CorsConfiguration::from_xml(body.as_bytes()) {
            Ok(c) => c,
            Err(e) => panic!("expected success, got {e}"),
        }
    }

    fn assert_malformed(body: &str) {
        let e = err(body);
        assert_eq!(e.status, 400, "{body}");
        assert_eq!(e.code, "MalformedXML", "{body}");
        assert_eq!(
            e.message,
            "The XML you provided was not well-formed or did not validate against our published schema"
        );
    }

    fn assert_invalid_request(body: &str, message: &str) {
        let e = err(body);
        assert_eq!(e.status, 400, "{body}");
        assert_eq!(e.code, "InvalidRequest", "{body}");
        assert_eq!(e.message, message, "{body}");
    }

    // §1.2 document shape

    #[test]
    fn spec_1_2_parses_every_member_in_order_with_case_kept() {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
            doc(&rule_xml(
                "<ID>test-cors-id</ID>\
                 <AllowedOrigin>http://test.com:80</AllowedOrigin>\
                 <AllowedMethod>PUT</AllowedMethod>\
                 <AllowedHeader>x-AMZ-server-SIDE-encryption</AllowedHeader>\
                 <AllowedMethod>GET</AllowedMethod>\
                 <AllowedOrigin>https://*.b.com</AllowedOrigin>\
                 <AllowedHeader>*</AllowedHeader>\
                 <ExposeHeader>X-AMZ-server-side-encryption</ExposeHeader>\
                 <ExposeHeader>Date</ExposeHeader>\
                 <MaxAgeSeconds>3600</MaxAgeSeconds>"
            ))
        );
        let c = parse_ok(&body);
        assert_eq!(
            c,
            CorsConfiguration {
                rules: vec![CorsRule {
                    id: Some("test-cors-id".into()),
                    allowed_origins: vec!["http://test.com:80".into(), "https://*.b.com".into()],
                    allowed_methods: vec!["PUT".into(), "GET".into()],
                    allowed_headers: vec!["x-AMZ-server-SIDE-encryption".into(), "*".into()],
                    expose_headers: vec!["X-AMZ-server-side-encryption".into(), "Date".into()],
                    max_age_seconds: Some(3600),
                }]
            }
        );
    }

    #[test]
    fn spec_1_2_namespace_is_optional() {
        let body = format!("<CORSConfiguration>{}</CORSConfiguration>", ok_rule());
        assert_eq!(parse_ok(&body).rules.len(), 1);
        let prefixed = format!(
            "<s3:CORSConfiguration xmlns:s3=\"{NS}\"><s3:CORSRule><s3:AllowedOrigin>*</s3:AllowedOrigin><s3:AllowedMethod>GET</s3:AllowedMethod></s3:CORSRule></s3:CORSConfiguration>"
        );
        assert_eq!(parse_ok(&prefixed).rules[0].allowed_origins, vec!["*"]);
    }

    #[test]
    fn spec_1_2_rules_kept_in_document_order() {
        let body = doc(&format!(
            "{}{}",
            rule_xml(
                "<ID>one</ID><AllowedOrigin>a</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
            ),
            rule_xml(
                "<ID>two</ID><AllowedOrigin>b</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
            )
        ));
        let ids: Vec<_> = parse_ok(&body)
            .rules
            .into_iter()
            .map(|r| r.id.unwrap_or_default())
            .collect();
        assert_eq!(ids, vec!["one", "two"]);
    }

    #[test]
    fn spec_1_2_entities_comments_and_cdata_are_resolved() {
        let body = doc(&rule_xml(
            "<AllowedOrigin>http://a.com/?x=1&amp;y=&#50;</AllowedOrigin>\
             <AllowedMethod>G<!-- c -->ET</AllowedMethod>\
             <AllowedHeader><![CDATA[x-<b>]]></AllowedHeader>",
        ));
        let r = &parse_ok(&body).rules[0];
        assert_eq!(r.allowed_origins, vec!["http://a.com/?x=1&y=2"]);
        assert_eq!(r.allowed_methods, vec!["GET"]);
        assert_eq!(r.allowed_headers, vec!["x-<b>"]);
    }

    // §1.3 validation

    #[test]
    fn spec_1_3_a_zero_rules_is_malformed() {
        assert_malformed("<CORSConfiguration/>");
        assert_malformed(&doc(""));
        assert_malformed(&format!(
            "<CORSConfiguration xmlns=\"{NS}\">\n  </CORSConfiguration>"
        ));
    }

    #[test]
    fn spec_1_3_b_unsupported_method() {
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>MYMETHOD</AllowedMethod>",
            )),
            "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD",
        );
    }

    #[test]
    fn spec_1_3_b_star_method_rejected() {
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>*</AllowedMethod>",
            )),
            "Found unsupported HTTP method in CORS config. Unsupported method is *",
        );
    }

    #[test]
    fn spec_1_3_c_lower_case_method() {
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>put</AllowedMethod>",
            )),
            "Found unsupported HTTP method in CORS config. Unsupported method is put",
        );
    }

    #[test]
    fn spec_1_3_d_empty_method_message_ends_with_space() {
        for m in ["<AllowedMethod></AllowedMethod>", "<AllowedMethod/>"] {
            assert_invalid_request(
                &doc(&rule_xml(&format!("<AllowedOrigin>*</AllowedOrigin>{m}"))),
                "Found unsupported HTTP method in CORS config. Unsupported method is ",
            );
        }
    }

    #[test]
    fn spec_1_3_e_empty_rule_or_missing_origin_or_method() {
        assert_malformed(&doc("<CORSRule></CORSRule>"));
        assert_malformed(&doc("<CORSRule/>"));
        assert_malformed(&doc(&rule_xml("<AllowedMethod>GET</AllowedMethod>")));
        assert_malformed(&doc(&rule_xml("<AllowedOrigin>*</AllowedOrigin>")));
    }

    #[test]
    fn spec_1_3_e_schema_error_anywhere_beats_semantic_error() {
        let body = doc(&format!(
            "{}{}",
            rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>BAD</AllowedMethod>"),
            "<CORSRule/>"
        ));
        assert_malformed(&body);
    }

    #[test]
    fn spec_1_3_f_two_wildcards_in_origin() {
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            )),
            "AllowedOrigin \"*example*.com\" can not have more than one wildcard.",
        );
    }

    #[test]
    fn spec_1_3_g_two_wildcards_in_allowed_header() {
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*-amz-*</AllowedHeader>",
            )),
            "AllowedHeader \"*-amz-*\" can not have more than one wildcard.",
        );
    }

    #[test]
    fn spec_1_3_h_wildcard_in_expose_header() {
        for h in ["x-amz-meta-*", "*"] {
            assert_invalid_request(
                &doc(&rule_xml(&format!(
                    "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>{h}</ExposeHeader>"
                ))),
                &format!(
                    "ExposeHeader \"{h}\" contains wildcard. We currently do not support wildcard for ExposeHeader."
                ),
            );
        }
    }

    #[test]
    fn spec_1_3_i_invalid_character_in_expose_header() {
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x amz</ExposeHeader>",
            )),
            "AllowedHeader x amz contains invalid character.",
        );
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x_amz</ExposeHeader>",
            )),
            "AllowedHeader x_amz contains invalid character.",
        );
    }

    #[test]
    fn spec_1_3_i_allowed_header_characters_not_checked() {
        let c = parse_ok(&doc(&rule_xml(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x amz_weird!</AllowedHeader>",
        )));
        assert_eq!(c.rules[0].allowed_headers, vec!["x amz_weird!"]);
    }

    #[test]
    fn spec_1_3_j_more_than_100_rules() {
        assert_eq!(parse_ok(&doc(&ok_rule().repeat(100))).rules.len(), 100);
        assert_invalid_request(
            &doc(&ok_rule().repeat(101)),
            "The number of CORS rules should not exceed allowed limit of 100 rules.",
        );
    }

    #[test]
    fn spec_1_3_j_rule_count_checked_before_rule_contents() {
        let bad = rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>BAD</AllowedMethod>");
        assert_invalid_request(
            &doc(&format!("{bad}{}", ok_rule().repeat(100))),
            "The number of CORS rules should not exceed allowed limit of 100 rules.",
        );
    }

    #[test]
    fn spec_1_3_k_max_age_not_integer() {
        for v in ["a", "", "1.5", "99999999999", "3 000"] {
            assert_malformed(&doc(&rule_xml(&format!(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>{v}</MaxAgeSeconds>"
            ))));
        }
    }

    #[test]
    fn spec_1_3_k_max_age_whitespace_trimmed() {
        let c = parse_ok(&doc(&rule_xml(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>\n 3000 \n</MaxAgeSeconds>",
        )));
        assert_eq!(c.rules[0].max_age_seconds, Some(3000));
    }

    #[test]
    fn spec_1_3_l_malformed_xml() {
        for body in [
            "",
            "not xml",
            "<CORSConfiguration><CORSRule>",
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedMethod></CORSRule></CORSConfiguration>",
            "<Other/>",
            "<CORSConfiguration>text<CORSRule/></CORSConfiguration>",
        ] {
            assert_malformed(body);
        }
    }

    #[test]
    fn spec_1_3_l_unknown_or_misplaced_elements() {
        assert_malformed(&doc(&rule_xml(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Bogus>1</Bogus>",
        )));
        assert_malformed(&doc(&format!("{}<Bogus/>", ok_rule())));
        assert_malformed(&doc(&rule_xml(
            "<AllowedOrigin><x/></AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
        )));
        assert_malformed(&format!("{}{}", doc(&ok_rule()), doc(&ok_rule())));
        assert_malformed(&doc(&rule_xml(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>text",
        )));
        // Element names are case-sensitive.
        assert_malformed(&doc(&rule_xml(
            "<allowedorigin>*</allowedorigin><AllowedMethod>GET</AllowedMethod>",
        )));
    }

    #[test]
    fn spec_1_3_l_duplicate_singletons_and_bad_entities() {
        assert_malformed(&doc(&rule_xml(
            "<ID>a</ID><ID>b</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
        )));
        assert_malformed(&doc(&rule_xml(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>",
        )));
        assert_malformed(&doc(&rule_xml(
            "<AllowedOrigin>&bogus;</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
        )));
        assert_malformed(&doc(&rule_xml(
            "<AllowedOrigin>a & b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
        )));
        assert_malformed(&format!(
            "<!DOCTYPE x [<!ENTITY e \"v\">]>{}",
            doc(&ok_rule())
        ));
    }

    #[test]
    fn spec_1_3_l_invalid_utf8_is_malformed() {
        let mut body = doc(&ok_rule()).into_bytes();
        body.insert(40, 0xff);
        let e = CorsConfiguration::from_xml(&body).err();
        assert_eq!(e.map(|e| e.code), Some("MalformedXML".to_string()));
    }

    #[test]
    fn spec_1_3_m_empty_origin_accepted_verbatim() {
        let c = parse_ok(&doc(&rule_xml(
            "<AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
        )));
        assert_eq!(c.rules[0].allowed_origins, vec![""]);
        assert!(c.to_xml().contains("<AllowedOrigin></AllowedOrigin>"));
    }

    #[test]
    fn spec_1_3_first_failing_rule_in_document_order_wins() {
        let body = doc(&format!(
            "{}{}{}",
            ok_rule(),
            rule_xml("<AllowedOrigin>*a*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            rule_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>BAD</AllowedMethod>"),
        ));
        assert_invalid_request(
            &body,
            "AllowedOrigin \"*a*\" can not have more than one wildcard.",
        );
    }

    #[test]
    fn spec_1_3_method_error_wins_over_origin_error_in_one_rule() {
        let body = doc(&rule_xml(
            "<AllowedOrigin>*a*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>BAD</AllowedMethod>",
        ));
        assert_invalid_request(
            &body,
            "Found unsupported HTTP method in CORS config. Unsupported method is BAD",
        );
    }

    #[test]
    fn spec_1_3_n_body_over_64kb_is_malformed() {
        let padding = " ".repeat(MAX_CONFIG_BYTES);
        assert_malformed(&format!("{}{padding}", doc(&ok_rule())));
        // Exactly at the limit is fine.
        let body = doc(&ok_rule());
        let at_limit = format!("{body}{}", " ".repeat(MAX_CONFIG_BYTES - body.len()));
        assert_eq!(at_limit.len(), MAX_CONFIG_BYTES);
        assert!(CorsConfiguration::from_xml(at_limit.as_bytes()).is_ok());
    }

    #[test]
    fn spec_1_3_n_id_over_255_chars_is_invalid_argument() {
        let ok = format!(
            "<ID>{}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            "é".repeat(255)
        );
        assert!(CorsConfiguration::from_xml(doc(&rule_xml(&ok)).as_bytes()).is_ok());
        let long = format!(
            "<ID>{}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            "a".repeat(256)
        );
        let e = err(&doc(&rule_xml(&long)));
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "InvalidArgument");
        assert_eq!(
            e.message,
            "ID length should not exceed allowed limit of 255"
        );
    }

    #[test]
    fn spec_1_3_n_negative_max_age_and_duplicate_ids_accepted() {
        let r = "<ID>same</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>";
        let c = parse_ok(&doc(&format!("{}{}", rule_xml(r), rule_xml(r))));
        assert_eq!(c.rules[0].max_age_seconds, Some(-1));
        assert_eq!(c.rules[1].id.as_deref(), Some("same"));
    }

    #[test]
    fn spec_1_3_n_empty_allowed_and_expose_header_accepted() {
        let c = parse_ok(&doc(&rule_xml(
            "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader/><ExposeHeader></ExposeHeader>",
        )));
        assert_eq!(c.rules[0].allowed_headers, vec![""]);
        assert_eq!(c.rules[0].expose_headers, vec![""]);
    }

    #[test]
    fn whitespace_in_string_values_is_kept_verbatim() {
        let c = parse_ok(&doc(&rule_xml(
            "<AllowedOrigin> http://a.com </AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
        )));
        assert_eq!(c.rules[0].allowed_origins, vec![" http://a.com "]);
        assert_invalid_request(
            &doc(&rule_xml(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod> GET</AllowedMethod>",
            )),
            "Found unsupported HTTP method in CORS config. Unsupported method is  GET",
        );
    }

    // Killed mutants (docs/fuzzing.md, "Mutation score"): the structural checks are made twice,
    // once while parsing and once by `validate`, so each is tested on its own here.

    #[test]
    fn validate_refuses_a_rule_missing_only_its_origin_or_only_its_method() {
        for (origins, methods) in [
            (vec![], vec!["GET".to_string()]),
            (vec!["*".to_string()], vec![]),
        ] {
            let c = CorsConfiguration {
                rules: vec![CorsRule {
                    allowed_origins: origins.clone(),
                    allowed_methods: methods.clone(),
                    ..CorsRule::default()
                }],
            };
            assert_eq!(
                c.validate().map_err(|e| e.code),
                Err("MalformedXML".to_string()),
                "origins {origins:?}, methods {methods:?}"
            );
        }
    }

    #[test]
    fn parse_refuses_a_rule_missing_only_its_origin_or_only_its_method() {
        for inner in [
            "<AllowedMethod>GET</AllowedMethod>",
            "<AllowedOrigin>*</AllowedOrigin>",
        ] {
            let body = doc(&rule_xml(inner));
            assert_eq!(parse(&body), None, "{body}");
        }
        assert!(parse(&doc(&ok_rule())).is_some());
    }

    #[test]
    fn the_root_and_rule_elements_are_named() {
        let rules = ok_rule();
        assert_malformed(&format!("<CORSConfig>{rules}</CORSConfig>"));
        assert_malformed(&format!(
            "<LifecycleConfiguration>{rules}</LifecycleConfiguration>"
        ));
        assert_malformed(&doc(
            "<Rule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></Rule>",
        ));
        assert_malformed(&doc(&format!("{rules}<CORSRules>{rules}</CORSRules>")));
        assert_eq!(parse_ok(&doc(&rules)).rules.len(), 1);
    }

    #[test]
    fn parse_needs_the_root_closed_and_a_rule() {
        // Without the closing tag the document ends inside the root.
        assert_eq!(parse(&format!("<CORSConfiguration>{}", ok_rule())), None);
        // A closed root with no rule: `parse` itself refuses it, not only `validate`.
        assert_eq!(parse("<CORSConfiguration></CORSConfiguration>"), None);
        assert_eq!(parse(&doc("")), None);
        assert_malformed(&format!("<CORSConfiguration>{}", ok_rule()));
    }

    #[test]
    fn validate_applies_to_in_memory_configurations() {
        assert_eq!(
            CorsConfiguration::default().validate().map_err(|e| e.code),
            Err("MalformedXML".to_string())
        );
        let c = CorsConfiguration {
            rules: vec![CorsRule {
                allowed_origins: vec!["*".into()],
                allowed_methods: vec!["get".into()],
                ..CorsRule::default()
            }],
        };
        assert_eq!(
            c.validate().map_err(|e| e.message),
            Err("Found unsupported HTTP method in CORS config. Unsupported method is get".into())
        );
    }

    // §1.4 integrity

    fn md5_b64(body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(Md5::digest(body))
    }

    #[test]
    fn spec_1_4_missing_md5_and_checksum_is_invalid_request() {
        let e = check_put_cors_integrity(None, false, b"<x/>").err();
        let e = e.unwrap_or_else(|| S3Error::new(0, "", ""));
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "InvalidRequest");
        assert_eq!(
            e.message,
            "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"
        );
    }

    #[test]
    fn spec_1_4_flexible_checksum_instead_of_md5() {
        assert_eq!(check_put_cors_integrity(None, true, b"body"), Ok(()));
    }

    #[test]
    fn spec_1_4_correct_md5_accepted() {
        let body = b"<CORSConfiguration/>";
        assert_eq!(
            check_put_cors_integrity(Some(&md5_b64(body)), false, body),
            Ok(())
        );
        assert_eq!(
            check_put_cors_integrity(Some(&md5_b64(body)), true, body),
            Ok(())
        );
    }

    #[test]
    fn spec_1_4_wrong_md5_is_bad_digest() {
        let e = check_put_cors_integrity(Some(&md5_b64(b"other")), false, b"body").err();
        assert_eq!(
            e,
            Some(S3Error::new(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received."
            ))
        );
    }

    #[test]
    fn spec_1_4_undecodable_md5_is_invalid_digest() {
        for md5 in ["not base64!", "", "AAAA"] {
            let e = check_put_cors_integrity(Some(md5), true, b"body").err();
            assert_eq!(
                e,
                Some(S3Error::new(
                    400,
                    "InvalidDigest",
                    "The Content-MD5 you specified is not valid."
                )),
                "{md5:?}"
            );
        }
    }

    // §1.5 rendering

    #[test]
    fn spec_1_5_recommended_body_bytes() {
        let c = CorsConfiguration {
            rules: vec![
                CorsRule {
                    id: Some("test-cors-id".into()),
                    allowed_origins: vec!["http://a.com".into()],
                    allowed_methods: vec!["GET".into(), "PUT".into()],
                    allowed_headers: vec!["*".into(), "x-amz-*".into()],
                    expose_headers: vec!["Date".into()],
                    max_age_seconds: Some(3600),
                },
                CorsRule {
                    allowed_origins: vec!["*".into()],
                    allowed_methods: vec!["HEAD".into()],
                    ..CorsRule::default()
                },
            ],
        };
        assert_eq!(
            c.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <CORSRule><ID>test-cors-id</ID><AllowedHeader>*</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader>\
             <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>http://a.com</AllowedOrigin>\
             <ExposeHeader>Date</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule>\
             <CORSRule><AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>"
        );
    }

    #[test]
    fn spec_1_5_values_are_escaped_and_round_trip() {
        let c = CorsConfiguration {
            rules: vec![CorsRule {
                id: Some("a<b>&\"c\"'\r\n\t ".into()),
                allowed_origins: vec!["http://x.com/?a=1&b=2".into(), "".into()],
                allowed_methods: vec!["GET".into()],
                allowed_headers: vec!["x-AMZ-server-SIDE-encryption".into()],
                ..CorsRule::default()
            }],
        };
        let xml = c.to_xml();
        assert!(xml.contains("<ID>a&lt;b&gt;&amp;&quot;c&quot;&apos;&#13;\n\t </ID>"));
        assert_eq!(CorsConfiguration::from_xml(xml.as_bytes()), Ok(c));
    }
}
