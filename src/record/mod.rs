//! Recording expectations (`s3cors record`): a target's observed answers written into the
//! case files, with the file's comments, key order and formatting kept wherever the answer
//! did not change.
//!
//! The runner ([`crate::runner::observe`]) runs every step without judging it; this module
//! turns each step's answer into the expectation it calls for ([`observed_expect`]) and
//! edits the file's *text* ([`record_text`]): the loader's spans give each step's line, the
//! step's `expect:` block is split into entries (`status`, each header, each error field,
//! `body`, `rules`), and only entries whose value changed are re-rendered. Entries keep
//! their order; new ones are appended to their section.
//!
//! # What is recorded
//!
//! - A **blank** step (`expect: record`, or no `expect:`) gets `status`, the whole CORS
//!   surface (`headers`, in the answer's order), `error: {code, message}` when the answer is
//!   an S3 error document, and `rules` for a `get_bucket_cors` step answered 200.
//! - A step **with** an expectation keeps its shape: `status`; under `cors_surface: exact`
//!   every CORS header of the answer (new ones added, missing ones removed), under `listed`
//!   the listed ones; the `other_headers`, `error` fields, `body` and `rules` it names.
//!   Absent headers and error elements become `~`.
//! - Values are written back with `${bucket}` and `${name}` (captured values) in place of
//!   the trial's real bucket name and captured values.
//!
//! # Volatile values
//!
//! Never recorded (the written value is kept): the headers in [`BUILTIN_VOLATILE`] (request
//! ids, dates, version ids, the server banner) and the error elements `RequestId`, `HostId`,
//! plus what `--volatile NAME` adds (a header or error element name, case-insensitive).
//! `ETag` is not in the list: a blank recording never writes `other_headers`, so an `ETag`
//! is recorded only where the case already checks one, i.e. where the case fixed the body;
//! `--volatile ETag` leaves those alone too. Upload ids are captured values, written back as
//! `${name}`.
//!
//! # The canonical style
//!
//! Chosen from the corpus (issue 13): block style for `expect:` and its sections (499 of 528
//! `expect:` blocks were block style); string values double-quoted (1,126 of 1,719 values
//! were, and a double-quoted string never changes type: `"true"`, `"3000"`, `"*"`); `~` for
//! an absent value; header names as written, new ones in `Title-Case`; rules as block
//! mappings with flow lists (`allowed_methods: [GET, PUT]`), the style of `bucket.cors`.
//! `--normalise` re-renders every expectation in this style (and the canonical order:
//! status, headers, cors_surface, other_headers, error, body, rules); the corpus was
//! normalised once that way, so that recording a blanked case gives the file back byte for
//! byte.

use crate::case::model::{CorsSurface, Expect, ExpectError};
use crate::case::{Action, Case, OrderedMap, is_cors_surface};
use crate::cors::CorsRule;
use crate::runner::exec::ObservedStep;
use crate::s3::S3Response;

/// Headers whose values are never recorded (lower case).
pub const BUILTIN_VOLATILE: &[&str] = &[
    "x-amz-request-id",
    "x-amz-id-2",
    "date",
    "last-modified",
    "expires",
    "x-amz-version-id",
    "x-amz-expiration",
    "server",
];

/// Error document elements whose values are never recorded.
pub const BUILTIN_VOLATILE_ELEMENTS: &[&str] = &["RequestId", "HostId"];

/// How to record.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra volatile header or error element names (`--volatile`), any case.
    pub volatile: Vec<String>,
    /// Re-render every expectation in the canonical style, changed or not.
    pub normalise: bool,
}

impl Options {
    fn volatile_header(&self, name: &str) -> bool {
        BUILTIN_VOLATILE
            .iter()
            .any(|v| v.eq_ignore_ascii_case(name))
            || self.volatile.iter().any(|v| v.eq_ignore_ascii_case(name))
    }

    fn volatile_element(&self, name: &str) -> bool {
        BUILTIN_VOLATILE_ELEMENTS
            .iter()
            .any(|v| v.eq_ignore_ascii_case(name))
            || self.volatile.iter().any(|v| v.eq_ignore_ascii_case(name))
    }
}

/// What recording one file did.
#[derive(Debug, Clone, Default)]
pub struct FileRecord {
    /// The new text (equal to the old one when nothing changed).
    pub text: String,
    /// Things the user should know (steps not recorded and why).
    pub notes: Vec<String>,
}

/// Writes real values back as `${name}` / `${bucket}`: captured values first (longest
/// first, so a value containing another is replaced whole), then the bucket name.
fn unsubst(s: &str, bucket: &str, vars: &[(String, String)]) -> String {
    let mut vars: Vec<&(String, String)> = vars.iter().filter(|(_, v)| !v.is_empty()).collect();
    vars.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let mut out = s.to_string();
    for (n, v) in vars {
        out = out.replace(v.as_str(), &format!("${{{n}}}"));
    }
    if !bucket.is_empty() {
        out = out.replace(bucket, "${bucket}");
    }
    out
}

/// `access-control-allow-origin` → `Access-Control-Allow-Origin`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The expectation a step's answer calls for. `given` is the step's expectation as written
/// (`None` for a blank step); `get_cors` says the step is a `get_bucket_cors`.
pub fn observed_expect(
    given: Option<&Expect>,
    get_cors: bool,
    obs: &ObservedStep,
    bucket: &str,
    opts: &Options,
) -> Expect {
    let resp: &S3Response = &obs.response;
    let un = |s: &str| unsubst(s, bucket, &obs.vars);
    let blank = Expect::default();
    let shape = given.unwrap_or(&blank);
    let mut e = Expect {
        status: resp.status,
        cors_surface: shape.cors_surface,
        ..Expect::default()
    };
    // CORS surface.
    let name_for = |lower: &str| -> String {
        shape
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(lower))
            .map(|(n, _)| n.to_string())
            .unwrap_or_else(|| title_case(lower))
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    match shape.cors_surface {
        CorsSurface::Exact => {
            for (n, v) in &resp.headers {
                if is_cors_surface(n) && !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(n)) {
                    headers.push((name_for(n), un(v)));
                }
            }
        }
        CorsSurface::Listed => {
            for (n, _) in shape.headers.iter() {
                if let Some(v) = resp.header(n) {
                    headers.push((n.to_string(), un(v)));
                }
            }
        }
    }
    e.headers = OrderedMap(headers);
    // Other headers: only those named, volatile ones kept as written.
    e.other_headers = OrderedMap(
        shape
            .other_headers
            .iter()
            .map(|(n, old)| {
                let v = if opts.volatile_header(n) {
                    old.clone()
                } else {
                    resp.header(n).map(&un)
                };
                (n.to_string(), v)
            })
            .collect(),
    );
    // Error document.
    let parsed = crate::s3::parse_error_body(&resp.body);
    let element =
        |name: &str| -> Option<String> { parsed.as_ref().and_then(|p| p.get(name)).map(&un) };
    e.error = match (&shape.error, given) {
        (Some(old), _) => {
            let field = |name: &str, old: &Option<String>| -> Option<String> {
                if opts.volatile_element(name) {
                    old.clone()
                } else {
                    element(name)
                }
            };
            Some(ExpectError {
                code: old.code.as_ref().and(field("Code", &old.code)),
                message: old.message.as_ref().and(field("Message", &old.message)),
                method: old.method.as_ref().and(field("Method", &old.method)),
                resource_type: old
                    .resource_type
                    .as_ref()
                    .and(field("ResourceType", &old.resource_type)),
                bucket_name: old
                    .bucket_name
                    .as_ref()
                    .and(field("BucketName", &old.bucket_name)),
                elements: OrderedMap(
                    old.elements
                        .iter()
                        .map(|(n, v)| (n.to_string(), field(n, v)))
                        .collect(),
                ),
            })
        }
        (None, None) if element("Code").is_some() => Some(ExpectError {
            code: element("Code"),
            message: element("Message"),
            ..ExpectError::default()
        }),
        (None, _) => None,
    };
    // Body and rules: where named (rules also for a blank GetBucketCors that succeeded).
    if shape.body.is_some() {
        e.body = Some(un(&String::from_utf8_lossy(&resp.body)));
    }
    let want_rules = shape.rules.is_some() || (given.is_none() && get_cors && resp.status == 200);
    if want_rules {
        e.rules = crate::runner::compare::parse_rules(&resp.body).map(|rules| {
            rules
                .into_iter()
                .map(|r| CorsRule {
                    id: r.id.map(|s| un(&s)),
                    allowed_origins: r.allowed_origins.iter().map(|s| un(s)).collect(),
                    allowed_methods: r.allowed_methods.iter().map(|s| un(s)).collect(),
                    allowed_headers: r.allowed_headers.iter().map(|s| un(s)).collect(),
                    expose_headers: r.expose_headers.iter().map(|s| un(s)).collect(),
                    max_age_seconds: r.max_age_seconds,
                })
                .collect()
        });
        if e.rules.is_none() && shape.rules.is_some() {
            e.rules = Some(Vec::new());
        }
    }
    e
}

// ---------------------------------------------------------------------------------------
// Rendering in the canonical style.

/// A double-quoted YAML scalar (JSON's escapes are YAML's).
fn dq(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.replace('"', "\\\"")))
}

/// A string that reads back as the same string when written plain (in block or flow
/// context: no indicators, no `: `, ` #`, `,`, brackets, and not a bool/null/number).
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s
        || s.chars().any(|c| !(' '..='~').contains(&c))
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.contains(['[', ']', '{', '}', ','])
    {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if [
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n",
    ]
    .contains(&lower.as_str())
    {
        return false;
    }
    // Anything that starts like a number may be read as one.
    !(first.is_ascii_digit() || first == '.' || first == '+')
}

fn key(s: &str) -> String {
    if plain_ok(s) { s.to_string() } else { dq(s) }
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(dq).unwrap_or_else(|| "~".to_string())
}

/// One entry of an expectation, rendered: its path and its lines.
#[derive(Debug, Clone)]
struct Rendered {
    path: String,
    lines: Vec<String>,
}

fn flow_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| key(s)).collect();
    format!("[{}]", items.join(", "))
}

fn render_rules(rules: &[CorsRule], pad: &str) -> Vec<String> {
    let mut out = Vec::new();
    for r in rules {
        let mut fields: Vec<String> = Vec::new();
        if let Some(id) = &r.id {
            fields.push(format!("id: {}", key(id)));
        }
        fields.push(format!(
            "allowed_origins: {}",
            flow_list(&r.allowed_origins)
        ));
        fields.push(format!(
            "allowed_methods: {}",
            flow_list(&r.allowed_methods)
        ));
        if !r.allowed_headers.is_empty() {
            fields.push(format!(
                "allowed_headers: {}",
                flow_list(&r.allowed_headers)
            ));
        }
        if !r.expose_headers.is_empty() {
            fields.push(format!("expose_headers: {}", flow_list(&r.expose_headers)));
        }
        if let Some(m) = r.max_age_seconds {
            fields.push(format!("max_age_seconds: {m}"));
        }
        for (i, f) in fields.into_iter().enumerate() {
            let lead = if i == 0 { "- " } else { "  " };
            out.push(format!("{pad}{lead}{f}"));
        }
    }
    out
}

/// The level-1 sections of an expectation in canonical order, each with its children
/// (level-2 entries), rendered at `indent` (the column of `status`).
fn render_sections(e: &Expect, indent: usize) -> Vec<(String, Vec<Rendered>)> {
    let p1 = " ".repeat(indent);
    let p2 = " ".repeat(indent + 2);
    let p3 = " ".repeat(indent + 4);
    let mut out: Vec<(String, Vec<Rendered>)> = Vec::new();
    out.push((
        "status".into(),
        vec![Rendered {
            path: "status".into(),
            lines: vec![format!("{p1}status: {}", e.status)],
        }],
    ));
    if !e.headers.is_empty() {
        let kids = e
            .headers
            .iter()
            .map(|(n, v)| Rendered {
                path: format!("headers/{}", n.to_ascii_lowercase()),
                lines: vec![format!("{p2}{}: {}", key(n), dq(v))],
            })
            .collect();
        out.push(("headers".into(), kids));
    }
    if e.cors_surface == CorsSurface::Listed {
        out.push((
            "cors_surface".into(),
            vec![Rendered {
                path: "cors_surface".into(),
                lines: vec![format!("{p1}cors_surface: listed")],
            }],
        ));
    }
    if !e.other_headers.is_empty() {
        let kids = e
            .other_headers
            .iter()
            .map(|(n, v)| Rendered {
                path: format!("other_headers/{}", n.to_ascii_lowercase()),
                lines: vec![format!("{p2}{}: {}", key(n), opt(v))],
            })
            .collect();
        out.push(("other_headers".into(), kids));
    }
    if let Some(err) = &e.error {
        let mut kids = Vec::new();
        for (name, v) in [
            ("code", &err.code),
            ("message", &err.message),
            ("method", &err.method),
            ("resource_type", &err.resource_type),
            ("bucket_name", &err.bucket_name),
        ] {
            if v.is_some() {
                kids.push(Rendered {
                    path: format!("error/{name}"),
                    lines: vec![format!("{p2}{name}: {}", opt(v))],
                });
            }
        }
        if !err.elements.is_empty() {
            let mut lines = vec![format!("{p2}elements:")];
            for (n, v) in err.elements.iter() {
                lines.push(format!("{p3}{}: {}", key(n), opt(v)));
            }
            kids.push(Rendered {
                path: "error/elements".into(),
                lines,
            });
        }
        out.push(("error".into(), kids));
    }
    if let Some(body) = &e.body {
        out.push((
            "body".into(),
            vec![Rendered {
                path: "body".into(),
                lines: vec![format!("{p1}body: {}", dq(body))],
            }],
        ));
    }
    if let Some(rules) = &e.rules {
        let lines = if rules.is_empty() {
            vec![format!("{p1}rules: []")]
        } else {
            let mut l = vec![format!("{p1}rules:")];
            l.extend(render_rules(rules, &p2));
            l
        };
        out.push((
            "rules".into(),
            vec![Rendered {
                path: "rules".into(),
                lines,
            }],
        ));
    }
    out
}

/// Every section of an expectation.
const SECTIONS: &[&str] = &[
    "status",
    "headers",
    "cors_surface",
    "other_headers",
    "error",
    "body",
    "rules",
];

/// Sections that are one entry (a scalar or an opaque block) rather than a map of entries.
fn is_leaf_section(name: &str) -> bool {
    matches!(name, "status" | "cors_surface" | "body" | "rules")
}

/// The canonical lines of a whole expectation, `expect:` line included (`indent` is the
/// column of `expect:`).
fn render_expect(e: &Expect, indent: usize) -> Vec<String> {
    let mut out = vec![format!("{}expect:", " ".repeat(indent))];
    for (name, kids) in render_sections(e, indent + 2) {
        if !is_leaf_section(&name) {
            out.push(format!("{}{name}:", " ".repeat(indent + 2)));
        }
        for k in kids {
            out.extend(k.lines);
        }
    }
    out
}

/// An expectation with `${bucket}` and `${name}` replaced by the trial's values: what the
/// runner compares. Recording compares these, so a value written literally where the
/// recorder would write a variable (or the other way round) is not a change.
fn subst_expect(e: &Expect, bucket: &str, vars: &[(String, String)]) -> Expect {
    let sub = |s: &str| {
        let mut out = s.replace("${bucket}", bucket);
        for (n, v) in vars {
            out = out.replace(&format!("${{{n}}}"), v);
        }
        out
    };
    let sub_opt = |v: &Option<String>| v.as_deref().map(sub);
    let map = |m: &OrderedMap<String>| {
        OrderedMap(m.iter().map(|(k, v)| (k.to_string(), sub(v))).collect())
    };
    let map_opt = |m: &OrderedMap<Option<String>>| {
        OrderedMap(m.iter().map(|(k, v)| (k.to_string(), sub_opt(v))).collect())
    };
    Expect {
        status: e.status,
        headers: map(&e.headers),
        cors_surface: e.cors_surface,
        other_headers: map_opt(&e.other_headers),
        error: e.error.as_ref().map(|err| ExpectError {
            code: sub_opt(&err.code),
            message: sub_opt(&err.message),
            method: sub_opt(&err.method),
            resource_type: sub_opt(&err.resource_type),
            bucket_name: sub_opt(&err.bucket_name),
            elements: map_opt(&err.elements),
        }),
        body: sub_opt(&e.body),
        rules: e.rules.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Semantic equality of one entry, old (as written) against new (as observed).

fn entry_value(e: &Expect, path: &str) -> Option<String> {
    let (sect, rest) = path.split_once('/').unwrap_or((path, ""));
    let find = |m: &OrderedMap<String>| {
        m.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(rest))
            .map(|(_, v)| v.clone())
    };
    match sect {
        "status" => Some(e.status.to_string()),
        "cors_surface" => Some(format!("{:?}", e.cors_surface)),
        "headers" if rest.is_empty() => Some(format!("{:?}", e.headers)),
        "headers" => find(&e.headers),
        "other_headers" if rest.is_empty() => Some(format!("{:?}", e.other_headers)),
        "other_headers" => e
            .other_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(rest))
            .map(|(_, v)| format!("{v:?}")),
        "error" => {
            let err = e.error.as_ref()?;
            Some(match rest {
                "" => format!("{err:?}"),
                "code" => format!("{:?}", err.code),
                "message" => format!("{:?}", err.message),
                "method" => format!("{:?}", err.method),
                "resource_type" => format!("{:?}", err.resource_type),
                "bucket_name" => format!("{:?}", err.bucket_name),
                "elements" => format!("{:?}", err.elements),
                _ => return None,
            })
        }
        "body" => e.body.clone(),
        "rules" => e.rules.as_ref().map(|r| format!("{r:?}")),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The text of a case file.

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The key of a `key: …` / `key:` line (quotes removed), and the text after the colon.
fn split_key(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t);
    let (k, rest) = if let Some(q) = t.strip_prefix('"') {
        let end = q.find('"')?;
        let after = q[end + 1..].trim_start().strip_prefix(':')?;
        (q[..end].to_string(), after)
    } else if let Some(q) = t.strip_prefix('\'') {
        let end = q.find('\'')?;
        let after = q[end + 1..].trim_start().strip_prefix(':')?;
        (q[..end].to_string(), after)
    } else {
        let colon = t.find(':')?;
        (t[..colon].trim_end().to_string(), &t[colon + 1..])
    };
    Some((k, rest.trim()))
}

/// The trailing comment of a one-line `key: value  # comment` (with the spaces before it),
/// so a re-rendered value keeps it.
fn trailing_comment(line: &str) -> Option<String> {
    let (_, v) = split_key(line)?;
    let after = if let Some(q) = v.strip_prefix('"') {
        let mut chars = q.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                _ => {}
            }
        }
        &q[end?..]
    } else if let Some(q) = v.strip_prefix('\'') {
        // `''` is a quote inside a single-quoted scalar.
        let b = q.as_bytes();
        let mut i = 0;
        let mut end = None;
        while i < b.len() {
            if b[i] == b'\'' {
                if b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                end = Some(i + 1);
                break;
            }
            i += 1;
        }
        &q[end?..]
    } else if v.starts_with(['{', '[']) {
        return None;
    } else {
        &v[v.find(" #")?..]
    };
    after.trim_start().starts_with('#').then(|| {
        let pos = line.rfind(after.trim_start()).unwrap_or(line.len());
        let spaces = line[..pos].len() - line[..pos].trim_end().len();
        format!("{}{}", " ".repeat(spaces.max(1)), after.trim_start())
    })
}

/// `new` (one line) with the trailing comment of `old`, if any.
fn with_comment(new: &[String], old: &str) -> Vec<String> {
    let mut out = new.to_vec();
    if let (1, Some(c)) = (out.len(), trailing_comment(old)) {
        out[0].push_str(&c);
    }
    out
}

/// An entry of the old text: its key, and its lines `[start, end)`, with the comment and
/// blank lines before it.
#[derive(Debug, Clone)]
struct Span {
    key: String,
    /// First line (comments before the key line included).
    start: usize,
    /// The key line.
    key_line: usize,
    end: usize,
    /// The key line has a value after the colon (a scalar or a flow collection).
    inline: bool,
}

/// The entries at exactly column `col` within lines `[from, to)`.
fn entries(lines: &[String], from: usize, to: usize, col: usize) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut pending: Option<usize> = None;
    let mut i = from;
    while i < to {
        let l = &lines[i];
        if !is_content(l) {
            pending.get_or_insert(i);
            i += 1;
            continue;
        }
        if indent_of(l) == col
            && let Some((k, rest)) = split_key(l)
        {
            let mut end = i + 1;
            let mut last = i + 1;
            while end < to {
                let m = &lines[end];
                if is_content(m) && indent_of(m) <= col {
                    break;
                }
                end += 1;
                if is_content(m) {
                    last = end;
                }
            }
            out.push(Span {
                key: k,
                start: pending.take().unwrap_or(i),
                key_line: i,
                end: last,
                inline: !rest.is_empty() && !rest.starts_with('#'),
            });
            i = last;
        } else {
            i += 1;
        }
    }
    out
}

/// The lines of a step: its first line (0-based) and the end (exclusive) of its content,
/// and the column of its keys.
fn step_extent(lines: &[String], first: usize) -> Option<(usize, usize)> {
    let l = lines.get(first)?;
    let t = l.trim_start();
    let col = indent_of(l) + if t.starts_with("- ") { 2 } else { 0 };
    let mut end = first + 1;
    let mut i = first + 1;
    while i < lines.len() {
        let m = &lines[i];
        if is_content(m) {
            if indent_of(m) < col || (indent_of(m) == col && m.trim_start().starts_with("- ")) {
                break;
            }
            end = i + 1;
        }
        i += 1;
    }
    Some((col, end))
}

/// Records one file: `src` is its text, `case` the loaded case, `observed` one entry per
/// step that ran (in order; fewer when the case stopped early), `bucket` the trial's bucket.
/// `stopped` says why the case stopped early, for the notes.
pub fn record_text(
    src: &str,
    case: &Case,
    observed: &[ObservedStep],
    bucket: &str,
    stopped: Option<&str>,
    opts: &Options,
) -> FileRecord {
    let trailing_newline = src.ends_with('\n');
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    let mut notes = Vec::new();
    if observed.len() < case.steps.len() {
        notes.push(format!(
            "{}: steps {}–{} not recorded ({})",
            case.file,
            observed.len() + 1,
            case.steps.len(),
            stopped.unwrap_or("the case stopped early")
        ));
    }
    // Last step first, so the line numbers of earlier steps stay valid.
    for (i, step) in case.steps.iter().enumerate().rev() {
        let Some(obs) = observed.get(i) else { continue };
        let get_cors = matches!(step.action, Action::GetBucketCors(_));
        let given = step.recorded.then_some(&step.expect);
        let new = observed_expect(given, get_cors, obs, bucket, opts);
        if step.line == 0 {
            notes.push(format!(
                "{}: step {} has no line; not recorded",
                case.file,
                i + 1
            ));
            continue;
        }
        let old_cmp = given.map(|g| subst_expect(g, bucket, &obs.vars));
        let new_cmp = subst_expect(&new, bucket, &obs.vars);
        let same = |path: &str| {
            old_cmp
                .as_ref()
                .is_some_and(|o| entry_value(o, path) == entry_value(&new_cmp, path))
        };
        match edit_step(&lines, step.line - 1, given, &new, &same, opts.normalise) {
            Ok(Some((from, to, repl))) => {
                lines.splice(from..to, repl);
            }
            Ok(None) => {}
            Err(why) => notes.push(format!(
                "{}:{}: step {} not recorded: {why}",
                case.file,
                step.line,
                i + 1
            )),
        }
    }
    let mut text = lines.join("\n");
    if trailing_newline {
        text.push('\n');
    }
    FileRecord { text, notes }
}

/// The replacement of one step's `expect:` block: `(from, to, new lines)`, or `None` when
/// nothing changes.
fn edit_step(
    lines: &[String],
    first: usize,
    given: Option<&Expect>,
    new: &Expect,
    same: &dyn Fn(&str) -> bool,
    normalise: bool,
) -> Result<Option<(usize, usize, Vec<String>)>, String> {
    let (col, end) = step_extent(lines, first).ok_or("the step's line is not in the file")?;
    // The step's keys: the first one shares the line with `- `.
    let mut keys = Vec::new();
    if let Some((k, rest)) = split_key(&lines[first]) {
        keys.push(Span {
            key: k,
            start: first,
            key_line: first,
            end: first + 1,
            inline: !rest.is_empty(),
        });
    }
    keys.extend(entries(lines, first + 1, end, col));
    let expect = keys.iter().find(|s| s.key == "expect");
    if given.is_none() {
        // Blank: replace `expect: record`, or add an `expect:` at the end of the step.
        let block = render_expect(new, col);
        return Ok(Some(match expect {
            Some(s) if s.key_line == first => {
                return Err("`expect:` must not be the step's first key".into());
            }
            Some(s) => (s.key_line, s.end, block),
            None => (end, end, block),
        }));
    }
    let s = expect.ok_or("no `expect:` found in the step's lines")?;
    if s.key_line == first {
        return Err("`expect:` must not be the step's first key".into());
    }
    if s.inline || normalise {
        // A flow-style `expect: {…}`: kept while equal, else rewritten in block style.
        let block = render_expect(new, col);
        let old: Vec<String> = lines[s.key_line..s.end].to_vec();
        let unchanged = SECTIONS.iter().all(|p| same(p));
        if (unchanged && !normalise) || old == block {
            return Ok(None);
        }
        return Ok(Some((s.key_line, s.end, block)));
    }
    let merged = merge_block(lines, s.key_line + 1, s.end, col + 2, same, new);
    let old: Vec<String> = lines[s.key_line + 1..s.end].to_vec();
    if merged == old {
        Ok(None)
    } else {
        Ok(Some((s.key_line + 1, s.end, merged)))
    }
}

/// Merges the new expectation into the old block lines `[from, to)` whose sections sit at
/// column `col`: unchanged entries are copied verbatim (comments and all), changed ones
/// re-rendered, removed ones dropped, new ones appended to their section.
fn merge_block(
    lines: &[String],
    from: usize,
    to: usize,
    col: usize,
    same: &dyn Fn(&str) -> bool,
    new: &Expect,
) -> Vec<String> {
    let rendered = render_sections(new, col);
    let old_sections = entries(lines, from, to, col);
    let mut out: Vec<String> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let canon: Vec<&str> = rendered.iter().map(|(n, _)| n.as_str()).collect();
    let emit_new = |name: &str, out: &mut Vec<String>| {
        if let Some((_, kids)) = rendered.iter().find(|(n, _)| n == name) {
            if !is_leaf_section(name) {
                out.push(format!("{}{name}:", " ".repeat(col)));
            }
            for k in kids {
                out.extend(k.lines.iter().cloned());
            }
        }
    };
    for sec in &old_sections {
        let name = sec.key.as_str();
        done.push(name.to_string());
        let new_kids = rendered.iter().find(|(n, _)| n == name).map(|(_, k)| k);
        let copy = |out: &mut Vec<String>| out.extend(lines[sec.start..sec.end].iter().cloned());
        if same(name) {
            copy(&mut out);
            continue;
        }
        let Some(new_kids) = new_kids else {
            // The section is gone (e.g. no CORS header any more): drop it.
            continue;
        };
        if is_leaf_section(name) || sec.inline {
            out.extend(lines[sec.start..sec.key_line].iter().cloned());
            let mut fresh = Vec::new();
            emit_new(name, &mut fresh);
            out.extend(with_comment(&fresh, &lines[sec.key_line]));
            continue;
        }
        // A block map: merge its entries.
        out.extend(lines[sec.start..=sec.key_line].iter().cloned());
        let kids = entries(lines, sec.key_line + 1, sec.end, col + 2);
        let mut seen: Vec<String> = Vec::new();
        for k in &kids {
            let path = format!("{name}/{}", k.key.to_ascii_lowercase());
            seen.push(path.clone());
            let Some(r) = new_kids.iter().find(|r| r.path == path) else {
                continue;
            };
            if same(&path) {
                out.extend(lines[k.start..k.end].iter().cloned());
            } else {
                out.extend(lines[k.start..k.key_line].iter().cloned());
                out.extend(with_comment(&r.lines, &lines[k.key_line]));
            }
        }
        for r in new_kids {
            if !seen.contains(&r.path) {
                out.extend(r.lines.iter().cloned());
            }
        }
    }
    // Sections the old block lacks, each after the last section before it in canonical order.
    for (idx, name) in canon.iter().enumerate() {
        if done.iter().any(|d| d == name) {
            continue;
        }
        let mut block = Vec::new();
        emit_new(name, &mut block);
        // Find where the preceding canonical section ends in `out`.
        let before: Vec<&str> = canon[..idx].to_vec();
        let mut at = 0;
        for (j, l) in out.iter().enumerate() {
            if indent_of(l) == col
                && let Some((k, _)) = split_key(l)
                && before.contains(&k.as_str())
            {
                at = j + 1;
                while at < out.len() && (!is_content(&out[at]) || indent_of(&out[at]) > col) {
                    at += 1;
                }
            }
        }
        out.splice(at..at, block);
        done.push(name.to_string());
    }
    out
}

/// A unified diff of one file (`a/PATH`, `b/PATH`), empty when nothing changed.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests;
