//! Plans that load: every section of the format, defaults, shorthand and the embedded target.

use std::path::{Path, PathBuf};
use std::time::Duration;

use vajra_plan::{Check, CheckKind, OnEof, PatternKind, Plan, Row, ThinkTime};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans")
}

fn header(request: &vajra_plan::RequestSpec, name: &str) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v.to_string())
}

#[test]
fn full_plan_loads_every_section() {
    let plan = Plan::load(&fixtures().join("full.yaml")).unwrap();
    assert_eq!(plan.name, "shop");
    assert!(!plan.embedded_target);
    assert_eq!(plan.base_url.as_deref(), Some("http://127.0.0.1:8080/api"));
    assert_eq!(plan.thresholds, ["p95(home)>500ms", "errors>1%"]);
    assert_eq!(plan.scenarios.len(), 2);

    let browse = &plan.scenarios[0];
    assert_eq!((browse.name.as_str(), browse.weight), ("browse", 3));
    let home = &browse.requests()[0];
    assert_eq!(home.label, "home");
    assert_eq!(home.method, http::Method::GET);
    assert_eq!(
        home.url.to_string(),
        "http://127.0.0.1:8080/api/fast?user=${user}"
    );
    assert_eq!(
        home.timeout,
        Some(Duration::from_secs(10)),
        "default timeout"
    );
    assert_eq!(
        home.think_time,
        Some(ThinkTime::Fixed(Duration::from_millis(100)))
    );
    assert!(home.assertions.status_ok(200) && home.assertions.status_ok(201));
    assert!(!home.assertions.status_ok(202));
    assert!(matches!(
        &home.assertions.checks[..],
        [Check { kind: CheckKind::Contains { text, .. }, negate: false }] if text == "ok"
    ));
    // Defaults come first, the request's own Accept replaces the default one.
    let names: Vec<&str> = home.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["user-agent", "accept", "x-id"]);
    assert_eq!(header(home, "accept").as_deref(), Some("text/plain"));
    assert_eq!(header(home, "x-id").as_deref(), Some("${id}"));

    let items = &browse.requests()[1];
    assert_eq!(items.label, "GET /items/${sku}");
    assert!(!items.assertions.status_ok(404) && items.assertions.status_ok(302));

    let buy = &plan.scenarios[1];
    assert_eq!(buy.weight, 1);
    let order = &buy.requests()[0];
    assert_eq!(order.method, http::Method::POST);
    assert_eq!(order.label, "POST /orders");
    assert_eq!(order.url.to_string(), "http://shop.example.com/orders");
    assert_eq!(order.timeout, Some(Duration::from_secs(5)));
    assert!(order.assertions.status_ok(201) && !order.assertions.status_ok(200));
    let row = Row::from_pairs([("user", "ann"), ("id", "7")]);
    assert_eq!(
        order.body.as_ref().unwrap().render(&row),
        "{\"user\": \"ann\", \"id\": 7}\n"
    );

    assert_eq!(plan.data.len(), 2);
    assert_eq!(plan.data[0].file, fixtures().join("users.csv"));
    assert_eq!(plan.data[0].columns, ["user", "id"]);
    assert!(plan.data[0].split);
    assert_eq!(plan.data[0].on_eof, OnEof::Recycle);
    assert_eq!(plan.data[1].delimiter, b';');
    assert_eq!(plan.data[1].on_eof, OnEof::Stop);
    assert!(!plan.data[1].split);

    assert_eq!(plan.load.pattern, Some(PatternKind::RampSustain));
    assert_eq!(plan.load.max_in_flight(), Some(1000));
    assert_eq!(plan.load.steady_state_only, Some(true));
}

#[test]
fn top_level_requests_make_one_scenario_named_after_the_file() {
    let yaml = "base-url: http://h:1\nrequests:\n  - url: /a\n  - url: http://other/b\n    method: DELETE\n";
    let plan = Plan::from_str(yaml, Path::new("dir/quick.yaml")).unwrap();
    assert_eq!(plan.name, "quick");
    assert_eq!(plan.scenarios.len(), 1);
    assert_eq!(plan.scenarios[0].name, "quick");
    assert_eq!(plan.scenarios[0].weight, 1);
    let labels: Vec<&str> = plan.requests().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["GET /a", "DELETE /b"]);
    assert!(plan
        .requests()
        .all(|r| r.timeout.is_none() && r.headers.is_empty()));
    assert_eq!(plan.load, Default::default());
}

#[test]
fn embedded_target_keeps_relative_urls_until_the_base_is_known() {
    let yaml =
        "name: quickstart\ntarget: embedded\nrequests:\n  - url: /fast\n  - url: slow?ms=5\n";
    let mut plan = Plan::from_str(yaml, Path::new("q.yaml")).unwrap();
    assert!(plan.embedded_target);
    assert_eq!(plan.base_url, None);
    assert_eq!(plan.scenarios[0].requests()[0].url.to_string(), "/fast");
    plan.set_base_url("http://127.0.0.1:4321/").unwrap();
    assert_eq!(plan.base_url.as_deref(), Some("http://127.0.0.1:4321"));
    let urls: Vec<String> = plan.requests().map(|r| r.url.to_string()).collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:4321/fast",
            "http://127.0.0.1:4321/slow?ms=5"
        ]
    );
    assert!(plan.set_base_url("not a url").is_err());
}

#[test]
fn numbers_and_booleans_are_text_in_templates() {
    let yaml = "base-url: http://h\nrequests:\n  - url: /a\n    headers: { X-N: 5, X-B: true }\n    body: 12.5\n";
    let plan = Plan::from_str(yaml, Path::new("p.yaml")).unwrap();
    let request = &plan.scenarios[0].requests()[0];
    assert_eq!(header(request, "x-n").as_deref(), Some("5"));
    assert_eq!(header(request, "x-b").as_deref(), Some("true"));
    assert_eq!(request.body.as_ref().unwrap().to_string(), "12.5");
}

#[test]
fn escaped_placeholders_need_no_data() {
    let yaml = "base-url: http://h\nrequests:\n  - url: /a\n    body: 'literal $${user}'\n";
    let plan = Plan::from_str(yaml, Path::new("p.yaml")).unwrap();
    let body = plan.scenarios[0].requests()[0].body.as_ref().unwrap();
    assert!(body.is_static());
    assert_eq!(body.render(&Row::empty()), "literal ${user}");
}

#[test]
fn smallest_plan_from_the_docs() {
    let yaml = "target: embedded\nrequests:\n  - url: /fast\nload:\n  tps: 50\n  duration: 10s\n";
    let plan = Plan::from_str(yaml, Path::new("smallest.yaml")).unwrap();
    let profile = plan.load.build().unwrap();
    assert_eq!(
        profile.pattern,
        vajra_plan::pattern::LoadPattern::Static {
            tps: 50.0,
            duration: Duration::from_secs(10)
        }
    );
    assert_eq!(plan.scenarios[0].requests()[0].label, "GET /fast");
}

#[test]
fn cloud_section_keeps_capacity_and_locations_in_order() {
    let yaml = "base-url: http://127.0.0.1:8080\nrequests:\n  - url: /a\n\
                cloud:\n  engine-capacity-tps: 5000\n  locations: {us-east4-a: 2, europe-west1-b: 1.5}\n";
    let plan = Plan::from_str(yaml, &fixtures().join("plan.yaml")).unwrap();
    assert_eq!(plan.cloud.engine_capacity_tps, Some(5000));
    assert_eq!(
        plan.cloud.locations,
        vec![
            ("us-east4-a".to_string(), 2.0),
            ("europe-west1-b".to_string(), 1.5)
        ]
    );
    let bare = Plan::from_str(
        "base-url: http://h\nrequests:\n  - url: /a\n",
        &fixtures().join("plan.yaml"),
    )
    .unwrap();
    assert_eq!(bare.cloud, vajra_plan::CloudSpec::default());
}
