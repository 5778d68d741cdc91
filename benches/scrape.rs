//! Scrape cost (issue 4, benchmark 3): encoding 100 and 2,000 request
//! duration series as OpenMetrics text.
//!
//! - `route-labels collector`: a registry holding `HttpMetrics` after
//!   requests to 100 routes with one status each, or to 500 routes with four
//!   statuses each.
//! - `prometheus-client Family`: a registry holding the same series in
//!   prometheus-client `Family`s: the same histograms with the same samples
//!   (each observed once with the sum route-labels measured, so both
//!   expositions carry the same duration lines, checked before timing), the
//!   same 10 active-request gauges and one gauge per registered route in
//!   place of route-labels' `http_server_route_info`, so both expositions
//!   have the same number of sample lines (checked too).
//!
//! `cargo bench --bench scrape`

mod routes;

use std::hint::black_box;
use std::time::Duration;

use actix_web::dev::Service;
use actix_web::{App, test};
use criterion::{Criterion, criterion_group, criterion_main};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use route_labels::{DEFAULT_BUCKETS, HttpMethod, HttpMetrics};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    http_request_method: HttpMethod,
    http_response_status_code: u16,
    http_route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    http_request_method: HttpMethod,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    http_route: &'static str,
    http_request_methods: String,
    handler: &'static str,
}

fn new_histogram() -> Histogram {
    Histogram::new(DEFAULT_BUCKETS)
}

/// The cases: histogram series, routes requested, statuses per route.
const CASES: [(usize, usize, &[u16]); 2] = [(100, 100, &[200]), (2000, 500, &[200, 201, 404, 503])];

/// A registry with `HttpMetrics` after a request to each of the first
/// `routes` bench routes with each of `statuses`.
fn route_labels_registry(
    system: &actix_web::rt::SystemRunner,
    routes: usize,
    statuses: &[u16],
) -> Registry {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).expect("the bench routes are distinct");
    system.block_on(async {
        let app = test::init_service(
            App::new()
                .configure(routes::mount_registered(routes))
                .wrap(metrics),
        )
        .await;
        for route in 0..routes {
            for status in statuses {
                let uri = format!("{}?s={status}", routes::path(route));
                let res = app
                    .call(test::TestRequest::get().uri(&uri).to_request())
                    .await
                    .expect("the app answers");
                assert_eq!(res.status().as_u16(), *status);
            }
        }
    });
    registry
}

/// The duration family's name in both expositions.
const DURATION: &str = "http_server_request_duration_seconds";

/// A registry with the same series in prometheus-client `Family`s, holding
/// the same samples: each duration series of route-labels' exposition
/// `route_labels` (one request each) observed once with the value of its sum,
/// so both expositions carry the same sums, counts and buckets (checked
/// before timing).
fn family_registry(route_labels: &str) -> Registry {
    let mut registry = Registry::default();
    let durations =
        Family::<DurationLabels, Histogram, fn() -> Histogram>::new_with_constructor(new_histogram);
    registry.register_with_unit(
        "http_server_request_duration",
        "Duration of HTTP server requests, by method, route template and status code",
        Unit::Seconds,
        durations.clone(),
    );
    let sums = route_labels
        .lines()
        .filter_map(|line| line.strip_prefix(DURATION)?.strip_prefix("_sum{"));
    for sum in sums {
        let (labels, value) = sum.split_once("} ").expect("a sample has a value");
        let label = |key: &str| {
            labels
                .split(',')
                .find_map(|pair| pair.strip_prefix(key)?.strip_prefix("=\""))
                .and_then(|value| value.strip_suffix('"'))
                .unwrap_or_else(|| panic!("{key} in {labels}"))
        };
        assert_eq!(label("http_request_method"), "GET");
        let route = label("http_route");
        let template: &'static str = route_labels::routes()
            .find_map(|info| info.template().filter(|t| *t == route))
            .expect("the bench route is registered");
        durations
            .get_or_create(&DurationLabels {
                http_request_method: HttpMethod::Get,
                http_response_status_code: label("http_response_status_code")
                    .parse()
                    .expect("a status code"),
                http_route: template,
            })
            .observe(value.parse().expect("a sum"));
    }
    let active = Family::<MethodLabels, Gauge>::default();
    registry.register(
        "http_server_active_requests",
        "Number of HTTP server requests in flight, by method",
        active.clone(),
    );
    for method in HttpMethod::ALL {
        active
            .get_or_create(&MethodLabels {
                http_request_method: method,
            })
            .set(0);
    }
    let info = Family::<RouteLabels, Gauge>::default();
    registry.register(
        "http_server_route_info",
        "Every route registered with route-labels, whether or not it received traffic",
        info.clone(),
    );
    for route in route_labels::routes() {
        info.get_or_create(&RouteLabels {
            http_route: route.template().unwrap_or_default(),
            http_request_methods: route.methods().join(","),
            handler: route.handler(),
        })
        .set(1);
    }
    registry
}

/// route-labels' registry after the requests of a case, and the
/// prometheus-client one holding the same samples.
fn registries(
    system: &actix_web::rt::SystemRunner,
    routes: usize,
    statuses: &[u16],
) -> [(&'static str, Registry); 2] {
    let route_labels = route_labels_registry(system, routes, statuses);
    let family = family_registry(&exposition(&route_labels));
    [
        ("route-labels collector", route_labels),
        ("prometheus-client Family", family),
    ]
}

fn exposition(registry: &Registry) -> String {
    let mut text = String::new();
    encode(&mut text, registry).expect("encodes");
    text
}

/// The duration family's sample lines, sorted (a `Family` writes its series
/// in hash order).
fn duration_samples(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with(DURATION))
        .collect();
    lines.sort_unstable();
    lines
}

fn sample_lines(text: &str) -> usize {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count()
}

/// With `SCRAPE_ONLY=CASE:WHICH:SCRAPES` in the environment (CASE an index
/// into `CASES`, WHICH `route-labels` or `family`), the benchmark only
/// encodes that registry SCRAPES times and exits: run it twice under
/// `valgrind --tool=callgrind` with two counts, and the difference in
/// instructions over the difference in scrapes is the instructions per
/// scrape, free of timing noise (`scripts/scrape-instructions.sh`).
const ONLY: &str = "SCRAPE_ONLY";

fn scrape_only(system: &actix_web::rt::SystemRunner, only: &str) {
    let parse = || -> Option<(usize, &str, u64)> {
        let mut parts = only.split(':');
        Some((
            parts.next()?.parse().ok()?,
            parts.next()?,
            parts.next()?.parse().ok()?,
        ))
    };
    let (case, which, scrapes) = parse()
        .unwrap_or_else(|| panic!("{ONLY}=CASE:WHICH:SCRAPES, WHICH `route-labels` or `family`"));
    let (_, routes, statuses) = CASES[case];
    // Both registries are made in either run: one is encoded.
    let [(_, route_labels), (_, family)] = registries(system, routes, statuses);
    let registry = match which {
        "route-labels" => route_labels,
        "family" => family,
        other => panic!("{ONLY}: unknown registry {other}"),
    };
    let mut text = String::new();
    for _ in 0..scrapes {
        text.clear();
        encode(&mut text, &registry).expect("encodes");
        black_box(text.len());
    }
}

fn scrape(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    if let Ok(only) = std::env::var(ONLY) {
        scrape_only(&system, &only);
        return;
    }
    let mut table = Vec::new();
    for (series, routes, statuses) in CASES {
        let registries = registries(&system, routes, statuses);
        let texts = registries
            .each_ref()
            .map(|(_, registry)| exposition(registry));
        let histogram_series = texts[0].matches("_count{").count();
        assert_eq!(histogram_series, series, "route-labels' histogram series");
        assert_eq!(
            sample_lines(&texts[0]),
            sample_lines(&texts[1]),
            "both expositions hold the same number of samples"
        );
        assert_eq!(
            duration_samples(&texts[0]),
            duration_samples(&texts[1]),
            "both expositions hold the same duration samples"
        );

        let mut group = c.benchmark_group(format!("scrape-{series}-series"));
        let mut row = Vec::new();
        for (name, registry) in &registries {
            let mut samples = Vec::new();
            let mut text = String::with_capacity(texts[0].len() * 2);
            group.bench_function(*name, |b| {
                b.iter_custom(|iters| {
                    let start = std::time::Instant::now();
                    for _ in 0..iters {
                        text.clear();
                        encode(&mut text, registry).expect("encodes");
                        black_box(text.len());
                    }
                    let elapsed = start.elapsed();
                    samples.push(elapsed.as_nanos() as f64 / iters as f64);
                    elapsed
                });
            });
            samples.sort_by(f64::total_cmp);
            row.push(samples.get(samples.len() / 2).copied());
        }
        group.finish();
        table.push((
            series,
            sample_lines(&texts[0]),
            texts[0].len(),
            texts[1].len(),
            row,
        ));
    }

    let us = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.1} µs", v / 1e3));
    println!("\nTime per scrape (median of criterion's samples)");
    println!(
        "| histogram series | sample lines | bytes (route-labels / Family) | route-labels | prometheus-client Family | route-labels / Family |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for (series, lines, rl_bytes, family_bytes, row) in table {
        let ratio = row[0].zip(row[1]).map_or_else(
            || "n/a".to_owned(),
            |(rl, family)| format!("{:.2}", rl / family),
        );
        println!(
            "| {series} | {lines} | {rl_bytes} / {family_bytes} | {} | {} | {ratio} |",
            us(row[0]),
            us(row[1])
        );
    }
    println!(
        "goal: route-labels' encoding no slower than prometheus-client's Family (ratio <= 1.00)"
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = scrape
}
criterion_main!(benches);
