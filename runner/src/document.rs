//! A body as a document tree for XPath: XML read by roxmltree, HTML by html5ever (through
//! scraper), either one copied into sxd-document's tree, which sxd-xpath evaluates. Pure
//! functions; [`crate::response::ResponseView`] parses each body at most once per kind.

use sxd_document::{dom, Package, QName};
use sxd_xpath::{Context, Factory, Value};
use vajra_plan::XPathQuery;

/// Documents nested deeper than this are refused: sxd-xpath walks the tree recursively, so a
/// response nested without end could otherwise exhaust a worker thread's stack.
pub const MAX_DEPTH: usize = 256;

/// A parsed document and the namespace prefixes it declares, so that an expression can use
/// them as written (`//soap:Body`).
pub struct Document {
    package: Package,
    prefixes: Vec<(String, String)>,
}

/// What an XPath expression gives.
#[derive(Debug, Clone, PartialEq)]
pub enum XPathValue {
    /// The string value of each node found (an element's text, an attribute's value), in
    /// document order.
    Nodes(Vec<String>),
    Boolean(bool),
    /// A number or a string, as XPath writes it as text.
    Text(String),
}

impl XPathValue {
    /// The values an extractor takes: each node's, or the one result as text.
    pub fn into_values(self) -> Vec<String> {
        match self {
            XPathValue::Nodes(values) => values,
            XPathValue::Boolean(value) => vec![value.to_string()],
            XPathValue::Text(text) => vec![text],
        }
    }
}

/// `text` read as strict XML (DTD entities allowed, as JMeter's parser allows them); the error
/// says what is wrong and where.
pub fn parse_xml(text: &str, ignore_whitespace: bool) -> Result<Document, String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let xml = roxmltree::Document::parse_with_options(text, options).map_err(|e| e.to_string())?;
    let package = Package::new();
    let mut prefixes = Vec::new();
    {
        let doc = package.as_document();
        for node in xml.root().children() {
            match node.node_type() {
                roxmltree::NodeType::Element => doc.root().append_child(xml_element(
                    doc,
                    node,
                    ignore_whitespace,
                    &mut prefixes,
                    1,
                )?),
                roxmltree::NodeType::Comment => doc
                    .root()
                    .append_child(doc.create_comment(node.text().unwrap_or_default())),
                roxmltree::NodeType::PI => {
                    if let Some(pi) = node.pi() {
                        doc.root()
                            .append_child(doc.create_processing_instruction(pi.target, pi.value));
                    }
                }
                roxmltree::NodeType::Root | roxmltree::NodeType::Text => {}
            }
        }
    }
    Ok(Document { package, prefixes })
}

fn xml_element<'d>(
    doc: dom::Document<'d>,
    node: roxmltree::Node<'_, '_>,
    ignore_whitespace: bool,
    prefixes: &mut Vec<(String, String)>,
    depth: usize,
) -> Result<dom::Element<'d>, String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let name = node.tag_name();
    let element = doc.create_element(QName::with_namespace_uri(name.namespace(), name.name()));
    for namespace in node.namespaces() {
        if let Some(prefix) = namespace.name() {
            // The first declaration of a prefix wins, as the outermost is the document's.
            if !prefixes.iter().any(|(known, _)| known == prefix) {
                prefixes.push((prefix.to_string(), namespace.uri().to_string()));
            }
        }
    }
    for attribute in node.attributes() {
        element.set_attribute_value(
            QName::with_namespace_uri(attribute.namespace(), attribute.name()),
            attribute.value(),
        );
    }
    for child in node.children() {
        match child.node_type() {
            roxmltree::NodeType::Element => element.append_child(xml_element(
                doc,
                child,
                ignore_whitespace,
                prefixes,
                depth + 1,
            )?),
            roxmltree::NodeType::Text => {
                let text = child.text().unwrap_or_default();
                if !(ignore_whitespace && is_blank(text)) {
                    element.append_child(doc.create_text(text));
                }
            }
            roxmltree::NodeType::Comment => {
                element.append_child(doc.create_comment(child.text().unwrap_or_default()))
            }
            roxmltree::NodeType::PI => {
                if let Some(pi) = child.pi() {
                    element.append_child(doc.create_processing_instruction(pi.target, pi.value));
                }
            }
            roxmltree::NodeType::Root => {}
        }
    }
    Ok(element)
}

/// An HTML page as the XML a tidy parser makes of it: elements without the XHTML namespace,
/// so `/html/head/title` finds the title, as in JMeter with its tolerant parser.
pub fn from_html(html: &scraper::Html, ignore_whitespace: bool) -> Result<Document, String> {
    let package = Package::new();
    {
        let doc = package.as_document();
        for node in html.tree.root().children() {
            match node.value() {
                scraper::Node::Element(_) => {
                    let element = scraper::ElementRef::wrap(node).expect("an element");
                    doc.root()
                        .append_child(html_element(doc, element, ignore_whitespace, 1)?);
                }
                scraper::Node::Comment(comment) => {
                    doc.root().append_child(doc.create_comment(comment));
                }
                _ => {}
            }
        }
    }
    Ok(Document {
        package,
        prefixes: Vec::new(),
    })
}

fn html_element<'d>(
    doc: dom::Document<'d>,
    source: scraper::ElementRef<'_>,
    ignore_whitespace: bool,
    depth: usize,
) -> Result<dom::Element<'d>, String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let element = doc.create_element(source.value().name());
    for (name, value) in source.value().attrs() {
        element.set_attribute_value(name, value);
    }
    for child in source.children() {
        match child.value() {
            scraper::Node::Element(_) => {
                let child = scraper::ElementRef::wrap(child).expect("an element");
                element.append_child(html_element(doc, child, ignore_whitespace, depth + 1)?)
            }
            scraper::Node::Text(text) if !(ignore_whitespace && is_blank(text)) => {
                element.append_child(doc.create_text(text));
            }
            scraper::Node::Comment(comment) => element.append_child(doc.create_comment(comment)),
            _ => {}
        }
    }
    Ok(element)
}

/// Evaluates `query` on `document`, from its root. The expression was checked at load; the
/// error is one that only evaluation finds (an unknown function or namespace prefix).
pub fn evaluate(query: &XPathQuery, document: &Document) -> Result<XPathValue, String> {
    // sxd-xpath's compiled form cannot be shared between threads, so the plan keeps the text;
    // compiling a short expression costs little next to parsing the body.
    let xpath = Factory::new()
        .build(&query.text)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the XPath expression is empty".to_string())?;
    let known = || document.prefixes.iter().chain(&query.namespaces);
    // sxd-xpath panics on a name test whose prefix it cannot resolve, so such an expression
    // is refused here, with Xalan's words.
    if let Some(unknown) = prefixes_used(&query.text)
        .into_iter()
        .find(|used| !known().any(|(prefix, _)| prefix == used))
    {
        return Err(format!("Prefix must resolve to a namespace: {unknown}"));
    }
    let mut context = Context::new();
    for (prefix, uri) in known() {
        context.set_namespace(prefix, uri);
    }
    let doc = document.package.as_document();
    Ok(
        match xpath
            .evaluate(&context, doc.root())
            .map_err(|e| e.to_string())?
        {
            Value::Nodeset(nodes) => XPathValue::Nodes(
                nodes
                    .document_order()
                    .iter()
                    .map(|node| node.string_value())
                    .collect(),
            ),
            Value::Boolean(value) => XPathValue::Boolean(value),
            other => XPathValue::Text(other.string()),
        },
    )
}

/// The namespace prefixes of the qualified names in an XPath expression (`m` in `//m:Price`,
/// `child::m:*`), outside string literals; an axis (`child::`) is not a prefix.
pub fn prefixes_used(xpath: &str) -> Vec<String> {
    let chars: Vec<char> = xpath.chars().collect();
    let name_start = |c: char| c.is_alphabetic() || c == '_';
    let name_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            // A literal runs to the next same quote (XPath 1.0 has no escapes).
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            i += 1;
        } else if name_start(c) {
            let start = i;
            while i < chars.len() && name_char(chars[i]) {
                i += 1;
            }
            let qualified = chars.get(i) == Some(&':')
                && chars
                    .get(i + 1)
                    .is_some_and(|&next| next == '*' || name_start(next));
            if qualified {
                let prefix: String = chars[start..i].iter().collect();
                if !out.contains(&prefix) {
                    out.push(prefix);
                }
                i += 1;
            }
        } else if c.is_ascii_digit() {
            // A number such as 1.5e: its digits and dots are not a name.
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

fn too_deep() -> String {
    format!("the document is nested deeper than {MAX_DEPTH} elements")
}

#[cfg(test)]
mod tests {
    use super::*;
    use vajra_plan::DocumentKind;

    fn query(text: &str) -> XPathQuery {
        XPathQuery {
            text: text.into(),
            document: DocumentKind::default(),
            namespaces: Vec::new(),
        }
    }

    fn xml(text: &str, xpath: &str) -> XPathValue {
        evaluate(&query(xpath), &parse_xml(text, false).unwrap()).unwrap()
    }

    const SOAP: &str = r#"<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <m:GetPriceResponse xmlns:m="urn:prices" xmlns="urn:default">
      <m:Price currency="EUR">1.90</m:Price>
      <m:Price currency="USD">2.10</m:Price>
      <Note>plain</Note>
    </m:GetPriceResponse>
  </soap:Body>
</soap:Envelope>"#;

    #[test]
    fn soap_prefixes_the_document_declares_work_as_written() {
        assert_eq!(
            xml(SOAP, "//m:Price"),
            XPathValue::Nodes(vec!["1.90".into(), "2.10".into()])
        );
        assert_eq!(
            xml(SOAP, "//m:Price/@currency"),
            XPathValue::Nodes(vec!["EUR".into(), "USD".into()])
        );
        assert_eq!(
            xml(
                SOAP,
                "/soap:Envelope/soap:Body/m:GetPriceResponse/m:Price[2]"
            ),
            XPathValue::Nodes(vec!["2.10".into()])
        );
        assert_eq!(
            xml(SOAP, "//*[local-name()='Note']"),
            XPathValue::Nodes(vec!["plain".into()])
        );
        // XPath 1.0: an unprefixed name is in no namespace, so a default-namespace element
        // needs a prefix of the plan's own.
        assert_eq!(xml(SOAP, "//Note"), XPathValue::Nodes(Vec::new()));
        let mut own = query("//d:Note");
        own.namespaces = vec![("d".into(), "urn:default".into())];
        let doc = parse_xml(SOAP, false).unwrap();
        assert_eq!(
            evaluate(&own, &doc).unwrap(),
            XPathValue::Nodes(vec!["plain".into()])
        );
        assert_eq!(
            evaluate(&query("//x:Note"), &doc).err().unwrap(),
            "Prefix must resolve to a namespace: x"
        );
    }

    #[test]
    fn prefixes_are_found_outside_literals_and_axes() {
        assert_eq!(prefixes_used("//m:Price"), ["m"]);
        assert_eq!(
            prefixes_used("/soap:Envelope/soap:Body/child::m:*[@x:id='a:b']"),
            ["soap", "m", "x"]
        );
        assert_eq!(
            prefixes_used("//a[. = \"p:q\"] | //b[contains(., 'r:s')]"),
            Vec::<String>::new()
        );
        assert_eq!(
            prefixes_used("ancestor-or-self::node()"),
            Vec::<String>::new()
        );
        assert_eq!(
            prefixes_used("count(//a) div 2 > 1.5"),
            Vec::<String>::new()
        );
        assert_eq!(prefixes_used("//my-ns.v2:item"), ["my-ns.v2"]);
    }

    #[test]
    fn other_results_are_booleans_and_text() {
        assert_eq!(xml(SOAP, "count(//m:Price)"), XPathValue::Text("2".into()));
        assert_eq!(xml(SOAP, "count(//m:Price) > 1"), XPathValue::Boolean(true));
        assert_eq!(
            xml(SOAP, "string(//m:Price)"),
            XPathValue::Text("1.90".into())
        );
        assert_eq!(
            XPathValue::Boolean(false).into_values(),
            vec!["false".to_string()]
        );
    }

    #[test]
    fn element_string_values_and_whitespace() {
        let text = "<a>\n  <b>x</b>\n  <b>y<c>z</c></b>\n</a>";
        assert_eq!(xml(text, "/a/b[2]"), XPathValue::Nodes(vec!["yz".into()]));
        let with = parse_xml(text, false).unwrap();
        let without = parse_xml(text, true).unwrap();
        assert_eq!(
            evaluate(&query("count(/a/text())"), &with).unwrap(),
            XPathValue::Text("3".into())
        );
        assert_eq!(
            evaluate(&query("count(/a/text())"), &without).unwrap(),
            XPathValue::Text("0".into())
        );
        assert_eq!(
            evaluate(&query("/a"), &without).unwrap(),
            XPathValue::Nodes(vec!["xyz".into()])
        );
    }

    #[test]
    fn bad_xml_says_where_and_deep_documents_are_refused() {
        let err = parse_xml("<a><b></a>", false).err().unwrap();
        assert!(err.contains("1:"), "{err}");
        assert!(parse_xml("", false).is_err());
        assert!(parse_xml("not xml", false).is_err());
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(parse_xml(&deep, false).err().unwrap(), too_deep());
        let fine = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse_xml(&fine, false).is_ok());
        let html = scraper::Html::parse_document(&"<div>".repeat(MAX_DEPTH + 1));
        assert_eq!(from_html(&html, false).err().unwrap(), too_deep());
    }

    #[test]
    fn html_is_read_as_tidy_xml_without_its_namespace() {
        let page = "<!DOCTYPE html><html><head><title>Shop</title></head><body>\
                    <form><input name=csrf value=t0k3n><br></form><p>a<b>b</b></body></html>";
        let doc = from_html(&scraper::Html::parse_document(page), true).unwrap();
        let find = |xpath: &str| evaluate(&query(xpath), &doc).unwrap();
        assert_eq!(
            find("/html/head/title"),
            XPathValue::Nodes(vec!["Shop".into()])
        );
        assert_eq!(
            find("//input[@name='csrf']/@value"),
            XPathValue::Nodes(vec!["t0k3n".into()])
        );
        assert_eq!(find("//p"), XPathValue::Nodes(vec!["ab".into()]));
        assert_eq!(find("/html/head/base"), XPathValue::Nodes(Vec::new()));
    }

    proptest::proptest! {
        #[test]
        fn any_expression_on_any_document_evaluates_or_fails_without_panicking(
            xpath in "[/a-c:*@.\\[\\]()='x ]{1,16}",
        ) {
            let doc = parse_xml(SOAP, true).unwrap();
            let _ = evaluate(&query(&xpath), &doc);
            let html = from_html(&scraper::Html::parse_document("<p a=1>x</p>"), false).unwrap();
            let _ = evaluate(&query(&xpath), &html);
        }

        #[test]
        fn any_text_parses_or_fails_without_panicking(text in "[<>/a-c =\"'&;!?-]{0,40}") {
            if let Ok(doc) = parse_xml(&text, true) {
                let _ = evaluate(&query("//a"), &doc);
            }
            let html = scraper::Html::parse_document(&text);
            proptest::prop_assert!(from_html(&html, false).is_ok());
        }

        #[test]
        fn every_element_written_is_found(values in proptest::collection::vec("[a-z0-9]{0,6}", 0..6)) {
            let text = format!(
                "<list>{}</list>",
                values.iter().map(|v| format!("<v>{v}</v>")).collect::<String>()
            );
            proptest::prop_assert_eq!(xml(&text, "/list/v"), XPathValue::Nodes(values));
        }
    }
}
