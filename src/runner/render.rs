//! Failure output a person can act on: where (`--> file:line`), what was sent, the
//! `-expected +actual` diff, and a `curl` command that replays the request.
//!
//! The plain text (no colour codes) is what goes into `results.json`; colour is added only
//! for a terminal, at the last moment.

use crate::s3::WireRequest;
use similar::{ChangeTag, TextDiff};

/// Whether failure output (on stderr) should be coloured; see [`colour_on`].
pub fn use_colour() -> bool {
    colour_on(&std::io::stderr())
}

/// The crate's one colour decision, for any output stream: anstream's, so `NO_COLOR`,
/// `CLICOLOR`, `CLICOLOR_FORCE` and `TERM=dumb` mean what they mean everywhere else (colour
/// only on a terminal by default; a set, non-empty `NO_COLOR` always wins).
pub fn colour_on(stream: &impl anstream::stream::RawStream) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

/// A unified `-expected +actual` diff of two canonical texts (every line, no hunks: the texts
/// are short and context matters).
pub fn diff(expected: &str, actual: &str) -> String {
    let d = TextDiff::from_lines(expected.to_string(), actual.to_string());
    let mut out = String::new();
    for change in d.iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => ' ',
        };
        out.push(sign);
        out.push_str(change.value().trim_end_matches('\n'));
        out.push('\n');
    }
    out
}

/// Colours a plain diff (red `-`, green `+`).
pub fn colour_diff(plain: &str) -> String {
    plain
        .lines()
        .map(|l| match l.chars().next() {
            Some('-') => format!("\x1b[31m{l}\x1b[0m"),
            Some('+') => format!("\x1b[32m{l}\x1b[0m"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The request as text: `METHOD URL`, then one header per line (already redacted).
pub fn request_text(wire: &WireRequest) -> String {
    let mut s = format!("{} {}\n", wire.method, wire.url);
    for (n, v) in &wire.headers {
        s.push_str(&format!("{n}: {v}\n"));
    }
    if !wire.body.is_empty() {
        let body = String::from_utf8_lossy(&wire.body);
        let shown: String = body.chars().take(400).collect();
        s.push('\n');
        s.push_str(&shown);
        if shown.len() < body.len() {
            s.push('…');
        }
        s.push('\n');
    }
    s
}

/// Headers the signer adds; curl's `--aws-sigv4` makes its own.
const SIGNING_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// A `curl` command replaying a (redacted) request. Header-signed requests are re-signed by
/// curl itself from `$AWS_ACCESS_KEY_ID`/`$AWS_SECRET_ACCESS_KEY`; presigned URLs carry a
/// redacted signature and must be presigned again (the command says so).
pub fn curl(wire: &WireRequest) -> String {
    let auth = wire
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str());
    let token = wire
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"));
    let mut parts: Vec<String> = vec!["curl -i".to_string()];
    if wire.method == "HEAD" {
        parts.push("--head".to_string());
    } else if wire.method != "GET" || !wire.body.is_empty() {
        parts.push(format!("-X {}", quote(&wire.method)));
    }
    parts.push(quote(&wire.url));
    for (n, v) in &wire.headers {
        if auth.is_some() && SIGNING_HEADERS.iter().any(|h| n.eq_ignore_ascii_case(h)) {
            continue;
        }
        parts.push(format!("-H {}", quote(&format!("{n}: {v}"))));
    }
    if !wire.body.is_empty() {
        parts.push(format!(
            "--data-binary {}",
            quote(&String::from_utf8_lossy(&wire.body))
        ));
    }
    if let Some(auth) = auth {
        let region = scope_region(auth).unwrap_or("us-east-1");
        parts.push(format!("--aws-sigv4 'aws:amz:{region}:s3'"));
        parts.push("--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"".to_string());
        if token {
            parts.push("-H \"x-amz-security-token: $AWS_SESSION_TOKEN\"".to_string());
        }
    }
    let mut cmd = parts.join(" \\\n  ");
    if wire.url.contains("X-Amz-Signature=") {
        cmd = format!(
            "# presigned URL (signature redacted): presign it again, e.g. `aws s3 presign`\n{cmd}"
        );
    }
    cmd
}

/// `us-east-1` from `Credential=…/20260101/us-east-1/s3/aws4_request`.
fn scope_region(auth: &str) -> Option<&str> {
    let cred = auth.split("Credential=").nth(1)?;
    let mut parts = cred.split('/');
    parts.nth(2)
}

/// Single-quotes a shell word.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The whole failure message of a trial.
pub struct Failure<'a> {
    pub file: &'a str,
    pub line: usize,
    pub step: usize,
    pub label: &'a str,
    pub request: &'a WireRequest,
    pub diff: &'a str,
    pub curl: &'a str,
}

impl Failure<'_> {
    /// Renders the message, with colour when asked.
    pub fn render(&self, colour: bool) -> String {
        let diff = if colour {
            colour_diff(self.diff)
        } else {
            self.diff.to_string()
        };
        format!(
            "--> {}:{}\nstep {}: {}\n\nrequest:\n{}\n-expected +actual:\n{}\nreplay:\n{}",
            self.file,
            self.line,
            self.step,
            self.label,
            indent(&request_text(self.request)),
            diff,
            indent(self.curl),
        )
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changes() {
        let d = diff("status: 200\na: 1\n", "status: 200\na: 2\n");
        assert_eq!(d, " status: 200\n-a: 1\n+a: 2\n");
    }

    #[test]
    fn curl_resigns_signed_requests() {
        let w = WireRequest {
            method: "PUT".into(),
            url: "http://h:1/b?cors".into(),
            headers: vec![
                ("Content-MD5".into(), "x==".into()),
                ("x-amz-date".into(), "20260101T000000Z".into()),
                (
                    "authorization".into(),
                    "AWS4-HMAC-SHA256 Credential=REDACTED/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=REDACTED".into(),
                ),
            ],
            body: b"<a/>".to_vec(),
        };
        let c = curl(&w);
        assert!(c.contains("--aws-sigv4 'aws:amz:eu-west-1:s3'"), "{c}");
        assert!(c.contains("-H 'Content-MD5: x=='"), "{c}");
        assert!(!c.contains("x-amz-date"), "{c}");
        assert!(c.contains("--data-binary '<a/>'"), "{c}");
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
