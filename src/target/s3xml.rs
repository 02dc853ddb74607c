//! Just enough XML reading for the bookkeeping calls targets make on their own behalf
//! (ListBuckets, ListObjectsV2, GetBucketTagging, GetBucketCors): a small element tree.
//!
//! Why not serde: these documents are read, never judged, and S3-compatible servers differ in
//! namespaces, optional elements and element order. A forgiving tree with "find the child
//! called X" is sturdier than a strict schema, and keeps the judged XML (the CORS model in
//! `crate::cors`) free of harness concerns.

use quick_xml::events::Event;

/// One element: local name (namespace prefix dropped), concatenated text, children in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this local name, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    /// Every leaf below this element as `(path, trimmed text)`, in document order; the path is
    /// the element names from this element's children down, joined with `/`.
    pub fn leaves(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for c in &self.children {
            c.collect_leaves("", &mut out);
        }
        out
    }

    fn collect_leaves(&self, prefix: &str, out: &mut Vec<(String, String)>) {
        let path = if prefix.is_empty() {
            self.name.clone()
        } else {
            format!("{prefix}/{}", self.name)
        };
        if self.children.is_empty() {
            out.push((path, self.text.trim().to_string()));
        } else {
            for c in &self.children {
                c.collect_leaves(&path, out);
            }
        }
    }
}

/// Parses a document into its root element. `None` for empty or malformed input.
pub fn parse(body: &[u8]) -> Option<Element> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => stack.push(Element {
                name: e.local_name().into_inner().to_string(),
                ..Element::default()
            }),
            Ok(Event::Empty(e)) => {
                let el = Element {
                    name: e.local_name().into_inner().to_string(),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Some(el),
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&unescape(AsRef::<str>::as_ref(&t)));
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(top) = stack.last_mut() {
                    let name = AsRef::<str>::as_ref(&r).to_string();
                    top.text.push_str(&unescape(&format!("&{name};")));
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(AsRef::<str>::as_ref(&t));
                }
            }
            Ok(Event::End(_)) => {
                let done = stack.pop()?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Some(done),
                }
            }
            Ok(Event::Eof) => return None,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

/// Escapes text for an element body: XML's five predefined entities, as S3 writes them.
pub fn escape(s: &str) -> String {
    crate::s3::escape_xml(s)
}

fn unescape(s: &str) -> String {
    let mut out = s
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'");
    // Numeric references (S3 escapes control characters in keys as `&#x0D;` and the like).
    while let Some(start) = out.find("&#") {
        let Some(len) = out[start..].find(';') else {
            break;
        };
        let inner = &out[start + 2..start + len];
        let code = match inner.strip_prefix('x').or_else(|| inner.strip_prefix('X')) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => inner.parse::<u32>().ok(),
        };
        match code.and_then(char::from_u32) {
            Some(c) => out.replace_range(start..start + len + 1, &c.to_string()),
            None => break,
        }
    }
    out.replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_buckets_with_namespace() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>abc</ID></Owner>
  <Buckets>
    <Bucket><Name>s3cors-a</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>
    <Bucket><Name>other&amp;x</Name><CreationDate>2026-01-02T00:00:00.000Z</CreationDate></Bucket>
  </Buckets>
</ListAllMyBucketsResult>"#;
        let root = parse(doc).expect("parses");
        assert_eq!(root.name, "ListAllMyBucketsResult");
        let names: Vec<_> = root
            .child("Buckets")
            .expect("buckets")
            .children_named("Bucket")
            .filter_map(|b| b.child_text("Name"))
            .collect();
        assert_eq!(names, ["s3cors-a", "other&x"]);
    }

    #[test]
    fn leaves_ignore_whitespace_and_keep_order() {
        let a = parse(b"<C><R><M>GET</M><O>x</O></R></C>").expect("a");
        let b = parse(b"<C>\n  <R>\n    <M>GET</M>\n    <O>x</O>\n  </R>\n</C>").expect("b");
        assert_eq!(a.leaves(), b.leaves());
        assert_eq!(a.leaves()[0], ("R/M".to_string(), "GET".to_string()));
    }

    #[test]
    fn malformed_is_none() {
        assert!(parse(b"").is_none());
        assert!(parse(b"<a><b></a>").is_none());
        assert!(parse(b"not xml").is_none());
    }

    #[test]
    fn numeric_references_unescape() {
        let e = parse(b"<K>a&#x0D;b&#65;</K>").expect("parses");
        assert_eq!(e.text, "a\rbA");
    }

    #[test]
    fn escape_round_trips() {
        let s = "a<b>&'\"";
        let doc = format!("<K>{}</K>", escape(s));
        assert_eq!(parse(doc.as_bytes()).expect("parses").text, s);
    }
}
