//! What native histograms cost a scrape: bytes and time per scrape of the
//! request duration histograms, classic, native and both, in OpenMetrics
//! text and in Prometheus' protobuf format, measured in one run.
//!
//! Each registry holds `HttpMetrics` after `REQUESTS` requests to each of
//! 100 routes with one status, or 500 routes with four statuses (the cases
//! of benches/scrape.rs): 100 and 2,000 histogram series, whose durations
//! spread over the few native buckets an in-process request takes.
//!
//! `cargo bench --bench native`; instructions per scrape, free of timing
//! noise: `bash scripts/scrape-instructions-native.sh`.

mod routes;

use std::hint::black_box;
use std::time::{Duration, Instant};

use actix_web::dev::Service;
use actix_web::{App, test};
use criterion::{Criterion, criterion_group, criterion_main};
use prometheus_client::encoding::prometheus_protobuf::encode_to_vec;
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use route_labels::{Histograms, HttpMetrics};

/// The cases: histogram series, routes requested, statuses per route.
const CASES: [(usize, usize, &[u16]); 2] = [(100, 100, &[200]), (2000, 500, &[200, 201, 404, 503])];

/// Requests per series.
const REQUESTS: usize = 20;

const MODES: [(&str, Histograms); 3] = [
    ("classic", Histograms::Classic),
    ("native", Histograms::Native),
    ("both", Histograms::Both),
];

const FORMATS: [&str; 2] = ["openmetrics", "protobuf"];

/// A registry with `HttpMetrics` in `mode` after the case's traffic.
fn registry(
    system: &actix_web::rt::SystemRunner,
    mode: Histograms,
    routes: usize,
    statuses: &[u16],
) -> Registry {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::builder()
        .histograms(mode)
        .build(&mut registry)
        .expect("the bench routes are distinct");
    system.block_on(async {
        let app =
            test::init_service(metrics.app(App::new().configure(routes::mount_registered(routes))))
                .await;
        for route in 0..routes {
            for status in statuses {
                let uri = format!("{}?s={status}", routes::path(route));
                for _ in 0..REQUESTS {
                    let res = app
                        .call(test::TestRequest::get().uri(&uri).to_request())
                        .await
                        .expect("the app answers");
                    assert_eq!(res.status().as_u16(), *status);
                }
            }
        }
    });
    registry
}

/// One scrape of `registry` in `format`: its bytes.
fn scrape(registry: &Registry, format: &str, text: &mut String) -> usize {
    match format {
        "openmetrics" => {
            text.clear();
            encode(text, registry).expect("encodes");
            text.len()
        }
        "protobuf" => encode_to_vec(registry).expect("encodes").len(),
        other => panic!("unknown format {other}"),
    }
}

/// With `NATIVE_SCRAPE_ONLY=CASE:MODE:FORMAT:SCRAPES` in the environment
/// (CASE an index into `CASES`), the benchmark only encodes that registry
/// SCRAPES times and exits: run it twice under callgrind with two counts,
/// and the difference over the difference in scrapes is one scrape.
const ONLY: &str = "NATIVE_SCRAPE_ONLY";

fn scrape_only(system: &actix_web::rt::SystemRunner, only: &str) {
    let parts: Vec<&str> = only.split(':').collect();
    let [case, mode, format, scrapes] = parts[..] else {
        panic!("{ONLY}=CASE:MODE:FORMAT:SCRAPES");
    };
    let (_, routes, statuses) = CASES[case.parse::<usize>().expect("a case index")];
    let (_, mode) = MODES
        .into_iter()
        .find(|(name, _)| *name == mode)
        .expect("classic, native or both");
    let registry = registry(system, mode, routes, statuses);
    let mut text = String::new();
    for _ in 0..scrapes.parse::<u64>().expect("a scrape count") {
        black_box(scrape(&registry, format, &mut text));
    }
}

fn native(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    if let Ok(only) = std::env::var(ONLY) {
        scrape_only(&system, &only);
        return;
    }
    let mut table = Vec::new();
    for (series, routes, statuses) in CASES {
        let registries: Vec<(&str, Registry)> = MODES
            .iter()
            .map(|&(name, mode)| (name, registry(&system, mode, routes, statuses)))
            .collect();
        let mut group = c.benchmark_group(format!("native-scrape-{series}-series"));
        for (mode, registry) in &registries {
            for format in FORMATS {
                let mut text = String::new();
                let bytes = scrape(registry, format, &mut text);
                let mut samples = Vec::new();
                group.bench_function(format!("{mode}-{format}"), |b| {
                    b.iter_custom(|iters| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            black_box(scrape(registry, format, &mut text));
                        }
                        let elapsed = start.elapsed();
                        samples.push(elapsed.as_nanos() as f64 / iters as f64);
                        elapsed
                    });
                });
                samples.sort_by(f64::total_cmp);
                table.push((
                    series,
                    *mode,
                    format,
                    bytes,
                    samples.get(samples.len() / 2).copied(),
                ));
            }
        }
        group.finish();
    }
    println!("\nBytes and time per scrape (median of criterion's samples)");
    println!("| histogram series | histograms | format | bytes | time | time / classic text |");
    println!("|---:|---|---|---:|---:|---:|");
    for &(series, mode, format, bytes, time) in &table {
        let classic = table
            .iter()
            .find(|row| row.0 == series && row.1 == "classic" && row.2 == "openmetrics")
            .and_then(|row| row.4);
        let ratio = time
            .zip(classic)
            .map_or_else(|| "n/a".to_owned(), |(t, c)| format!("{:.2}", t / c));
        let time = time.map_or_else(|| "n/a".to_owned(), |t| format!("{:.1} µs", t / 1e3));
        println!("| {series} | {mode} | {format} | {bytes} | {time} | {ratio} |");
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = native
}
criterion_main!(benches);
