//! Several replicas of one app behind one real Prometheus.
//!
//! Three replicas, each its own OS process (this test binary run again, see
//! [`replica`]), serve the same app wrapped with route-labels' `HttpMetrics`.
//! Each announces its address and `HttpMetrics::max_samples()` on stdout;
//! they must agree, and the Prometheus job that scrapes all three (the
//! shipped `examples/prometheus/rules.yml` loaded) gets that bound plus the
//! other samples as its per-target `sample_limit`. Each replica is sent a
//! different, known amount of traffic per route, then a flood of junk paths,
//! ids and method tokens. Once a scrape of every replica has seen all of it,
//! the test asks Prometheus' HTTP API and proves:
//!
//! - every scrape of every replica succeeded, and none returned more samples
//!   than the limit, flood or not; each replica's bound never moved;
//! - per replica and summed over the job, each `http_route`'s request count
//!   is exactly what was sent;
//! - all replicas report the same set of `http_route` values, so aggregating
//!   away `instance` lines up;
//! - the recording rules aggregate across replicas: one series per (job,
//!   route), no `instance` label on any series of any rule, and the routes
//!   are exactly those the traffic reached.
//!
//! Needs Prometheus' `prometheus` on `PATH` (Debian: `apt-get install
//! prometheus`); without it the test fails and says so.

mod common;
mod prometheus;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, get, post, web};
use prometheus::{
    Connection, JOB, Process, Prometheus, SCRAPE_INTERVAL, TempDir, unix_now, wait_until,
};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use route_labels::{DEFAULT_BODY_SIZE_BUCKETS, HttpMetrics, MetricsEndpoint};
use serde_json::Value;

/// The documented `http_route` values of requests no registered route served.
const UNMATCHED: &str = "unmatched";
const UNREGISTERED: &str = "unregistered";

/// How many replicas serve the app.
const REPLICAS: usize = 3;

// ---------------------------------------------------------------------------
// The app, as every replica serves it
// ---------------------------------------------------------------------------

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
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// A server error, for the rules' error rate and ratio.
#[route_labels::register]
#[get("/fail")]
async fn fail() -> HttpResponse {
    HttpResponse::ServiceUnavailable().finish()
}

/// Not registered: counted as `unregistered`.
async fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(web::scope("/api").service(get_user).service(create_user))
        .service(health)
        .service(fail)
        .service(web::resource("/plain").to(plain));
}

/// The `http_route` of every registered mount: each replica serves them all.
const MOUNTS: [&str; 4] = ["/api/users/{id}", "/api/users", "/health", "/fail"];

/// The replicas' HTTP metrics, with the scheme and error type labels, body
/// sizes, and Prometheus' scrapes left out. Everything the test expects (the limit
/// included) is read from what this builds.
fn metrics(registry: &mut Registry) -> HttpMetrics {
    HttpMetrics::builder()
        .url_scheme(true)
        .error_type(true)
        .body_sizes(DEFAULT_BODY_SIZE_BUCKETS)
        .exclude(MetricsEndpoint::REGISTRATION)
        .build(registry)
        .expect("valid HttpMetrics options")
}

/// The name of the gauge through which each replica exposes its
/// `max_samples()`, read anew at every scrape.
const BOUND_METRIC: &str = "e2e_replica_http_max_samples";

/// A replica's metric besides route-labels': its bound as of each scrape,
/// so Prometheus records whether the flood moved it.
#[derive(Debug)]
struct BoundGauge(HttpMetrics);

impl Collector for BoundGauge {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        let bound = i64::try_from(self.0.max_samples()).map_err(|_| fmt::Error)?;
        let gauge = ConstGauge::new(bound);
        let family = encoder.encode_descriptor(
            BOUND_METRIC,
            "HttpMetrics::max_samples() of this replica",
            None,
            gauge.metric_type(),
        )?;
        gauge.encode(family)
    }
}

/// Registers the app's metrics that are not route-labels'.
fn register_other_metrics(registry: &mut Registry, metrics: &HttpMetrics) {
    registry.register_collector(Box::new(BoundGauge(metrics.clone())));
}

/// The sample lines of the app's other metrics: they are registered in a
/// registry of their own, and its exposition is counted.
fn other_samples(metrics: &HttpMetrics) -> u64 {
    let mut registry = Registry::default();
    register_other_metrics(&mut registry, metrics);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("the registry encodes");
    common::samples(&text).len() as u64
}

// ---------------------------------------------------------------------------
// A replica: this test binary, run again
// ---------------------------------------------------------------------------

/// Set in a replica's environment: it makes [`replica`] serve the app.
const REPLICA_VAR: &str = "ROUTE_LABELS_REPLICA";

/// The name libtest knows [`replica`] by.
const REPLICA_TEST: &str = "replica";

/// What a replica prints on stdout once it serves: its address, its bound and
/// its other metrics' samples, as one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Announcement {
    addr: SocketAddr,
    max_samples: u64,
    other_samples: u64,
}

impl Announcement {
    const PREFIX: &str = "route-labels replica:";

    fn line(&self) -> String {
        format!(
            "{} addr={} max_samples={} other_samples={}",
            Self::PREFIX,
            self.addr,
            self.max_samples,
            self.other_samples
        )
    }

    /// The announcement in `line`, if it holds one. libtest may have
    /// printed `test replica ... ` before it on the same line.
    fn parse(line: &str) -> Option<Self> {
        let (_, announced) = line.split_once(Self::PREFIX)?;
        let mut fields = announced.split_whitespace();
        let mut field = |name: &str| fields.next()?.strip_prefix(name)?.strip_prefix('=');
        Some(Self {
            addr: field("addr")?.parse().ok()?,
            max_samples: field("max_samples")?.parse().ok()?,
            other_samples: field("other_samples")?.parse().ok()?,
        })
    }

    /// The `sample_limit` this replica asks for: the most samples one scrape
    /// of it can return.
    fn sample_limit(&self) -> u64 {
        self.max_samples + self.other_samples
    }
}

/// Not a test of its own: the entry point of a replica. Run by the test
/// harness without [`REPLICA_VAR`], it returns at once; run by
/// [`Replicas::start`] with it, it serves the app on a loopback port until it
/// is killed.
#[test]
fn replica() {
    if std::env::var_os(REPLICA_VAR).is_none() {
        return;
    }
    serve().expect("the replica serves until it is killed");
}

fn serve() -> io::Result<()> {
    actix_web::rt::System::new().block_on(async {
        let mut registry = Registry::default();
        let metrics = metrics(&mut registry);
        register_other_metrics(&mut registry, &metrics);
        let registry = Arc::new(registry);
        let wrap = metrics.clone();
        let server = HttpServer::new(move || {
            App::new()
                .configure(routes)
                .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
                .wrap(wrap.clone())
        })
        .workers(2)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let addr = server.addrs()[0];
        let mut server = server.run();
        if let Some(ended) = start_workers(&mut server).await {
            return ended;
        }
        // Every worker has built the app: the bound counts every mount.
        let announcement = Announcement {
            addr,
            max_samples: metrics.max_samples(),
            other_samples: other_samples(&metrics),
        };
        println!("{}", announcement.line());
        server.await
    })
}

/// Polls `server` once. actix-server starts the workers on the first poll
/// and returns from it only once each of them has built its app (or failed
/// to); then `max_samples()` is exact. The server's result if it already
/// ended. Were the bound announced too early, [`bound_problems`] would show
/// it: each replica also exposes its bound at every scrape.
async fn start_workers(server: &mut Server) -> Option<io::Result<()>> {
    std::future::poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut *server).poll(cx) {
            Poll::Ready(ended) => Some(ended),
            Poll::Pending => None,
        })
    })
    .await
}

/// A replica process, killed when dropped, and what it announced.
struct Replica {
    announced: Announcement,
    _process: Process,
}

/// The replicas, their logs in a temporary directory.
struct Replicas {
    // Dropped in this order: the processes first, then their directory.
    replicas: Vec<Replica>,
    _dir: TempDir,
}

/// How long a replica may take to announce itself.
const REPLICA_START_TIMEOUT: Duration = Duration::from_secs(30);

impl Replicas {
    /// Starts `n` replicas, then waits for each one's announcement.
    fn start(n: usize) -> Self {
        let dir = TempDir::new("replicas");
        let exe = std::env::current_exe().expect("the path of this test binary");
        let processes: Vec<(PathBuf, Process)> = (0..n)
            .map(|i| {
                let log = dir.path().join(format!("replica-{i}.log"));
                let mut command = Command::new(&exe);
                command
                    .args([
                        "--exact",
                        REPLICA_TEST,
                        "--nocapture",
                        "--test-threads",
                        "1",
                    ])
                    .env(REPLICA_VAR, "1");
                let process = Process::spawn(command, log.clone()).expect("a replica starts");
                (log, process)
            })
            .collect();
        let replicas = processes
            .into_iter()
            .enumerate()
            .map(|(i, (log, mut process))| Replica {
                announced: wait_for_announcement(i, &log, &mut process),
                _process: process,
            })
            .collect();
        Self {
            replicas,
            _dir: dir,
        }
    }

    fn announcements(&self) -> Vec<Announcement> {
        self.replicas.iter().map(|r| r.announced).collect()
    }

    fn addrs(&self) -> Vec<SocketAddr> {
        self.replicas.iter().map(|r| r.announced.addr).collect()
    }

    /// The `sample_limit` of the job: the same for every replica, as they
    /// run one binary.
    fn sample_limit(&self) -> u64 {
        let limits: BTreeSet<(u64, u64)> = self
            .replicas
            .iter()
            .map(|r| (r.announced.max_samples, r.announced.other_samples))
            .collect();
        assert_eq!(
            limits.len(),
            1,
            "the replicas of one binary announce different bounds (max_samples, other \
             samples): {:?}",
            self.announcements()
        );
        self.replicas[0].announced.sample_limit()
    }
}

fn wait_for_announcement(i: usize, log: &Path, process: &mut Process) -> Announcement {
    wait_until(
        &format!("replica {i} to announce its address"),
        REPLICA_START_TIMEOUT,
        || {
            let printed = std::fs::read_to_string(log).unwrap_or_default();
            // Complete lines only: the last one may still be being written.
            let mut lines = printed.split_inclusive('\n').filter(|l| l.ends_with('\n'));
            if let Some(announcement) = lines.find_map(Announcement::parse) {
                return Ok(announcement);
            }
            if let Some(status) = process.exited() {
                panic!("replica {i} exited ({status}) without announcing itself:\n{printed}");
            }
            Err(format!("no announcement yet; it printed:\n{printed}"))
        },
    )
}

// ---------------------------------------------------------------------------
// The traffic
// ---------------------------------------------------------------------------

/// One request, where route-labels must count it, and the status the app
/// answers.
struct Request {
    method: String,
    target: String,
    route: &'static str,
    status: u16,
}

/// Requests by the `http_route` route-labels must count them under.
type Sent = BTreeMap<&'static str, u64>;

/// Every kind of request, to every mount, an unregistered resource and a
/// path no resource matches; how many of each depends on the replica, so
/// that a count that went to the wrong instance shows.
fn known_traffic(replica: u64) -> Vec<Request> {
    let r = replica;
    let mut traffic = Vec::new();
    let mut add = |n: u64, method: &str, target: &dyn Fn(u64) -> String, route, status| {
        traffic.extend((0..n).map(|i| Request {
            method: method.to_owned(),
            target: target(i),
            route,
            status,
        }));
    };
    let user = "/api/users/{id}";
    add(5 + 3 * r, "GET", &|i| format!("/api/users/{i}"), user, 200);
    add(1 + r, "GET", &|i| format!("/api/users/abc{i}"), user, 404);
    add(2 + r, "POST", &|_| "/api/users".into(), "/api/users", 201);
    add(
        4 + 2 * r,
        "GET",
        &|i| format!("/health?probe={i}"),
        "/health",
        200,
    );
    add(1 + r, "GET", &|_| "/fail".into(), "/fail", 503);
    add(
        2 + r,
        "GET",
        &|i| format!("/plain?x={i}"),
        UNREGISTERED,
        200,
    );
    add(
        3 + r,
        "GET",
        &|i| format!("/nowhere/{r}/{i}"),
        UNMATCHED,
        404,
    );
    traffic
}

/// Flood requests sent to each replica.
const FLOOD: [u64; REPLICAS] = [900, 1_200, 1_500];

/// The flood of one replica: nearly every request carries a path, id, query
/// string or method token never seen before, on any replica.
fn flood(replica: u64) -> impl Iterator<Item = Request> {
    let first = replica * 1_000_000;
    let size = FLOOD[usize::try_from(replica).expect("a replica index")];
    (first..first + size).map(|i| {
        let (method, target, route, status) = match i % 6 {
            0 => ("GET".into(), format!("/wp-admin/x-{i}.php"), UNMATCHED, 404),
            1 => (format!("FOO{i}"), format!("/api/users/{i}"), UNMATCHED, 404),
            2 => (
                "GET".into(),
                format!("/api/users/{i}?session={i}"),
                "/api/users/{id}",
                200,
            ),
            3 => (
                "GET".into(),
                format!("/api/users/{i}/../../etc/passwd"),
                UNMATCHED,
                404,
            ),
            4 => (
                format!("BREW{i}"),
                format!("/plain?cup={i}"),
                UNREGISTERED,
                200,
            ),
            _ => (
                "GET".into(),
                format!("/api/users/x{i}"),
                "/api/users/{id}",
                404,
            ),
        };
        Request {
            method,
            target,
            route,
            status,
        }
    })
}

/// Sends `traffic` to `addr` over one keep-alive connection, checks each
/// status, and adds each request to `sent`.
fn send(addr: SocketAddr, traffic: impl IntoIterator<Item = Request>, sent: &mut Sent) {
    let mut connection = Connection::new(addr);
    for request in traffic {
        let status = connection
            .send(&request.method, &request.target)
            .unwrap_or_else(|e| panic!("{addr}: {} {}: {e}", request.method, request.target));
        assert_eq!(
            status, request.status,
            "{addr}: {} {}",
            request.method, request.target
        );
        *sent.entry(request.route).or_default() += 1;
    }
}

// ---------------------------------------------------------------------------
// Reading Prometheus
// ---------------------------------------------------------------------------

fn rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus/rules.yml")
}

/// The names the rules file's classic group (`route-labels`) records, in
/// its order: this Prometheus ingests no native histograms, which the
/// native group reads (tests/prometheus_native.rs checks that one).
fn recorded_names(rules: &Path) -> Vec<String> {
    let mut group = String::new();
    std::fs::read_to_string(rules)
        .expect("the rules file is readable")
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            if let Some(name) = line.strip_prefix("- name:") {
                name.trim().clone_into(&mut group);
            }
            let name = line.strip_prefix("- record:")?;
            (group == "route-labels").then(|| name.trim().to_owned())
        })
        .collect()
}

/// An instant query at `at`; any error fails the test, naming the query.
fn query(prometheus: &Prometheus, expr: &str, at: &str) -> Vec<Value> {
    prometheus
        .query(expr, Some(at))
        .unwrap_or_else(|e| panic!("`{expr}` at {at}: {e}"))
}

/// A sample's label, or `""` when it has none.
fn label<'a>(sample: &'a Value, name: &str) -> &'a str {
    sample["metric"][name].as_str().unwrap_or_default()
}

/// A sample's value (Prometheus prints it as a string).
fn value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a sample without a numeric value: {sample}"))
}

/// The values of `expr` at `at`, by the values of `labels`.
fn by(
    prometheus: &Prometheus,
    expr: &str,
    at: &str,
    labels: &[&str],
) -> BTreeMap<Vec<String>, f64> {
    query(prometheus, expr, at)
        .iter()
        .map(|s| {
            let key = labels.iter().map(|l| label(s, l).to_owned()).collect();
            (key, value(s))
        })
        .collect()
}

/// A value of a query's result, or `nothing` when it had none.
fn shown(value: Option<&f64>) -> String {
    value.map_or_else(|| "nothing".to_owned(), f64::to_string)
}

/// `up` and the limit: every replica scraped, no scrape failed, and none
/// returned more samples than `sample_limit`.
fn scrape_problems(
    prometheus: &Prometheus,
    at: &str,
    instances: &[String],
    limit: u64,
) -> Vec<String> {
    let selector = format!("{{job=\"{JOB}\"}}");
    let up = by(prometheus, &format!("up{selector}"), at, &["instance"]);
    let worst_up = by(
        prometheus,
        &format!("min_over_time(up{selector}[1h])"),
        at,
        &["instance"],
    );
    let most_samples = by(
        prometheus,
        &format!("max_over_time(scrape_samples_scraped{selector}[1h])"),
        at,
        &["instance"],
    );
    let mut found = Vec::new();
    let scraped: BTreeSet<&String> = up.keys().map(|k| &k[0]).collect();
    if scraped != instances.iter().collect() {
        found.push(format!(
            "Prometheus scrapes {scraped:?}, the replicas are {instances:?}"
        ));
    }
    for instance in instances {
        let key = vec![instance.clone()];
        if up.get(&key) != Some(&1.0) {
            found.push(format!(
                "{instance}: up is {} at the last scrape, not 1",
                shown(up.get(&key))
            ));
        }
        if worst_up.get(&key) != Some(&1.0) {
            found.push(format!(
                "{instance}: a scrape failed (up == 0) since Prometheus started"
            ));
        }
        match most_samples.get(&key) {
            Some(&most) if most <= limit as f64 => {}
            most => found.push(format!(
                "{instance}: a scrape returned {} samples, over the sample_limit {limit}",
                shown(most)
            )),
        }
    }
    found
}

/// The bound each replica exposed at every scrape is the one it announced:
/// the traffic and the flood did not move it.
fn bound_problems(prometheus: &Prometheus, at: &str, replicas: &[Announcement]) -> Vec<String> {
    let bounds = |over_time: &str| {
        by(
            prometheus,
            &format!("{over_time}({BOUND_METRIC}{{job=\"{JOB}\"}}[1h])"),
            at,
            &["instance"],
        )
    };
    let (least, most) = (bounds("min_over_time"), bounds("max_over_time"));
    let mut found = Vec::new();
    for replica in replicas {
        let key = vec![replica.addr.to_string()];
        let announced = replica.max_samples as f64;
        let (low, high) = (least.get(&key), most.get(&key));
        if (low, high) != (Some(&announced), Some(&announced)) {
            found.push(format!(
                "{}: max_samples() was between {} and {} across scrapes, {announced} announced",
                replica.addr,
                shown(low),
                shown(high)
            ));
        }
    }
    found
}

/// The request counts at `at`, per replica and summed over the job, against
/// what was sent. Prometheus' own scrapes (`GET /metrics`) are excluded:
/// they count nowhere.
fn count_problems(
    prometheus: &Prometheus,
    at: &str,
    instances: &[String],
    sent: &[Sent],
) -> Vec<String> {
    let selector = format!("{{job=\"{JOB}\"}}");
    let count = format!("http_server_request_duration_seconds_count{selector}");
    let mut expected_by_instance = BTreeMap::new();
    let mut expected_total: BTreeMap<Vec<String>, f64> = BTreeMap::new();
    for (instance, sent) in instances.iter().zip(sent) {
        for (route, &n) in sent {
            let expected = n as f64;
            expected_by_instance.insert(vec![instance.clone(), (*route).to_owned()], expected);
            *expected_total.entry(vec![(*route).to_owned()]).or_default() += expected;
        }
    }
    let got_by_instance = by(
        prometheus,
        &format!("sum by (instance, http_route) ({count})"),
        at,
        &["instance", "http_route"],
    );
    let got_total = by(
        prometheus,
        &format!("sum by (http_route) ({count})"),
        at,
        &["http_route"],
    );
    let mut found = differences("counted on", &got_by_instance, &expected_by_instance);
    found.extend(differences(
        "counted over all replicas for",
        &got_total,
        &expected_total,
    ));
    found
}

/// Every key whose value in `got` is not the one in `expected`, as
/// sentences.
fn differences(
    what: &str,
    got: &BTreeMap<Vec<String>, f64>,
    expected: &BTreeMap<Vec<String>, f64>,
) -> Vec<String> {
    let keys: BTreeSet<&Vec<String>> = got.keys().chain(expected.keys()).collect();
    keys.into_iter()
        .filter(|key| got.get(*key) != expected.get(*key))
        .map(|key| {
            format!(
                "{what} {}: {} requests, {} sent",
                key.join(" "),
                got.get(key).map_or("no".to_owned(), f64::to_string),
                expected.get(key).map_or("none".to_owned(), f64::to_string)
            )
        })
        .collect()
}

/// Every replica reports the same `http_route` values: each request route on
/// all of them, and each registered mount in the route info of all of them.
fn same_route_problems(
    prometheus: &Prometheus,
    at: &str,
    sent_routes: &BTreeSet<String>,
) -> Vec<String> {
    let selector = format!("{{job=\"{JOB}\"}}");
    let replicas_reporting = |expr: &str| -> BTreeMap<String, f64> {
        by(prometheus, expr, at, &["http_route"])
            .into_iter()
            .map(|(mut key, n)| (key.remove(0), n))
            .collect()
    };
    let checks = [
        (
            "request counts",
            replicas_reporting(&format!(
                "count by (http_route) (count by (instance, http_route) \
                 (http_server_request_duration_seconds_count{selector}))"
            )),
            sent_routes.clone(),
        ),
        (
            "http_server_route_info",
            replicas_reporting(&format!(
                "count by (http_route) (http_server_route_info{{job=\"{JOB}\", http_route!=\"\"}})"
            )),
            MOUNTS.iter().map(|m| (*m).to_owned()).collect(),
        ),
    ];
    let mut found = Vec::new();
    for (what, reporting, expected) in checks {
        let routes: BTreeSet<String> = reporting.keys().cloned().collect();
        if routes != expected {
            found.push(format!(
                "{what}: http_route values {routes:?}, expected {expected:?}"
            ));
        }
        for (route, n) in reporting {
            if n != REPLICAS as f64 {
                found.push(format!(
                    "{what}: {route} is reported by {n} of {REPLICAS} replicas"
                ));
            }
        }
    }
    found
}

/// The recorded name every rule starts from: requests per second by job and
/// route.
const RATE_RULE: &str = "job_http_route:http_server_requests:rate5m";

/// The series of `rule`, labelled as recorded (`timestamp()` drops only the
/// name), once each comes from an evaluation that began after `after` (Unix
/// seconds).
fn recorded_after(prometheus: &Prometheus, rule: &str, after: f64) -> Result<Vec<Value>, String> {
    let series = prometheus
        .query(&format!("timestamp({rule})"), None)
        .map_err(|e| format!("`{rule}`: {e}"))?;
    if series.is_empty() {
        return Err(format!("`{rule}` has recorded nothing yet"));
    }
    match series.iter().map(value).find(|&at| at <= after) {
        Some(at) => Err(format!(
            "`{rule}` last evaluated at {at}, not after {after}"
        )),
        None => Ok(series),
    }
}

/// Waits until every rule in `names` has been evaluated after `after`: an
/// evaluation that read the scrapes of every replica up to then. Returns
/// each rule's series, or, without waiting any longer, the rules Prometheus
/// fails to evaluate.
fn wait_for_rules(
    prometheus: &Prometheus,
    names: &[String],
    after: f64,
) -> Result<BTreeMap<String, Vec<Value>>, Vec<String>> {
    wait_until(
        "every recording rule to be evaluated after the traffic was scraped",
        10 * SCRAPE_INTERVAL,
        || {
            let failing = failing_rules(prometheus);
            if !failing.is_empty() {
                return Ok(Err(failing));
            }
            names
                .iter()
                .map(|name| Ok((name.clone(), recorded_after(prometheus, name, after)?)))
                .collect::<Result<_, String>>()
                .map(Ok)
        },
    )
}

/// The recording rules whose last evaluation failed, with Prometheus' error.
fn failing_rules(prometheus: &Prometheus) -> Vec<String> {
    prometheus
        .recording_rules(None)
        .into_iter()
        .filter(|rule| rule["health"] == "err")
        .map(|rule| format!("{}: {}", rule["name"], rule["lastError"]))
        .collect()
}

/// What is wrong with [`RATE_RULE`]'s `series`: each must be labelled with
/// exactly the job and a route, once per route, and the routes must be those
/// of the traffic.
fn rate_rule_problems(series: &[Value], routes: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for s in series {
        let labels: BTreeSet<&str> = s["metric"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if labels != BTreeSet::from(["job", "http_route"]) {
            found.push(format!(
                "a series labelled {labels:?}, not job and http_route: {s}"
            ));
        }
        *seen
            .entry((label(s, "job"), label(s, "http_route")))
            .or_default() += 1;
    }
    for ((job, route), n) in &seen {
        if *n != 1 {
            found.push(format!(
                "{n} series for job {job:?}, route {route:?}, not one"
            ));
        }
    }
    let recorded: BTreeSet<String> = seen.keys().map(|(_, r)| (*r).to_owned()).collect();
    if &recorded != routes {
        found.push(format!(
            "routes {recorded:?}, the traffic reached {routes:?}"
        ));
    }
    found
}

/// Every series of any rule that carries `instance`.
fn per_instance_series(recorded: &BTreeMap<String, Vec<Value>>) -> Vec<String> {
    recorded
        .iter()
        .flat_map(|(name, series)| {
            series
                .iter()
                .filter(|s| !s["metric"]["instance"].is_null())
                .map(move |s| format!("{name} keeps `instance`: {}", s["metric"]))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------

#[test]
fn replicas_add_up_in_prometheus_and_the_rules_aggregate_away_instance() {
    let replicas = Replicas::start(REPLICAS);
    let sample_limit = replicas.sample_limit();
    let rules = rules_file();
    let prometheus = Prometheus::start_job(&replicas.addrs(), sample_limit, &[&rules]);

    let sent: Vec<Sent> = replicas
        .addrs()
        .into_iter()
        .zip(0..)
        .map(|(addr, i)| {
            let mut sent = Sent::new();
            send(
                addr,
                known_traffic(i).into_iter().chain(flood(i)),
                &mut sent,
            );
            sent
        })
        .collect();
    // Scrape timestamps are truncated to milliseconds and may be aligned by a
    // few of them: ask for scrapes that began clearly after the traffic.
    let at = prometheus.wait_for_scrape_after(unix_now() + 0.02);
    // Then for one more scrape of each replica: every scrape that began by
    // `at` is stored, so every query at `at` reads the same settled data.
    let settled: f64 = prometheus
        .wait_for_scrape_after(at.parse().expect("a timestamp in seconds"))
        .parse()
        .expect("a timestamp in seconds");

    let instances: Vec<String> = replicas.addrs().iter().map(ToString::to_string).collect();
    let announced = replicas.announcements();
    let found = scrape_problems(&prometheus, &at, &instances, sample_limit);
    assert!(
        found.is_empty(),
        "scrapes of the replicas with sample_limit {sample_limit}:\n  {}\nprometheus log:\n{}",
        found.join("\n  "),
        prometheus.log()
    );
    let found = bound_problems(&prometheus, &at, &announced);
    assert!(
        found.is_empty(),
        "max_samples() across scrapes differs from the one announced:\n  {}",
        found.join("\n  ")
    );
    let found = count_problems(&prometheus, &at, &instances, &sent);
    assert!(
        found.is_empty(),
        "request counts in Prometheus differ from the traffic sent:\n  {}",
        found.join("\n  ")
    );
    let routes: BTreeSet<String> = sent
        .iter()
        .flat_map(|s| s.keys().map(|r| (*r).to_owned()))
        .collect();
    let found = same_route_problems(&prometheus, &at, &routes);
    assert!(
        found.is_empty(),
        "the replicas report different http_route values:\n  {}",
        found.join("\n  ")
    );

    let names = recorded_names(&rules);
    assert!(
        names.contains(&RATE_RULE.to_owned()) && names.len() >= 5,
        "the rules read from {}: {names:?}",
        rules.display()
    );
    let recorded = wait_for_rules(&prometheus, &names, settled).unwrap_or_else(|failing| {
        panic!(
            "Prometheus fails to evaluate recording rules of {}:\n  {}",
            rules.display(),
            failing.join("\n  ")
        )
    });
    let found = rate_rule_problems(&recorded[RATE_RULE], &routes);
    assert!(
        found.is_empty(),
        "`{RATE_RULE}` does not aggregate the replicas per (job, route):\n  {}",
        found.join("\n  ")
    );
    let found = per_instance_series(&recorded);
    assert!(
        found.is_empty(),
        "the recording rules keep per-replica series:\n  {}",
        found.join("\n  ")
    );
}
