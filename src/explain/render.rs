//! The human-readable report of an [`Explanation`].

use super::core::{Explanation, list_or_none};
use crate::browser::{Mode, VerdictKind};

/// ANSI styling. Whether it is on is the caller's decision (the CLI asks
/// `runner::render::colour_on`, which respects `NO_COLOR`); the codes are written by hand
/// because `anstyle` renders bold and colour as two sequences, and this output is kept
/// byte-identical.
pub struct Style {
    /// Paint, or pass text through unchanged.
    pub on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn good(&self, s: &str) -> String {
        self.paint("1;32", s)
    }
    fn bad(&self, s: &str) -> String {
        self.paint("1;31", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

const LABEL: usize = 14;

fn line(out: &mut String, label: &str, text: &str, style: &Style) {
    let pad = LABEL.saturating_sub(label.chars().count());
    out.push_str(&style.bold(label));
    out.push_str(&" ".repeat(pad));
    out.push_str(text);
    out.push('\n');
}

fn cont(out: &mut String, text: &str) {
    out.push_str(&" ".repeat(LABEL));
    out.push_str(text);
    out.push('\n');
}

fn headers_lines(out: &mut String, headers: &[(String, String)], style: &Style) {
    for (n, v) in headers {
        cont(out, &style.dim(&format!("{n}: {v}")));
    }
}

/// The human-readable report.
pub fn render(ex: &Explanation, style: &Style) -> String {
    let mut out = String::new();
    let r = &ex.request;
    line(
        &mut out,
        "Request",
        &format!("{} {}", r.method, r.url),
        style,
    );
    line(&mut out, "From origin", &r.origin, style);
    let mode = match r.mode {
        Mode::Cors => format!("credentials {}", r.credentials),
        Mode::NoCors => "no-cors (an <img> without crossorigin)".to_string(),
    };
    line(&mut out, "Mode", &mode, style);
    if r.headers.is_empty() {
        line(&mut out, "Headers", "(none set by the script)", style);
    } else {
        let first = r
            .headers
            .first()
            .map(|(n, v)| format!("{n}: {v}"))
            .unwrap_or_default();
        line(&mut out, "Headers", &first, style);
        for (n, v) in r.headers.iter().skip(1) {
            cont(&mut out, &format!("{n}: {v}"));
        }
    }
    out.push('\n');

    match ex.configuration {
        "missing_bucket" => line(&mut out, "Bucket", &style.bad("does not exist"), style),
        "not_configured" => line(
            &mut out,
            "Bucket",
            &style.bad("has no CORS configuration"),
            style,
        ),
        _ if r.mode == Mode::NoCors && matches!(r.method.as_str(), "GET" | "HEAD") => line(
            &mut out,
            "Rules",
            "not consulted: an <img> without crossorigin sends no Origin header",
            style,
        ),
        _ => {
            line(
                &mut out,
                "Rules",
                &format!(
                    "{} rule{}, the first one that fully matches is used",
                    ex.rules.len(),
                    if ex.rules.len() == 1 { "" } else { "s" }
                ),
                style,
            );
            for rule in &ex.rules {
                let tag = if rule.chosen {
                    style.good("USED    ")
                } else if rule.full_match {
                    "matches ".to_string()
                } else {
                    style.dim("no match")
                };
                let id = rule
                    .id
                    .as_deref()
                    .map(|i| format!(" ({i})"))
                    .unwrap_or_default();
                cont(
                    &mut out,
                    &format!("rule {}{id}  {tag}  {}", rule.number, rule.summary),
                );
            }
            if !ex.rules.iter().any(|r| r.chosen) {
                cont(&mut out, &style.bad("no rule matches this request"));
            }
        }
    }
    out.push('\n');

    let p = &ex.preflight;
    if r.mode == Mode::NoCors {
        line(
            &mut out,
            "Preflight",
            "none (no-cors requests are never preflighted)",
            style,
        );
    } else if !p.needed {
        line(
            &mut out,
            "Preflight",
            &format!(
                "not sent: {} is CORS-safelisted and no request header needs approval",
                r.method
            ),
            style,
        );
    } else {
        line(
            &mut out,
            "Preflight",
            &format!("sent, because {}", p.why.join(" and ")),
            style,
        );
        cont(&mut out, &format!("OPTIONS {}", r.url));
        headers_lines(&mut out, &p.request_headers, style);
        if let Some(resp) = &p.response {
            match &resp.error {
                Some(e) => {
                    line(
                        &mut out,
                        "S3 answers",
                        &format!("{} {}, without CORS headers", resp.status, e.code),
                        style,
                    );
                    cont(&mut out, &style.dim(&e.message));
                }
                None => {
                    let from = resp
                        .rule
                        .map(|n| format!(" (rule {n})"))
                        .unwrap_or_default();
                    line(
                        &mut out,
                        "S3 answers",
                        &format!("{} OK{from}", resp.status),
                        style,
                    );
                    headers_lines(&mut out, &resp.headers, style);
                }
            }
        }
        if let Some(v) = &p.verdict {
            if v.allowed {
                let cache = v
                    .preflight
                    .as_ref()
                    .map(|i| {
                        format!(
                            "; cached {} s by Chromium, {} s by Firefox",
                            i.chromium_cache_seconds, i.firefox_cache_seconds
                        )
                    })
                    .unwrap_or_default();
                line(
                    &mut out,
                    "Browser",
                    &format!("{} the preflight{cache}", style.good("accepts")),
                    style,
                );
            } else {
                line(
                    &mut out,
                    "Browser",
                    &style.bad("rejects the preflight"),
                    style,
                );
            }
        }
    }
    out.push('\n');

    match &ex.actual {
        None => line(
            &mut out,
            "Actual",
            "never sent: the preflight failed",
            style,
        ),
        Some(a) => {
            line(
                &mut out,
                "Actual",
                &format!("{} {}", r.method, r.url),
                style,
            );
            let resp = &a.response;
            let no_origin = r.mode == Mode::NoCors && matches!(r.method.as_str(), "GET" | "HEAD");
            let what = if resp.headers.is_empty() && no_origin {
                "no CORS headers (no Origin was sent)".to_string()
            } else if resp.headers.is_empty() {
                style.bad("no CORS headers (no rule matches)")
            } else {
                format!(
                    "these CORS headers{}",
                    resp.rule
                        .map(|n| format!(" (rule {n})"))
                        .unwrap_or_default()
                )
            };
            line(
                &mut out,
                "S3 answers",
                &format!("{}, with {what}", resp.status),
                style,
            );
            headers_lines(&mut out, &resp.headers, style);
            cont(
                &mut out,
                &style.dim(&format!(
                    "and the usual ones: {}",
                    a.other_headers.join(", ")
                )),
            );
        }
    }
    out.push('\n');

    let v = &ex.verdict;
    if v.allowed {
        let text = match v.kind {
            VerdictKind::Opaque => format!(
                "{} — the image loads, but the response is opaque to scripts",
                style.good("ALLOWED")
            ),
            _ => format!("{} — the script gets the response", style.good("ALLOWED")),
        };
        line(&mut out, "Verdict", &text, style);
        if v.kind == VerdictKind::Actual {
            line(
                &mut out,
                "Readable",
                &list_or_none(&v.readable_headers),
                style,
            );
            line(
                &mut out,
                "Not readable",
                &list_or_none(&ex.unreadable_headers),
                style,
            );
        }
    } else {
        line(&mut out, "Verdict", &style.bad("BLOCKED"), style);
        cont(&mut out, &v.reason);
        if let Some(c) = &ex.console {
            cont(&mut out, &style.dim(&format!("console: {c}")));
        }
    }
    if ex.fixes.is_empty() {
        line(&mut out, "Fix", "nothing to fix", style);
    } else {
        for (i, f) in ex.fixes.iter().enumerate() {
            if i == 0 {
                line(&mut out, "Fix", f, style);
            } else {
                cont(&mut out, f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::{BrowserRequest, Credentials};
    use crate::cors::{CorsConfiguration, CorsRule, ResourceType};
    use crate::explain::{Source, explain};

    const ORIGIN: &str = "http://localhost:8000";

    fn explained(method: &str, credentials: Credentials) -> Explanation {
        let src = Source::File(CorsConfiguration {
            rules: vec![CorsRule {
                allowed_origins: vec![ORIGIN.to_string()],
                allowed_methods: vec!["GET".to_string()],
                expose_headers: vec!["ETag".to_string()],
                ..CorsRule::default()
            }],
        });
        let req = BrowserRequest::fetch(ORIGIN, method, credentials);
        explain(&src, &req, ResourceType::Object, "https://b/k", &[])
    }

    #[test]
    fn labels_are_padded_to_one_column() {
        let text = render(&explained("GET", Credentials::Omit), &Style { on: false });
        assert!(
            text.starts_with("Request       GET https://b/k\n"),
            "{text}"
        );
        assert!(
            text.contains("\nFrom origin   http://localhost:8000\n"),
            "{text}"
        );
        assert!(text.contains("\nVerdict       ALLOWED — the script gets the response\n"));
        assert!(text.contains("\nFix           nothing to fix\n"), "{text}");
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn a_block_shows_the_reason_and_the_console_line() {
        let text = render(&explained("PUT", Credentials::Omit), &Style { on: false });
        assert!(text.contains("\nVerdict       BLOCKED\n"), "{text}");
        assert!(
            text.contains("console: Access to fetch at 'https://b/k'"),
            "{text}"
        );
        assert!(text.contains("Actual        never sent: the preflight failed\n"));
    }

    #[test]
    fn colour_only_when_on() {
        let ex = explained("PUT", Credentials::Omit);
        let on = render(&ex, &Style { on: true });
        assert!(on.contains("\x1b[1;31mBLOCKED\x1b[0m"), "{on}");
        assert!(on.starts_with("\x1b[1mRequest\x1b[0m"));
    }
}
