//! Escaping helpers shared by the renderers.
//!
//! Everything a report shows came from somewhere we do not control: case titles and tags from
//! case files, diffs and header values from the target under test (a hostile or simply broken
//! server can answer with `<script>` in a header). So every string passes through one of these
//! before it is written, and the renderers never build markup from data any other way.

/// Escapes text for HTML element content and double- or single-quoted attribute values.
///
/// Hand-written, not `quick_xml::escape`: HTML wants `&#39;` (`&apos;` is not HTML 4), and
/// control characters are shown as `\u{…}` rather than passed through.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are invalid in HTML (and in XML);
            // show them instead of dropping them silently.
            c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// [`html`] on one line: newlines become spaces (for HTML blocks inside Markdown, which a
/// blank line would end).
pub fn html_line(s: &str) -> String {
    html(&s.replace(['\r', '\n'], " "))
}

/// HTML-escapes `s` and turns `http://` / `https://` words into links (for reasons that end
/// with an issue link). Only those two schemes are linked, so `javascript:` never is.
pub fn html_linkified(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = find_url(rest) {
        out.push_str(&html(&rest[..start]));
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '<' | '>' | '"' | '\''))
            .unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ';']);
        let escaped = html(url);
        out.push_str(&format!(
            "<a href=\"{escaped}\" rel=\"noopener noreferrer\">{escaped}</a>"
        ));
        rest = &tail[url.len()..];
    }
    out.push_str(&html(rest));
    out
}

fn find_url(s: &str) -> Option<usize> {
    match (s.find("https://"), s.find("http://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Makes text safe inside a Markdown table cell or a one-line Markdown context: HTML-escaped
/// (GitHub renders inline HTML), pipes and backslashes escaped, newlines flattened, and
/// Markdown emphasis/link characters escaped so a title cannot restyle the report.
pub fn md_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span that survives backticks inside `s`: the fence is one backtick longer
/// than the longest run in the text (CommonMark), and pipes are escaped for table cells.
pub fn md_code(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let fence = "`".repeat(longest_run(&flat, '`') + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", flat.replace('|', "\\|"))
}

/// A fenced Markdown code block with `lang` that survives backtick fences inside `body`.
pub fn md_fence(lang: &str, body: &str) -> String {
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let body = body.trim_end_matches('\n');
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        if ch == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_hostile_text() {
        let s = r#"<script>alert("x" & 'y')</script>"#;
        let e = html(s);
        assert_eq!(
            e,
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(html("a\u{0}b"), "a\\u{0}b");
    }

    #[test]
    fn linkify_only_http_and_escapes_everything_else() {
        let s = "broken <b> see https://example.com/i/1?a=1&b=2). javascript:alert(1)";
        let e = html_linkified(s);
        assert!(
            e.starts_with("broken &lt;b&gt; see <a href=\"https://example.com/i/1?a=1&amp;b=2\"")
        );
        assert!(e.ends_with(">https://example.com/i/1?a=1&amp;b=2</a>). javascript:alert(1)"));
        assert!(!e.contains("href=\"javascript"));
        let q = html_linkified("x https://e.com/\"onmouseover=\"alert(1)");
        assert!(!q.contains("\"onmouseover"), "{q}");
    }

    #[test]
    fn markdown_inline_cannot_break_tables_or_inject_html() {
        let e = md_inline("a | b <img src=x onerror=alert(1)> **bold** [x](y)\nnext");
        assert!(!e.contains(" | "));
        assert!(!e.contains('<'));
        assert!(!e.contains('\n'));
        assert!(e.contains("\\*\\*bold\\*\\*"));
        assert!(e.contains("\\[x\\](y)"));
    }

    #[test]
    fn markdown_code_and_fences_outgrow_backticks() {
        assert_eq!(md_code("a"), "`a`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        let f = md_fence("diff", "-a\n```\n+b\n");
        assert!(f.starts_with("````diff\n"));
        assert!(f.ends_with("\n````\n"));
    }
}
