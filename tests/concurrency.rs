//! Exactness under concurrency: a real `HttpServer` with two workers, client
//! threads sending known numbers of requests to several routes, and a
//! scraper reading `/metrics` all the while. Nothing is lost, nothing is
//! counted twice, and every scrape along the way is consistent.

mod common;
mod live;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, get, post, route, web};
use common::{SeriesKey, active_requests, assert_histograms_consistent, counts, routes, samples};
use live::{Client, LOOPBACK, Live, WORKERS};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

#[route_labels::register]
#[get("/conc/users/{id}")]
async fn get_user(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(format!("user {id}"))
}

#[route_labels::register]
#[post("/conc/users")]
async fn create_user() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[route_labels::register]
#[route(
    "/conc/items/{id}",
    method = "PUT",
    method = "DELETE",
    method = "PURGE"
)]
async fn item(req: HttpRequest) -> HttpResponse {
    match req.method().as_str() {
        "PUT" => HttpResponse::Ok().finish(),
        "DELETE" => HttpResponse::NoContent().finish(),
        _ => HttpResponse::Accepted().finish(),
    }
}

/// Gives the worker back to its other connections a few times, so that
/// requests on one worker overlap.
#[route_labels::register]
#[get("/conc/slow/{turns}")]
async fn slow(turns: web::Path<u32>) -> HttpResponse {
    for _ in 0..*turns {
        actix_web::rt::task::yield_now().await;
    }
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[get("/conc/fail")]
async fn fail() -> Result<HttpResponse, actix_web::Error> {
    Err(actix_web::error::ErrorConflict("taken"))
}

async fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// One kind of request: method, target prefix (a unique number follows it),
/// and the series it must be counted in.
struct Kind {
    method: &'static str,
    target: &'static str,
    labels: (&'static str, &'static str, u16),
}

const KINDS: [Kind; 12] = [
    kind("GET", "/conc/users/", ("GET", "/conc/users/{id}", 200)),
    kind(
        "GET",
        "/v2/conc/users/",
        ("GET", "/v2/conc/users/{id}", 200),
    ),
    // `web::Path<u32>` refuses it: 404 from the handler's route.
    kind("GET", "/conc/users/x", ("GET", "/conc/users/{id}", 404)),
    kind("POST", "/conc/users?n=", ("POST", "/conc/users", 201)),
    kind("PUT", "/conc/items/", ("PUT", "/conc/items/{id}", 200)),
    kind(
        "DELETE",
        "/conc/items/",
        ("DELETE", "/conc/items/{id}", 204),
    ),
    kind("PURGE", "/conc/items/", ("_OTHER", "/conc/items/{id}", 202)),
    kind("GET", "/conc/slow/3?n=", ("GET", "/conc/slow/{turns}", 200)),
    kind("GET", "/conc/fail?n=", ("GET", "/conc/fail", 409)),
    kind("GET", "/conc/nope/", ("GET", "unmatched", 404)),
    kind("BREW", "/conc/users/", ("_OTHER", "unmatched", 404)),
    kind(
        "OPTIONS",
        "/conc/plain?n=",
        ("OPTIONS", "unregistered", 200),
    ),
];

const fn kind(
    method: &'static str,
    target: &'static str,
    labels: (&'static str, &'static str, u16),
) -> Kind {
    Kind {
        method,
        target,
        labels,
    }
}

impl Kind {
    fn key(&self) -> SeriesKey {
        let (method, route, status) = self.labels;
        (method.into(), route.into(), status.to_string())
    }
}

/// Client threads, each with its own keep-alive connection.
const CLIENTS: u64 = 4;

/// Each client sends every kind this many times.
const ROUNDS: u64 = 1_000;

fn start() -> Live {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).expect("no duplicate routes");
    let registry = Arc::new(registry);
    let server = HttpServer::new(move || {
        App::new()
            .service(get_user)
            .service(web::scope("/v2").service(get_user))
            .service(create_user)
            .service(item)
            .service(slow)
            .service(fail)
            .service(web::resource("/conc/plain").to(plain))
            .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
            .wrap(metrics.clone())
    })
    .workers(WORKERS)
    .disable_signals()
    .bind(LOOPBACK)
    .expect("a loopback port");
    Live::start(server.addrs()[0], server.run())
}

/// What the scraper saw while the clients ran.
struct Scraped {
    scrapes: u64,
    last: Vec<common::Sample>,
}

/// Scrapes until `done`, alternating the two formats, and checks each
/// scrape against the one before: histograms consistent, counts never go
/// down, series never vanish, the gauge stays within the clients in flight.
fn scrape_until(live: &Live, done: &AtomicBool) -> Scraped {
    let allowed: Vec<&str> = KINDS
        .iter()
        .map(|k| k.labels.1)
        .chain(["unregistered", common::SCRAPES])
        .collect();
    let mut client = live.client();
    let mut previous: BTreeMap<SeriesKey, f64> = BTreeMap::new();
    let mut scraped = Scraped {
        scrapes: 0,
        last: Vec::new(),
    };
    while !done.load(Ordering::Acquire) || scraped.scrapes == 0 {
        let accept = (scraped.scrapes % 2 == 1).then_some("text/plain");
        let (_, text) = client.scrape(accept).expect("a scrape");
        scraped.scrapes += 1;
        let now = samples(&text);
        assert_histograms_consistent(&now);
        for route in routes(&now) {
            assert!(
                allowed.contains(&route.as_str()),
                "unexpected route {route}"
            );
        }
        let current = counts(&now);
        for (key, before) in &previous {
            let after = current.get(key).copied();
            assert!(
                after.is_some_and(|after| after >= *before),
                "{key:?} went from {before} to {after:?}"
            );
        }
        for method in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
            "_OTHER",
        ] {
            let active = active_requests(&now, method);
            let most = if method == "GET" {
                CLIENTS + 1
            } else {
                CLIENTS
            };
            assert!(
                (0.0..=most as f64).contains(&active),
                "{active} {method} requests in flight"
            );
        }
        previous = current;
        scraped.last = now;
    }
    scraped
}

#[test]
fn every_request_is_counted_once_under_concurrent_clients_and_scrapes() {
    let live = start();
    let done = AtomicBool::new(false);
    let scraped = thread::scope(|scope| {
        let scraper = scope.spawn(|| scrape_until(&live, &done));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let mut connection = Client::new(live.addr());
                scope.spawn(move || {
                    for round in 0..ROUNDS {
                        for k in 0..KINDS.len() as u64 {
                            // Clients start at different kinds, so that
                            // different routes are in flight at once.
                            let kind = &KINDS[((k + client * 3) % KINDS.len() as u64) as usize];
                            let n = client * 1_000_000 + round * 100 + k;
                            let target = format!("{}{n}", kind.target);
                            let response = connection
                                .send(kind.method, &target)
                                .unwrap_or_else(|err| panic!("client {client}: {err}"));
                            assert_eq!(response.status, kind.labels.2, "{} {target}", kind.method);
                        }
                    }
                })
            })
            .collect();
        for client in clients {
            client.join().expect("a client thread does not panic");
        }
        done.store(true, Ordering::Release);
        scraper.join().expect("the scraper does not panic")
    });
    assert!(!scraped.last.is_empty());

    let after = samples(&live.scrape());
    assert_histograms_consistent(&after);
    let mut expected: BTreeMap<SeriesKey, f64> = BTreeMap::new();
    for kind in &KINDS {
        *expected.entry(kind.key()).or_default() += (CLIENTS * ROUNDS) as f64;
    }
    // Every scrape but the one being answered.
    *expected
        .entry(("GET".into(), common::SCRAPES.into(), "200".into()))
        .or_default() += scraped.scrapes as f64;
    assert_eq!(counts(&after), expected);

    assert_eq!(active_requests(&after, "GET"), 1.0, "only this scrape");
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "_OTHER"] {
        assert_eq!(active_requests(&after, method), 0.0, "{method}");
    }
}
