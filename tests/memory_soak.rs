//! Memory soak: 200,000 requests with unique paths, query strings and
//! method tokens leave the process' resident set where the warm-up left it,
//! within a few MiB. This is the leak route-labels exists to prevent: a
//! middleware that labels by path keeps a histogram per distinct path.

mod common;
mod live;

use std::sync::{Arc, Barrier};
use std::thread;

use actix_web::{App, HttpResponse, HttpServer, get, post, web};
use common::{samples, series_set};
use live::{Client, LOOPBACK, Live, WORKERS, resident_bytes};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

#[route_labels::register]
#[get("/soak/users/{id}")]
async fn get_user(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok().body(format!("user {id}"))
}

#[route_labels::register]
#[post("/soak/orders/{id}")]
async fn create_order() -> HttpResponse {
    HttpResponse::Created().finish()
}

/// Requests before the first measurement: long enough for every buffer,
/// pool and allocator arena of the server and the clients to reach its
/// working size.
const WARM_UP: u64 = 20_000;

/// Requests between the two measurements.
const SOAK: u64 = 200_000;

/// Client threads, each with its own keep-alive connection.
const CLIENTS: u64 = 4;

/// The most the resident set may grow over the soak.
const MAX_GROWTH: u64 = 4 * 1024 * 1024;

/// The `i`th request: every one has a path, query or method never seen
/// before.
fn request(i: u64) -> (String, String) {
    match i % 5 {
        0 => ("GET".into(), format!("/soak/users/{i}?session={i:x}")),
        1 => ("POST".into(), format!("/soak/orders/{i}?ref=%FF{i}")),
        2 => ("GET".into(), format!("/wp-admin/{i}/setup-config.php")),
        3 => (format!("X-{i}"), format!("/soak/users/{i}")),
        _ => ("GET".into(), format!("/soak/users/u{i}/../{i}%00")),
    }
}

fn status(i: u64) -> u16 {
    match i % 5 {
        0 => 200,
        1 => 201,
        _ => 404,
    }
}

#[test]
fn unique_paths_do_not_grow_memory() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).expect("no duplicate routes");
    let registry = Arc::new(registry);
    let server = HttpServer::new(move || {
        App::new()
            .service(get_user)
            .service(create_order)
            .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
            .wrap(metrics.clone())
    })
    .workers(WORKERS)
    .disable_signals()
    .bind(LOOPBACK)
    .expect("a loopback port");
    let live = Live::start(server.addrs()[0], server.run());

    // The same client threads and connections serve both phases, and wait
    // at the barrier while the main thread measures.
    let barrier = Barrier::new(CLIENTS as usize + 1);
    let (warm, soaked, growth) = thread::scope(|scope| {
        for client in 0..CLIENTS {
            let barrier = &barrier;
            let mut connection = Client::new(live.addr());
            scope.spawn(move || {
                let mut send = |range: std::ops::Range<u64>| {
                    for i in range.skip(client as usize).step_by(CLIENTS as usize) {
                        let (method, target) = request(i);
                        let response = connection
                            .send(&method, &target)
                            .unwrap_or_else(|err| panic!("request {i}: {err}"));
                        assert_eq!(response.status, status(i), "{method} {target}");
                    }
                };
                send(0..WARM_UP);
                barrier.wait();
                barrier.wait();
                send(WARM_UP..WARM_UP + SOAK);
                barrier.wait();
            });
        }
        barrier.wait();
        // A scrape warms the exposition buffers too.
        live.scrape();
        let warm = samples(&live.scrape());
        let rss_before = resident_bytes();
        barrier.wait();
        barrier.wait();
        let rss_after = resident_bytes();
        let soaked = samples(&live.scrape());
        (warm, soaked, rss_after.saturating_sub(rss_before))
    });

    assert!(
        growth < MAX_GROWTH,
        "the resident set grew by {:.1} MiB over {SOAK} requests",
        growth as f64 / (1024.0 * 1024.0)
    );
    assert_eq!(
        series_set(&warm),
        series_set(&soaked),
        "the soak added series"
    );
}
