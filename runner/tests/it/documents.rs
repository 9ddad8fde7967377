//! XPath and CSS over real HTTP: against the embedded target's `/html` page and `/xml` SOAP
//! service, a token is taken from the page by CSS, sent on, read back from the SOAP response
//! by XPath, and XPath assertions pass and fail with JMeter's messages in the JTL.

use vajra_runner::embedded_target::EmbeddedTarget;

use crate::support::{self, Row};

fn rows_of<'a>(rows: &'a [Row], label: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r.label == label).collect()
}

#[tokio::test]
async fn a_token_goes_from_html_by_css_to_soap_and_back_by_xpath() {
    let target = EmbeddedTarget::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        r#"name: documents
base-url: {base}
requests:
  - label: page
    url: /html
    extract:
      csrf: {{css: "input[name=csrf]", attribute: value}}
      title: {{xpath: /html/head/title, html: true}}
      items: {{css: li, match: all}}
  - label: order
    url: /xml?token=${{csrf}}
    extract:
      token: {{xpath: "//m:Token"}}
      status: {{xpath: "/soap:Envelope/soap:Body/m:GetOrderResponse/m:Order/m:Status", ignore-whitespace: true}}
      order: {{xpath: "//m:Order/@id"}}
    assert:
      xpath:
        - "//m:Token[starts-with(., 'csrf-')]"
        - {{path: "//m:Error", not: true}}
        - "count(//m:Order) = 1"
  - label: echo
    url: /echo
    method: POST
    body: "${{token}} ${{status}} ${{order}} ${{title}} ${{items_2}} ${{items_matchNr}} ${{items}}"
    extract:
      again: {{regexp: 'csrf-\d+', group: 0, from-variable: token, default: MISSING}}
    assert:
      body-matches: ['^csrf-\d+ shipped 7 vajra shop milk 2 tea$']
  - label: again
    url: /echo
    method: POST
    body: "${{again}}"
    assert:
      body-matches: ['^csrf-\d+$']
  - label: missing
    url: /xml
    assert:
      xpath: ["//m:Token"]
  - label: negated
    url: /xml
    assert:
      xpath: [{{path: "//m:Status", not: true}}]
  - label: false
    url: /xml
    assert:
      xpath: ["count(//m:Order) = 2"]
  - label: not-xml
    url: /html
    assert:
      xpath: ["//title"]
load: {{concurrency: 1, iterations: 2, duration: 30s}}
"#,
        base = target.base_url()
    );
    let (report, rows) = support::run_plan(&yaml, dir.path()).await.unwrap();
    assert_eq!(rows.len(), 16, "{rows:#?}");

    for label in ["page", "order", "echo", "again"] {
        support::assert_every(
            &rows_of(&rows, label)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>(),
            |r| r.success && r.failure.is_empty(),
        );
    }
    // Each iteration sends the token its own page handed out.
    let orders: Vec<&str> = rows_of(&rows, "order")
        .iter()
        .map(|r| r.url.as_str())
        .collect();
    assert!(orders[0].ends_with("/xml?token=csrf-1"), "{orders:?}");
    assert!(orders[1].ends_with("/xml?token=csrf-3"), "{orders:?}");

    let failure = |label: &str| {
        let found = rows_of(&rows, label);
        assert_eq!(found.len(), 2, "{label}");
        assert!(found.iter().all(|r| !r.success), "{label}: {found:?}");
        found[0].failure.clone()
    };
    assert_eq!(failure("missing"), "No Nodes Matched //m:Token");
    assert_eq!(
        failure("negated"),
        "Specified XPath was found... Turn off negate if this is not desired"
    );
    assert_eq!(
        failure("false"),
        "No Nodes Matched for count(//m:Order) = 2"
    );
    let not_xml = failure("not-xml");
    assert!(not_xml.starts_with("SAXException: "), "{not_xml}");
    assert!(
        report.extractor_misses.is_empty(),
        "{:?}",
        report.extractor_misses
    );
}
