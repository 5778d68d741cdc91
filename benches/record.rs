//! Hot-path record cost (issue 4, benchmark 2): one request's worth of
//! metrics, on one thread and on two.
//!
//! - `prometheus-client Family`: `Family::get_or_create(&labels).observe(..)`
//!   with static labels (method enum, `&'static str` route, `u16` status), the
//!   cheapest way to record a labelled request duration with prometheus-client.
//! - `route-labels middleware`: `HttpMetrics` around a route's stamp around a
//!   service that answers at once, called with a request that is recycled
//!   from its response, so no allocation or routing is timed. This is
//!   everything route-labels does per request: two clock reads, the claim,
//!   the active gauge, the cell update.
//! - `inner service alone`: that service without the middleware; subtract it
//!   from the previous line for route-labels' own cost.
//!
//! Two threads run the same loop at once, each with its own service (as
//! actix-web workers do) and the same `HttpMetrics`: on one series (same
//! route, same cells, same family entry) or on a series each.
//!
//! `cargo bench --bench record`

use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::sync::Barrier;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{HttpResponse, get, test};
use criterion::{Criterion, criterion_group, criterion_main};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use route_labels::__private::Stamp;
use route_labels::{DEFAULT_BUCKETS, HttpMethod, HttpMetrics, route_of};

#[route_labels::register]
#[get("/record/a")]
async fn route_a() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[get("/record/b")]
async fn route_b() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// The labels a careful prometheus-client user records a request under.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Labels {
    method: HttpMethod,
    route: &'static str,
    status: u16,
}

type Durations = Family<Labels, Histogram, fn() -> Histogram>;

fn new_histogram() -> Histogram {
    Histogram::new(DEFAULT_BUCKETS)
}

/// Thread `i`'s labels: the same for every thread, or one set each.
fn labels(thread: usize, shared: bool) -> Labels {
    let route = if shared || thread == 0 {
        route_of!(route_a)
    } else {
        route_of!(route_b)
    };
    Labels {
        method: HttpMethod::Get,
        route: route.template().expect("registered with a template"),
        status: 200,
    }
}

/// Answers every request at once with an empty 200.
struct Answer;

impl Service<ServiceRequest> for Answer {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = Ready<Result<ServiceResponse, actix_web::Error>>;

    actix_web::dev::always_ready!();

    fn call(&self, req: ServiceRequest) -> Self::Future {
        ready(Ok(req.into_response(HttpResponse::Ok().finish())))
    }
}

/// Polls a future that is ready at once.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the services here answer at once"),
    }
}

/// Calls `service` `iters` times with one request, recycled from each
/// response; returns the time taken.
fn drive<S, B>(service: &S, iters: u64) -> Duration
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::get().uri("/record").to_srv_request();
    let start = Instant::now();
    for _ in 0..iters {
        let res = now(service.call(req)).expect("answers");
        let (http_req, response) = res.into_parts();
        // Dropping the response ends the request: route-labels counts an
        // empty body's request when the head is ready.
        black_box(response);
        req = ServiceRequest::from_request(http_req);
    }
    start.elapsed()
}

/// What the threads run.
#[derive(Clone, Copy)]
enum Subject {
    Family,
    RouteLabels,
    Answer,
}

impl Subject {
    const ALL: [(Self, &'static str); 3] = [
        (
            Self::Family,
            "prometheus-client Family get_or_create + observe",
        ),
        (
            Self::RouteLabels,
            "route-labels middleware (HttpMetrics + stamp)",
        ),
        (Self::Answer, "inner service alone"),
    ];

    /// Sets up what one thread needs (its own service), waits for the other
    /// threads, then times `iters` operations.
    fn run(
        self,
        thread: usize,
        shared: bool,
        iters: u64,
        state: &State,
        start: &Barrier,
    ) -> Duration {
        match self {
            Self::Family => {
                let labels = labels(thread, shared);
                start.wait();
                let begin = Instant::now();
                for _ in 0..iters {
                    state
                        .family
                        .get_or_create(black_box(&labels))
                        .observe(black_box(2.0e-6));
                }
                begin.elapsed()
            }
            Self::RouteLabels => {
                let route = if shared || thread == 0 {
                    route_of!(route_a)
                } else {
                    route_of!(route_b)
                };
                let stamp = now(Stamp::new(route).new_transform(Answer)).expect("stamp");
                let service = now(state.metrics.new_transform(stamp)).expect("middleware");
                start.wait();
                drive(&service, iters)
            }
            Self::Answer => {
                start.wait();
                drive(&Answer, iters)
            }
        }
    }
}

struct State {
    family: Durations,
    metrics: HttpMetrics,
}

/// Runs `subject` on `threads` threads at once; the time is the slowest
/// thread's, so per iteration it is the time per operation per thread while
/// all of them run.
fn run(subject: Subject, threads: usize, shared: bool, iters: u64, state: &State) -> Duration {
    let start = Barrier::new(threads);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let start = &start;
                scope.spawn(move || subject.run(thread, shared, iters, state, start))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("the loop does not panic"))
            .max()
            .expect("at least one thread")
    })
}

fn record(c: &mut Criterion) {
    let mut registry = Registry::default();
    let state = State {
        family: Family::new_with_constructor(new_histogram as fn() -> Histogram),
        metrics: HttpMetrics::new(&mut registry).expect("the bench routes are distinct"),
    };
    // The stack records: one request through it is counted under the route.
    Subject::RouteLabels.run(0, true, 1, &state, &Barrier::new(1));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
    assert!(
        text.contains(
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",\
             http_response_status_code=\"200\",http_route=\"/record/a\"}"
        ),
        "route-labels counts the request under its route:\n{text}"
    );

    let cases = [
        ("record-1-thread", 1, true),
        ("record-2-threads-one-series", 2, true),
        ("record-2-threads-a-series-each", 2, false),
    ];
    let mut table = Vec::new();
    for (group_name, threads, shared) in cases {
        let mut group = c.benchmark_group(group_name);
        let mut row = Vec::new();
        for (subject, name) in Subject::ALL {
            let mut samples = Vec::new();
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let elapsed = if threads == 1 {
                        // No thread to spawn: the same loop on this thread.
                        let start = Barrier::new(1);
                        subject.run(0, shared, iters, &state, &start)
                    } else {
                        run(subject, threads, shared, iters, &state)
                    };
                    samples.push(elapsed.as_nanos() as f64 / iters as f64);
                    elapsed
                });
            });
            samples.sort_by(f64::total_cmp);
            row.push(samples.get(samples.len() / 2).copied());
        }
        group.finish();
        table.push((group_name, row));
    }

    let ns = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1} ns"));
    println!("\nTime per request per thread (median of criterion's samples)");
    println!(
        "| case | Family get_or_create + observe | route-labels middleware | inner service | route-labels' own cost | Family / route-labels |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, row) in table {
        let own = row[1].zip(row[2]).map(|(all, inner)| all - inner);
        let ratio = row[0].zip(own).map_or_else(
            || "n/a".to_owned(),
            |(family, own)| format!("{:.1}x", family / own),
        );
        println!(
            "| {name} | {} | {} | {} | {} | {ratio} |",
            ns(row[0]),
            ns(row[1]),
            ns(row[2]),
            ns(own)
        );
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = record
}
criterion_main!(benches);
