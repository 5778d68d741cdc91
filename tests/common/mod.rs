//! Helpers for the integration tests: scrape an app and read the exposition.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::collections::BTreeMap;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the sample lines of a text exposition (either format). Label
/// values may contain escaped quotes; the tests' values do not contain `,"`.
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.strip_suffix('}').expect("labels end with }")),
                None => (series, ""),
            };
            let labels = split_labels(labels)
                .into_iter()
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label is k=v");
                    (k.to_owned(), unescape(v.trim_matches('"')))
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("numeric value"),
            }
        })
        .collect()
}

fn split_labels(labels: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in labels.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                out.push(&labels[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < labels.len() {
        out.push(&labels[start..]);
    }
    out
}

fn unescape(value: &str) -> String {
    value
        .replace("\\\"", "\"")
        .replace("\\n", "\n")
        .replace("\\\\", "\\")
}

/// The `_count` of the request duration histogram for one label set, 0 if
/// the series does not exist.
pub fn count(samples: &[Sample], method: &str, route: &str, status: &str) -> f64 {
    samples
        .iter()
        .find(|s| {
            s.name == "http_server_request_duration_seconds_count"
                && s.labels["http_request_method"] == method
                && s.labels["http_route"] == route
                && s.labels["http_response_status_code"] == status
        })
        .map_or(0.0, |s| s.value)
}

/// The sum of every `_count` of the request duration histogram.
pub fn total(samples: &[Sample]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .map(|s| s.value)
        .sum()
}

/// Every distinct `http_route` value of the request duration histogram.
pub fn routes(samples: &[Sample]) -> Vec<String> {
    let mut routes: Vec<String> = samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .map(|s| s.labels["http_route"].clone())
        .collect();
    routes.sort();
    routes.dedup();
    routes
}

/// The series (name and labels, no value) of an exposition.
pub fn series_set(samples: &[Sample]) -> Vec<(String, BTreeMap<String, String>)> {
    let mut set: Vec<_> = samples
        .iter()
        .map(|s| (s.name.clone(), s.labels.clone()))
        .collect();
    set.sort();
    set
}

/// Sends a request and returns the response status.
pub async fn send<S, B>(app: &S, method: &str, uri: &str) -> u16
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(method.as_bytes()).expect("a method token"))
        .uri(uri)
        .to_request();
    match app.call(req).await {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    }
}

/// Scrapes `/metrics` with an `Accept` header, returning content type and body.
pub async fn scrape_with<S, B>(app: &S, accept: Option<&str>) -> (String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (content_type, body) = scrape_bytes(app, accept).await;
    (
        content_type,
        String::from_utf8(body).expect("utf-8 exposition"),
    )
}

/// Scrapes `/metrics` with `accept` (a text or a binary format): the
/// content type and the body.
pub async fn scrape_bytes<S, B>(app: &S, accept: Option<&str>) -> (String, Vec<u8>)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = test::TestRequest::get().uri("/metrics");
    if let Some(accept) = accept {
        req = req.insert_header(("accept", accept));
    }
    let res = test::call_service(app, req.to_request()).await;
    assert_eq!(res.status(), 200, "scrape with {accept:?}");
    let content_type = res
        .headers()
        .get("content-type")
        .expect("a content type")
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, test::read_body(res).await.to_vec())
}

/// Scrapes `/metrics` in OpenMetrics text and parses it.
pub async fn scrape<S, B>(app: &S) -> Vec<Sample>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    samples(&scrape_with(app, None).await.1)
}

/// The `(method, route, status)` of a request duration series.
pub type SeriesKey = (String, String, String);

/// Every `_count` of the request duration histogram, by its labels.
pub fn counts(samples: &[Sample]) -> BTreeMap<SeriesKey, f64> {
    samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .map(|s| {
            let key = (
                s.labels["http_request_method"].clone(),
                s.labels["http_route"].clone(),
                s.labels["http_response_status_code"].clone(),
            );
            (key, s.value)
        })
        .collect()
}

/// The `http_route` of the scrapes: `MetricsEndpoint` mounted at `/metrics`.
pub const SCRAPES: &str = "/metrics";

/// The counts that changed from `before` to `after`, by how much, leaving
/// out the scrapes themselves (`GET /metrics`, labelled by its own path).
pub fn count_changes(before: &[Sample], after: &[Sample]) -> BTreeMap<SeriesKey, f64> {
    let before = counts(before);
    let scrapes: SeriesKey = ("GET".into(), SCRAPES.into(), "200".into());
    counts(after)
        .into_iter()
        .filter(|(key, _)| *key != scrapes)
        .map(|(key, value)| {
            let delta = value - before.get(&key).copied().unwrap_or(0.0);
            (key, delta)
        })
        .filter(|(_, delta)| *delta != 0.0)
        .collect()
}

/// The samples of `registry`'s text exposition, encoded in process.
pub fn exposition(registry: &prometheus_client::registry::Registry) -> Vec<Sample> {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    samples(&text)
}

/// The `http_route` values of `http_server_route_info`, sorted: the mounts
/// the metrics know.
pub fn route_info_mounts(samples: &[Sample]) -> Vec<String> {
    let mut mounts: Vec<String> = samples
        .iter()
        .filter(|s| s.name == "http_server_route_info")
        .filter_map(|s| s.labels.get("http_route").cloned())
        .collect();
    mounts.sort();
    mounts
}

/// `http_server_active_requests` for one method label: 0 when the gauge has
/// no series yet (none until a request with that method was counted).
pub fn active_requests(samples: &[Sample], method: &str) -> f64 {
    samples
        .iter()
        .find(|s| {
            s.name == "http_server_active_requests" && s.labels["http_request_method"] == method
        })
        .map_or(0.0, |s| s.value)
}

/// Checks every request duration histogram: buckets are cumulative (never
/// decrease as `le` grows), the `+Inf` bucket equals `_count`, and `_sum` is
/// not negative.
pub fn assert_histograms_consistent(samples: &[Sample]) {
    let name = "http_server_request_duration_seconds";
    for count in samples.iter().filter(|s| s.name == format!("{name}_count")) {
        let same_series = |s: &&Sample| {
            s.labels
                .iter()
                .filter(|(k, _)| *k != "le")
                .eq(count.labels.iter())
        };
        let buckets: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.name == format!("{name}_bucket"))
            .filter(same_series)
            .collect();
        assert!(!buckets.is_empty(), "no buckets for {:?}", count.labels);
        assert!(
            buckets.windows(2).all(|w| w[0].value <= w[1].value),
            "buckets decrease for {:?}: {:?}",
            count.labels,
            buckets.iter().map(|b| b.value).collect::<Vec<_>>()
        );
        let last = buckets.last().expect("not empty");
        assert_eq!(last.labels["le"], "+Inf", "the last bucket is +Inf");
        assert_eq!(
            last.value, count.value,
            "+Inf bucket and _count differ for {:?}",
            count.labels
        );
        let sum = samples
            .iter()
            .filter(|s| s.name == format!("{name}_sum"))
            .find(same_series)
            .expect("every histogram has a _sum");
        assert!(sum.value >= 0.0, "negative _sum for {:?}", count.labels);
    }
}

/// Runs `promtool` with `args`, feeding it `stdin`. Fails, never skips,
/// when promtool is missing: CI installs it.
pub fn promtool(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = std::process::Command::new("promtool")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run `promtool` ({err}): this test needs Prometheus' promtool on \
                 PATH (Debian: `apt-get install prometheus`; `.ci/run` installs it)"
            )
        });
    let mut input = child.stdin.take().expect("a piped stdin");
    let stdin = stdin.to_owned();
    // From a thread: promtool may answer before it has read everything.
    let writer =
        std::thread::spawn(move || std::io::Write::write_all(&mut input, stdin.as_bytes()));
    let output = child.wait_with_output().expect("promtool runs");
    writer
        .join()
        .expect("the writer does not panic")
        .expect("promtool reads its stdin");
    output
}

/// Has `promtool` check an exposition, and fails the test with its
/// findings. Fails, never skips, when promtool is missing: CI installs it.
///
/// `promtool check metrics` must report nothing, not even a lint, in either
/// format. It reads OpenMetrics with the classic text parser (`# UNIT` and
/// `# EOF` are comments to it), so an OpenMetrics exposition is also read by
/// Prometheus' OpenMetrics parser, through `promtool tsdb create-blocks-from
/// openmetrics`, which needs a timestamp on every sample: one is added.
pub fn assert_promtool_accepts(exposition: &str, what: &str) {
    use std::sync::atomic::{AtomicU32, Ordering};

    let lint = promtool(&["check", "metrics"], exposition);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(
        lint.status.success() && said.trim().is_empty(),
        "promtool check metrics on {what} ({}):\n{said}\nexposition:\n{}",
        lint.status,
        exposition.chars().take(20_000).collect::<String>()
    );
    if !exposition.ends_with("# EOF\n") {
        return;
    }

    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "route-labels-openmetrics-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut stamped = String::with_capacity(exposition.len() * 11 / 10);
    for line in exposition.lines() {
        stamped.push_str(line);
        if !line.starts_with('#') && !line.is_empty() {
            stamped.push_str(" 1700000000");
        }
        stamped.push('\n');
    }
    let input = dir.join("exposition.txt");
    std::fs::write(&input, stamped).expect("the exposition is written");
    let output = promtool(
        &[
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            &input.display().to_string(),
            &dir.join("blocks").display().to_string(),
        ],
        "",
    );
    std::fs::remove_dir_all(&dir).expect("the temporary directory is removed");
    // It prints a table of the blocks it made; only stderr is a finding.
    let problems = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && problems.trim().is_empty(),
        "Prometheus' OpenMetrics parser on {what} ({}):\n{problems}\nexposition:\n{}",
        output.status,
        exposition.chars().take(20_000).collect::<String>()
    );
}

/// Runs the test `name` of this test binary alone, in a child process, and
/// returns `false`; in that child it returns `true`, and the caller runs the
/// test's body there. `name` is the test's path in the binary (its function
/// name for a top-level test).
///
/// For tests whose outcome depends on process-wide state that other tests of
/// the binary change while they run: a `Route`'s cardinality counts the
/// mounts of every app the process built, and which full templates are
/// mounted is learnt from the requests served so far.
pub fn alone(name: &str) -> bool {
    const VAR: &str = "ROUTE_LABELS_TEST_ALONE";
    if std::env::var(VAR).as_deref() == Ok(name) {
        return true;
    }
    let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(VAR, name)
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "`{name}`, run alone ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    false
}
