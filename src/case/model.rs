//! The case file as written: serde types that mirror the YAML one to one.
//!
//! These types are deliberately "raw": every field is what the author wrote, unknown fields
//! are rejected (`deny_unknown_fields`), and the JSON Schema in `docs/case.schema.json` is
//! generated from them. Rules that serde cannot express (a step has exactly one kind, `steps`
//! is not empty, …) are checked afterwards in [`super::load`], which turns a [`CaseFile`]
//! into a validated [`super::Case`].

use super::ordered::OrderedMap;
use crate::cors::CorsRule;
use crate::s3::{Addressing, Auth};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// One case file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "s3cors case file")]
pub struct CaseFile {
    /// One line saying what the case shows.
    pub title: String,
    /// Rule numbers of `docs/spec/aws-s3-cors.md` (`3.2`) or of the uploads addendum
    /// `docs/spec/aws-s3-cors-uploads.md` (`U2.1`) the case exercises. Optional in your own cases;
    /// s3cors's own corpus names at least one (a unit test enforces it).
    #[serde(default)]
    pub spec: Vec<String>,
    /// Free labels (shown in reports).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Set when the spec marks the behaviour unverified: say what was chosen.
    #[serde(default)]
    pub unsettled: Option<String>,
    /// Capabilities needed beyond those implied by the case's contents.
    #[serde(default)]
    pub needs: Vec<Capability>,
    /// The bucket set-up (default: an empty bucket with no CORS configuration).
    #[serde(default)]
    pub bucket: BucketSetup,
    /// The requests, in order (at least one).
    #[schemars(with = "Vec<Step>")]
    pub steps: Vec<Spanned<Step>>,
}

/// A capability a target may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Per-bucket CORS configuration (PutBucketCors and friends).
    BucketCors,
    /// Canned ACLs that make buckets or objects public.
    PublicAcl,
    /// Virtual-hosted addressing (`Host: bucket.endpoint`).
    VirtualHosted,
}

impl Capability {
    /// The name used in case files and reasons.
    pub fn name(self) -> &'static str {
        match self {
            Capability::BucketCors => "bucket-cors",
            Capability::PublicAcl => "public-acl",
            Capability::VirtualHosted => "virtual-hosted",
        }
    }
}

/// A canned ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CannedAcl {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
}

impl CannedAcl {
    /// The `x-amz-acl` header value.
    pub fn header_value(self) -> &'static str {
        match self {
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
            CannedAcl::PublicReadWrite => "public-read-write",
            CannedAcl::AuthenticatedRead => "authenticated-read",
        }
    }
}

/// How the bucket looks before the first step.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketSetup {
    /// `false`: the bucket is not created, so requests go to a bucket that does not exist.
    #[serde(default = "yes")]
    pub exists: bool,
    /// Canned ACL of the bucket.
    #[serde(default)]
    pub acl: Option<CannedAcl>,
    /// CORS rules set with PutBucketCors before the steps (omitted: no CORS configuration).
    #[serde(default)]
    pub cors: Option<Vec<CorsRule>>,
    /// A raw `CORSConfiguration` body, as an alternative to `cors`.
    #[serde(default)]
    pub cors_xml: Option<String>,
    /// Objects put before the steps, by key, in order.
    #[serde(default)]
    pub objects: OrderedMap<ObjectSpec>,
}

impl Default for BucketSetup {
    fn default() -> Self {
        BucketSetup {
            exists: true,
            acl: None,
            cors: None,
            cors_xml: None,
            objects: OrderedMap::default(),
        }
    }
}

fn yes() -> bool {
    true
}

/// An object: its body text, or the long form.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ObjectSpec {
    /// Short form: the body text.
    Body(String),
    /// Long form.
    Full(ObjectFull),
}

/// The long form of an object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectFull {
    /// Body text.
    #[serde(default)]
    pub body: String,
    /// `Content-Type` of the object.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Canned object ACL.
    #[serde(default)]
    pub acl: Option<CannedAcl>,
}

/// One step: exactly one of `request`, `put_bucket_cors`, `get_bucket_cors`,
/// `delete_bucket_cors`, and its `expect`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A request of any kind (preflight, actual request, …).
    #[serde(default)]
    pub request: Option<RequestSpec>,
    /// PutBucketCors with rules or a raw body.
    #[serde(default)]
    pub put_bucket_cors: Option<PutBucketCorsSpec>,
    /// GetBucketCors.
    #[serde(default)]
    pub get_bucket_cors: Option<ApiCallSpec>,
    /// DeleteBucketCors.
    #[serde(default)]
    pub delete_bucket_cors: Option<ApiCallSpec>,
    /// Values to keep from this step's response for later steps, by name: write `${name}`
    /// in any later string (only `request` steps capture).
    #[serde(default)]
    pub capture: OrderedMap<CaptureSpec>,
    /// What the response must look like; `record` (or no `expect:` at all) leaves it to
    /// `s3cors record` to fill in from a target's answer.
    #[serde(default)]
    pub expect: Option<ExpectField>,
}

/// The `expect:` of a step as written: an expectation, or the word `record` (a blank one).
///
/// Decision (issue 13): a *blank* expectation is `expect: record` or a step without
/// `expect:`. Both load (so `s3cors record` can fill them in) and both make `s3cors run`
/// fail the case with "step N has no recorded expectation" instead of passing it.
/// `expect: {}` is *not* blank: it lacks `status`, which stays required, so a typo cannot
/// turn a real expectation into a blank one.
#[derive(Debug, Clone)]
pub enum ExpectField {
    /// `expect: record`.
    Record,
    /// A written expectation.
    Given(Box<Expect>),
}

impl<'de> Deserialize<'de> for ExpectField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ExpectField;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping (status, headers, …) or the word `record`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ExpectField, E> {
                if v == "record" {
                    Ok(ExpectField::Record)
                } else {
                    Err(E::custom(format!(
                        "`expect: {v}`: an expectation is a mapping (status, headers, …) or the word `record`"
                    )))
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ExpectField, A::Error> {
                Expect::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|e| ExpectField::Given(Box::new(e)))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for ExpectField {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ExpectField".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let given = generator.subschema_for::<Expect>();
        schemars::json_schema!({
            "description": "What the response must look like, or `record`: a blank expectation that `s3cors record` fills in.",
            "anyOf": [given, {"const": "record", "type": "string"}]
        })
    }
}

/// Where a captured value comes from: exactly one of `header` and `xml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureSpec {
    /// A response header (first value; name case-insensitive), e.g. `ETag`.
    #[serde(default)]
    pub header: Option<String>,
    /// The text of the first element with this name in the XML body, e.g. `UploadId`.
    #[serde(default)]
    pub xml: Option<String>,
}

/// A browser form upload (POST Object): `multipart/form-data` with the fields in order,
/// the policy fields when `policy` is given, and the file last.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormSpec {
    /// Form fields, in order, before the policy fields (`key`, `Content-Type`,
    /// `success_action_status`, `x-amz-meta-*`, …).
    #[serde(default)]
    pub fields: OrderedMap<String>,
    /// A presigned POST policy, signed by the runner with the target's credentials.
    /// Omitted: an anonymous form without a policy.
    #[serde(default)]
    pub policy: Option<PolicySpec>,
    /// The file part (omitted: the form has no file).
    #[serde(default)]
    pub file: Option<FileSpec>,
}

/// A POST policy as an SDK's `createPresignedPost` / boto3's `generate_presigned_post`
/// makes it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Seconds from now until the policy expires; negative: already expired (default 3600).
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Conditions as S3 reads them: `{bucket: x}`, `[eq, $key, v]`,
    /// `[starts-with, $key, uploads/]`, `[content-length-range, 1, 1048576]`.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Value>")]
    pub conditions: Vec<serde_json::Value>,
    /// Add `{bucket}` and the signature fields' conditions as SDKs do (default true).
    #[serde(default = "yes")]
    pub sdk_conditions: bool,
    /// Send a signature that does not match (default false).
    #[serde(default)]
    pub bad_signature: bool,
}

/// The file part of a form.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// The `filename` the browser sends (what `${filename}` becomes).
    pub filename: String,
    /// The part's own `Content-Type`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The file's content.
    #[serde(default)]
    pub body: String,
    /// Exactly this many bytes: `body` (default `x`) repeated and cut.
    #[serde(default)]
    pub size: Option<usize>,
}

/// A request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// HTTP method, sent verbatim.
    pub method: String,
    /// Object key; omitted or empty: the bucket URL.
    #[serde(default)]
    pub key: Option<String>,
    /// `true`: the service endpoint `/` (no bucket).
    #[serde(default)]
    pub service: bool,
    /// Query parameters in order; a null value renders a bare name (`?cors`).
    #[serde(default)]
    pub query: OrderedMap<Option<String>>,
    /// Headers, sent verbatim in this order.
    #[serde(default)]
    pub headers: OrderedMap<String>,
    /// Request body text.
    #[serde(default)]
    pub body: Option<String>,
    /// A body of exactly this many bytes: `body` (default `x`) repeated and cut; for
    /// multipart parts of S3's 5 MiB minimum.
    #[serde(default)]
    pub body_size: Option<usize>,
    /// A browser form upload: the body becomes `multipart/form-data` (default auth:
    /// anonymous, as a browser sends it).
    #[serde(default)]
    pub form: Option<Box<FormSpec>>,
    /// anonymous | signed | presigned (default: anonymous for OPTIONS, signed otherwise).
    #[serde(default)]
    pub auth: Option<Auth>,
    /// path | virtual (default: the target's).
    #[serde(default)]
    pub addressing: Option<Addressing>,
    /// The credentials mode of the page's request, for the browser verdict only (nothing on
    /// the wire says it): omit | same-origin | include (default: same-origin, `fetch()`'s).
    #[serde(default)]
    pub credentials: Option<crate::browser::Credentials>,
}

/// Options of a GetBucketCors / DeleteBucketCors call.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiCallSpec {
    /// Default: signed.
    #[serde(default)]
    pub auth: Option<Auth>,
    /// Default: the target's.
    #[serde(default)]
    pub addressing: Option<Addressing>,
    /// Extra headers (e.g. `Origin`), sent verbatim.
    #[serde(default)]
    pub headers: OrderedMap<String>,
}

/// A PutBucketCors call.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutBucketCorsSpec {
    /// Rules to send (rendered as a `CORSConfiguration`).
    #[serde(default)]
    pub rules: Option<Vec<CorsRule>>,
    /// A raw body, sent verbatim (instead of `rules`).
    #[serde(default)]
    pub xml: Option<String>,
    /// Integrity header: md5 (default) | crc32 | none | bad-md5.
    #[serde(default)]
    pub checksum: Checksum,
    /// Default: signed.
    #[serde(default)]
    pub auth: Option<Auth>,
    /// Default: the target's.
    #[serde(default)]
    pub addressing: Option<Addressing>,
    /// Extra headers, sent verbatim.
    #[serde(default)]
    pub headers: OrderedMap<String>,
}

/// Which integrity header a PutBucketCors carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// `Content-MD5` of the body.
    #[default]
    Md5,
    /// `x-amz-checksum-crc32` of the body.
    Crc32,
    /// No integrity header at all.
    None,
    /// A `Content-MD5` that does not match the body.
    BadMd5,
}

/// Whether unlisted CORS headers are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CorsSurface {
    /// The listed CORS headers must match and no other `Access-Control-*`/`Vary` may appear.
    #[default]
    Exact,
    /// Only the listed CORS headers are checked.
    Listed,
}

/// The expected response.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// HTTP status.
    pub status: u16,
    /// The CORS surface: `Access-Control-*` and `Vary` headers with their exact values.
    #[serde(default)]
    pub headers: OrderedMap<String>,
    /// exact (default) | listed.
    #[serde(default)]
    pub cors_surface: CorsSurface,
    /// Other headers: exact value, or null for "absent".
    #[serde(default)]
    pub other_headers: OrderedMap<Option<String>>,
    /// S3 error document fields (only those given are compared).
    #[serde(default)]
    pub error: Option<ExpectError>,
    /// Exact response body text.
    #[serde(default)]
    pub body: Option<String>,
    /// GetBucketCors: the rules returned, compared rule by rule.
    #[serde(default)]
    pub rules: Option<Vec<CorsRule>>,
}

/// Expected `<Error>` fields; null means "element absent".
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub bucket_name: Option<String>,
    /// Any other element by its XML name (`ArgumentName: x-amz-acl`); null = absent.
    #[serde(default)]
    pub elements: OrderedMap<Option<String>>,
}

impl ExpectError {
    /// Every expected element as `(XML element name, expected value)`, in a fixed order.
    pub fn fields(&self) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for (name, v) in [
            ("Code", &self.code),
            ("Message", &self.message),
            ("Method", &self.method),
            ("ResourceType", &self.resource_type),
            ("BucketName", &self.bucket_name),
        ] {
            if let Some(v) = v {
                out.push((name.to_string(), Some(v.clone())));
            }
        }
        for (k, v) in self.elements.iter() {
            out.push((k.to_string(), v.clone()));
        }
        out
    }
}
