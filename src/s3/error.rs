//! S3 error documents: the `<Error>` XML body and the status that goes with it.
//!
//! Amazon S3 renders every error as
//! `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>…</Code><Message>…</Message>…extra…<RequestId>…</RequestId><HostId>…</HostId></Error>`
//! (spec §5.3, §1.5). The extra elements (`Method`, `ResourceType`, `BucketName`, …) come in
//! between `Message` and `RequestId`, in the order they were added here.

/// One S3 error: status, code, message and any extra elements, in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    /// HTTP status code (400, 403, 404, …).
    pub status: u16,
    /// S3 error code (`AccessForbidden`, `MalformedXML`, …).
    pub code: String,
    /// Exact message text as AWS sends it (typos included).
    pub message: String,
    /// Extra elements between `Message` and `RequestId`, in wire order.
    pub fields: Vec<(String, String)>,
    /// AWS sends `Connection: close` on some errors (the 400 BadRequest of a preflight, §5.3).
    pub connection_close: bool,
}

impl S3Error {
    /// A new error with no extra fields.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        S3Error {
            status,
            code: code.into(),
            message: message.into(),
            fields: Vec::new(),
            connection_close: false,
        }
    }

    /// Adds an extra element (rendered after `Message`, in call order).
    pub fn with_field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// Marks the error as one AWS sends with `Connection: close`.
    pub fn with_connection_close(mut self) -> Self {
        self.connection_close = true;
        self
    }

    /// The value of an extra element, if present.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The full XML document, with the given request id and host id.
    pub fn to_xml(&self, request_id: &str, host_id: &str) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        out.push_str(&escape_xml(&self.code));
        out.push_str("</Code><Message>");
        out.push_str(&escape_xml(&self.message));
        out.push_str("</Message>");
        for (name, value) in &self.fields {
            out.push('<');
            out.push_str(name);
            out.push('>');
            out.push_str(&escape_xml(value));
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        out.push_str("<RequestId>");
        out.push_str(&escape_xml(request_id));
        out.push_str("</RequestId><HostId>");
        out.push_str(&escape_xml(host_id));
        out.push_str("</HostId></Error>");
        out
    }
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for S3Error {}

/// Escapes the five XML special characters.
pub fn escape_xml(s: &str) -> String {
    // S3 escapes text with XML's five predefined entities (`&amp; &lt; &gt; &quot; &apos;`),
    // exactly what quick-xml's `escape` writes; control characters pass through as they are.
    quick_xml::escape::escape(s).into_owned()
}

/// The elements of an `<Error>` document as a client sees them: every direct child of
/// `<Error>` with its text, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedError {
    pub elements: Vec<(String, String)>,
}

impl ParsedError {
    /// The text of the first child element with this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.elements
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses an S3 `<Error>` body. Returns `None` when the body is not an `<Error>` document
/// (empty, HTML, another root element, malformed XML).
pub fn parse_error_body(body: &[u8]) -> Option<ParsedError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut depth = 0usize;
    let mut current: Option<String> = None;
    let mut text = String::new();
    let mut parsed = ParsedError::default();
    let mut saw_root = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                let name = e.local_name().into_inner().to_string();
                if depth == 1 {
                    if name != "Error" {
                        return None;
                    }
                    saw_root = true;
                } else if depth == 2 {
                    current = Some(name);
                    text.clear();
                }
            }
            Ok(Event::Empty(e)) => {
                let name = e.local_name().into_inner().to_string();
                if depth == 0 {
                    return (name == "Error").then(ParsedError::default);
                }
                if depth == 1 {
                    parsed.elements.push((name, String::new()));
                }
            }
            Ok(Event::Text(t)) => {
                if depth == 2 {
                    let raw = AsRef::<str>::as_ref(&t).to_string();
                    text.push_str(&unescape_basic(&raw));
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if depth == 2 {
                    let name = AsRef::<str>::as_ref(&r).to_string();
                    text.push_str(&unescape_basic(&format!("&{name};")));
                }
            }
            Ok(Event::CData(t)) => {
                if depth == 2 {
                    text.push_str(AsRef::<str>::as_ref(&t));
                }
            }
            Ok(Event::End(_)) => {
                if depth == 2
                    && let Some(name) = current.take()
                {
                    parsed.elements.push((name, std::mem::take(&mut text)));
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    saw_root.then_some(parsed)
}

fn unescape_basic(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_5_3_error_body_shape_with_method_and_resource_type() {
        let e = S3Error::new(403, "AccessForbidden", "CORSResponse: Bucket not found")
            .with_field("Method", "OPTIONS")
            .with_field("ResourceType", "BUCKET");
        assert_eq!(
            e.to_xml("REQ", "HOST"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessForbidden</Code><Message>CORSResponse: Bucket not found</Message><Method>OPTIONS</Method><ResourceType>BUCKET</ResourceType><RequestId>REQ</RequestId><HostId>HOST</HostId></Error>"
        );
    }

    #[test]
    fn parse_round_trips_and_unescapes() {
        let e = S3Error::new(400, "InvalidRequest", "AllowedOrigin \"*a*\" can <not>")
            .with_field("BucketName", "b&c");
        let parsed = parse_error_body(e.to_xml("r", "h").as_bytes()).unwrap();
        assert_eq!(parsed.get("Code"), Some("InvalidRequest"));
        assert_eq!(
            parsed.get("Message"),
            Some("AllowedOrigin \"*a*\" can <not>")
        );
        assert_eq!(parsed.get("BucketName"), Some("b&c"));
        assert_eq!(parsed.get("RequestId"), Some("r"));
    }

    #[test]
    fn parse_rejects_non_error_documents() {
        assert!(parse_error_body(b"").is_none());
        assert!(parse_error_body(b"<html><body>x</body></html>").is_none());
        assert!(parse_error_body(b"<Error><Code>x</Cod").is_none());
    }
}
