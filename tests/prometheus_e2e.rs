//! route-labels against a real Prometheus server and `promtool`.
//!
//! Needs Prometheus' `prometheus` and `promtool` on `PATH` (Debian:
//! `apt-get install prometheus`; `.ci/run` installs them). Without them every
//! test here fails and says so: none skips.
//!
//! The end-to-end harness starts an app on a loopback port, and Prometheus on
//! another, scraping the app every second with `sample_limit` set to what the
//! app advertises: `HttpMetrics::max_samples()` plus the registry's other
//! samples. It sends known traffic, then a flood of unique paths, query
//! strings and made-up method tokens in three parts, waiting after each part
//! for a scrape that saw all of it. It then asks Prometheus' HTTP API what it
//! stored, and lists every way that differs from what a closed route set
//! promises ([`violations`]). route-labels must give no violation; the same
//! harness pointed at a middleware that labels by the raw path (the usual
//! mistake, [`naive`] below) must be caught by those same checks.

mod common;
mod prometheus;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::{HttpResponse, HttpServer, get, post, route, web};
use prometheus::{
    Connection, JOB, Prometheus, SCRAPE_INTERVAL, dashboard_expressions, metric_names, promtool,
    unexported_names, unix_now,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use route_labels::{DEFAULT_BODY_SIZE_BUCKETS, HttpMetrics, MetricsEndpoint, route_of};
use serde_json::Value;

/// The documented `http_route` values of requests no registered route served.
const UNMATCHED: &str = "unmatched";
const UNREGISTERED: &str = "unregistered";

// ---------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------

/// Mounted twice, under `/v1` and `/v2`.
#[route_labels::register]
#[get("/users/{id}")]
async fn get_user(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(format!("user {id}"))
}

#[route_labels::register]
#[post("/users")]
async fn create_user() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[route_labels::register]
#[route("/items/{id}", method = "GET", method = "PUT")]
async fn item(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(format!("item {id}"))
}

#[route_labels::register]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// A server error, for the dashboard's and the rules' error ratio.
#[route_labels::register]
#[get("/fail")]
async fn fail() -> HttpResponse {
    HttpResponse::ServiceUnavailable().finish()
}

/// Mounted, never requested: it must still be listed by
/// `http_server_route_info`.
#[route_labels::register]
#[get("/never")]
async fn never() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Not registered: counted as `unregistered`.
async fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// The routes of both flavours of the app.
fn routes(config: &mut web::ServiceConfig) {
    config
        .service(web::scope("/v1").service(get_user))
        .service(web::scope("/v2").service(get_user))
        .service(create_user)
        .service(item)
        .service(health)
        .service(fail)
        .service(never)
        .service(web::resource("/plain").to(plain));
}

/// The `http_route` values of the app's mounts that the traffic reaches.
/// route-labels with every option on: the OpenTelemetry attributes, an
/// extra method, body sizes, and `/health` left out.
fn metrics(registry: &mut Registry) -> HttpMetrics {
    HttpMetrics::builder()
        .url_scheme(true)
        .protocol_version(true)
        .error_type(true)
        .extra_methods([EXTRA_METHOD])
        .body_sizes(DEFAULT_BODY_SIZE_BUCKETS)
        .exclude(route_of!(health))
        .build(registry)
        .expect("valid options")
}

/// The method the app declares beyond the nine.
const EXTRA_METHOD: &str = "PROPFIND";

/// The mount [`metrics`] excludes: requested, never counted.
const EXCLUDED: &str = "/health";

/// The `http_route` of Prometheus' own scrapes: the endpoint's path.
const SCRAPES: &str = "/metrics";

const REQUESTED_MOUNTS: [&str; 6] = [
    "/v1/users/{id}",
    "/v2/users/{id}",
    "/users",
    "/items/{id}",
    "/health",
    "/fail",
];

/// The deliberately naive middleware: one histogram per raw request path
/// (query string included) and raw method token, under the same metric and
/// label names as route-labels. Do not copy it.
mod naive {
    use actix_web::body::MessageBody;
    use actix_web::dev::{ServiceRequest, ServiceResponse};
    use actix_web::middleware::Next;
    use actix_web::web;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::histogram::Histogram;
    use prometheus_client::registry::{Registry, Unit};

    pub type Durations = Family<Vec<(&'static str, String)>, Histogram, fn() -> Histogram>;

    fn histogram() -> Histogram {
        Histogram::new(route_labels::DEFAULT_BUCKETS)
    }

    pub fn register(registry: &mut Registry) -> Durations {
        let durations = Durations::new_with_constructor(histogram);
        registry.register_with_unit(
            "http_server_request_duration",
            "Duration of HTTP server requests, by method, path and status code",
            Unit::Seconds,
            durations.clone(),
        );
        durations
    }

    pub async fn middleware(
        durations: web::Data<Durations>,
        req: ServiceRequest,
        next: Next<impl MessageBody>,
    ) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
        let start = std::time::Instant::now();
        // The mistake: request bytes become label values.
        let method = req.method().to_string();
        let path = req.uri().to_string();
        let response = next.call(req).await;
        let status = match &response {
            Ok(res) => res.status(),
            Err(err) => err.as_response_error().status_code(),
        };
        durations
            .get_or_create(&vec![
                ("http_request_method", method),
                ("http_response_status_code", status.as_str().to_owned()),
                ("http_route", path),
            ])
            .observe(start.elapsed().as_secs_f64());
        response
    }
}

/// Which middleware times the app's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Middleware {
    RouteLabels,
    Naive,
}

/// The app on a loopback port, served by two workers on a thread of its own;
/// stopped on drop.
struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
    registry: Arc<Registry>,
    /// The app's `HttpMetrics`; for the naive app, the bound route-labels
    /// would advertise for it.
    metrics: HttpMetrics,
    /// Sample names and count of the registry's metrics that are not
    /// route-labels': the app's own counter.
    other_names: BTreeSet<String>,
    other_samples: u64,
}

impl Server {
    fn start(middleware: Middleware) -> Self {
        let mut registry = Registry::default();
        let starts = Counter::<u64>::default();
        starts.inc();
        registry.register("e2e_app_starts", "Times this app started", starts);
        let others = exposition_samples(&registry);
        let other_names = others.iter().map(|s| s.name.clone()).collect();
        let other_samples = others.len() as u64;

        let loopback = ("127.0.0.1", 0);
        let (addr, server, registry, metrics) = match middleware {
            Middleware::RouteLabels => {
                let metrics = metrics(&mut registry);
                let registry = Arc::new(registry);
                let served = Arc::clone(&registry);
                let wrap = metrics.clone();
                let server = HttpServer::new(move || {
                    actix_web::App::new()
                        .configure(routes)
                        .service(MetricsEndpoint::new("/metrics", Arc::clone(&served)))
                        .wrap(wrap.clone())
                });
                let server = server.workers(2).disable_signals().bind(loopback);
                let server = server.expect("a loopback port");
                (server.addrs()[0], server.run(), registry, metrics)
            }
            Middleware::Naive => {
                let metrics = HttpMetrics::new(&mut Registry::default()).expect("no duplicates");
                let durations = web::Data::new(naive::register(&mut registry));
                let registry = Arc::new(registry);
                let served = Arc::clone(&registry);
                let server = HttpServer::new(move || {
                    actix_web::App::new()
                        .app_data(durations.clone())
                        .configure(routes)
                        .service(MetricsEndpoint::new("/metrics", Arc::clone(&served)))
                        .wrap(actix_web::middleware::from_fn(naive::middleware))
                });
                let server = server.workers(2).disable_signals().bind(loopback);
                let server = server.expect("a loopback port");
                (server.addrs()[0], server.run(), registry, metrics)
            }
        };
        let handle = server.handle();
        let thread = std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
        Self {
            addr,
            handle,
            thread: Some(thread),
            registry,
            metrics,
            other_names,
            other_samples,
        }
    }

    /// The app's exposition, encoded in-process (a `GET /metrics` would be
    /// counted, and change the counts the test checks).
    fn samples(&self) -> Vec<common::Sample> {
        exposition_samples(&self.registry)
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

fn exposition_samples(registry: &Registry) -> Vec<common::Sample> {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).expect("the registry encodes");
    common::samples(&text)
}

/// The `sample_limit` an operator sets from the app: route-labels' bound plus
/// the registry's other samples. The naive app is given the same limit, as it
/// would be in production.
///
/// `max_samples()` counts a handler mounted under several scopes once per
/// mount only after each mount served a request, so it is read after the
/// warm-up (the known traffic reaches every mount but `/never`).
fn sample_limit(server: &Server) -> u64 {
    server.metrics.max_samples() + server.other_samples
}

// ---------------------------------------------------------------------------
// The traffic
// ---------------------------------------------------------------------------

/// One request, and where route-labels must count it.
struct Request {
    method: String,
    target: String,
    route: &'static str,
    /// The status the app answers, when the test knows it.
    status: Option<u16>,
}

fn request(method: &str, target: String, route: &'static str, status: Option<u16>) -> Request {
    Request {
        method: method.to_owned(),
        target,
        route,
        status,
    }
}

/// Requests to every mount but `/never`, each kind a few times, with ids and
/// query strings, a failing extractor, a server error, an unregistered
/// resource and a path no resource matches.
fn known_traffic() -> Vec<Request> {
    let mut traffic = Vec::new();
    let mut add = |n: u32, method: &str, target: &dyn Fn(u32) -> String, route, status| {
        for i in 0..n {
            traffic.push(request(method, target(i), route, Some(status)));
        }
    };
    add(
        7,
        "GET",
        &|i| format!("/v1/users/{i}?utm_source=mail{i}"),
        "/v1/users/{id}",
        200,
    );
    add(
        3,
        "GET",
        &|i| format!("/v2/users/{}", 10 + i),
        "/v2/users/{id}",
        200,
    );
    add(
        2,
        "GET",
        &|i| format!("/v1/users/abc{i}"),
        "/v1/users/{id}",
        404,
    );
    add(4, "POST", &|_| "/users".to_owned(), "/users", 201);
    add(5, "GET", &|i| format!("/items/{i}"), "/items/{id}", 200);
    add(2, "PUT", &|i| format!("/items/{i}"), "/items/{id}", 200);
    add(6, "GET", &|i| format!("/health?probe={i}"), "/health", 200);
    add(3, "GET", &|_| "/fail".to_owned(), "/fail", 503);
    add(3, "GET", &|i| format!("/plain?x={i}"), UNREGISTERED, 200);
    add(1, "POST", &|_| "/plain".to_owned(), UNREGISTERED, 200);
    add(2, EXTRA_METHOD, &|_| "/plain".to_owned(), UNREGISTERED, 200);
    add(2, "GET", &|i| format!("/nowhere/{i}"), UNMATCHED, 404);
    traffic
}

/// Requests `range` of the flood: nearly every one carries a path, query
/// string or method token never seen before.
fn flood(range: Range<u64>) -> impl Iterator<Item = Request> {
    range.map(|i| match i % 6 {
        0 => request("GET", format!("/wp-admin/x-{i}.php"), UNMATCHED, Some(404)),
        1 => request(
            &format!("FOO{i}"),
            format!("/v1/users/{i}"),
            UNMATCHED,
            Some(404),
        ),
        2 => request(
            "GET",
            format!("/v2/users/{i}?session={i}"),
            "/v2/users/{id}",
            Some(200),
        ),
        3 => request(
            "GET",
            format!("/v1/users/{i}/../../etc/passwd"),
            UNMATCHED,
            Some(404),
        ),
        4 => request(
            &format!("BREW{i}"),
            format!("/plain?cup={i}"),
            UNREGISTERED,
            Some(200),
        ),
        _ => request("GET", format!("/items/x{i}"), "/items/{id}", Some(404)),
    })
}

/// The flood's parts: a first small one, which even the naive app's scrape
/// survives (so its junk label values reach Prometheus), then two large ones.
const FLOOD_PARTS: [Range<u64>; 3] = [0..60, 60..3_060, 3_060..6_060];

/// Sends `traffic` over a new keep-alive connection (an idle one may have
/// been closed by the server meanwhile), checks each known status, and adds
/// each request to `sent` (requests by `http_route`).
fn send(
    addr: SocketAddr,
    traffic: impl IntoIterator<Item = Request>,
    sent: &mut BTreeMap<&'static str, u64>,
) {
    let mut connection = Connection::new(addr);
    for request in traffic {
        let status = connection
            .send(&request.method, &request.target)
            .unwrap_or_else(|e| panic!("{} {}: {e}", request.method, request.target));
        if let Some(expected) = request.status {
            assert_eq!(status, expected, "{} {}", request.method, request.target);
        }
        *sent.entry(request.route).or_default() += 1;
    }
}

// ---------------------------------------------------------------------------
// The scenario and its checks
// ---------------------------------------------------------------------------

/// The end-to-end tests each start two servers; they run one at a time so
/// that neither starves the other's scrapes on a small machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// An app, and Prometheus scraping it.
struct Scenario {
    // Prometheus stops first, then the app.
    prometheus: Prometheus,
    server: Server,
    sample_limit: u64,
    /// Requests sent, by the `http_route` route-labels must count them under.
    sent: BTreeMap<&'static str, u64>,
}

impl Scenario {
    /// Starts the app, sends it the known traffic, and starts Prometheus
    /// (with the example recording rules loaded) once the limit is known.
    fn start(middleware: Middleware) -> Self {
        let server = Server::start(middleware);
        let mut sent = BTreeMap::new();
        send(server.addr, known_traffic(), &mut sent);
        let sample_limit = sample_limit(&server);
        let prometheus = Prometheus::start(server.addr, sample_limit, &[&rules_file()]);
        Self {
            prometheus,
            server,
            sample_limit,
            sent,
        }
    }

    /// Waits for a scrape that started after everything sent so far; returns
    /// its timestamp.
    fn scrape(&self) -> String {
        // Scrape timestamps are truncated to milliseconds and may be aligned by
        // a few of them: ask for a scrape that began clearly after.
        self.prometheus.wait_for_scrape_after(unix_now() + 0.02)
    }

    /// Sends the flood, part by part, each followed by a scrape; returns the
    /// timestamp of the last one.
    fn flood(&mut self) -> String {
        let mut last = self.scrape();
        for part in FLOOD_PARTS {
            send(self.server.addr, flood(part), &mut self.sent);
            last = self.scrape();
        }
        last
    }
}

fn rules_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus/rules.yml")
}

/// What the harness found: everything that breaks a promise of a closed
/// route set, as readable sentences. Empty means all is well.
fn violations(scenario: &Scenario, at: &str) -> Vec<String> {
    let prometheus = &scenario.prometheus;
    let mut found = Vec::new();
    let query = |expr: &str| -> Vec<Value> {
        prometheus
            .query(expr, Some(at))
            .unwrap_or_else(|e| panic!("`{expr}`: {e}"))
    };
    let label_values = |result: &[Value], label: &str| -> BTreeSet<String> {
        result
            .iter()
            .filter_map(|s| s["metric"][label].as_str().map(str::to_owned))
            .collect()
    };
    let selector = format!("{{job=\"{JOB}\"}}");
    let count = format!("http_server_request_duration_seconds_count{selector}");
    let ever = format!("last_over_time({count}[1h])");

    // 1. Every scrape succeeded, and none was skipped.
    let up = query(&format!("up{selector}[1h]"));
    let scrapes: Vec<(f64, String)> = up
        .first()
        .and_then(|series| series["values"].as_array())
        .map(|values| {
            values
                .iter()
                .map(|v| {
                    (
                        v[0].as_f64().unwrap_or_default(),
                        v[1].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let failed: Vec<usize> = (0..scrapes.len())
        .filter(|&i| scrapes[i].1 != "1")
        .collect();
    if !failed.is_empty() {
        let scraped = query(&format!(
            "max_over_time(scrape_samples_scraped{selector}[1h])"
        ));
        found.push(format!(
            "up == 0 in {} of {} scrapes (scrapes {:?} counting from 0): the scrape failed; the \
             most samples one scrape found was {}, the sample_limit {}",
            failed.len(),
            scrapes.len(),
            failed,
            scraped
                .first()
                .map_or("?", |s| s["value"][1].as_str().unwrap_or("?")),
            scenario.sample_limit,
        ));
    }
    if scrapes.len() < 1 + FLOOD_PARTS.len() {
        found.push(format!("only {} scrapes in the window", scrapes.len()));
    }
    let interval = SCRAPE_INTERVAL.as_secs_f64();
    for pair in scrapes.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        if gap > 1.5 * interval {
            found.push(format!("no scrape for {gap:.3} s after {}", pair[0].0));
        }
    }

    // 2. The route label took exactly the requested mounts' templates (the
    //    excluded one aside, the metrics endpoint's added) and the two
    //    buckets, at every scrape.
    let expected_routes: BTreeSet<String> = scenario
        .sent
        .keys()
        .filter(|route| **route != EXCLUDED)
        .chain(&[SCRAPES])
        .map(|r| (*r).to_owned())
        .collect();
    let routes = label_values(
        &query(&format!("count by (http_route) ({ever})")),
        "http_route",
    );
    let unexpected: Vec<&String> = routes.difference(&expected_routes).collect();
    if !unexpected.is_empty() {
        found.push(format!(
            "{} http_route values that are no mounted template nor bucket, such as {:?}",
            unexpected.len(),
            spread(&unexpected)
        ));
    }
    let missing: Vec<&String> = expected_routes.difference(&routes).collect();
    if !missing.is_empty() {
        found.push(format!("http_route values missing: {missing:?}"));
    }

    // 3. The method label stayed within its eleven values, and the other
    //    labels within their closed sets, present on every series.
    let methods = label_values(
        &query(&format!("count by (http_request_method) ({ever})")),
        "http_request_method",
    );
    let allowed: BTreeSet<String> = route_labels::HttpMethod::ALL
        .iter()
        .map(|m| m.as_str())
        .chain([EXTRA_METHOD])
        .map(str::to_owned)
        .collect();
    let junk: Vec<&String> = methods.difference(&allowed).collect();
    if !junk.is_empty() {
        found.push(format!(
            "{} http_request_method values outside the standard nine, {EXTRA_METHOD} and _OTHER, such as {:?}",
            junk.len(),
            spread(&junk)
        ));
    }
    for (label, closed_set) in CLOSED_SETS {
        let values = label_values(&query(&format!("count by ({label}) ({ever})")), label);
        let outside: Vec<&String> = values.iter().filter(|value| !closed_set(value)).collect();
        if !outside.is_empty() {
            found.push(format!(
                "{label} values outside its closed set: {outside:?}"
            ));
        }
        if *label != "error_type" {
            let without = query(&format!(
                "count(last_over_time(http_server_request_duration_seconds_count{{job=\"{JOB}\", {label}=\"\"}}[1h]))"
            ));
            if !without.is_empty() {
                found.push(format!("series without {label}: {without:?}"));
            }
        }
    }

    // 4. The counters of the last scrape are the traffic sent, exactly; the
    //    excluded route counted nothing. Prometheus' own scrapes are
    //    `GET /metrics`: the scrape at `at` has seen every scrape before it.
    let counted: BTreeMap<String, f64> = query(&format!("sum by (http_route) ({count})"))
        .iter()
        .filter_map(|s| {
            let route = s["metric"]["http_route"].as_str()?.to_owned();
            Some((route, s["value"][1].as_str()?.parse().ok()?))
        })
        .collect();
    let scrapes_before = scrapes.len().saturating_sub(1) as u64;
    let excluded = (EXCLUDED, &0);
    let scraped = (SCRAPES, &scrapes_before);
    for (route, expected) in scenario
        .sent
        .iter()
        .map(|(route, sent)| {
            if *route == EXCLUDED {
                excluded
            } else {
                (*route, sent)
            }
        })
        .chain([scraped])
    {
        let got = counted.get(route).copied().unwrap_or_default();
        if got != *expected as f64 {
            found.push(format!(
                "{route}: {got} requests counted at the last scrape, {expected} sent"
            ));
        }
    }

    // 5. The route info metric lists every mount by the full template the
    //    request metrics carry, so a join on `http_route` finds scoped
    //    handlers; a mount no request reached yet is listed too, as the app
    //    was built.
    let info = query(&format!("http_server_route_info{selector}"));
    let label = |s: &Value, name: &str| s["metric"][name].as_str().map(str::to_owned);
    let mounted: BTreeSet<String> = info.iter().filter_map(|s| label(s, "http_route")).collect();
    let expected: BTreeSet<String> = REQUESTED_MOUNTS
        .iter()
        .filter(|mount| **mount != EXCLUDED)
        .chain(&[SCRAPES, "/never"])
        .map(|m| (*m).to_owned())
        .collect();
    if mounted != expected {
        found.push(format!(
            "http_server_route_info lists mounts {mounted:?}, the requested mounts are {expected:?}"
        ));
    }
    let unreached: BTreeSet<String> = info
        .iter()
        .filter(|s| label(s, "http_route").is_none())
        .filter_map(|s| label(s, "template"))
        .collect();
    if !unreached.is_empty() {
        found.push(format!(
            "http_server_route_info lists {unreached:?} by declared template, but every mount is known"
        ));
    }
    let joined: BTreeSet<String> = query(&format!(
        "count by (http_route) ({count} and on (http_route) http_server_route_info{selector})"
    ))
    .iter()
    .filter_map(|s| label(s, "http_route"))
    .collect();
    let requested: BTreeSet<String> = expected
        .iter()
        .filter(|m| *m != "/never")
        .cloned()
        .collect();
    if joined != requested {
        found.push(format!(
            "joining the request counts with the route info on http_route finds {joined:?}, expected {requested:?}"
        ));
    }

    // 6. Each series' body sizes were observed once per request.
    for size in ["request", "response"] {
        let sizes: BTreeMap<String, f64> = query(&format!(
            "sum by (http_route) (http_server_{size}_body_size_bytes_count{selector})"
        ))
        .iter()
        .filter_map(|s| {
            let route = s["metric"]["http_route"].as_str()?.to_owned();
            Some((route, s["value"][1].as_str()?.parse().ok()?))
        })
        .collect();
        if sizes != counted {
            found.push(format!(
                "{size} body sizes counted {sizes:?}, requests counted {counted:?}"
            ));
        }
    }
    found
}

/// Whether a label value is in its closed set.
type InSet = fn(&str) -> bool;

/// Each optional label, and the values it may take.
const CLOSED_SETS: &[(&str, InSet)] = &[
    ("url_scheme", |v| ["http", "https"].contains(&v)),
    ("network_protocol_version", |v| {
        ["1.0", "1.1", "2", "3"].contains(&v)
    }),
    ("error_type", |v| {
        let status = v
            .parse::<u16>()
            .is_ok_and(|code| (500..600).contains(&code));
        status || ["client_closed", "panic", "response_body_error", "_OTHER"].contains(&v)
    }),
];

/// Up to four of `values`, spread over the whole (sorted) list.
fn spread<'a>(values: &[&'a String]) -> Vec<&'a String> {
    let step = values.len().div_ceil(4).max(1);
    values.iter().step_by(step).copied().collect()
}

/// How Prometheus understood the app's `OpenMetrics` exposition (it
/// negotiates `OpenMetrics` first): the type, unit and help of each of
/// route-labels' metric families, from its metadata API. A unit that is not
/// a suffix of its metric's name would have failed the scrape already.
fn openmetrics_metadata_problems(prometheus: &Prometheus) -> Vec<String> {
    let metadata = prometheus
        .api(
            "targets/metadata",
            &[("match_target", &format!("{{job=\"{JOB}\"}}"))],
        )
        .unwrap_or_else(|e| panic!("targets/metadata: {e}"));
    let families: BTreeMap<&str, (&str, &str, &str)> = metadata
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let field = |name: &str| m[name].as_str();
            Some((
                field("metric")?,
                (field("type")?, field("unit")?, field("help")?),
            ))
        })
        .collect();
    let expected = [
        (
            "http_server_request_duration_seconds",
            "histogram",
            "seconds",
        ),
        ("http_server_request_body_size_bytes", "histogram", "bytes"),
        ("http_server_response_body_size_bytes", "histogram", "bytes"),
        ("http_server_active_requests", "gauge", ""),
        ("http_server_route_info", "gauge", ""),
    ];
    let mut found = Vec::new();
    for (metric, kind, unit) in expected {
        match families.get(metric) {
            Some((got_kind, got_unit, help)) => {
                if (*got_kind, *got_unit) != (kind, unit) {
                    found.push(format!(
                        "{metric}: type {got_kind:?} unit {got_unit:?}, expected {kind:?} {unit:?}"
                    ));
                }
                if help.trim().is_empty() {
                    found.push(format!("{metric}: no help text"));
                }
            }
            None => found.push(format!(
                "{metric}: no metadata; Prometheus has {families:?}"
            )),
        }
    }
    found
}

#[test]
fn prometheus_stores_only_route_templates_and_exact_counts_through_a_flood() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let mut scenario = Scenario::start(Middleware::RouteLabels);
    let last = scenario.flood();

    let found = violations(&scenario, &last);
    assert!(
        found.is_empty(),
        "route-labels broke its promises under a real Prometheus:\n  {}\nprometheus log:\n{}",
        found.join("\n  "),
        scenario.prometheus.log()
    );

    let metadata = openmetrics_metadata_problems(&scenario.prometheus);
    assert!(metadata.is_empty(), "{metadata:#?}");

    // The expected route set is the requested mounts and the two buckets:
    // `/never` is listed by the info metric (check 5) but has no histogram.
    let mut requested: Vec<&str> = REQUESTED_MOUNTS.to_vec();
    requested.extend([UNMATCHED, UNREGISTERED]);
    requested.sort_unstable();
    assert_eq!(scenario.sent.keys().copied().collect::<Vec<_>>(), requested);
    assert!(
        route_labels::routes().any(|r| r.template() == Some("/never")),
        "`/never` is registered"
    );

    // The bound held and did not move: the flood added no mount.
    let samples = scenario.server.samples().len() as u64;
    assert!(
        samples <= scenario.sample_limit,
        "{samples} > {}",
        scenario.sample_limit
    );
    assert_eq!(sample_limit(&scenario.server), scenario.sample_limit);
}

#[test]
fn the_same_checks_catch_a_middleware_that_labels_by_raw_path() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let mut scenario = Scenario::start(Middleware::Naive);
    let last = scenario.flood();

    let found = violations(&scenario, &last);
    let report = found.join("\n  ");
    let caught = |kind: &str| found.iter().any(|v| v.contains(kind));
    let stored = |selector: &str| {
        let expr = format!(
            "count(last_over_time(http_server_request_duration_seconds_count{{job=\"{JOB}\", {selector}}}[1h]))"
        );
        let result = scenario
            .prometheus
            .query(&expr, Some(&last))
            .expect("the query runs");
        result.first().map_or(0.0, |s| {
            s["value"][1].as_str().unwrap_or("0").parse().unwrap_or(0.0)
        })
    };
    // Scanner paths and made-up method tokens became label values in
    // Prometheus...
    assert!(caught("no mounted template nor bucket"), "{report}");
    assert!(stored(r#"http_route=~"/wp-admin/.*""#) > 0.0, "{report}");
    assert!(caught("http_request_method values outside"), "{report}");
    assert!(stored(r#"http_request_method=~"FOO.*""#) > 0.0, "{report}");
    // ...until the exposition outgrew the sample_limit and whole scrapes
    // failed: the service lost all of its metrics, not just the junk.
    assert!(caught("up == 0"), "{report}");
}

// ---------------------------------------------------------------------------
// promtool, the recording rules and the dashboard
// ---------------------------------------------------------------------------

/// `promtool check metrics` lints an exposition read from stdin: names,
/// units in names, help texts, types. It must find nothing at all, in both
/// formats the endpoint serves.
#[actix_web::test]
async fn promtool_finds_nothing_to_lint_in_either_exposition_format() {
    let mut registry = Registry::default();
    let metrics = metrics(&mut registry);
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .configure(routes)
            .service(MetricsEndpoint::new("/metrics", Arc::new(registry)))
            .wrap(metrics),
    )
    .await;
    for request in known_traffic().into_iter().chain(flood(0..12)) {
        common::send(&app, &request.method, &request.target).await;
    }
    for (accept, expected_type) in [
        (None, route_labels::OPENMETRICS_CONTENT_TYPE),
        (
            Some("text/plain;version=0.0.4"),
            route_labels::PROMETHEUS_TEXT_CONTENT_TYPE,
        ),
    ] {
        let (content_type, body) = common::scrape_with(&app, accept).await;
        assert_eq!(content_type, expected_type);
        // Every family is there: the histogram has series for the traffic.
        for family in [
            "http_server_request_duration_seconds",
            "http_server_request_body_size_bytes",
            "http_server_response_body_size_bytes",
            "http_server_active_requests",
            "http_server_route_info",
        ] {
            assert!(
                body.contains(&format!("# TYPE {family} ")),
                "{family}:\n{body}"
            );
        }
        let output = promtool(&["check", "metrics"], &body);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success() && said.trim().is_empty(),
            "promtool check metrics on {content_type} ({}):\n{said}\nexposition:\n{body}",
            output.status
        );
    }
}

#[test]
fn promtool_accepts_the_example_recording_rules() {
    let rules = rules_file();
    let output = promtool(&["check", "rules", &rules.display().to_string()], "");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "promtool check rules {}:\n{said}",
        rules.display()
    );
    assert!(said.contains("SUCCESS"), "{said}");
}

/// Variables of the dashboard and what they stand for here. Grafana replaces
/// them before it sends a query; so does the test.
const DASHBOARD_VARIABLES: [(&str, &str); 3] = [
    ("$__rate_interval", "1m"),
    ("$__range", "1h"),
    ("$job", JOB),
];

#[test]
fn metric_names_are_read_from_canonical_promql() {
    let names = metric_names(
        r#"histogram_quantile(0.95, sum by (le, http_route) (rate(a_bucket{job="x",le=~"1|2"}[5m] offset 1m))) / on (http_route) group_left (handler) b_info and c unless count_values("value", d) > bool 1e3"#,
    )
    .unwrap();
    assert_eq!(
        names,
        ["a_bucket", "b_info", "c", "d"].map(str::to_owned).into()
    );
    assert!(metric_names(r#"{__name__="x"}"#).is_err());
}

#[test]
fn the_dashboard_and_the_recording_rules_read_only_what_the_library_exports() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let scenario = Scenario::start(Middleware::RouteLabels);
    // Two scrapes after the traffic: a rate needs two samples.
    scenario.scrape();
    let at = scenario.scrape();
    let prometheus = &scenario.prometheus;
    let exported: BTreeSet<String> = scenario
        .server
        .samples()
        .into_iter()
        .map(|s| s.name)
        .filter(|name| !scenario.server.other_names.contains(name))
        .collect();
    let mut found = Vec::new();

    // The dashboard: valid JSON, every expression parses, reads only
    // route-labels' metrics, and shows data for the known traffic.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/grafana/route-labels.json");
    let text = std::fs::read_to_string(&path).expect("the dashboard exists");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let expressions = dashboard_expressions(&dashboard);
    assert!(expressions.len() >= 8, "{expressions:?}");
    for (place, expr) in &expressions {
        let mut expr = expr.clone();
        for (variable, value) in DASHBOARD_VARIABLES {
            expr = expr.replace(variable, value);
        }
        if expr.contains('$') {
            found.push(format!(
                "{place}: a variable the test does not know: `{expr}`"
            ));
            continue;
        }
        match prometheus.query(&expr, Some(&at)) {
            Ok(result) => {
                if result.is_empty() {
                    found.push(format!("{place}: no data for the known traffic: `{expr}`"));
                }
                found.extend(unexported_names(prometheus, &exported, place, &expr));
            }
            // `bad_data`: the expression does not parse.
            Err(e) => found.push(format!("{place}: {e}: `{expr}`")),
        }
    }

    // The recording rules, loaded by this Prometheus: every rule evaluated
    // without error, recorded data, and reads only route-labels' metrics or
    // other rules' results. The classic group's: this Prometheus ingests no
    // native histograms, which the native group reads
    // (tests/prometheus_native.rs checks that one).
    let rules = prometheus.recording_rules(Some("route-labels"));
    assert!(rules.len() >= 5, "{rules:?}");
    let recorded: BTreeSet<String> = rules
        .iter()
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect();
    prometheus::wait_until(
        "every recording rule to record data",
        10 * SCRAPE_INTERVAL,
        || {
            recorded
                .iter()
                .find(|name| prometheus.query(name, None).map_or(true, |r| r.is_empty()))
                .map_or(Ok(()), |name| Err(format!("`{name}` has no data yet")))
        },
    );
    for rule in &rules {
        let name = rule["name"].as_str().unwrap_or("?");
        let expr = rule["query"].as_str().unwrap_or_default();
        if rule["health"] != "ok" {
            found.push(format!(
                "rule {name}: {} {}",
                rule["health"], rule["lastError"]
            ));
        }
        // A rule may read the results of the rules before it.
        let readable: BTreeSet<String> = exported.union(&recorded).cloned().collect();
        found.extend(unexported_names(
            prometheus,
            &readable,
            &format!("rule {name}"),
            expr,
        ));
    }
    assert!(found.is_empty(), "\n  {}", found.join("\n  "));
}
