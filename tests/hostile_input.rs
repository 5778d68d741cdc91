//! Hostile traffic over a real socket: 100,000 requests with unique paths,
//! query strings, method tokens, `Host` and `User-Agent` headers, paths up
//! to the server's limit, percent-encoded junk and invalid UTF-8. The set of
//! series before and after differs only by counts, every request is counted
//! where it belongs, and `promtool` accepts the exposition.

mod common;
mod live;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread;

use actix_web::{App, HttpResponse, HttpServer, get, post, web};
use common::{
    SeriesKey, assert_histograms_consistent, assert_promtool_accepts, count_changes, counts,
    samples, series_set,
};
use live::{Client, LOOPBACK, Live, WORKERS};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

#[route_labels::register]
#[get("/hostile/users/{id}")]
async fn get_user(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok().body(format!("user {id}"))
}

#[route_labels::register]
#[post("/hostile/login")]
async fn login() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// The longest request target actix-web accepts: `http::Uri` refuses
/// 65,535 bytes and more (actix-web answers 400 without calling the app).
const LONGEST_TARGET: usize = 65_534;

/// Method tokens that are legal HTTP and that actix-web accepts; a number
/// is appended to each, so every request's method is new.
const METHODS: [&str; 6] = ["M-SEARCH", "PROPFIND", "get", "X!*+-.^_`|~", "0", "LONG"];

/// The kinds of request, in the order `request(i)` cycles through them.
const KINDS: u64 = 13;

/// Requests in the flood.
const FLOOD: u64 = 100_000;

/// Client threads, each with its own keep-alive connection.
const CLIENTS: u64 = 4;

/// One request, and the series it must be counted in.
struct Request {
    method: String,
    target: String,
    host: String,
    user_agent: String,
    expected: (&'static str, &'static str, u16),
}

/// `%XX` junk: invalid UTF-8, NUL, encoded slashes and dots, bad escapes.
const JUNK: &str = "%FF%FE%00%C3%28%C0%AF%2e%2e%2F%5C%ZZ%%";

/// The `i`th request. Its kind (`i % KINDS`) decides the series it lands
/// in; the number `i` makes its path, query, method or headers unique.
fn request(i: u64) -> Request {
    let round = i / KINDS;
    let (method, target, expected) = match i % KINDS {
        0 => (
            "GET".to_owned(),
            format!("/hostile/users/{i}?session={i}&q={JUNK}&utm={i}"),
            ("GET", "/hostile/users/{id}", 200),
        ),
        // Invalid UTF-8 where the id goes: the extractor refuses it.
        1 => (
            "GET".to_owned(),
            format!("/hostile/users/%C3%28{i}%FF"),
            ("GET", "/hostile/users/{id}", 404),
        ),
        // An id too large for u64.
        2 => (
            "GET".to_owned(),
            format!(
                "/hostile/users/{}{i}",
                "9".repeat(20 + (round % 200) as usize)
            ),
            ("GET", "/hostile/users/{id}", 404),
        ),
        3 => (
            "GET".to_owned(),
            format!("/scan/{i}/..%2F..%2Fetc/passwd{JUNK}.php?x={i}"),
            ("GET", "unmatched", 404),
        ),
        // A new method token on a registered path.
        4 => {
            let token = METHODS[(round % METHODS.len() as u64) as usize];
            let token = if token == "LONG" {
                "L".repeat(1_000)
            } else {
                token.to_owned()
            };
            (
                format!("{token}{i}"),
                format!("/hostile/users/{i}"),
                ("_OTHER", "unmatched", 404),
            )
        }
        5 => (
            "POST".to_owned(),
            format!("/hostile/login?next=%2F{i}%0D%0ASet-Cookie:%20x={i}"),
            ("POST", "/hostile/login", 200),
        ),
        6 => (
            "PATCH".to_owned(),
            format!("/hostile/plain?{i}={JUNK}"),
            ("PATCH", "unregistered", 200),
        ),
        // Absolute form: the path is still `/hostile/users/{id}`.
        7 => (
            "GET".to_owned(),
            format!("http://evil-{i}.example/hostile/users/{i}?x={i}"),
            ("GET", "/hostile/users/{id}", 200),
        ),
        // Asterisk form.
        8 => (
            "OPTIONS".to_owned(),
            "*".to_owned(),
            ("OPTIONS", "unmatched", 404),
        ),
        // Paths up to the limit, one round in ten; the longest once in a
        // hundred.
        9 => {
            let length = match round % 100 {
                0 => LONGEST_TARGET,
                r if r % 10 == 0 => 1_024 + (i as usize * 7_919) % (LONGEST_TARGET - 1_024),
                _ => 64,
            };
            let mut target = format!("/hostile/long/{i}/");
            while target.len() < length {
                target.push_str(JUNK);
            }
            target.truncate(length);
            ("GET".to_owned(), target, ("GET", "unmatched", 404))
        }
        10 => (
            "GET".to_owned(),
            format!("/%E2%9C%93/%ZZ/%%%/%C0%AF/{i}/%F0%9F%A6%80"),
            ("GET", "unmatched", 404),
        ),
        11 => (
            "DELETE".to_owned(),
            format!("/hostile/users/{i}"),
            ("DELETE", "unmatched", 404),
        ),
        _ => (
            "HEAD".to_owned(),
            format!("/hostile/users/{i}"),
            ("HEAD", "unmatched", 404),
        ),
    };
    Request {
        method,
        target,
        host: format!("evil-{i}.example:{}", 1 + i % 65_535),
        user_agent: format!("scanner/{i} (\"quoted\" \\backslash\\ {JUNK})"),
        expected,
    }
}

fn key((method, route, status): (&str, &str, u16)) -> SeriesKey {
    (method.into(), route.into(), status.to_string())
}

/// Sends `request(i)` for every `i` in `range` from [`CLIENTS`] threads and
/// checks each response's status.
fn send_all(live: &Live, range: std::ops::Range<u64>) {
    thread::scope(|scope| {
        for client in 0..CLIENTS {
            let range = range.clone();
            let mut connection = Client::new(live.addr());
            scope.spawn(move || {
                for i in range.skip(client as usize).step_by(CLIENTS as usize) {
                    let request = request(i);
                    let response = connection
                        .send_with(
                            &request.method,
                            &request.target,
                            &[
                                ("host", &request.host),
                                ("user-agent", &request.user_agent),
                                ("x-forwarded-for", &format!("10.0.{}.{}", i % 256, i % 251)),
                            ],
                        )
                        .unwrap_or_else(|err| panic!("request {i}: {err}"));
                    assert_eq!(response.status, request.expected.2, "request {i}");
                }
            });
        }
    });
}

/// Requests that actix-web's HTTP/1 codec refuses before any middleware
/// runs: too long a target, too large a head, method tokens it does not
/// parse, a space in the path. Each on its own connection, which the server
/// then closes.
fn send_refused(live: &Live) {
    let refused = |method: &str, target: &str, headers: &[(&str, &str)], status: u16| {
        let response = live
            .client()
            .send_with(method, target, headers)
            .unwrap_or_else(|err| panic!("{err}"));
        let shown: String = target.chars().take(40).collect();
        assert_eq!(response.status, status, "{method} {shown}");
    };
    let too_long = format!("/hostile/users/{}", "1".repeat(LONGEST_TARGET));
    refused("GET", &too_long, &[], 400);
    let huge = "h".repeat(140_000);
    refused("GET", "/hostile/users/1", &[("x-huge", &huge)], 431);
    refused("X#$%&'", "/hostile/users/1", &[], 400);
    refused("GET", "/hostile/users/1 2", &[], 400);
}

#[test]
fn a_flood_of_hostile_requests_changes_counts_only() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).expect("no duplicate routes");
    let registry = Arc::new(registry);
    let server = {
        let metrics = metrics.clone();
        HttpServer::new(move || {
            App::new()
                .service(get_user)
                .service(login)
                .service(web::resource("/hostile/plain").to(plain))
                .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
                .wrap(metrics.clone())
        })
    }
    .workers(WORKERS)
    .disable_signals()
    .bind(LOOPBACK)
    .expect("a loopback port");
    let live = Live::start(server.addrs()[0], server.run());

    // One request of each kind makes every series the flood can reach; a
    // first scrape makes the scrapes' own series.
    send_all(&live, 0..KINDS);
    live.scrape();
    let before = samples(&live.scrape());

    send_all(&live, KINDS..KINDS + FLOOD);
    send_refused(&live);
    let (_, text) = live.client().scrape(None).expect("a scrape");
    let after = samples(&text);

    assert_eq!(
        series_set(&before),
        series_set(&after),
        "the flood added or removed series"
    );
    let mut expected: BTreeMap<SeriesKey, f64> = BTreeMap::new();
    for i in KINDS..KINDS + FLOOD {
        *expected.entry(key(request(i).expected)).or_default() += 1.0;
    }
    assert_eq!(
        count_changes(&before, &after),
        expected,
        "every request counted once where it belongs; refused ones not at all"
    );
    let scrapes = ("GET".into(), common::SCRAPES.into(), "200".into());
    assert_eq!(counts(&after)[&scrapes] - counts(&before)[&scrapes], 1.0);
    assert_histograms_consistent(&after);
    assert!(after.len() as u64 <= metrics.max_samples());
    for marker in [
        "evil", "scanner", "passwd", "SEARCH", "PROPFIND", "%FF", "\u{fffd}",
    ] {
        assert!(!text.contains(marker), "`{marker}` reached the exposition");
    }

    assert_promtool_accepts(&text, "OpenMetrics text after the flood");
    let (_, prometheus_text) = live
        .client()
        .scrape(Some("text/plain;version=0.0.4"))
        .expect("a scrape");
    assert_promtool_accepts(&prometheus_text, "Prometheus text 0.0.4 after the flood");
}
