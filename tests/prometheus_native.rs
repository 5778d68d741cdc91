//! route-labels' native histograms against a real Prometheus with
//! `--enable-feature=native-histograms`, and the native recording rules and
//! dashboard shipped for it.
//!
//! Needs Prometheus' `prometheus` and `promtool` on `PATH` (Debian:
//! `apt-get install prometheus`; `.ci/run` installs them). Without them every
//! test here fails and says so: none skips.
//!
//! One Prometheus scrapes two apps over loopback, job `both` built with
//! `Histograms::Both` (classic buckets chosen tight around the handlers'
//! sleeps, native buckets at the default schema 2) and job `native` with
//! `Histograms::Native` at schema 3, each with `sample_limit` set from
//! `max_samples()`. Prometheus asks for the protobuf format first and, as
//! 2.x does for a histogram that carries both kinds of buckets, stores only
//! the native series. Each app gets the same known traffic: requests whose
//! handlers sleep 2, 20 or 100 ms, a server error, a path no resource
//! matches. What Prometheus stores and computes is then checked against what
//! the app itself recorded, read in process in the same run: its text
//! exposition (classic buckets, `_sum`, `_count`) and its protobuf one,
//! decoded by `common/protobuf.rs` (native buckets). Quantiles are compared
//! as Prometheus computes them from stored counts, never against wall-clock
//! times: the only timing fact used is that a handler takes at least as long
//! as it sleeps.

mod common;
mod prometheus;
#[path = "common/protobuf.rs"]
mod protobuf;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{HttpResponse, HttpServer, get, post, web};
use prometheus::{
    Connection, Job, NativeSample, Prometheus, SCRAPE_INTERVAL, dashboard_expressions,
    native_histogram, promtool, unexported_names, unix_now, wait_until,
};
use prometheus_client::registry::Registry;
use route_labels::{
    DEFAULT_BODY_SIZE_BUCKETS, Histograms, HttpMetrics, MetricsEndpoint, NativeBuckets,
};
use serde_json::Value;

/// The documented `http_route` values of requests no registered route served.
const UNMATCHED: &str = "unmatched";

// ---------------------------------------------------------------------------
// The apps
// ---------------------------------------------------------------------------

/// Sleeps `ms` milliseconds: the request then takes at least that long.
#[route_labels::register]
#[get("/work/{ms}")]
async fn work(ms: web::Path<u64>) -> HttpResponse {
    actix_web::rt::time::sleep(Duration::from_millis(ms.into_inner())).await;
    HttpResponse::Ok().body("done")
}

/// Sleeps [`ORDER_MS`] milliseconds.
#[route_labels::register]
#[post("/orders")]
async fn create_order() -> HttpResponse {
    actix_web::rt::time::sleep(Duration::from_millis(ORDER_MS)).await;
    HttpResponse::Created().body("order")
}

/// A server error, for the error rules and panels.
#[route_labels::register]
#[get("/fail")]
async fn fail() -> HttpResponse {
    HttpResponse::ServiceUnavailable().finish()
}

/// Mounted, never requested: the dashboard's table of idle routes lists it.
#[route_labels::register]
#[get("/never")]
async fn never() -> HttpResponse {
    HttpResponse::Ok().finish()
}

const ORDER_MS: u64 = 20;

const WORK: &str = "/work/{ms}";
const ORDERS: &str = "/orders";
const FAIL: &str = "/fail";
/// The `http_route` of Prometheus' scrapes: the endpoint's path.
const SCRAPES: &str = "/metrics";

const DURATION: &str = "http_server_request_duration_seconds";
const REQUEST_SIZE: &str = "http_server_request_body_size_bytes";
const RESPONSE_SIZE: &str = "http_server_response_body_size_bytes";
const HISTOGRAMS: [&str; 3] = [DURATION, REQUEST_SIZE, RESPONSE_SIZE];

/// The classic duration buckets of job `both`: tight around each sleep (a
/// 2 ms sleep takes 2 to 3 ms, as the timer fires on a millisecond tick,
/// and a little more in a debug build), so that the classic quantile a test
/// expects is known within a few percent, with a few coarse ones for the
/// fast routes and the scrapes.
const CLASSIC_BOUNDS: [f64; 37] = [
    0.0001, 0.0005, 0.001, 0.002, 0.0022, 0.0024, 0.0026, 0.0028, 0.003, 0.0031, 0.0032, 0.0033,
    0.0034, 0.0036, 0.004, 0.005, 0.01, 0.02, 0.0205, 0.021, 0.0215, 0.022, 0.023, 0.024, 0.026,
    0.03, 0.05, 0.1, 0.1005, 0.101, 0.1015, 0.102, 0.103, 0.104, 0.106, 0.11, 0.25,
];

/// The two jobs: name, which histograms, native layout, and the schema the
/// duration histogram must end up with. Schema 3 fits 256 buckets from a
/// microsecond to 68 minutes, so `native` raises the maximum to keep it.
fn jobs() -> [(&'static str, Histograms, NativeBuckets, i32); 2] {
    [
        ("both", Histograms::Both, NativeBuckets::default(), 2),
        (
            "native",
            Histograms::Native,
            NativeBuckets::default().schema(3).max_buckets(256),
            3,
        ),
    ]
}

/// An app on a loopback port, served by one worker on a thread of its own;
/// stopped on drop.
struct App {
    job: &'static str,
    histograms: Histograms,
    schema: i32,
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
    registry: Arc<Registry>,
    metrics: HttpMetrics,
}

impl App {
    fn start(
        job: &'static str,
        histograms: Histograms,
        native: NativeBuckets,
        schema: i32,
    ) -> Self {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::builder()
            .histograms(histograms)
            .native_buckets(native)
            .buckets(CLASSIC_BOUNDS)
            .body_sizes(DEFAULT_BODY_SIZE_BUCKETS)
            .error_type(true)
            .build(&mut registry)
            .expect("valid options");
        let registry = Arc::new(registry);
        let served = Arc::clone(&registry);
        let wrap = metrics.clone();
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .service(work)
                .service(create_order)
                .service(fail)
                .service(never)
                .service(MetricsEndpoint::new(SCRAPES, Arc::clone(&served)))
                .wrap(wrap.clone())
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("a loopback port");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        let thread = std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
        Self {
            job,
            histograms,
            schema,
            addr,
            handle,
            thread: Some(thread),
            registry,
            metrics,
        }
    }

    /// What the app recorded, read in process (a `GET /metrics` would be
    /// counted).
    fn read(&self) -> Recorded {
        let families = protobuf::decode(
            &prometheus_client::encoding::prometheus_protobuf::encode_to_vec(&self.registry)
                .expect("the registry encodes"),
        );
        let text = common::exposition(&self.registry);
        let mut recorded = Recorded::new();
        for family in families
            .iter()
            .filter(|f| HISTOGRAMS.contains(&f.name.as_str()))
        {
            for metric in &family.metric {
                let histogram = metric.histogram.as_ref().expect("a histogram metric");
                let labels: Labels = metric
                    .label
                    .iter()
                    .map(|pair| (pair.name.clone(), pair.value.clone()))
                    .collect();
                // `Native` has no classic buckets, only `+Inf` in the text.
                let classic = if self.histograms == Histograms::Native {
                    Vec::new()
                } else {
                    classic_buckets(&text, &family.name, &labels)
                };
                let text_sum = text_value(&text, &format!("{}_sum", family.name), &labels);
                let text_count = text_value(&text, &format!("{}_count", family.name), &labels);
                let series = Series {
                    count: histogram.sample_count,
                    sum: histogram.sample_sum,
                    text_sum,
                    text_count,
                    classic,
                    schema: histogram.schema,
                    zero_threshold: histogram.zero_threshold,
                    zero_count: histogram.zero_count,
                    native: histogram.positive_buckets(),
                    native_buckets: histogram.native_bucket_count(),
                    is_native: histogram.is_native(),
                };
                recorded.insert((family.name.clone(), labels), series);
            }
        }
        recorded
    }
}

impl Drop for App {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A series' labels, without `job` and `instance`.
type Labels = BTreeMap<String, String>;

/// Every histogram series the app recorded, by family and labels.
type Recorded = BTreeMap<(String, Labels), Series>;

/// One histogram series as the app recorded it.
#[derive(Debug, Clone)]
struct Series {
    /// From the protobuf exposition.
    count: u64,
    sum: f64,
    /// From the text exposition: `_sum` and `_count`, which every mode has.
    text_sum: f64,
    text_count: f64,
    /// From the text exposition, classic buckets as (upper bound,
    /// cumulative count); empty in `Native` mode, which has only `+Inf`.
    classic: Vec<(f64, f64)>,
    /// From the protobuf exposition: the native buckets, index to count.
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    native: BTreeMap<i32, u64>,
    /// Buckets the message carries, empty ones between spans included.
    native_buckets: u32,
    is_native: bool,
}

impl Series {
    /// Native buckets as `(lower, upper, count)`, increasing, the zero
    /// bucket first (from 0: durations and sizes are never negative), the
    /// empty ones left out.
    fn native_buckets(&self) -> Buckets {
        let zero =
            (self.zero_count > 0).then_some((0.0, self.zero_threshold, self.zero_count as f64));
        zero.into_iter()
            .chain(self.native.iter().map(|(&index, &count)| {
                (
                    protobuf::upper_bound(self.schema, index - 1),
                    protobuf::upper_bound(self.schema, index),
                    count as f64,
                )
            }))
            .collect()
    }

    /// Classic buckets as `(lower, upper, count)`, the empty ones left out.
    fn classic_buckets(&self) -> Buckets {
        let mut previous = (0.0, 0.0);
        let mut buckets = Vec::new();
        for &(upper, cumulative) in &self.classic {
            if cumulative > previous.1 {
                buckets.push((previous.0, upper, cumulative - previous.1));
            }
            previous = (upper, cumulative);
        }
        buckets
    }

    /// This series minus `before` (the same series earlier): what a rate
    /// over both sees.
    fn since(&self, before: Option<&Self>) -> Self {
        let Some(before) = before else {
            return self.clone();
        };
        assert_eq!(self.schema, before.schema, "the schema changed");
        let mut native = self.native.clone();
        for (index, count) in &before.native {
            let now = native.entry(*index).or_default();
            *now = now.checked_sub(*count).expect("native buckets only grow");
        }
        native.retain(|_, count| *count > 0);
        let classic = self
            .classic
            .iter()
            .zip(&before.classic)
            .map(|(&(upper, now), &(_, then))| (upper, now - then))
            .collect();
        Self {
            count: self.count - before.count,
            sum: self.sum - before.sum,
            text_sum: self.text_sum - before.text_sum,
            text_count: self.text_count - before.text_count,
            classic,
            zero_count: self.zero_count - before.zero_count,
            native,
            ..self.clone()
        }
    }
}

/// The classic buckets of one series in a text exposition.
fn classic_buckets(text: &[common::Sample], family: &str, labels: &Labels) -> Vec<(f64, f64)> {
    let name = format!("{family}_bucket");
    text.iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            s.labels
                .iter()
                .filter(|(k, _)| *k != "le")
                .eq(labels.iter())
        })
        .map(|s| {
            let le = &s.labels["le"];
            let upper = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().expect("a numeric le")
            };
            (upper, s.value)
        })
        .collect()
}

/// The value of one sample of a text exposition.
fn text_value(text: &[common::Sample], name: &str, labels: &Labels) -> f64 {
    text.iter()
        .find(|s| s.name == name && s.labels == *labels)
        .map(|s| s.value)
        .unwrap_or_else(|| panic!("no {name} {labels:?} in the text exposition"))
}

/// The series of `family` on `route`, merged (as `sum by (http_route)`).
fn route_series(recorded: &Recorded, family: &str, route: &str) -> Series {
    let mut matching = recorded
        .iter()
        .filter(|((name, labels), _)| name == family && labels["http_route"] == route)
        .map(|(_, series)| series);
    let mut merged = matching
        .next()
        .unwrap_or_else(|| panic!("the app recorded no {family} on {route}"))
        .clone();
    for series in matching {
        merged.count += series.count;
        merged.sum += series.sum;
        merged.text_sum += series.text_sum;
        merged.text_count += series.text_count;
        merged.zero_count += series.zero_count;
        for (index, count) in &series.native {
            *merged.native.entry(*index).or_default() += count;
        }
        for (bucket, other) in merged.classic.iter_mut().zip(&series.classic) {
            bucket.1 += other.1;
        }
    }
    merged
}

// ---------------------------------------------------------------------------
// The traffic
// ---------------------------------------------------------------------------

/// One kind of request: method, target, route, status, how many, and the
/// least it takes (its sleep), in seconds.
struct Kind {
    method: &'static str,
    target: &'static str,
    route: &'static str,
    status: u16,
    times: u32,
    floor: f64,
}

const fn kind(
    method: &'static str,
    target: &'static str,
    route: &'static str,
    status: u16,
    times: u32,
    floor: f64,
) -> Kind {
    Kind {
        method,
        target,
        route,
        status,
        times,
        floor,
    }
}

/// One request to each route the traffic reaches, before Prometheus first
/// scrapes: every series then exists in the scrape a rate starts from.
const WARM_UP: [Kind; 4] = [
    kind("GET", "/work/2", WORK, 200, 1, 0.002),
    kind("POST", "/orders", ORDERS, 201, 1, 0.020),
    kind("GET", "/fail", FAIL, 503, 1, 0.0),
    kind("GET", "/nowhere", UNMATCHED, 404, 1, 0.0),
];

/// The traffic the rules see. On `/work/{ms}`: 60 requests of at least
/// 2 ms, 32 of 20 ms, 8 of 100 ms, so that p50 falls among the first, p90
/// among the second, p95 and p99 among the third, none of them on a
/// boundary between two (where a rate's rounding could tip the rank over).
const TRAFFIC: [Kind; 6] = [
    kind("GET", "/work/2", WORK, 200, 60, 0.002),
    kind("GET", "/work/20", WORK, 200, 32, 0.020),
    kind("GET", "/work/100", WORK, 200, 8, 0.100),
    kind("POST", "/orders", ORDERS, 201, 20, 0.020),
    kind("GET", "/fail", FAIL, 503, 5, 0.0),
    kind("GET", "/nowhere", UNMATCHED, 404, 2, 0.0),
];

/// Requests sent, by route: the least each took, in sending order.
type Sent = BTreeMap<&'static str, Vec<f64>>;

/// Sends `kinds` to `addr` over one keep-alive connection, checking each
/// status, and adds each request to `sent`.
fn send(addr: SocketAddr, kinds: &[Kind], sent: &mut Sent) {
    let mut connection = Connection::new(addr);
    for kind in kinds {
        for _ in 0..kind.times {
            let status = connection
                .send(kind.method, kind.target)
                .unwrap_or_else(|e| panic!("{} {}: {e}", kind.method, kind.target));
            assert_eq!(status, kind.status, "{} {}", kind.method, kind.target);
            sent.entry(kind.route).or_default().push(kind.floor);
        }
    }
}

/// Sends `kinds` to every app at once, each from a thread of its own.
fn send_to_all(apps: &[App], kinds: &'static [Kind], sent: &mut [Sent]) {
    let threads: Vec<JoinHandle<Sent>> = apps
        .iter()
        .map(|app| {
            let addr = app.addr;
            std::thread::spawn(move || {
                let mut sent = Sent::new();
                send(addr, kinds, &mut sent);
                sent
            })
        })
        .collect();
    for (thread, sent) in threads.into_iter().zip(sent) {
        for (route, floors) in thread.join().expect("the traffic is sent") {
            sent.entry(route).or_default().extend(floors);
        }
    }
}

// ---------------------------------------------------------------------------
// Quantiles
// ---------------------------------------------------------------------------

/// Buckets as `(lower, upper, count)`, increasing, none empty.
type Buckets = Vec<(f64, f64, f64)>;

/// Where `histogram_quantile(q, ..)` must land over `buckets`: it finds the
/// bucket holding the observation of rank `q · count` (the first whose
/// cumulative count reaches the rank) and interpolates within it, so its
/// answer is in that bucket, whatever the interpolation (linear in
/// Prometheus 2.x, exponential in 3.x). Over a rate every count is scaled
/// by one factor, and the rank may then round onto either side of a bucket
/// boundary it sits on: the range covers both.
fn rank_bucket(q: f64, buckets: &Buckets) -> (f64, f64) {
    let total: f64 = buckets.iter().map(|b| b.2).sum();
    let find = |rank: f64| {
        let mut cumulative = 0.0;
        for bucket in buckets {
            cumulative += bucket.2;
            if cumulative >= rank {
                return *bucket;
            }
        }
        *buckets.last().expect("an observation")
    };
    let rank = q * total;
    (find(rank * (1.0 - 1e-9)).0, find(rank * (1.0 + 1e-9)).1)
}

/// The classic quantile as Prometheus computes it from classic buckets:
/// linear within the bucket of the rank; the `+Inf` bucket gives its lower
/// bound. For the report: the assertions use [`rank_bucket`].
fn classic_quantile(q: f64, buckets: &Buckets) -> f64 {
    let total: f64 = buckets.iter().map(|b| b.2).sum();
    let rank = q * total;
    let mut below = 0.0;
    for &(lower, upper, count) in buckets {
        if below + count >= rank {
            if upper.is_infinite() {
                return lower;
            }
            return lower + (upper - lower) * (rank - below) / count;
        }
        below += count;
    }
    f64::NAN
}

/// The `k`-th smallest (from 1) of the least each request took: the
/// `k`-th smallest observation is at least this.
fn floor_of_rank(floors: &[f64], q: f64) -> f64 {
    let mut sorted = floors.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// `base = 2^(2^-schema)`: each native bucket's upper bound over its lower.
fn base(schema: i32) -> f64 {
    (-f64::from(schema)).exp2().exp2()
}

/// What is wrong with `estimate`, Prometheus' `histogram_quantile(q, ..)` of
/// `series` (the app's own record of what Prometheus read), if anything.
///
/// The tolerance. Let `x` be the observation of rank `q · count`. Native
/// bucket `i` of schema `s` is `(base^(i-1), base^i]`, `base = 2^(2^-s)`.
/// Prometheus answers a point of the bucket holding `x` ([`rank_bucket`]
/// over the native buckets, checked exactly), so the answer and `x` share a
/// bucket and the answer is within a factor `base` of `x`: a relative error
/// of at most `base - 1`, 18.9% at schema 2, 9.1% at schema 3. (The
/// `(base - 1) / (base + 1)`, 8.6% at schema 2, often quoted is the error of
/// a bucket's midpoint; Prometheus interpolates anywhere in the bucket.)
/// `x` itself is known from the classic buckets of the same observations,
/// tight around the sleeps: it is in the classic bucket `(lo, hi]` holding
/// the rank, so the answer is in `[lo / base, hi · base]`. And every
/// request took at least its sleep, so `x` is at least the rank's sleep,
/// and the answer at least that over `base`.
fn quantile_problems(q: f64, estimate: f64, series: &Series, floors: &[f64]) -> Vec<String> {
    let mut found = Vec::new();
    let base = base(series.schema);
    let slack = 1e-12;
    let (lower, upper) = rank_bucket(q, &series.native_buckets());
    if !(lower * (1.0 - slack) <= estimate && estimate <= upper * (1.0 + slack)) {
        found.push(format!(
            "p{q}: {estimate} is outside the native bucket of its rank, ({lower}, {upper}]"
        ));
    }
    if !series.classic.is_empty() {
        let (lower, upper) = rank_bucket(q, &series.classic_buckets());
        let (least, most) = (lower / base, upper * base);
        if !(least * (1.0 - slack) <= estimate && estimate <= most * (1.0 + slack)) {
            found.push(format!(
                "p{q}: {estimate} is more than a factor {base} away from the classic bucket \
                 of its rank, ({lower}, {upper}]"
            ));
        }
    }
    let floor = floor_of_rank(floors, q) / base;
    if estimate < floor * (1.0 - slack) {
        found.push(format!(
            "p{q}: {estimate} is below the rank's sleep over the base, {floor}"
        ));
    }
    found
}

// ---------------------------------------------------------------------------
// Reading Prometheus
// ---------------------------------------------------------------------------

fn rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus/rules.yml")
}

fn dashboard_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/grafana/route-labels-native.json")
}

/// The group of `rules.yml` whose rules read native histograms.
const NATIVE_GROUP: &str = "route-labels-native";

/// An instant query at `at`; an error fails the test, naming the query.
fn query(prometheus: &Prometheus, expr: &str, at: &str) -> Vec<Value> {
    prometheus
        .query(expr, Some(at))
        .unwrap_or_else(|e| panic!("`{expr}` at {at}: {e}"))
}

/// A float sample's value.
fn value(sample: &Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a sample without a numeric value: {sample}"))
}

/// The one float value of `expr` at `at`.
fn scalar(prometheus: &Prometheus, expr: &str, at: &str) -> Result<f64, String> {
    match query(prometheus, expr, at).as_slice() {
        [sample] => Ok(value(sample)),
        other => Err(format!("`{expr}` gave {} samples: {other:?}", other.len())),
    }
}

/// A sample's labels, without the name, `job` and `instance`.
fn labels_of(sample: &Value) -> Labels {
    sample["metric"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !["__name__", "job", "instance"].contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Whether `a` and `b` agree to about 12 significant digits.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// The metric names Prometheus stores for `job`, its own scrape series
/// (`up`, `scrape_*`) aside: what the app's scrape gave it.
fn stored_names(prometheus: &Prometheus, job: &str, at: &str) -> BTreeSet<String> {
    query(
        prometheus,
        &format!("count by (__name__) ({{job=\"{job}\"}})"),
        at,
    )
    .iter()
    .filter_map(|s| s["metric"]["__name__"].as_str().map(str::to_owned))
    .filter(|name| name != "up" && !name.starts_with("scrape_"))
    .collect()
}

/// What is wrong with the scrapes of `app`: a failed one, or more samples
/// than its `sample_limit`.
fn scrape_problems(prometheus: &Prometheus, app: &App, limit: u64, at: &str) -> Vec<String> {
    let job = app.job;
    let mut found = Vec::new();
    let up = query(prometheus, &format!("up{{job=\"{job}\"}}[1h]"), at);
    let values: Vec<&str> = up
        .first()
        .and_then(|series| series["values"].as_array())
        .into_iter()
        .flatten()
        .map(|v| v[1].as_str().unwrap_or_default())
        .collect();
    if values.len() < 3 || values.iter().any(|v| *v != "1") {
        found.push(format!("{job}: up over the run was {values:?}"));
    }
    let most = scalar(
        prometheus,
        &format!("max_over_time(scrape_samples_scraped{{job=\"{job}\"}}[1h])"),
        at,
    );
    match most {
        Ok(most) if most <= limit as f64 => {}
        Ok(most) => found.push(format!(
            "{job}: a scrape of {most} samples, over the sample_limit {limit}"
        )),
        Err(e) => found.push(e),
    }
    found
}

/// What is wrong with the native histograms Prometheus stores for `app` at
/// `at`, against `recorded`, the app's own record of the same moment.
fn storage_problems(
    prometheus: &Prometheus,
    app: &App,
    recorded: &Recorded,
    at: &str,
) -> Vec<String> {
    let job = app.job;
    let mut found = Vec::new();

    // Only the native series: the classic ones are in neither exposition
    // (`Native`), or in the protobuf one beside the native buckets, which
    // Prometheus 2.x then keeps alone (`Both`).
    let names = stored_names(prometheus, job, at);
    for family in HISTOGRAMS {
        if !names.contains(family) {
            found.push(format!("{job}: no {family} series; stored: {names:?}"));
        }
        for suffix in ["_bucket", "_count", "_sum"] {
            if names.contains(&format!("{family}{suffix}")) {
                found.push(format!(
                    "{job}: a classic {family}{suffix} series is stored"
                ));
            }
        }
    }

    let bound = app.metrics.max_native_buckets();
    // Prometheus' own scrapes are counted as each ends: the app has counted
    // more of them by the time it is read.
    for ((family, labels), series) in recorded {
        if labels["http_route"] == SCRAPES {
            continue;
        }
        let place = format!("{job}: {family}{labels:?}");
        if !series.is_native {
            found.push(format!(
                "{place}: the protobuf exposition has no native buckets"
            ));
            continue;
        }
        if series.native_buckets > bound {
            found.push(format!(
                "{place}: {} native buckets, over max_native_buckets() {bound}",
                series.native_buckets
            ));
        }
        if family == DURATION && series.schema != app.schema {
            found.push(format!(
                "{place}: schema {}, expected {}",
                series.schema, app.schema
            ));
        }
        if series.text_count != series.count as f64 || series.text_sum != series.sum {
            found.push(format!(
                "{place}: the text exposition has count {} sum {}, the protobuf one {} {}",
                series.text_count, series.text_sum, series.count, series.sum
            ));
        }
        let selector: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .chain([format!("job=\"{job}\"")])
            .collect();
        let expr = format!("{family}{{{}}}", selector.join(", "));
        let stored: Vec<Value> = query(prometheus, &expr, at)
            .into_iter()
            .filter(|s| labels_of(s) == *labels)
            .collect();
        let [sample] = stored.as_slice() else {
            found.push(format!(
                "{place}: {} series stored: {stored:?}",
                stored.len()
            ));
            continue;
        };
        let stored = match native_histogram(sample) {
            Ok(stored) => stored,
            Err(e) => {
                found.push(format!("{place}: {e}"));
                continue;
            }
        };
        found.extend(
            histogram_problems(&stored, series)
                .into_iter()
                .map(|problem| format!("{place}: {problem}")),
        );
        if !series.classic.is_empty() {
            found.extend(
                classic_agreement_problems(series)
                    .into_iter()
                    .map(|problem| format!("{place}: {problem}")),
            );
        }
    }
    found
}

/// What differs between a native histogram Prometheus stored and the app's
/// record of it: count, sum, and every bucket's bounds and count.
fn histogram_problems(stored: &NativeSample, series: &Series) -> Vec<String> {
    let mut found = Vec::new();
    if stored.count != series.count as f64 {
        found.push(format!(
            "Prometheus counts {}, the app {}",
            stored.count, series.count
        ));
    }
    if !close(stored.sum, series.sum) {
        found.push(format!(
            "Prometheus sums {}, the app {}",
            stored.sum, series.sum
        ));
    }
    let expected = series.native_buckets();
    let got: Buckets = stored
        .buckets
        .iter()
        .map(|b| {
            // The zero bucket is `[-threshold, threshold]`; the app's
            // observations in it are all at or above 0.
            let lower = if b.boundaries == 3 { 0.0 } else { b.lower };
            (lower, b.upper, b.count)
        })
        .collect();
    let same = got.len() == expected.len()
        && got
            .iter()
            .zip(&expected)
            .all(|(g, e)| (g.0 == e.0 || close(g.0, e.0)) && close(g.1, e.1) && g.2 == e.2);
    if !same {
        found.push(format!(
            "Prometheus stores buckets {got:?}, the app recorded {expected:?}"
        ));
    }
    found
}

/// Whether the native and the classic buckets of one series (`Both`) count
/// the same observations: at each native bound `u`, the native cumulative
/// count is between the classic ones at the classic bounds around `u`.
fn classic_agreement_problems(series: &Series) -> Vec<String> {
    let classic_at = |bound: f64, below: bool| -> f64 {
        let mut result = if below { 0.0 } else { series.count as f64 };
        for &(upper, cumulative) in &series.classic {
            if below && upper <= bound {
                result = cumulative;
            }
            if !below && upper >= bound {
                return cumulative;
            }
        }
        result
    };
    let mut found = Vec::new();
    let mut cumulative = 0.0;
    for (_, upper, count) in series.native_buckets() {
        cumulative += count;
        let (least, most) = (classic_at(upper, true), classic_at(upper, false));
        if !(least <= cumulative && cumulative <= most) {
            found.push(format!(
                "{cumulative} observations up to the native bound {upper}, but the classic \
                 buckets around it count {least} and {most}"
            ));
        }
    }
    found
}

/// The series of `rule` once each comes from an evaluation that began
/// after `after` (Unix seconds).
fn recorded_after(prometheus: &Prometheus, rule: &str, after: f64) -> Result<Vec<Value>, String> {
    let stamps = prometheus
        .query(&format!("timestamp({rule})"), None)
        .map_err(|e| format!("`{rule}`: {e}"))?;
    if stamps.is_empty() {
        return Err(format!("`{rule}` has recorded nothing yet"));
    }
    if let Some(at) = stamps.iter().map(value).find(|&at| at <= after) {
        return Err(format!(
            "`{rule}` last evaluated at {at}, not after {after}"
        ));
    }
    prometheus
        .query(rule, None)
        .map_err(|e| format!("`{rule}`: {e}"))
}

/// The native group's rules as this Prometheus loaded them.
fn native_rules(prometheus: &Prometheus) -> Vec<Value> {
    prometheus.recording_rules(Some(NATIVE_GROUP))
}

/// A rule's sample for `job` and `route`.
fn rule_sample<'a>(series: &'a [Value], job: &str, route: &str) -> Option<&'a Value> {
    series
        .iter()
        .find(|s| s["metric"]["job"] == job && s["metric"]["http_route"] == route)
}

// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------

#[test]
fn prometheus_stores_the_native_histograms_and_the_native_rules_and_dashboard_read_them() {
    let apps: Vec<App> = jobs()
        .into_iter()
        .map(|(job, histograms, native, schema)| App::start(job, histograms, native, schema))
        .collect();
    let mut sent: Vec<Sent> = apps.iter().map(|_| Sent::new()).collect();
    send_to_all(&apps, &WARM_UP, &mut sent);
    let limits: Vec<u64> = apps.iter().map(|app| app.metrics.max_samples()).collect();
    let addrs: Vec<[SocketAddr; 1]> = apps.iter().map(|app| [app.addr]).collect();
    let scrape_jobs: Vec<Job<'_>> = apps
        .iter()
        .zip(&addrs)
        .zip(&limits)
        .map(|((app, targets), &sample_limit)| Job {
            name: app.job,
            targets,
            sample_limit,
        })
        .collect();
    let rules = rules_file();
    let prometheus = Prometheus::start_with(&scrape_jobs, &[&rules], &["native-histograms"]);
    let flags = prometheus
        .api("status/flags", &[])
        .expect("the flags API answers");
    assert_eq!(flags["enable-feature"], "native-histograms", "{flags}");

    // Scrape timestamps are truncated to milliseconds and may be aligned by
    // a few of them: ask for scrapes that began clearly after.
    prometheus.wait_for_scrape_after(unix_now() + 0.02);
    let before: Vec<Recorded> = apps.iter().map(App::read).collect();
    send_to_all(&apps, &TRAFFIC, &mut sent);
    let at = prometheus.wait_for_scrape_after(unix_now() + 0.02);
    let after: Vec<Recorded> = apps.iter().map(App::read).collect();
    // One more scrape of each app: every scrape that began by `at` is
    // stored, so queries at `at` read settled data.
    let settled = prometheus.wait_for_scrape_after(at.parse().expect("a timestamp in seconds"));
    let settled: f64 = settled.parse().expect("a timestamp in seconds");

    let mut found = Vec::new();
    let mut report = Vec::new();
    for ((app, recorded), (sent, limit)) in apps.iter().zip(&after).zip(sent.iter().zip(&limits)) {
        let job = app.job;
        found.extend(scrape_problems(&prometheus, app, *limit, &at));
        found.extend(storage_problems(&prometheus, app, recorded, &at));

        // Counts per route are the requests sent, exactly; sums are what
        // the app recorded (its text exposition's `_sum`, which `Both` and
        // `Native` both carry).
        for (route, floors) in sent {
            let selector = format!("{DURATION}{{job=\"{job}\", http_route=\"{route}\"}}");
            let series = route_series(recorded, DURATION, route);
            match scalar(
                &prometheus,
                &format!("histogram_count(sum({selector}))"),
                &at,
            ) {
                Ok(count) if count == floors.len() as f64 => {}
                Ok(count) => found.push(format!(
                    "{job} {route}: histogram_count {count}, {} sent",
                    floors.len()
                )),
                Err(e) => found.push(e),
            }
            match scalar(&prometheus, &format!("histogram_sum(sum({selector}))"), &at) {
                Ok(sum) if close(sum, series.text_sum) => {
                    report.push(format!(
                        "{job} {route}: count {}, sum {sum} s (app: {})",
                        floors.len(),
                        series.text_sum
                    ));
                }
                Ok(sum) => found.push(format!(
                    "{job} {route}: histogram_sum {sum}, the app recorded {}",
                    series.text_sum
                )),
                Err(e) => found.push(e),
            }
        }

        // Quantiles of everything sent, as Prometheus computes them from
        // the native buckets it stored.
        for route in [WORK, ORDERS] {
            let series = route_series(recorded, DURATION, route);
            for q in [0.5, 0.9, 0.99] {
                let expr = format!(
                    "histogram_quantile({q}, sum by (http_route) ({DURATION}{{job=\"{job}\", http_route=\"{route}\"}}))"
                );
                match scalar(&prometheus, &expr, &at) {
                    Ok(estimate) => {
                        found.extend(
                            quantile_problems(q, estimate, &series, &sent[route])
                                .into_iter()
                                .map(|p| format!("{job} {route}: {p}")),
                        );
                        let expected = if series.classic.is_empty() {
                            String::new()
                        } else {
                            let classic = classic_quantile(q, &series.classic_buckets());
                            format!(
                                ", classic {classic:.6} ({:+.1}%)",
                                100.0 * (estimate / classic - 1.0)
                            )
                        };
                        let (lower, upper) = rank_bucket(q, &series.native_buckets());
                        report.push(format!(
                            "{job} {route} p{q}: native {estimate:.6} in ({lower:.6}, {upper:.6}]{expected}"
                        ));
                    }
                    Err(e) => found.push(e),
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "native histograms in Prometheus:\n  {}\nprometheus log:\n{}",
        found.join("\n  "),
        prometheus.log()
    );

    // The native recording rules: loaded, evaluated without error after the
    // traffic was scraped, recording what the app's record predicts for
    // the traffic between the two reads (a rate over the window sees
    // exactly that, times one factor that quantiles and means cancel).
    let rules = native_rules(&prometheus);
    assert!(rules.len() >= 10, "the {NATIVE_GROUP} group: {rules:?}");
    let names: Vec<String> = rules
        .iter()
        .filter_map(|rule| rule["name"].as_str().map(str::to_owned))
        .collect();
    let recorded: BTreeMap<String, Vec<Value>> = wait_until(
        "every native recording rule to be evaluated after the traffic was scraped",
        10 * SCRAPE_INTERVAL,
        || {
            names
                .iter()
                .map(|name| Ok((name.clone(), recorded_after(&prometheus, name, settled)?)))
                .collect::<Result<_, String>>()
        },
    );
    for rule in native_rules(&prometheus) {
        if rule["health"] != "ok" {
            found.push(format!(
                "rule {}: {} {}",
                rule["name"], rule["health"], rule["lastError"]
            ));
        }
    }
    let rule = |name: &str| -> &[Value] { recorded.get(name).map_or(&[], Vec::as_slice) };
    for ((app, before), (after, sent)) in apps.iter().zip(&before).zip(after.iter().zip(&sent)) {
        let job = app.job;
        for route in [WORK, ORDERS] {
            let window = route_series(after, DURATION, route)
                .since(Some(&route_series(before, DURATION, route)));
            let floors: Vec<f64> = sent[route][1..].to_vec();
            for (q, name) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
                let rule_name = format!(
                    "job_http_route:http_server_request_duration_seconds:{name}_rate5m_native"
                );
                match rule_sample(rule(&rule_name), job, route) {
                    Some(sample) => {
                        let estimate = value(sample);
                        found.extend(
                            quantile_problems(q, estimate, &window, &floors)
                                .into_iter()
                                .map(|p| format!("{rule_name} {job} {route}: {p}")),
                        );
                        report.push(format!("{rule_name} {job} {route}: {estimate:.6}"));
                    }
                    None => found.push(format!("{rule_name}: nothing for {job} {route}")),
                }
            }
            let mean_rule =
                "job_http_route:http_server_request_duration_seconds:mean_rate5m_native";
            let mean = window.sum / window.count as f64;
            match rule_sample(rule(mean_rule), job, route) {
                Some(sample) if (value(sample) - mean).abs() <= 1e-9 * mean => {
                    report.push(format!(
                        "{mean_rule} {job} {route}: {} (app: {mean})",
                        value(sample)
                    ));
                }
                other => found.push(format!(
                    "{mean_rule} {job} {route}: {other:?}, the app's mean over the window is {mean}"
                )),
            }
        }
        // Every request to `/fail` is a 503: the error ratio is exactly 1.
        let ratio_rule = "job_http_route:http_server_request_error_ratio:rate5m_native";
        match rule_sample(rule(ratio_rule), job, FAIL) {
            Some(sample) if value(sample) == 1.0 => {}
            other => found.push(format!("{ratio_rule} {job} {FAIL}: {other:?}, expected 1")),
        }
        let by_type = "job_http_route_error_type:http_server_request_errors:rate5m_native";
        let typed = rule(by_type).iter().any(|s| {
            s["metric"]["job"] == job
                && s["metric"]["http_route"] == FAIL
                && s["metric"]["error_type"] == "503"
        });
        if !typed {
            found.push(format!(
                "{by_type}: no error_type=\"503\" for {job} {FAIL}: {:?}",
                rule(by_type)
            ));
        }
    }
    for name in &names {
        if rule(name).is_empty() {
            found.push(format!("rule {name} recorded nothing"));
        }
    }
    // A result Prometheus refuses to store (a float histogram it finds
    // inconsistent, say) is only logged: the rule stays healthy.
    let log = prometheus.log();
    if log.contains("discarded") {
        found.push(format!("Prometheus discarded results:\n{log}"));
    }

    // The native dashboard: every expression parses, runs, shows data for
    // the known traffic of each job, and reads only what Prometheus stores
    // from the app.
    let text = std::fs::read_to_string(dashboard_file()).expect("the native dashboard exists");
    let dashboard: Value = serde_json::from_str(&text).expect("the native dashboard is JSON");
    let expressions = dashboard_expressions(&dashboard);
    assert!(expressions.len() >= 8, "{expressions:?}");
    for app in &apps {
        let exported = stored_names(&prometheus, app.job, &at);
        for (place, expr) in &expressions {
            let place = format!("{} ({})", place, app.job);
            let expr = [
                ("$__rate_interval", "1m"),
                ("$__range", "1h"),
                ("$job", app.job),
            ]
            .iter()
            .fold(expr.clone(), |expr, (variable, value)| {
                expr.replace(variable, value)
            });
            if expr.contains('$') {
                found.push(format!(
                    "{place}: a variable the test does not know: `{expr}`"
                ));
                continue;
            }
            match prometheus.query(&expr, Some(&at)) {
                Ok(result) if result.is_empty() => {
                    found.push(format!("{place}: no data for the known traffic: `{expr}`"));
                }
                Ok(_) => found.extend(unexported_names(&prometheus, &exported, &place, &expr)),
                Err(e) => found.push(format!("{place}: {e}: `{expr}`")),
            }
        }
    }
    println!("{}", report.join("\n"));
    assert!(
        found.is_empty(),
        "the native rules and dashboard:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn promtool_accepts_the_native_recording_rules() {
    let rules = rules_file();
    let output = promtool(&["check", "rules", &rules.display().to_string()], "");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && said.contains("SUCCESS") && !said.contains("WARNING"),
        "promtool check rules {}:\n{said}",
        rules.display()
    );
    let text = std::fs::read_to_string(&rules).expect("the rules file is readable");
    assert!(
        text.contains(&format!("- name: {NATIVE_GROUP}\n")),
        "no group {NATIVE_GROUP} in {}",
        rules.display()
    );
}
