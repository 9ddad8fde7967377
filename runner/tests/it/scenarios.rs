//! Scenarios with blocks, variables, extractors and assertions, run against a real HTTP/1.1
//! server on loopback. The plans are built as the plan loader builds them (steps of
//! [`vajra_plan::Step`]), from a flat plan's request as a prototype.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use vajra_plan::{
    Assertions, Check, CheckKind, ExtractSource, Extractor, JsonExpect, LoopCount, MatchNo, Plan,
    RequestSpec, StatusRange, Step, Subject, Template, ThinkTime,
};

use crate::support::{self, Row, ServerOptions};

/// The shop the scenarios run against.
fn shop() -> support::Handler {
    let logins = Arc::new(AtomicUsize::new(0));
    Arc::new(move |method, uri, headers: &HeaderMap| {
        let bearer = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let cookie = headers
            .get(http::header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match (method.as_str(), uri.path()) {
            ("POST", "/login") => {
                let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
                let mut response = json_response(&format!(r#"{{"token":"t-{n}","user":"ann"}}"#));
                response.headers_mut().insert(
                    http::header::SET_COOKIE,
                    format!("SESSION=s-{n}; Path=/").parse().unwrap(),
                );
                response
            }
            (_, "/account") if bearer.starts_with("Bearer t-") && cookie.contains("SESSION=s-") => {
                json_response(r#"{"user":"ann","items":[{"id":11},{"id":12},{"id":13}]}"#)
            }
            (_, "/account") => Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .body(Bytes::from_static(b"{}"))
                .unwrap(),
            (_, "/hello") => json_response(r#"{"hello":"hi"}"#),
            _ => support::text("ok"),
        }
    })
}

fn json_response(body: &str) -> Response<Bytes> {
    Response::builder()
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

struct Bench {
    server: support::Server,
    dir: tempfile::TempDir,
    plan: Plan,
    prototype: RequestSpec,
}

/// A server and a one-request plan with `load`, whose request is the prototype of the steps.
async fn bench(load: &str) -> Bench {
    let server = support::start(ServerOptions {
        handler: shop(),
        ..ServerOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "name: s\nbase-url: {}\nscenarios:\n  - name: shop\n    store-cookie: true\n    \
         requests:\n      - url: /\n{load}",
        server.url("http")
    );
    let path = dir.path().join("plan.yaml");
    std::fs::write(&path, yaml).unwrap();
    let plan = Plan::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let Step::Request(prototype) = &plan.scenarios[0].steps[0] else {
        panic!("a flat plan has requests");
    };
    let prototype = (**prototype).clone();
    Bench {
        server,
        dir,
        plan,
        prototype,
    }
}

impl Bench {
    /// A request `method path` (a template) labelled `label`.
    fn request(&self, label: &str, method: &str, path: &str) -> RequestSpec {
        let mut spec = self.prototype.clone();
        spec.label = label.into();
        spec.method = method.parse().unwrap();
        spec.url = Template::parse(&format!("{}{path}", self.server.url("http"))).unwrap();
        spec
    }

    async fn run(&mut self, setup: Vec<Step>, steps: Vec<Step>, teardown: Vec<Step>) -> Run {
        let scenario = &mut self.plan.scenarios[0];
        scenario.setup = setup;
        scenario.steps = steps;
        scenario.teardown = teardown;
        let (report, rows) = support::run_loaded(&self.plan, self.dir.path())
            .await
            .unwrap();
        Run { report, rows }
    }

    fn paths(&self) -> Vec<String> {
        self.server
            .seen
            .requests()
            .iter()
            .map(|r| r.uri.to_string())
            .collect()
    }
}

struct Run {
    report: vajra_runner::RunReport,
    rows: Vec<Row>,
}

impl Run {
    fn labels(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r.label.as_str()).collect()
    }
}

const ONE_USER: &str = "load:\n  concurrency: 1\n  iterations: 2\n  duration: 30s\n";

fn step(spec: RequestSpec) -> Step {
    Step::Request(Box::new(spec))
}

fn jsonpath(text: &str) -> serde_json_path::JsonPath {
    serde_json_path::JsonPath::parse(text).unwrap()
}

fn extract_json(variable: &str, path: &str, matches: MatchNo) -> Extractor {
    Extractor {
        variable: variable.into(),
        source: ExtractSource::JsonPath {
            path: jsonpath(path),
            text: path.into(),
        },
        matches,
        default: None,
        from_variable: None,
    }
}

fn json_equals(path: &str, value: serde_json::Value) -> Check {
    Check {
        kind: CheckKind::JsonPath {
            path: jsonpath(path),
            text: path.into(),
            expect: JsonExpect::Equals(value),
        },
        negate: false,
    }
}

fn header(name: &'static str, value: &str) -> (http::HeaderName, Template) {
    (
        http::HeaderName::from_static(name),
        Template::parse(value).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flow_extracts_a_token_sends_it_on_and_asserts_on_json_with_cookies() {
    let mut bench = bench(ONE_USER).await;
    let mut login = bench.request("login", "POST", "/login");
    login.body = Some(Template::literal(r#"{"user":"ann","password":"secret"}"#));
    login.extractors = vec![extract_json("token", "$.token", MatchNo::Nth(1))];
    login.assertions.status = vec![StatusRange {
        low: 200,
        high: 200,
    }];
    let mut account = bench.request("account", "GET", "/account");
    account
        .headers
        .push(header("authorization", "Bearer ${token}"));
    account.assertions.checks = vec![json_equals("$.user", "ann".into())];
    let mut wrong = account.clone();
    wrong.label = "account as bob".into();
    wrong.assertions.checks = vec![json_equals("$.user", "bob".into())];
    let steps = vec![
        Step::Transaction {
            name: "Sign in".into(),
            include_pauses: true,
            steps: vec![step(login)],
        },
        Step::Transaction {
            name: "Browse".into(),
            include_pauses: true,
            steps: vec![step(account), step(wrong)],
        },
    ];
    let run = bench.run(Vec::new(), steps, Vec::new()).await;

    let iteration = ["login", "Sign in", "account", "account as bob", "Browse"];
    assert_eq!(run.labels(), [iteration, iteration].concat());
    let row = |label: &str| run.rows.iter().find(|r| r.label == label).unwrap();
    assert!(
        row("login").success && row("account").success,
        "{:?}",
        run.rows
    );
    let bob = row("account as bob");
    assert!(!bob.success);
    assert_eq!(bob.code, "200");
    assert_eq!(
        bob.failure,
        "Value of $.user expected to be bob, but found ann"
    );
    let sign_in = row("Sign in");
    assert!(sign_in.success);
    assert_eq!(sign_in.code, "200");
    assert_eq!(
        sign_in.message,
        "Number of samples in transaction : 1, number of failing samples : 0"
    );
    let browse = row("Browse");
    assert!(!browse.success);
    assert_eq!(
        browse.message,
        "Number of samples in transaction : 2, number of failing samples : 1"
    );
    assert_eq!(browse.bytes, row("account").bytes + bob.bytes);
    // The transaction spans its children: from the first one's start to the last one's end.
    assert!(browse.timestamp_ms <= row("account").timestamp_ms);
    // (Both ends are rounded to whole ms.)
    assert!(browse.timestamp_ms + browse.elapsed_ms + 1 >= bob.timestamp_ms + bob.elapsed_ms);

    // The server saw the credentials, then the token and the session cookie on every request.
    let seen = bench.server.seen.requests();
    assert_eq!(seen.len(), 6);
    assert_eq!(
        seen[0].body.as_ref(),
        br#"{"user":"ann","password":"secret"}"#
    );
    assert_eq!(seen[1].headers["authorization"], "Bearer t-1");
    assert_eq!(seen[1].cookie.as_deref(), Some("SESSION=s-1"));
    assert_eq!(seen[4].headers["authorization"], "Bearer t-2");
    assert_eq!(seen[5].cookie.as_deref(), Some("SESSION=s-2"));

    // Transactions have their own label rows, out of ALL.
    let stats = &run.report.stats;
    assert_eq!(stats.total().samples(), 6);
    assert_eq!(stats.transaction("Browse").unwrap().samples(), 2);
    assert_eq!(stats.transaction("Browse").unwrap().errors(), 2);
    assert!(run.report.extractor_misses.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extractor_that_misses_uses_its_default_and_is_counted() {
    let mut bench = bench(ONE_USER).await;
    let mut hello = bench.request("hello", "GET", "/hello");
    hello.extractors = vec![
        Extractor {
            default: Some("NONE".into()),
            ..extract_json("missing", "$.nothing", MatchNo::Nth(1))
        },
        Extractor {
            variable: "sid".into(),
            source: ExtractSource::Regex {
                regex: regex::Regex::new(r"sid=(\w+)").unwrap(),
                group: 1,
                subject: Subject::Body,
            },
            matches: MatchNo::Nth(1),
            default: Some("no-sid".into()),
            from_variable: None,
        },
        extract_json("greeting", "$.hello", MatchNo::Nth(1)),
        Extractor {
            variable: "type".into(),
            source: ExtractSource::Header(http::header::CONTENT_TYPE),
            matches: MatchNo::Nth(1),
            default: None,
            from_variable: None,
        },
    ];
    hello.assertions.checks = vec![Check {
        kind: CheckKind::Header {
            name: http::header::CONTENT_TYPE,
            expect: Some(vajra_plan::TextExpect::Contains("json".into())),
        },
        negate: false,
    }];
    let echo = bench.request("echo", "GET", "/echo/${missing}/${sid}/${greeting}/${type}");
    let run = bench
        .run(Vec::new(), vec![step(hello), step(echo)], Vec::new())
        .await;
    assert_eq!(run.rows.len(), 4);
    support::assert_every(&run.rows, |r| r.success);
    let paths = bench.paths();
    assert_eq!(paths[1], "/echo/NONE/no-sid/hi/application/json");
    let misses: Vec<(String, String, u64)> = run
        .report
        .extractor_misses
        .iter()
        .map(|m| (m.label.clone(), m.variable.clone(), m.count))
        .collect();
    assert_eq!(
        misses,
        [
            ("hello".to_string(), "missing".to_string(), 2),
            ("hello".to_string(), "sid".to_string(), 2)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loops_foreach_once_set_variables_and_pauses_run_in_order() {
    let mut bench = bench(ONE_USER).await;
    let mut login = bench.request("login", "POST", "/login");
    login.extractors = vec![extract_json("token", "$.token", MatchNo::Nth(1))];
    let mut account = bench.request("account", "GET", "/account");
    account
        .headers
        .push(header("authorization", "Bearer ${token}"));
    account.extractors = vec![extract_json("ids", "$.items[*].id", MatchNo::All)];
    let steps = vec![
        Step::Once {
            id: 0,
            steps: vec![step(login)],
        },
        Step::Loop {
            count: LoopCount::Times(2),
            steps: vec![step(bench.request("tick", "GET", "/tick"))],
        },
        step(account),
        Step::Foreach {
            variable: "id".into(),
            list: "ids".into(),
            steps: vec![step(bench.request("item", "GET", "/item/${id}"))],
        },
        Step::SetVariables(vec![
            ("last".into(), Template::parse("x${id}").unwrap()),
            (
                "both".into(),
                Template::parse("${last}-${ids_matchNr}").unwrap(),
            ),
        ]),
        Step::Pause(ThinkTime::Fixed(Duration::from_millis(30))),
        step(bench.request("done", "GET", "/done/${both}")),
    ];
    let run = bench.run(Vec::new(), steps, Vec::new()).await;
    support::assert_every(&run.rows, |r| r.success);
    let iteration = [
        "/tick",
        "/tick",
        "/account",
        "/item/11",
        "/item/12",
        "/item/13",
        "/done/x13-3",
    ];
    let mut expected = vec!["/login"];
    expected.extend(iteration);
    expected.extend(iteration);
    assert_eq!(bench.paths(), expected);
    // The pause comes before the last request.
    let done = run.rows.iter().find(|r| r.label == "done").unwrap();
    let last_item = run.rows.iter().find(|r| r.label == "item").unwrap();
    assert!(
        done.timestamp_ms >= last_item.timestamp_ms + 30,
        "{:?}",
        run.rows
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_users_run_setup_before_their_first_iteration_and_teardown_after_their_last() {
    let mut bench = bench("load:\n  concurrency: 2\n  iterations: 3\n  duration: 30s\n").await;
    let mut login = bench.request("login", "POST", "/login");
    login.extractors = vec![extract_json("token", "$.token", MatchNo::Nth(1))];
    let mut account = bench.request("account", "GET", "/account");
    account
        .headers
        .push(header("authorization", "Bearer ${token}"));
    let bye = bench.request("bye", "GET", "/bye/${token}");
    let run = bench
        .run(vec![step(login)], vec![step(account)], vec![step(bye)])
        .await;
    support::assert_every(&run.rows, |r| r.success);
    let paths = bench.paths();
    let count = |prefix: &str| paths.iter().filter(|p| p.starts_with(prefix)).count();
    assert_eq!(
        (count("/login"), count("/account"), count("/bye")),
        (2, 6, 2),
        "{paths:?}"
    );
    let byes: HashSet<&String> = paths.iter().filter(|p| p.starts_with("/bye")).collect();
    assert_eq!(byes.len(), 2, "each user says goodbye with its own token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_arrivals_start_from_the_lanes_state_after_setup_and_once() {
    let mut bench = bench("load:\n  pattern: static\n  tps: 20\n  duration: 1s\n").await;
    bench.plan.scenarios[0].variables = vec![("mark".into(), Template::literal("unset"))];
    let mut login = bench.request("login", "POST", "/login");
    login.extractors = vec![extract_json("token", "$.token", MatchNo::Nth(1))];
    let mut hello = bench.request("hello", "GET", "/hello");
    hello.extractors = vec![extract_json("greeting", "$.hello", MatchNo::Nth(1))];
    let mut account = bench.request("account", "GET", "/account?mark=${mark}&g=${greeting}");
    account
        .headers
        .push(header("authorization", "Bearer ${token}"));
    let steps = vec![
        Step::Once {
            id: 0,
            steps: vec![step(hello)],
        },
        step(account),
        Step::SetVariables(vec![("mark".into(), Template::literal("set"))]),
    ];
    let bye = bench.request("bye", "GET", "/bye");
    let run = bench.run(vec![step(login)], steps, vec![step(bye)]).await;
    support::assert_every(&run.rows, |r| r.success);
    let lanes: HashSet<&str> = run.rows.iter().map(|r| r.thread.as_str()).collect();
    let paths = bench.paths();
    let count = |prefix: &str| paths.iter().filter(|p| p.starts_with(prefix)).count();
    assert_eq!(count("/account"), 20);
    // Setup, once and teardown run once per lane; every arrival starts from what they left
    // (the token, the cookie, the greeting), and not from what an earlier arrival set.
    assert_eq!(count("/login"), lanes.len(), "{paths:?}");
    assert_eq!(count("/hello"), lanes.len(), "{paths:?}");
    assert_eq!(count("/bye"), lanes.len(), "{paths:?}");
    assert!(paths
        .iter()
        .filter(|p| p.starts_with("/account"))
        .all(|p| p == "/account?mark=unset&g=hi"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_spaces_a_users_iterations() {
    let mut bench = bench("load:\n  concurrency: 1\n  iterations: 3\n  duration: 30s\n").await;
    bench.plan.scenarios[0].pacing = Some(Duration::from_millis(150));
    let run = bench
        .run(
            Vec::new(),
            vec![step(bench.request("a", "GET", "/a"))],
            Vec::new(),
        )
        .await;
    assert_eq!(run.rows.len(), 3);
    for pair in run.rows.windows(2) {
        let gap = pair[1].timestamp_ms - pair[0].timestamp_ms;
        assert!((145..400).contains(&gap), "{gap} ms: {:?}", run.rows);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_request_fails_its_transaction_with_its_code_and_assertion_messages_follow_the_order(
) {
    let mut bench = bench("load:\n  concurrency: 1\n  iterations: 1\n  duration: 30s\n").await;
    // No token: 401.
    let mut account = bench.request("account", "GET", "/account");
    account.assertions = Assertions {
        status: vec![StatusRange {
            low: 200,
            high: 299,
        }],
        assume_success: false,
        checks: vec![json_equals("$.user", "ann".into())],
    };
    let mut assumed = bench.request("assumed", "GET", "/account");
    assumed.assertions = Assertions {
        assume_success: true,
        ..Assertions::default()
    };
    let mut slow = bench.request("too slow", "GET", "/a");
    slow.assertions.checks = vec![
        Check {
            kind: CheckKind::Contains {
                subject: Subject::Body,
                text: "ok".into(),
            },
            negate: false,
        },
        Check {
            kind: CheckKind::MaxResponseTime(Duration::ZERO),
            negate: false,
        },
    ];
    let steps = vec![Step::Transaction {
        name: "Checkout".into(),
        include_pauses: true,
        steps: vec![step(account), step(assumed), step(slow)],
    }];
    let run = bench.run(Vec::new(), steps, Vec::new()).await;
    assert_eq!(run.labels(), ["account", "assumed", "too slow", "Checkout"]);
    assert_eq!(
        run.rows[0].failure,
        "Test failed: response code was 401, expected one of 2xx"
    );
    assert!(run.rows[1].success, "assume-success: {:?}", run.rows[1]);
    assert!(
        run.rows[2]
            .failure
            .starts_with("The operation lasted too long"),
        "{:?}",
        run.rows[2]
    );
    let checkout = &run.rows[3];
    assert!(!checkout.success);
    assert_eq!(checkout.code, "401");
    assert_eq!(
        checkout.message,
        "Number of samples in transaction : 3, number of failing samples : 2"
    );
}

fn condition(text: &str) -> vajra_plan::Condition {
    vajra_plan::Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_takes_its_branch_by_the_users_variables_and_a_runaway_while_stops_at_its_cap() {
    let mut bench = bench(ONE_USER).await;
    let mut hello = bench.request("hello", "GET", "/hello");
    hello.extractors = vec![extract_json("greeting", "$.hello", MatchNo::Nth(1))];
    let steps = vec![
        step(hello),
        Step::If {
            condition: condition(r#""${greeting}" == "hi" && ${__counter} < 2"#),
            then: vec![step(bench.request("then", "GET", "/then"))],
            otherwise: vec![step(bench.request("else", "GET", "/else"))],
        },
        Step::SetVariables(vec![("n".into(), Template::literal("0"))]),
        Step::While {
            condition: condition(r#"${n} < 2"#),
            max_iterations: 5,
            steps: vec![
                step(bench.request("counted", "GET", "/counted/${n}")),
                Step::SetVariables(vec![("n".into(), Template::literal("2"))]),
            ],
        },
        Step::While {
            condition: condition(r#""${greeting}" == "hi""#),
            max_iterations: 3,
            steps: vec![step(bench.request("poll", "GET", "/poll"))],
        },
        Step::If {
            condition: condition("${JMeterThread.last_sample_ok}"),
            then: vec![step(bench.request("last ok", "GET", "/ok"))],
            otherwise: Vec::new(),
        },
    ];
    let run = bench.run(Vec::new(), steps, Vec::new()).await;
    let first = [
        "/hello",
        "/then",
        "/counted/0",
        "/poll",
        "/poll",
        "/poll",
        "/ok",
    ];
    let second = [
        "/hello",
        "/else",
        "/counted/0",
        "/poll",
        "/poll",
        "/poll",
        "/ok",
    ];
    assert_eq!(bench.paths(), [first, second].concat());
    let caps = &run.report.while_caps;
    assert_eq!(caps.len(), 1, "{caps:?}");
    assert_eq!(
        (
            caps[0].condition.as_str(),
            caps[0].max_iterations,
            caps[0].count
        ),
        (r#""${greeting}" == "hi""#, 3, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loop_forever_runs_until_the_runs_end_and_then_teardown_runs() {
    let mut bench = bench("load:\n  concurrency: 2\n  duration: 1s\n").await;
    let steps = vec![Step::Loop {
        count: LoopCount::Forever,
        steps: vec![
            step(bench.request("tick", "GET", "/tick")),
            Step::Pause(ThinkTime::Fixed(Duration::from_millis(50))),
        ],
    }];
    let bye = bench.request("bye", "GET", "/bye");
    let started = std::time::Instant::now();
    let run = bench.run(Vec::new(), steps, vec![step(bye)]).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let ticks = run.rows.iter().filter(|r| r.label == "tick").count();
    // About 20 a user in 1 s; the loop never ends on its own.
    assert!((20..=44).contains(&ticks), "{ticks} ticks");
    assert_eq!(run.rows.iter().filter(|r| r.label == "bye").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_the_iteration_after_the_current_request_and_skips_teardown() {
    let mut bench = bench("load:\n  concurrency: 2\n  duration: 30s\n").await;
    let steps = vec![
        step(bench.request("a", "GET", "/a")),
        Step::Pause(ThinkTime::Fixed(Duration::from_millis(20))),
        step(bench.request("b", "GET", "/b")),
    ];
    let teardown = vec![step(bench.request("bye", "GET", "/bye"))];
    let scenario = &mut bench.plan.scenarios[0];
    scenario.steps = steps;
    scenario.teardown = teardown;
    let stop = vajra_runner::StopSignal::default();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stopper.stop(vajra_runner::StopReason::Terminated);
    });
    let started = std::time::Instant::now();
    let (report, rows) = support::run_stoppable(&bench.plan, bench.dir.path(), stop)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        report.stop_reason,
        Some(vajra_runner::StopReason::Terminated)
    );
    assert!(rows.len() > 4, "{rows:?}");
    assert!(
        rows.iter().all(|r| r.label != "bye"),
        "no teardown after a stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramp_steps_start_closed_users_in_groups() {
    let server = support::start(ServerOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // Four users in two steps over 1s: two at once, two half a second later.
    let yaml = format!(
        "base-url: {}\nrequests:\n  - url: /\nload:\n  concurrency: 4\n  ramp-duration: 1s\n  \
         ramp-steps: 2\n  iterations: 1\n  duration: 10s\n",
        server.url("http")
    );
    let (_, rows) = support::run_plan(&yaml, dir.path()).await.unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    let mut starts: Vec<u64> = rows.iter().map(|r| r.timestamp_ms).collect();
    starts.sort_unstable();
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps[0] < 250 && gaps[2] < 250,
        "a step's users start together: {gaps:?}"
    );
    assert!(
        (400..900).contains(&gaps[1]),
        "the second step starts half the ramp later: {gaps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base64_of_a_users_variables_is_sent_as_basic_auth() {
    let server = support::start(ServerOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "base-url: {}\nvariables: {{user: ann, pass: \"s3:cret\"}}\nrequests:\n  - url: /\n    \
         headers: {{Authorization: 'Basic ${{__base64Encode(${{user}}:${{pass}})}}'}}\n\
         load:\n  concurrency: 1\n  iterations: 1\n  duration: 10s\n",
        server.url("http")
    );
    let (_, rows) = support::run_plan(&yaml, dir.path()).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let seen = server.seen.requests();
    // base64("ann:s3:cret")
    assert_eq!(seen[0].headers["authorization"], "Basic YW5uOnMzOmNyZXQ=");
}
