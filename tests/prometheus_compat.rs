//! The migration from actix-web-prom, against a real Prometheus server and
//! `promtool`: the recording rules of `examples/prometheus/actix-web-prom.yml`
//! must give, from route-labels' metrics, the series actix-web-prom itself
//! gives, and the dashboard `examples/grafana/actix-web-prom-compat.json`,
//! written against actix-web-prom's names, must show the same on both.
//!
//! Needs Prometheus' `prometheus` and `promtool` on `PATH` (Debian:
//! `apt-get install prometheus`; `.ci/run` installs them). Without them every
//! test here fails and says so: none skips.
//!
//! One Prometheus scrapes two apps with the same handlers, on loopback ports:
//! job `actix-web-prom`, instrumented by actix-web-prom 0.10 itself
//! (namespace `api`, a constant label, `mask_unmatched_patterns("unmatched")`
//! so that its 404s to unknown paths are one series, as route-labels' are),
//! and job `route-labels`, instrumented as the migration guide says
//! (`.buckets(..)` set to actix-web-prom's default bounds, the constant label
//! from a sub-registry), with the compat rules loaded. Both get the same
//! known traffic, half before Prometheus starts and half after its first
//! scrape (so that rates are not zero). The checks then read, at one rule
//! evaluation after the traffic, what Prometheus stored and recorded:
//!
//! - the recorded series have exactly actix-web-prom's names, label names and
//!   label values (`le` as actix-web-prom writes it): the same series set as
//!   the `actix-web-prom` job;
//! - `api_http_requests_total` and the histogram's `_count` equal the
//!   requests sent, per endpoint, method and status, for both jobs. Raw
//!   values, not `increase`: both apps start from zero, and `increase` would
//!   miss what was counted before a series' first scrape;
//! - the recorded `_bucket`, `_sum` and `_count` equal route-labels' own
//!   series, read at the same instant;
//! - every expression of the dashboard runs on both jobs, returns data, and
//!   returns the same label sets, reading only the recorded names.
//!
//! `promtool check rules` must accept the rules file. A last test, in
//! process, checks the differences the guide lists, by sending both
//! middlewares the requests whose labels differ.

mod common;
mod prometheus;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, get, web};
use actix_web_prom::PrometheusMetricsBuilder;
use prometheus::{
    Connection, Job, Prometheus, SCRAPE_INTERVAL, dashboard_expressions, metric_names, promtool,
    unix_now, wait_until,
};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};
use serde_json::Value;

// ---------------------------------------------------------------------------
// The app, as a service migrating from actix-web-prom has it
// ---------------------------------------------------------------------------

mod users {
    use actix_web::{HttpResponse, get, post, web};

    #[route_labels::register]
    #[get("")]
    async fn list() -> HttpResponse {
        HttpResponse::Ok().body("users")
    }

    #[route_labels::register]
    #[post("")]
    async fn create() -> HttpResponse {
        HttpResponse::Created().finish()
    }

    /// `/users/abc` fails the extractor: 404, under the route.
    #[route_labels::register]
    #[get("/{id}")]
    async fn show(id: web::Path<u32>) -> HttpResponse {
        HttpResponse::Ok().body(format!("user {id}"))
    }

    pub fn configure(config: &mut web::ServiceConfig) {
        config.service(list).service(create).service(show);
    }
}

/// Slower than the fast routes, so that the buckets differ by `le`.
#[route_labels::register]
#[get("/report")]
async fn report() -> HttpResponse {
    actix_web::rt::time::sleep(Duration::from_millis(REPORT_MS)).await;
    HttpResponse::Ok().body("report")
}

/// A server error, for the dashboard's error ratio.
#[route_labels::register]
#[get("/fail")]
async fn fail() -> HttpResponse {
    HttpResponse::ServiceUnavailable().finish()
}

const REPORT_MS: u64 = 30;

/// The routes of both apps.
fn routes(config: &mut web::ServiceConfig) {
    config
        .service(web::scope("/users").configure(users::configure))
        .service(report)
        .service(fail);
}

/// actix-web-prom's namespace in its examples, and in the rules file.
const NAMESPACE: &str = "api";

/// actix-web-prom 0.10's default bucket bounds: `prometheus::DEFAULT_BUCKETS`
/// of the `prometheus` crate 0.14, which `PrometheusMetricsBuilder::new`
/// takes. The `actix-web-prom` job's `le` values check this copy.
const ACTIX_WEB_PROM_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The constant label both apps put on every series.
const CONST_LABEL: (&str, &str) = ("service", "shop");

/// route-labels' `http_route` of a request no resource matched, and the
/// mask actix-web-prom is given for those in the Prometheus test.
const UNMATCHED: &str = "unmatched";

/// The endpoint of the scrapes: both serve the metrics at this path, and
/// both count Prometheus' scrapes under it.
const SCRAPES: &str = "/metrics";

const ACTIX_JOB: &str = "actix-web-prom";
const COMPAT_JOB: &str = "route-labels";

/// The names the rules record, as actix-web-prom names its series.
const RECORDED: [&str; 4] = [
    "api_http_requests_total",
    "api_http_requests_duration_seconds_bucket",
    "api_http_requests_duration_seconds_sum",
    "api_http_requests_duration_seconds_count",
];

/// An app on a loopback port, served by one worker on a thread of its own;
/// stopped on drop.
struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Server {
    fn spawn(addr: SocketAddr, server: actix_web::dev::Server) -> Self {
        let handle = server.handle();
        let thread = std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
        Self {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    /// The app instrumented by actix-web-prom.
    fn actix_web_prom() -> Self {
        let prometheus = PrometheusMetricsBuilder::new(NAMESPACE)
            .endpoint(SCRAPES)
            .const_labels(HashMap::from([(
                CONST_LABEL.0.to_owned(),
                CONST_LABEL.1.to_owned(),
            )]))
            .mask_unmatched_patterns(UNMATCHED)
            .build()
            .expect("actix-web-prom's metrics register");
        let server = HttpServer::new(move || App::new().wrap(prometheus.clone()).configure(routes))
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("a loopback port");
        Self::spawn(server.addrs()[0], server.run())
    }

    /// The same app instrumented by route-labels, as the guide says.
    fn route_labels() -> Self {
        let mut registry = Registry::default();
        let labels = [(Cow::from(CONST_LABEL.0), Cow::from(CONST_LABEL.1))];
        let metrics = HttpMetrics::builder()
            .buckets(ACTIX_WEB_PROM_BUCKETS)
            .build(registry.sub_registry_with_labels(labels.into_iter()))
            .expect("valid options");
        let registry = Arc::new(registry);
        let server = HttpServer::new(move || {
            metrics.app(
                App::new()
                    .configure(routes)
                    .service(MetricsEndpoint::new(SCRAPES, Arc::clone(&registry))),
            )
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("a loopback port");
        Self::spawn(server.addrs()[0], server.run())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------
// The traffic
// ---------------------------------------------------------------------------

/// The `(endpoint, method, status)` of a series, as actix-web-prom labels it.
type Key = (String, String, String);

fn key(endpoint: &str, method: &str, status: &str) -> Key {
    (endpoint.to_owned(), method.to_owned(), status.to_owned())
}

/// One round of the known traffic: `(method, target, endpoint, status)`.
fn round(round: u32) -> Vec<(&'static str, String, &'static str, u16)> {
    let mut traffic = Vec::new();
    let mut add = |n: u32, method, target: &dyn Fn(u32) -> String, endpoint, status| {
        for i in 0..n {
            traffic.push((method, target(100 * round + i), endpoint, status));
        }
    };
    add(3, "GET", &|_| "/users".to_owned(), "/users", 200);
    add(2, "POST", &|_| "/users".to_owned(), "/users", 201);
    add(4, "GET", &|i| format!("/users/{i}"), "/users/{id}", 200);
    add(1, "GET", &|i| format!("/users/abc{i}"), "/users/{id}", 404);
    add(2, "GET", &|i| format!("/report?page={i}"), "/report", 200);
    add(1, "GET", &|_| "/fail".to_owned(), "/fail", 503);
    add(2, "GET", &|i| format!("/nowhere/{i}"), UNMATCHED, 404);
    traffic
}

/// Sends a round to every app, checking each status; adds each request to
/// `sent`.
fn send(servers: &[&Server], round: &[(&str, String, &str, u16)], sent: &mut BTreeMap<Key, f64>) {
    for server in servers {
        let mut connection = Connection::new(server.addr);
        for (method, target, _, status) in round {
            let got = connection
                .send(method, target)
                .unwrap_or_else(|e| panic!("{method} {target} to {}: {e}", server.addr));
            assert_eq!(got, *status, "{method} {target} to {}", server.addr);
        }
    }
    for (method, _, endpoint, status) in round {
        *sent
            .entry(key(endpoint, method, &status.to_string()))
            .or_default() += 1.0;
    }
}

// ---------------------------------------------------------------------------
// Reading Prometheus
// ---------------------------------------------------------------------------

fn rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus/actix-web-prom.yml")
}

fn dashboard_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/grafana/actix-web-prom-compat.json")
}

fn query(prometheus: &Prometheus, expr: &str, at: &str) -> Vec<Value> {
    prometheus
        .query(expr, Some(at))
        .unwrap_or_else(|e| panic!("`{expr}` at {at}: {e}\n{}", prometheus.log()))
}

fn value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no value in {sample}"))
}

/// A sample's labels, without the target's (`job`, `instance`), which are
/// the two jobs' only difference.
fn labels(sample: &Value) -> BTreeMap<String, String> {
    sample["metric"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !["job", "instance"].contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn label<'a>(labels: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    labels.get(name).map_or("", String::as_str)
}

/// A bound as a key that ignores how it is written (`1`, `1.0`): its value,
/// printed by Rust.
fn bound(le: &str) -> String {
    le.parse::<f64>()
        .map_or_else(|_| format!("bad `le` {le:?}"), |v| v.to_string())
}

/// Every series `expr` selects, by labels (the target's aside), with its
/// value.
fn series(
    prometheus: &Prometheus,
    expr: &str,
    at: &str,
) -> BTreeMap<BTreeMap<String, String>, f64> {
    query(prometheus, expr, at)
        .iter()
        .map(|s| (labels(s), value(s)))
        .collect()
}

/// A recorded series of a histogram: endpoint, method, status, and the bound
/// (`""` for `_sum` and `_count`).
fn histogram_key(labels: &BTreeMap<String, String>) -> (Key, String) {
    let le = labels.get("le").map_or_else(String::new, |le| bound(le));
    (
        key(
            label(labels, "endpoint"),
            label(labels, "method"),
            label(labels, "status"),
        ),
        le,
    )
}

/// Waits for a rule evaluation of the compat rules at a time after `after`
/// (Unix seconds); returns its timestamp, as Prometheus prints it.
fn evaluation_after(prometheus: &Prometheus, after: f64) -> String {
    let expr = format!("min(timestamp(api_http_requests_total{{job=\"{COMPAT_JOB}\"}}))");
    wait_until(
        "an evaluation of the compat rules after the traffic",
        10 * SCRAPE_INTERVAL,
        || {
            let result = prometheus.query(&expr, None).map_err(|e| e.to_string())?;
            let printed = result
                .first()
                .and_then(|s| s["value"][1].as_str())
                .ok_or_else(|| format!("no recorded series yet: {result:?}"))?;
            let seconds: f64 = printed.parse().map_err(|_| printed.to_owned())?;
            if seconds > after {
                Ok(printed.to_owned())
            } else {
                Err(format!("last evaluated at {printed}, not after {after}"))
            }
        },
    )
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

#[test]
fn the_compat_rules_give_actix_web_prom_series_and_its_dashboard_works_on_them() {
    let actix = Server::actix_web_prom();
    let compat = Server::route_labels();
    let servers = [&actix, &compat];
    let mut sent = BTreeMap::new();

    // Half the traffic before Prometheus starts: every series exists by its
    // first scrape, counted from zero.
    send(&servers, &round(0), &mut sent);
    let rules = rules_file();
    let prometheus = Prometheus::start_with(
        &[
            Job {
                name: ACTIX_JOB,
                targets: &[actix.addr],
                sample_limit: 10_000,
            },
            Job {
                name: COMPAT_JOB,
                targets: &[compat.addr],
                sample_limit: 10_000,
            },
        ],
        &[&rules],
        &[],
    );
    prometheus.wait_for_scrape_after(unix_now());
    // The other half after it, so that the dashboard's rates are not zero.
    send(&servers, &round(1), &mut sent);
    // Two scrapes of each app after the traffic, then a rule evaluation after
    // both: whichever of the two it read, it read all of the traffic.
    let first: f64 = prometheus
        .wait_for_scrape_after(unix_now() + 0.02)
        .parse()
        .expect("a timestamp");
    let second: f64 = prometheus
        .wait_for_scrape_after(first + 0.02)
        .parse()
        .expect("a timestamp");
    let at = evaluation_after(&prometheus, second);

    let mut found = Vec::new();
    found.extend(rule_problems(&prometheus));
    found.extend(series_set_problems(&prometheus, &at));
    found.extend(count_problems(&prometheus, &at, &sent));
    found.extend(histogram_problems(&prometheus, &at));
    found.extend(dashboard_problems(&prometheus, &at));
    assert!(
        found.is_empty(),
        "the compat rules do not give actix-web-prom's series:\n  {}\nprometheus log:\n{}",
        found.join("\n  "),
        prometheus.log()
    );
}

/// Every rule of the file was loaded, evaluates without error, and records
/// one of actix-web-prom's names.
fn rule_problems(prometheus: &Prometheus) -> Vec<String> {
    let rules = prometheus.recording_rules(None);
    let mut found = Vec::new();
    let names: BTreeSet<&str> = rules.iter().filter_map(|r| r["name"].as_str()).collect();
    if names != BTreeSet::from(RECORDED) {
        found.push(format!(
            "the rules record {names:?}, actix-web-prom's names are {RECORDED:?}"
        ));
    }
    for rule in &rules {
        if rule["health"] != "ok" {
            found.push(format!(
                "rule {}: {} {}",
                rule["name"], rule["health"], rule["lastError"]
            ));
        }
    }
    found
}

/// The recorded series are actix-web-prom's: the same names, label names and
/// label values, bounds included, as the `actix-web-prom` job's.
fn series_set_problems(prometheus: &Prometheus, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    let set = |job: &str| -> BTreeSet<BTreeMap<String, String>> {
        series(
            prometheus,
            &format!("{{__name__=~\"api_.+\", job=\"{job}\"}}"),
            at,
        )
        .into_keys()
        .collect()
    };
    let (actix, compat) = (set(ACTIX_JOB), set(COMPAT_JOB));
    if actix.is_empty() {
        found.push(format!("job {ACTIX_JOB} has no api_ series"));
    }
    for series in compat.difference(&actix) {
        found.push(format!("recorded, and not in actix-web-prom's: {series:?}"));
    }
    for series in actix.difference(&compat) {
        found.push(format!("actix-web-prom's, and not recorded: {series:?}"));
    }

    // Label names, per metric: exactly actix-web-prom's three, `le` on the
    // buckets, and the constant label.
    for series in &compat {
        let name = label(series, "__name__");
        let mut expected = vec!["__name__", "endpoint", "method", "status", CONST_LABEL.0];
        if name.ends_with("_bucket") {
            expected.push("le");
        }
        let expected: BTreeSet<&str> = expected.into_iter().collect();
        let got: BTreeSet<&str> = series.keys().map(String::as_str).collect();
        if got != expected {
            found.push(format!("{name} has labels {got:?}, expected {expected:?}"));
        }
    }

    // The bounds, as actix-web-prom writes them (`1`, not `1.0`).
    let bounds = |set: &BTreeSet<BTreeMap<String, String>>| -> BTreeSet<String> {
        set.iter()
            .filter_map(|s| s.get("le").cloned())
            .collect::<BTreeSet<_>>()
    };
    let expected: BTreeSet<String> = ACTIX_WEB_PROM_BUCKETS
        .iter()
        .map(f64::to_string)
        .chain(["+Inf".to_owned()])
        .collect();
    for (job, got) in [(ACTIX_JOB, bounds(&actix)), (COMPAT_JOB, bounds(&compat))] {
        if got != expected {
            found.push(format!("{job}: `le` values {got:?}, expected {expected:?}"));
        }
    }
    found
}

/// Requests per endpoint, method and status, in both jobs' counter and the
/// histogram's `_count`, equal the traffic; the scrapes, which go on, equal
/// what route-labels' own series says.
fn count_problems(prometheus: &Prometheus, at: &str, sent: &BTreeMap<Key, f64>) -> Vec<String> {
    let mut found = Vec::new();
    for job in [ACTIX_JOB, COMPAT_JOB] {
        for name in [
            "api_http_requests_total",
            "api_http_requests_duration_seconds_count",
        ] {
            let counted: BTreeMap<Key, f64> =
                series(prometheus, &format!("{name}{{job=\"{job}\"}}"), at)
                    .into_iter()
                    .map(|(labels, value)| (histogram_key(&labels).0, value))
                    .collect();
            let traffic: BTreeSet<&Key> = sent.keys().collect();
            let scrapes = key(SCRAPES, "GET", "200");
            let keys: BTreeSet<&Key> = counted.keys().filter(|k| **k != scrapes).collect();
            if keys != traffic {
                found.push(format!(
                    "{job} {name}: series {keys:?}, the traffic's {traffic:?}"
                ));
            }
            for (key, expected) in sent {
                let got = counted.get(key).copied().unwrap_or_default();
                if got != *expected {
                    found.push(format!("{job} {name}{key:?}: {got}, {expected} sent"));
                }
            }
            if counted.get(&scrapes).is_none_or(|n| *n < 1.0) {
                found.push(format!("{job} {name}: no scrape counted under {SCRAPES}"));
            }
        }
    }

    // The scrapes go on: the rule read the latest scrape of route-labels'
    // own series at or before its evaluation, or the one before it if that
    // one had not been stored yet.
    let own = query(
        prometheus,
        &format!(
            "http_server_request_duration_seconds_count{{job=\"{COMPAT_JOB}\", http_route=\"{SCRAPES}\"}}"
        ),
        at,
    );
    let recorded = query(
        prometheus,
        &format!("api_http_requests_total{{job=\"{COMPAT_JOB}\", endpoint=\"{SCRAPES}\"}}"),
        at,
    );
    match (own.as_slice(), recorded.as_slice()) {
        ([own], [recorded]) => {
            let (own, recorded) = (value(own), value(recorded));
            if !(own - 1.0..=own).contains(&recorded) {
                found.push(format!(
                    "{SCRAPES}: {recorded} recorded, route-labels' own series says {own}"
                ));
            }
        }
        _ => found.push(format!(
            "{SCRAPES}: one series expected, route-labels' own {own:?}, recorded {recorded:?}"
        )),
    }
    found
}

/// The recorded histogram is route-labels' own, series by series: each
/// bucket, `_sum` and `_count`; and it is a histogram (`+Inf` equals
/// `_count`, buckets grow with `le`) whose counter never reset.
fn histogram_problems(prometheus: &Prometheus, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    let own = |suffix: &str| -> BTreeMap<(Key, String), f64> {
        let by = if suffix == "bucket" { ", le" } else { "" };
        query(
            prometheus,
            &format!(
                "sum by (http_route, http_request_method, http_response_status_code{by}) \
                 (http_server_request_duration_seconds_{suffix}{{job=\"{COMPAT_JOB}\"}})"
            ),
            at,
        )
        .iter()
        .map(|s| {
            let labels = labels(s);
            let key = key(
                label(&labels, "http_route"),
                label(&labels, "http_request_method"),
                label(&labels, "http_response_status_code"),
            );
            let le = labels.get("le").map_or_else(String::new, |le| bound(le));
            ((key, le), value(s))
        })
        .collect()
    };
    let recorded = |suffix: &str| -> BTreeMap<(Key, String), f64> {
        series(
            prometheus,
            &format!("api_http_requests_duration_seconds_{suffix}{{job=\"{COMPAT_JOB}\"}}"),
            at,
        )
        .into_iter()
        .map(|(labels, value)| (histogram_key(&labels), value))
        .collect()
    };
    let recorded_count = recorded("count");
    for suffix in ["bucket", "sum", "count"] {
        let (own, recorded) = (own(suffix), recorded(suffix));
        if own.keys().ne(recorded.keys()) {
            found.push(format!(
                "_{suffix}: route-labels' own series {:?}, recorded {:?}",
                own.keys().collect::<Vec<_>>(),
                recorded.keys().collect::<Vec<_>>()
            ));
        }
        // The scrapes' series go on changing: a rule may have read the
        // scrape before the one an instant query reads (checked above).
        for ((series, le), own) in own.iter().filter(|((k, _), _)| k.0 != SCRAPES) {
            let got = recorded.get(&(series.clone(), le.clone()));
            if got != Some(own) {
                found.push(format!(
                    "_{suffix}{series:?} le={le:?}: recorded {got:?}, route-labels' own {own}"
                ));
            }
        }
        if suffix == "bucket" {
            let mut by_series: BTreeMap<&Key, Vec<(f64, f64)>> = BTreeMap::new();
            for ((series, le), count) in &recorded {
                let le: f64 = le.parse().unwrap_or(f64::NAN);
                by_series.entry(series).or_default().push((le, *count));
            }
            for (series, mut buckets) in by_series {
                buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
                if buckets.windows(2).any(|pair| pair[1].1 < pair[0].1) {
                    found.push(format!(
                        "_bucket{series:?} decreases as le grows: {buckets:?}"
                    ));
                }
                let inf = buckets.last().filter(|(le, _)| *le == f64::INFINITY);
                let total = recorded_count.get(&(series.clone(), String::new()));
                if inf.map(|(_, count)| count) != total {
                    found.push(format!(
                        "_bucket{series:?}: +Inf bucket {inf:?}, _count {total:?}"
                    ));
                }
            }
        }
    }

    // A counter, as actix-web-prom's: it never reset, and rate() reads it.
    let reset = query(
        prometheus,
        &format!("resets(api_http_requests_total{{job=\"{COMPAT_JOB}\"}}[1h]) > 0"),
        at,
    );
    if !reset.is_empty() {
        found.push(format!("the recorded counter reset: {reset:?}"));
    }
    found
}

/// Variables of the dashboard and what they stand for here. Grafana replaces
/// them before it sends a query; so does the test (`$job` for each job).
const DASHBOARD_VARIABLES: [(&str, &str); 3] = [
    ("$__rate_interval", "1m"),
    ("$__range", "1h"),
    ("$endpoint", ".*"),
];

/// Every expression of the dashboard parses, reads only actix-web-prom's
/// names, and returns data on both jobs, with the same label sets.
fn dashboard_problems(prometheus: &Prometheus, at: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dashboard_file()).expect("the dashboard exists");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let expressions = dashboard_expressions(&dashboard);
    assert!(expressions.len() >= 8, "{expressions:?}");
    let mut found = Vec::new();
    for (place, expr) in &expressions {
        let mut expr = expr.clone();
        for (variable, value) in DASHBOARD_VARIABLES {
            expr = expr.replace(variable, value);
        }
        let canonical = prometheus
            .api("format_query", &[("query", &expr)])
            .map_err(|e| e.to_string())
            .and_then(|c| metric_names(c.as_str().unwrap_or_default()));
        match canonical {
            Ok(names) => {
                let unknown: Vec<&String> = names
                    .iter()
                    .filter(|n| !RECORDED.contains(&n.as_str()))
                    .collect();
                if names.is_empty() || !unknown.is_empty() {
                    found.push(format!(
                        "{place}: reads {names:?}, not only actix-web-prom's names: `{expr}`"
                    ));
                }
            }
            Err(e) => found.push(format!("{place}: {e}: `{expr}`")),
        }
        let mut results = Vec::new();
        for job in [ACTIX_JOB, COMPAT_JOB] {
            let expr = expr.replace("$job", job);
            if expr.contains('$') {
                found.push(format!(
                    "{place}: a variable the test does not know: `{expr}`"
                ));
                break;
            }
            match prometheus.query(&expr, Some(at)) {
                Ok(result) if result.is_empty() => {
                    found.push(format!("{place}: no data on job {job}: `{expr}`"));
                }
                Ok(result) => {
                    let sets: BTreeSet<BTreeMap<String, String>> =
                        result.iter().map(labels).collect();
                    results.push(sets);
                }
                Err(e) => found.push(format!("{place}: {e}: `{expr}`")),
            }
        }
        if let [actix, compat] = results.as_slice()
            && actix != compat
        {
            found.push(format!(
                "{place}: {ACTIX_JOB} gives {actix:?}, {COMPAT_JOB} {compat:?}: `{expr}`"
            ));
        }
    }
    found
}

#[test]
fn promtool_accepts_the_compat_rules() {
    let rules = rules_file();
    let output = promtool(&["check", "rules", &rules.display().to_string()], "");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && said.contains("SUCCESS: 4 rules found"),
        "promtool check rules {}:\n{said}",
        rules.display()
    );

    // The guide's `sed 's/api_http_requests_/shop_http_requests_/g'` gives
    // the rules of another namespace, and leaves no `api_` name behind.
    let text = std::fs::read_to_string(&rules).expect("the rules file exists");
    let shop = text.replace("api_http_requests_", "shop_http_requests_");
    let dir = prometheus::TempDir::new("compat-rules");
    let path = dir.path().join("shop.yml");
    std::fs::write(&path, &shop).expect("the rules are written");
    let output = promtool(&["check", "rules", &path.display().to_string()], "");
    assert!(
        output.status.success(),
        "promtool check rules on the `shop` rules:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let records: Vec<&str> = shop
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- record: "))
        .collect();
    let expected: Vec<String> = RECORDED
        .map(|name| name.replacen("api_", "shop_", 1))
        .into();
    assert_eq!(records, expected);
    assert!(!shop.contains("api_"), "{shop}");
}

// ---------------------------------------------------------------------------
// What differs, as the guide says
// ---------------------------------------------------------------------------

/// The requests whose labels differ between the two middlewares, sent to
/// each in process, and how each counts them: `(method, uri)`, then
/// actix-web-prom's `(endpoint, method, status)` (default options, no mask)
/// and route-labels' `(http_route, http_request_method,
/// http_response_status_code)`.
const DIFFERENCES: [(&str, &str, [&str; 3], [&str; 3]); 5] = [
    // The same: a route's template, whatever the extractor said.
    (
        "GET",
        "/users/7?utm=x",
        ["/users/{id}", "GET", "200"],
        ["/users/{id}", "GET", "200"],
    ),
    (
        "GET",
        "/users/abc",
        ["/users/{id}", "GET", "404"],
        ["/users/{id}", "GET", "404"],
    ),
    // No resource: actix-web-prom labels it by its raw path.
    (
        "GET",
        "/wp-login.php",
        ["/wp-login.php", "GET", "404"],
        [UNMATCHED, "GET", "404"],
    ),
    // A method the route does not take: actix-web-prom labels it by the
    // path's pattern (guards aside), route-labels as unmatched.
    (
        "DELETE",
        "/users",
        ["/users", "DELETE", "404"],
        [UNMATCHED, "DELETE", "404"],
    ),
    // A method token outside the nine: actix-web-prom keeps it.
    (
        "BREW",
        "/users/7",
        ["/users/{id}", "BREW", "404"],
        [UNMATCHED, "_OTHER", "404"],
    ),
];

#[actix_web::test]
async fn the_differences_the_guide_lists_hold() {
    use actix_web::test;

    let prometheus = PrometheusMetricsBuilder::new(NAMESPACE)
        .endpoint(SCRAPES)
        .build()
        .expect("actix-web-prom's metrics register");
    let actix = test::init_service(App::new().wrap(prometheus).configure(routes)).await;
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).expect("no duplicates");
    let ours = test::init_service(metrics.app(App::new().configure(routes))).await;

    for (method, uri, _, _) in DIFFERENCES {
        let a = common::send(&actix, method, uri).await;
        let b = common::send(&ours, method, uri).await;
        assert_eq!(a, b, "{method} {uri}: the apps answer alike");
    }
    let req = test::TestRequest::get().uri(SCRAPES).to_request();
    let body = test::call_and_read_body(&actix, req).await;
    let actix_samples = common::samples(std::str::from_utf8(&body).expect("utf-8"));
    let ours_samples = common::exposition(&registry);

    let count = |samples: &[common::Sample], name: &str, labels: [(&str, &str); 3]| {
        samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
            })
            .map(|s| s.value)
            .sum::<f64>()
    };
    for (method, uri, [endpoint, m, status], [route, rm, rstatus]) in DIFFERENCES {
        let theirs = count(
            &actix_samples,
            "api_http_requests_total",
            [("endpoint", endpoint), ("method", m), ("status", status)],
        );
        assert_eq!(
            theirs, 1.0,
            "actix-web-prom, {method} {uri}:\n{actix_samples:#?}"
        );
        let mine = count(
            &ours_samples,
            "http_server_request_duration_seconds_count",
            [
                ("http_route", route),
                ("http_request_method", rm),
                ("http_response_status_code", rstatus),
            ],
        );
        assert_eq!(
            mine, 1.0,
            "route-labels, {method} {uri}:\n{ours_samples:#?}"
        );
    }
}
