//! Captured values: a multipart upload is a conversation (the `UploadId` of
//! CreateMultipartUpload goes into every UploadPart, each part's `ETag` into
//! CompleteMultipartUpload), so a step may keep values of its response (`capture:`) and
//! later steps refer to them as `${name}`, like `${bucket}`.
//!
//! Substitution happens on a copy of the step before it is sent and judged, so the request,
//! the replay command and the expected values all show the real values. A name that was
//! never captured is left as written (`${filename}` in a form's key is S3's own variable).

use crate::case::CaseStep;
use crate::case::OrderedMap;
use crate::case::model::{CaptureSpec, ExpectError};
use crate::target::S3Response;

/// Values captured so far, in capture order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(Vec<(String, String)>);

impl Vars {
    /// Replaces `${name}` for every captured name.
    pub fn subst(&self, s: &str) -> String {
        let mut out = s.to_string();
        if !out.contains("${") {
            return out;
        }
        for (n, v) in &self.0 {
            out = out.replace(&format!("${{{n}}}"), v);
        }
        out
    }

    fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    /// The captured `(name, value)` pairs, in capture order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Whether nothing was captured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps what `capture` asks for from `resp`; `Err` names what was missing.
    pub fn collect(
        &mut self,
        capture: &OrderedMap<CaptureSpec>,
        resp: &S3Response,
    ) -> Result<(), String> {
        for (name, spec) in capture.iter() {
            let value = match (&spec.header, &spec.xml) {
                (Some(h), _) => resp
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(h))
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| format!("capture `{name}`: the response has no `{h}` header"))?,
                (None, Some(x)) => xml_text(&resp.body, x).ok_or_else(|| {
                    format!("capture `{name}`: the response body has no <{x}> element")
                })?,
                (None, None) => continue,
            };
            self.set(name, value);
        }
        Ok(())
    }
}

/// The text of the first `<name>` element of an XML body, entities decoded.
pub fn xml_text(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(
        text[start..end]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#34;", "\"")
            .replace("&amp;", "&"),
    )
}

fn map(m: &OrderedMap<String>, vars: &Vars) -> OrderedMap<String> {
    OrderedMap(
        m.iter()
            .map(|(k, v)| (k.to_string(), vars.subst(v)))
            .collect(),
    )
}

fn map_opt(m: &OrderedMap<Option<String>>, vars: &Vars) -> OrderedMap<Option<String>> {
    OrderedMap(
        m.iter()
            .map(|(k, v)| (k.to_string(), v.as_deref().map(|v| vars.subst(v))))
            .collect(),
    )
}

/// A copy of `step` with every captured `${name}` replaced.
pub fn apply(step: &CaseStep, vars: &Vars) -> CaseStep {
    let mut s = step.clone();
    if vars.is_empty() {
        return s;
    }
    let sub = |v: &Option<String>| v.as_deref().map(|v| vars.subst(v));
    if let crate::case::Action::Request(r) = &mut s.action {
        r.key = sub(&r.key);
        r.query = map_opt(&r.query, vars);
        r.headers = map(&r.headers, vars);
        r.body = sub(&r.body);
        if let Some(f) = &mut r.form {
            f.fields = map(&f.fields, vars);
        }
    }
    let e = &mut s.expect;
    e.headers = map(&e.headers, vars);
    e.other_headers = map_opt(&e.other_headers, vars);
    e.body = sub(&e.body);
    if let Some(err) = &e.error {
        e.error = Some(ExpectError {
            code: sub(&err.code),
            message: sub(&err.message),
            method: sub(&err.method),
            resource_type: sub(&err.resource_type),
            bucket_name: sub(&err.bucket_name),
            elements: map_opt(&err.elements, vars),
        });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_decodes_entities() {
        let body = b"<R><UploadId>a&amp;b</UploadId><ETag>&quot;x-2&quot;</ETag></R>";
        assert_eq!(xml_text(body, "UploadId").as_deref(), Some("a&b"));
        assert_eq!(xml_text(body, "ETag").as_deref(), Some("\"x-2\""));
        assert_eq!(xml_text(body, "Nope"), None);
    }

    #[test]
    fn captures_then_substitutes_and_reports_what_is_missing() {
        let resp = S3Response {
            status: 200,
            headers: vec![("etag".into(), "\"e1\"".into())],
            body: b"<X><UploadId>u1</UploadId></X>".to_vec(),
        };
        let mut vars = Vars::default();
        let capture = OrderedMap(vec![
            (
                "id".to_string(),
                CaptureSpec {
                    header: None,
                    xml: Some("UploadId".into()),
                },
            ),
            (
                "e".to_string(),
                CaptureSpec {
                    header: Some("ETag".into()),
                    xml: None,
                },
            ),
        ]);
        vars.collect(&capture, &resp).unwrap();
        assert_eq!(
            vars.subst("${id}:${e}:${filename}"),
            "u1:\"e1\":${filename}"
        );
        let missing = OrderedMap(vec![(
            "z".to_string(),
            CaptureSpec {
                header: Some("x-nope".into()),
                xml: None,
            },
        )]);
        let e = vars.collect(&missing, &resp).unwrap_err();
        assert!(e.contains("no `x-nope` header"), "{e}");
    }
}
