//! From the plan as written (`raw`) to a checked [`Plan`]: cross-field checks, defaults
//! merged into requests, URLs joined to the base, variables matched to data columns.

use std::path::{Path, PathBuf};

use super::client::{ClientSpec, TlsSpec};
use super::data::{read_columns, DataSetSpec};
use super::error::{closest, Source};
use super::locate::FieldPath;
use super::raw::{RawDefaults, RawPlan, RawRequest, RawTls, Target};
use super::scenario::{StatusRange, Step, ThinkTime};
use super::template::Template;
use super::yaml;
use super::{Assertions, Check, CheckKind, CloudSpec, Plan, PlanError, RequestSpec, Scenario};

/// Stands in for variables when checking the shape of a URL or header value at load time.
const PLACEHOLDER: &str = "1";

pub(super) fn build(text: &str, source_path: &Path) -> Result<Plan, PlanError> {
    let src = Source {
        file: source_path,
        text,
    };
    let root = FieldPath::root();
    if text.trim().is_empty() {
        return Err(src.invalid(
            &root,
            "the plan is empty: it needs at least `requests:` (see docs/plan-format.md)",
        ));
    }
    let raw: RawPlan = yaml::read(text).map_err(|err| src.deserialize_error(err))?;
    let plan_dir = source_path.parent().unwrap_or(Path::new(""));

    let embedded_target = raw.target == Some(Target::Embedded);
    let base_url = match &raw.base_url {
        Some(_) if embedded_target => {
            return Err(src.invalid(
                &root.key("base-url"),
                "`target: embedded` points the base URL at the embedded target; remove \
                 `base-url:`, or remove `target:` to test another server",
            ))
        }
        Some(url) => Some(check_base_url(url).map_err(|m| src.invalid(&root.key("base-url"), m))?),
        None => None,
    };

    let client = ClientSpec {
        http_version: raw.http_version.unwrap_or_default(),
        tls: tls(&raw.tls, &src, plan_dir)?,
    };
    let data = data_sets(&raw, &src, plan_dir)?;
    let variables = Variables::new(&data);
    let requests = RequestContext {
        src: &src,
        plan_dir,
        base_url: base_url.as_deref(),
        embedded_target,
        defaults: &raw.defaults,
        variables: &variables,
    };

    let name = raw.name.clone().unwrap_or_else(|| {
        source_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plan".into())
    });
    let scenarios =
        match (raw.scenarios, raw.requests) {
            (Some(_), Some(_)) => {
                return Err(src.invalid(
                    &root.key("requests"),
                    "use either `scenarios:` or a top-level `requests:` list, not both",
                ))
            }
            (None, None) => return Err(src.invalid(
                &root,
                "the plan has no requests: add a `scenarios:` list, or a top-level `requests:` \
                 list for a single scenario",
            )),
            (None, Some(list)) => {
                let path = root.key("requests");
                vec![Scenario {
                    name: name.clone(),
                    weight: 1,
                    store_cookie: raw.defaults.store_cookie.unwrap_or(false),
                    variables: Vec::new(),
                    setup: Vec::new(),
                    steps: steps(requests.build_all(list, &path, Behaviour::default())?),
                    teardown: Vec::new(),
                    pacing: None,
                }]
            }
            (Some(list), None) => {
                if list.is_empty() {
                    return Err(src.invalid(
                        &root.key("scenarios"),
                        "`scenarios:` is empty: add at least one scenario with `requests:`",
                    ));
                }
                let mut scenarios: Vec<Scenario> = Vec::with_capacity(list.len());
                for (i, raw) in list.into_iter().enumerate() {
                    let path = root.key("scenarios").index(i);
                    if scenarios.iter().any(|s| s.name == raw.name) {
                        return Err(src.invalid(
                            &path.key("name"),
                            format!(
                                "scenario name `{}` is used twice; names must be unique",
                                raw.name
                            ),
                        ));
                    }
                    let weight = raw.weight.unwrap_or(1);
                    if weight == 0 {
                        return Err(src.invalid(
                            &path.key("weight"),
                            "weight must be at least 1 (remove the scenario to leave it out)",
                        ));
                    }
                    if weight > crate::limits::MAX_WEIGHT {
                        return Err(src.invalid(
                            &path.key("weight"),
                            format!(
                                "weight {weight} is more than the maximum of {}: weights are \
                                 relative, so give smaller numbers in the same proportion",
                                crate::limits::MAX_WEIGHT
                            ),
                        ));
                    }
                    let behaviour = Behaviour {
                        follow_redirects: raw.follow_redirects,
                        keepalive: raw.keepalive,
                    };
                    scenarios.push(Scenario {
                        name: raw.name,
                        weight,
                        store_cookie: raw
                            .store_cookie
                            .or(requests.defaults.store_cookie)
                            .unwrap_or(false),
                        variables: Vec::new(),
                        setup: Vec::new(),
                        steps: steps(requests.build_all(
                            raw.requests,
                            &path.key("requests"),
                            behaviour,
                        )?),
                        teardown: Vec::new(),
                        pacing: None,
                    });
                }
                scenarios
            }
        };

    Ok(Plan {
        name,
        source: source_path.to_path_buf(),
        embedded_target,
        base_url,
        scenarios,
        load: raw.load,
        data,
        thresholds: raw.thresholds,
        cloud: CloudSpec {
            engine_capacity_tps: raw.cloud.engine_capacity_tps,
            locations: raw.cloud.locations.0,
        },
        client,
        variables: Vec::new(),
    })
}

fn steps(requests: Vec<RequestSpec>) -> Vec<Step> {
    requests
        .into_iter()
        .map(|r| Step::Request(Box::new(r)))
        .collect()
}

/// The `tls:` section: files resolved against the plan's directory and checked to exist (the
/// runner reads them, and says what is wrong with their contents).
fn tls(raw: &RawTls, src: &Source, plan_dir: &Path) -> Result<TlsSpec, PlanError> {
    let path = FieldPath::root().key("tls");
    let file = |key: &str, file: &Option<PathBuf>| -> Result<Option<PathBuf>, PlanError> {
        file.as_ref()
            .map(|file| existing_file(plan_dir, file, "file"))
            .transpose()
            .map_err(|m| src.invalid(&path.key(key), m))
    };
    let spec = TlsSpec {
        ca_file: file("ca-file", &raw.ca_file)?,
        insecure: raw.insecure.unwrap_or(false),
        client_cert: file("client-cert", &raw.client_cert)?,
        client_key: file("client-key", &raw.client_key)?,
        server_name: raw.server_name.clone(),
        min_version: raw.min_version.unwrap_or_default(),
    };
    match (&spec.client_cert, &spec.client_key) {
        (Some(_), None) => {
            return Err(src.invalid(
                &path.key("client-cert"),
                "a client certificate needs its private key: add `client-key:` (a PEM file)",
            ))
        }
        (None, Some(_)) => {
            return Err(src.invalid(
                &path.key("client-key"),
                "a client key needs its certificate: add `client-cert:` (a PEM file)",
            ))
        }
        _ => {}
    }
    if let Some(name) = &spec.server_name {
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '/' || c == ':') {
            return Err(src.invalid(
                &path.key("server-name"),
                format!("`{name}` is not a host name: give a DNS name like api.example.com"),
            ));
        }
    }
    Ok(spec)
}

/// Request behaviours a scenario sets for its requests; a request's own setting wins, then the
/// scenario's, then `defaults:`.
#[derive(Default, Clone, Copy)]
struct Behaviour {
    follow_redirects: Option<Option<u32>>,
    keepalive: Option<bool>,
}

/// `file` resolved against the plan's directory, if it is a file; else the message saying
/// which `kind` of file is missing.
fn existing_file(plan_dir: &Path, file: &Path, kind: &str) -> Result<PathBuf, String> {
    let resolved = plan_dir.join(file);
    if resolved.is_file() {
        Ok(resolved)
    } else {
        Err(format!(
            "{kind} not found: {} (relative paths start at the plan file's directory)",
            resolved.display()
        ))
    }
}

fn data_sets(raw: &RawPlan, src: &Source, plan_dir: &Path) -> Result<Vec<DataSetSpec>, PlanError> {
    let mut specs: Vec<DataSetSpec> = Vec::with_capacity(raw.data.len());
    for (i, set) in raw.data.iter().enumerate() {
        let path = FieldPath::root().key("data").index(i).key("file");
        let file =
            existing_file(plan_dir, &set.file, "data file").map_err(|m| src.invalid(&path, m))?;
        let mut spec = DataSetSpec {
            file,
            delimiter: set.delimiter.unwrap_or(b','),
            on_eof: set.on_eof,
            split: set.split.unwrap_or(true),
            columns: Vec::new(),
        };
        spec.columns = read_columns(&spec)?;
        for earlier in &specs {
            if let Some(column) = spec.columns.iter().find(|c| earlier.columns.contains(c)) {
                return Err(src.invalid(
                    &path,
                    format!(
                        "column `{column}` is also in {}: each variable must come from one data set",
                        earlier.file.display()
                    ),
                ));
            }
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// The variable names the data sets provide.
struct Variables(Vec<String>);

impl Variables {
    fn new(data: &[DataSetSpec]) -> Self {
        Self(
            data.iter()
                .flat_map(|d| d.columns.iter().cloned())
                .collect(),
        )
    }

    /// Checks that every variable of `template` is provided; the error says what is.
    fn check(&self, template: &Template) -> Result<(), String> {
        let Some(unknown) = template
            .variables()
            .find(|v| !self.0.iter().any(|c| c == v))
        else {
            return Ok(());
        };
        if self.0.is_empty() {
            return Err(format!(
                "unknown variable `${{{unknown}}}`: no data set provides it; add a CSV file \
                 with a column named `{unknown}` under `data:`, or write `$${{{unknown}}}` for a \
                 literal `${{{unknown}}}`"
            ));
        }
        let available = self
            .0
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        Err(
            match closest(unknown, self.0.iter().map(String::as_str)) {
                Some(hint) => format!(
                    "unknown variable `${{{unknown}}}`, did you mean `${{{hint}}}`? The data sets provide {available}"
                ),
                None => format!(
                    "unknown variable `${{{unknown}}}`: the data sets provide {available}"
                ),
            },
        )
    }
}

/// What every request is built against.
struct RequestContext<'a> {
    src: &'a Source<'a>,
    plan_dir: &'a Path,
    base_url: Option<&'a str>,
    embedded_target: bool,
    defaults: &'a RawDefaults,
    variables: &'a Variables,
}

impl RequestContext<'_> {
    fn build_all(
        &self,
        raws: Vec<RawRequest>,
        path: &FieldPath,
        scenario: Behaviour,
    ) -> Result<Vec<RequestSpec>, PlanError> {
        if raws.is_empty() {
            return Err(self
                .src
                .invalid(path, "no requests: add at least one request with a `url:`"));
        }
        raws.into_iter()
            .enumerate()
            .map(|(i, raw)| self.request(raw, &path.index(i), scenario))
            .collect()
    }

    fn request(
        &self,
        raw: RawRequest,
        path: &FieldPath,
        scenario: Behaviour,
    ) -> Result<RequestSpec, PlanError> {
        let invalid = |field: &str, message: String| self.src.invalid(&path.key(field), message);
        let method = raw.method.unwrap_or(http::Method::GET);
        let label = raw
            .label
            .unwrap_or_else(|| format!("{method} {}", label_path(&raw.url.to_string())));

        self.variables
            .check(&raw.url)
            .map_err(|m| invalid("url", m))?;
        let url = self.resolve_url(&raw.url).map_err(|m| invalid("url", m))?;

        let mut headers = self.headers(
            &self.defaults.headers.0,
            &FieldPath::root().key("defaults").key("headers"),
        )?;
        for (name, value) in self.headers(&raw.headers.0, &path.key("headers"))? {
            headers.retain(|(existing, _)| *existing != name);
            headers.push((name, value));
        }

        let body = match (raw.body, raw.body_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "body-file",
                    "give either `body:` or `body-file:`, not both".into(),
                ))
            }
            (Some(body), None) => {
                self.variables
                    .check(&body)
                    .map_err(|m| invalid("body", m))?;
                Some(body)
            }
            (None, Some(file)) => Some(self.body_file(&file).map_err(|m| invalid("body-file", m))?),
            (None, None) => None,
        };

        Ok(RequestSpec {
            label,
            method,
            url,
            headers,
            body,
            timeout: raw.timeout.or(self.defaults.timeout),
            think_time: raw.think_time.map(ThinkTime::Fixed),
            extractors: Vec::new(),
            assertions: Assertions {
                status: raw
                    .assert
                    .status
                    .into_iter()
                    .map(|code| StatusRange {
                        low: code,
                        high: code,
                    })
                    .collect(),
                assume_success: false,
                checks: raw
                    .assert
                    .body_contains
                    .into_iter()
                    .map(|text| Check {
                        kind: CheckKind::Contains {
                            subject: Default::default(),
                            text,
                        },
                        negate: false,
                    })
                    .collect(),
            },
            follow_redirects: raw
                .follow_redirects
                .or(scenario.follow_redirects)
                .or(self.defaults.follow_redirects)
                .flatten(),
            keepalive: raw
                .keepalive
                .or(scenario.keepalive)
                .or(self.defaults.keepalive)
                .unwrap_or(true),
        })
    }

    /// Joins a relative URL to the base and checks the result's shape.
    fn resolve_url(&self, url: &Template) -> Result<Template, String> {
        if !is_relative(url) {
            if !url.starts_with_variable() {
                check_url(&url.render_with(PLACEHOLDER))?;
            }
            return Ok(url.clone());
        }
        match self.base_url {
            Some(base) => {
                let joined = join(base, url);
                check_url(&joined.render_with(PLACEHOLDER))?;
                Ok(joined)
            }
            None if self.embedded_target => {
                // The embedded target's port is known only at run time; check the shape now.
                check_url(&join("http://127.0.0.1:1", url).render_with(PLACEHOLDER))?;
                Ok(url.clone())
            }
            None => Err(format!(
                "relative URL `{url}` needs a base: add `base-url: http://host:port` to the \
                 plan, or `target: embedded` to test the built-in target"
            )),
        }
    }

    fn headers(
        &self,
        raw: &[(String, Template)],
        path: &FieldPath,
    ) -> Result<Vec<(http::HeaderName, Template)>, PlanError> {
        raw.iter()
            .map(|(name, value)| {
                let field = path.key(name);
                let header = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    self.src.invalid(
                        &field,
                        format!(
                            "`{name}` is not a valid header name: use letters, digits and \
                             `-`, like X-Request-Id"
                        ),
                    )
                })?;
                self.variables
                    .check(value)
                    .map_err(|m| self.src.invalid(&field, m))?;
                http::HeaderValue::from_str(&value.render_with(PLACEHOLDER)).map_err(|_| {
                    self.src.invalid(
                        &field,
                        "the header value has characters HTTP headers cannot carry (like a \
                         line break)",
                    )
                })?;
                Ok((header, value.clone()))
            })
            .collect()
    }

    fn body_file(&self, file: &Path) -> Result<Template, String> {
        let resolved: PathBuf = self.plan_dir.join(file);
        let text = read_body_file(&resolved).map_err(|err| {
            format!(
                "cannot read body file {}: {err} (relative paths start at the plan file's \
                 directory)",
                resolved.display()
            )
        })?;
        let body = Template::parse(&text)
            .map_err(|err| format!("in body file {}: {err}", resolved.display()))?;
        self.variables
            .check(&body)
            .map_err(|m| format!("in body file {}: {m}", resolved.display()))?;
        Ok(body)
    }
}

/// A body file's text: a regular file of at most [`crate::limits::MAX_BODY_BYTES`], so that a
/// device or a pipe (`/dev/zero`) cannot make the loader read forever.
fn read_body_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let max = crate::limits::MAX_BODY_BYTES;
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("it is larger than the maximum body of {} MiB", max >> 20),
        )
    };
    if !std::fs::metadata(path)?.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// The path part of a URL as written, for default labels: `/fast` for
/// `http://host/fast?user=${user}`.
fn label_path(url: &str) -> &str {
    let without_origin = match url.split_once("://") {
        Some((scheme, rest)) if is_scheme(scheme) => rest.find('/').map_or("/", |i| &rest[i..]),
        _ => url,
    };
    without_origin
        .split(['?', '#'])
        .next()
        .unwrap_or(without_origin)
}

fn is_scheme(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// A URL is relative unless it starts with `scheme://` or with a variable (which may hold a
/// whole URL, so it is taken as absolute and checked at run time).
pub(super) fn is_relative(url: &Template) -> bool {
    if url.starts_with_variable() {
        return false;
    }
    !matches!(url.leading_literal().split_once("://"), Some((scheme, _)) if is_scheme(scheme))
}

/// `base` + `url` by concatenation, with exactly one `/` between them, so a base path is kept:
/// `http://h/api` + `/users` is `http://h/api/users`.
pub(super) fn join(base: &str, url: &Template) -> Template {
    let base = base.trim_end_matches('/');
    let literal = url.leading_literal();
    if literal.starts_with('/') || literal.starts_with('?') || literal.is_empty() && url.is_static()
    {
        url.prefixed(base)
    } else {
        url.prefixed(&format!("{base}/"))
    }
}

/// Checks a `base-url:` and returns it without a trailing `/`.
pub(super) fn check_base_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    check_url(trimmed)?;
    if trimmed.contains(['?', '#']) {
        return Err(format!(
            "base URL `{url}` has a query or fragment; give only scheme, host, port and path"
        ));
    }
    Ok(trimmed.to_string())
}

/// Checks that `url` is an absolute http or https URL with a host.
fn check_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|err| format!("`{url}` is not a valid URL: {err}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(format!(
                "`{url}` uses scheme `{other}`: only http and https are supported"
            ))
        }
        None => {
            return Err(format!(
                "`{url}` is not an absolute URL: it should look like http://host:port/path"
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("`{url}` has no host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    #[test]
    fn labels_use_the_path_without_query() {
        assert_eq!(label_path("/fast?user=${user}"), "/fast");
        assert_eq!(label_path("http://h:1/a/b#x"), "/a/b");
        assert_eq!(label_path("https://example.com"), "/");
    }

    #[test]
    fn relative_and_absolute_urls() {
        assert!(is_relative(&t("/fast")));
        assert!(is_relative(&t("fast/${id}")));
        assert!(!is_relative(&t("http://h/fast")));
        assert!(!is_relative(&t("${url}")));
    }

    #[test]
    fn join_keeps_one_slash_and_the_base_path() {
        let row = super::super::Row::from_pairs([("id", "7")]);
        assert_eq!(
            join("http://h/api/", &t("/u/${id}")).render(&row),
            "http://h/api/u/7"
        );
        assert_eq!(join("http://h/api", &t("u")).render(&row), "http://h/api/u");
        assert_eq!(join("http://h", &t("?q=1")).render(&row), "http://h?q=1");
        assert_eq!(join("http://h", &t("")).render(&row), "http://h");
    }

    #[test]
    fn url_checks() {
        assert!(check_url("http://127.0.0.1:8080/x?y=1").is_ok());
        assert!(check_url("ftp://h/x").unwrap_err().contains("scheme `ftp`"));
        assert!(check_url("/x").unwrap_err().contains("not an absolute URL"));
        assert!(check_url("http://h/a b")
            .unwrap_err()
            .contains("not a valid URL"));
        assert_eq!(check_base_url("http://h:1/api/").unwrap(), "http://h:1/api");
        assert!(check_base_url("http://h/?x=1").is_err());
    }
}
