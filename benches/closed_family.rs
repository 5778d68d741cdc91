//! `ClosedFamily::get_or_create(..).inc()` beside prometheus-client's
//! `Family::get_or_create(..).inc()`, on the same label values: a `Route` and
//! an enum, the shape of a per-handler outcome counter.
//!
//! `cargo bench --bench closed_family`

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, post};
use criterion::{Criterion, criterion_group, criterion_main};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, Route};

#[route_labels::register]
#[post("/checkout")]
async fn checkout() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue, ClosedLabelValue)]
enum Outcome {
    Paid,
    Declined,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, ClosedLabelSet)]
struct CheckoutLabels {
    route: Route,
    outcome: Outcome,
}

const PAID: CheckoutLabels = CheckoutLabels {
    route: Route::UNMATCHED,
    outcome: Outcome::Paid,
};
const DECLINED: CheckoutLabels = CheckoutLabels {
    route: Route::UNMATCHED,
    outcome: Outcome::Declined,
};

/// Runs `op` `iters` times on each of two threads at once, started together;
/// the time is the slower thread's, so it is the time per operation per
/// thread while both run.
fn two_threads(iters: u64, op: impl Fn(usize) + Sync) -> Duration {
    let start = Barrier::new(2);
    thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let (start, op) = (&start, &op);
                scope.spawn(move || {
                    start.wait();
                    let began = Instant::now();
                    for _ in 0..iters {
                        op(worker);
                    }
                    began.elapsed()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .max()
            .unwrap_or_default()
    })
}

fn lookups(c: &mut Criterion) {
    let closed = ClosedFamily::<CheckoutLabels, Counter>::default();
    let open = Family::<CheckoutLabels, Counter>::default();
    // Create the series first: the hot path is the lookup of an existing one.
    for labels in [&PAID, &DECLINED] {
        closed.get_or_create(labels).inc();
        open.get_or_create(labels).inc();
    }
    let per_worker = [PAID, DECLINED];

    let mut group = c.benchmark_group("1 thread");
    group.bench_function("ClosedFamily", |b| {
        b.iter(|| closed.get_or_create(black_box(&PAID)).inc());
    });
    group.bench_function("Family", |b| {
        b.iter(|| open.get_or_create(black_box(&PAID)).inc())
    });
    group.finish();

    let mut group = c.benchmark_group("2 threads, one series");
    group.bench_function("ClosedFamily", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |_| {
                closed.get_or_create(black_box(&PAID)).inc();
            })
        });
    });
    group.bench_function("Family", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |_| {
                open.get_or_create(black_box(&PAID)).inc();
            })
        });
    });
    group.finish();

    let mut group = c.benchmark_group("2 threads, a series each");
    group.bench_function("ClosedFamily", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |worker| {
                closed.get_or_create(black_box(&per_worker[worker])).inc();
            })
        });
    });
    group.bench_function("Family", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |worker| {
                open.get_or_create(black_box(&per_worker[worker])).inc();
            })
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = lookups
}
criterion_main!(benches);
