//! The service example's app (`examples/service/`), driven with a known set
//! of requests: every route of every mount, trailing slashes and doubled
//! slashes, query strings, unknown paths, a 404 from a handler, extractor
//! failures, methods the routes do not accept, gzip. Every count of the
//! request histogram must be what that traffic implies, the app's own
//! `app_events_total` must carry the same route values as `http_route`, and
//! no scrape may expose more samples than `max_samples()` said at start-up.

mod common;
mod live;

#[path = "../examples/service/app/mod.rs"]
mod app;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, SET_COOKIE};
use actix_web::test::{self, TestRequest, init_service};
use actix_web::{HttpServer, web};
use common::{Sample, SeriesKey, count_changes, counts, samples, scrape};
use live::{LOOPBACK, Live, WORKERS, poll_until};
use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;

/// One request, and what it must be counted as.
#[derive(Debug, Clone)]
struct Call {
    method: &'static str,
    target: String,
    gzip: bool,
    status: u16,
    /// The `http_route` value it must be counted under.
    route: String,
    /// The outcome the app counts in `app_events_total`, under `route`.
    event: Option<&'static str>,
}

impl Call {
    fn new(method: &'static str, target: impl Into<String>, status: u16, route: &str) -> Self {
        Self {
            method,
            target: target.into(),
            gzip: false,
            status,
            route: route.to_owned(),
            event: None,
        }
    }

    fn event(self, outcome: &'static str) -> Self {
        Self {
            event: Some(outcome),
            ..self
        }
    }

    fn gzip(self) -> Self {
        Self { gzip: true, ..self }
    }

    /// The series of the request histogram it must add one to.
    fn key(&self) -> SeriesKey {
        (
            method_label(self.method).to_owned(),
            self.route.clone(),
            self.status.to_string(),
        )
    }

    fn describe(&self) -> String {
        let gzip = if self.gzip { " (gzip)" } else { "" };
        format!("{} {}{gzip}", self.method, self.target)
    }
}

/// The `http_request_method` label of a method token.
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "CONNECT" | "OPTIONS" | "TRACE" | "PATCH" => {
            method
        }
        _ => "_OTHER",
    }
}

const UNMATCHED: &str = "unmatched";

/// The `http_route` of the metrics endpoint: its own path.
const METRICS: &str = "/metrics";

/// A scrape of `/metrics`.
fn scrape_key() -> SeriesKey {
    ("GET".into(), METRICS.into(), "200".into())
}

/// Everything the test sends, in order.
fn traffic() -> Vec<Call> {
    let mut calls = Vec::new();
    let resources = [("users", 1), ("orders", 7)];
    for version in ["", "/api/v1", "/api/v2"] {
        for (resource, known) in resources {
            let list = format!("{version}/{resource}");
            let show = format!("{list}/{{id}}");
            calls.extend([
                Call::new("GET", list.as_str(), 200, &list).event("Listed"),
                Call::new("GET", format!("{list}/"), 200, &list).event("Listed"),
                Call::new("GET", format!("{list}?page=2&sort=name"), 200, &list).event("Listed"),
                Call::new("POST", list.as_str(), 201, &list).event("Created"),
                Call::new("GET", format!("{list}/{known}"), 200, &show).event("Found"),
                Call::new("GET", format!("{list}/{known}/"), 200, &show).event("Found"),
                // The handler's own 404: the route is known, the id is not.
                Call::new("GET", format!("{list}/999"), 404, &show).event("Missing"),
                // `web::Path<u32>` refuses `abc`: actix-web's 404, no handler.
                Call::new("GET", format!("{list}/abc"), 404, &show),
                Call::new("GET", format!("{list}/{known}/extra"), 404, UNMATCHED).event("NoRoute"),
                // Methods the routes do not accept: no resource matches, the
                // app's default service answers.
                Call::new("DELETE", format!("{list}/{known}"), 404, UNMATCHED).event("NoRoute"),
                Call::new("DELETE", list.as_str(), 404, UNMATCHED).event("NoRoute"),
                Call::new("PUT", format!("{list}/"), 404, UNMATCHED).event("NoRoute"),
                Call::new("PROPFIND", list.as_str(), 404, UNMATCHED).event("NoRoute"),
            ]);
        }
    }
    calls.extend([
        // Builder-style routes.
        Call::new("GET", "/posts", 200, "/posts").event("Listed"),
        Call::new("GET", "/posts/", 200, "/posts").event("Listed"),
        Call::new("POST", "/posts/5/like", 200, "/posts/{id}/like").event("Liked"),
        Call::new("POST", "/posts/5/like/", 200, "/posts/{id}/like").event("Liked"),
        Call::new("POST", "/posts/x/like", 404, "/posts/{id}/like"),
        Call::new("GET", "/posts/5/like", 404, UNMATCHED).event("NoRoute"),
        Call::new("POST", "/posts", 404, UNMATCHED).event("NoRoute"),
        // A registered `resource!`: a method it has no route for is its
        // own 405, under its route.
        Call::new("GET", "/health", 200, "/health").event("Healthy"),
        Call::new("GET", "/health/", 200, "/health").event("Healthy"),
        Call::new("POST", "/health", 405, "/health"),
        Call::new("HEAD", "/health", 405, "/health"),
        // The metrics endpoint is labelled by its own path, its own `405`
        // to a method it does not serve too, as for any `resource!`.
        Call::new("GET", "/metrics/", 200, METRICS),
        Call::new("POST", "/metrics", 405, METRICS),
        // Services that are not handlers, under their labels: static files
        // (their own 404 too), a redirect, Swagger UI and its document.
        Call::new("GET", "/static/app.css", 200, "/static"),
        Call::new("GET", "/static/index.html", 200, "/static"),
        Call::new("GET", "/static/missing.css", 404, "/static"),
        Call::new("GET", "/shop", 307, "/shop"),
        Call::new("GET", "/docs/index.html", 200, "/docs"),
        Call::new("GET", "/docs/swagger-ui.css", 200, "/docs"),
        Call::new("GET", "/api-docs/openapi.json", 200, "/docs"),
        // No resource at all.
        Call::new("GET", "/", 404, UNMATCHED).event("NoRoute"),
        Call::new("GET", "/wp-login.php", 404, UNMATCHED).event("NoRoute"),
        Call::new("GET", "/api", 404, UNMATCHED).event("NoRoute"),
        Call::new("GET", "/api/v1", 404, UNMATCHED).event("NoRoute"),
        Call::new("GET", "/api/v3/users", 404, UNMATCHED).event("NoRoute"),
        Call::new("BREW", "/coffee", 404, UNMATCHED).event("NoRoute"),
        // Compressed responses.
        Call::new("GET", "/users", 200, "/users")
            .event("Listed")
            .gzip(),
        Call::new("GET", "/api/v2/orders/8", 200, "/api/v2/orders/{id}")
            .event("Found")
            .gzip(),
        Call::new("GET", "/nowhere", 404, UNMATCHED)
            .event("NoRoute")
            .gzip(),
        Call::new("GET", "/metrics", 200, METRICS).gzip(),
    ]);
    calls
}

/// The counts `calls` must add to the request histogram.
fn expected_counts<'a>(calls: impl IntoIterator<Item = &'a Call>) -> BTreeMap<SeriesKey, f64> {
    let mut expected = BTreeMap::new();
    for call in calls {
        *expected.entry(call.key()).or_insert(0.0) += 1.0;
    }
    expected
}

/// The counts `calls` must add to `app_events_total`, by (route, outcome).
fn expected_events<'a>(
    calls: impl IntoIterator<Item = &'a Call>,
) -> BTreeMap<(String, String), f64> {
    let mut expected = BTreeMap::new();
    for call in calls {
        if let Some(outcome) = call.event {
            *expected
                .entry((call.route.clone(), outcome.to_owned()))
                .or_insert(0.0) += 1.0;
        }
    }
    expected
}

/// `app_events_total` by (route, outcome).
fn events(samples: &[Sample]) -> BTreeMap<(String, String), f64> {
    samples
        .iter()
        .filter(|s| s.name == "app_events_total")
        .map(|s| {
            let key = (s.labels["route"].clone(), s.labels["outcome"].clone());
            (key, s.value)
        })
        .collect()
}

/// The samples `HttpMetrics` exposes: what `max_samples()` bounds.
fn http_samples(samples: &[Sample]) -> usize {
    samples
        .iter()
        .filter(|s| s.name.starts_with("http_server_"))
        .count()
}

/// The series of `app_events_total`: what the family's `max_series()` bounds.
fn event_series(samples: &[Sample]) -> usize {
    samples
        .iter()
        .filter(|s| s.name == "app_events_total")
        .count()
}

/// Every key whose count differs, one line each; empty when equal.
fn differences<K: Ord + std::fmt::Debug>(
    actual: &BTreeMap<K, f64>,
    expected: &BTreeMap<K, f64>,
) -> String {
    let keys: BTreeSet<&K> = actual.keys().chain(expected.keys()).collect();
    let mut lines = String::new();
    for key in keys {
        let (got, want) = (
            actual.get(key).copied().unwrap_or(0.0),
            expected.get(key).copied().unwrap_or(0.0),
        );
        if got != want {
            writeln!(lines, "  {key:?}: counted {got}, expected {want}").expect("a String");
        }
    }
    lines
}

/// The app as the example's `main` builds it, with its metrics and events.
struct Setup {
    metrics: HttpMetrics,
    events: web::Data<app::Events>,
    registry: Arc<Registry>,
}

impl Setup {
    fn new() -> Self {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::new(&mut registry).expect("default options");
        let events = app::Events::register(&mut registry);
        Self {
            metrics,
            events,
            registry: Arc::new(registry),
        }
    }

    async fn service(
        &self,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    > {
        init_service(app::app(
            self.metrics.clone(),
            self.events.clone(),
            Arc::clone(&self.registry),
        ))
        .await
    }
}

/// Sends `call` through `app`, checks what the client sees (status, the
/// session cookie, gzip when asked, a JSON 404 from the default service),
/// and reads the whole body, as a client would. Returns what was wrong.
async fn send<S, B>(app: &S, call: &Call) -> Vec<String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = TestRequest::default()
        .method(Method::from_bytes(call.method.as_bytes()).expect("a method token"))
        .uri(&call.target);
    if call.gzip {
        req = req.insert_header((ACCEPT_ENCODING, "gzip"));
    }
    let res = test::call_service(app, req.to_request()).await;
    let mut wrong = Vec::new();
    let what = call.describe();
    if res.status().as_u16() != call.status {
        wrong.push(format!(
            "{what}: status {}, expected {}",
            res.status(),
            call.status
        ));
    }
    let cookie = res.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok());
    if !cookie.is_some_and(|c| c.starts_with("session=")) {
        wrong.push(format!("{what}: no session cookie ({cookie:?})"));
    }
    let encoding = res.headers().get(CONTENT_ENCODING).cloned();
    if call.gzip && encoding.as_ref().is_none_or(|e| e != "gzip") {
        wrong.push(format!("{what}: asked for gzip, got {encoding:?}"));
    }
    let body = test::read_body(res).await;
    if call.event == Some("NoRoute") && !call.gzip && body != r#"{"error":"not found"}"#.as_bytes()
    {
        wrong.push(format!("{what}: the default service answered {body:?}"));
    }
    wrong
}

#[actix_web::test]
async fn every_request_is_counted_once_under_its_route() {
    let setup = Setup::new();
    let app = setup.service().await;
    let calls = traffic();

    // Each request, one at a time: exactly one count changes, by one.
    let mut wrong = Vec::new();
    let mut scrapes = 0.0;
    let mut before = scrape(&app).await;
    scrapes += 1.0;
    for call in &calls {
        wrong.extend(send(&app, call).await);
        let after = scrape(&app).await;
        scrapes += 1.0;
        let mut expected = expected_counts([call]);
        // `count_changes` leaves the scrapes out, and with them a request
        // that is counted as one.
        expected.remove(&scrape_key());
        let changes = count_changes(&before, &after);
        if changes != expected {
            wrong.push(format!(
                "{}: counted as {changes:?}, expected {expected:?}",
                call.describe()
            ));
        }
        before = after;
    }

    // And the whole map at the end: every series, the scrapes included.
    let mut expected = expected_counts(&calls);
    *expected.entry(scrape_key()).or_insert(0.0) += scrapes;
    let diff = differences(&counts(&scrape(&app).await), &expected);
    assert!(
        wrong.is_empty() && diff.is_empty(),
        "requests counted wrong:\n  {}\nhistogram counts that differ from the traffic:\n{diff}",
        wrong.join("\n  "),
    );
}

#[actix_web::test]
async fn app_events_carry_the_route_values_of_http_route() {
    let setup = Setup::new();
    let app = setup.service().await;
    let calls = traffic();
    for call in &calls {
        send(&app, call).await;
    }

    let samples = scrape(&app).await;
    let events = events(&samples);
    let diff = differences(&events, &expected_events(&calls));
    assert!(
        diff.is_empty(),
        "app_events_total differs from the traffic:\n{diff}"
    );
    // The join a dashboard makes: every route an event is counted under is
    // a value of `http_route` with requests behind it.
    let http_routes: BTreeSet<String> = counts(&samples)
        .into_keys()
        .map(|(_, route, _)| route)
        .collect();
    for (route, outcome) in events.keys() {
        assert!(
            http_routes.contains(route),
            "app_events_total{{route={route:?},outcome={outcome:?}}} has no http_route to join"
        );
    }
}

#[actix_web::test]
async fn no_scrape_exposes_more_samples_than_max_samples() {
    let setup = Setup::new();
    let app = setup.service().await;
    // Known once the app is built, before any request.
    let bound = setup.metrics.max_samples();
    let event_bound = setup.events.max_series();

    for call in traffic().iter().chain(&traffic()) {
        send(&app, call).await;
        let samples = scrape(&app).await;
        assert!(
            http_samples(&samples) as u64 <= bound,
            "after {}: {} samples, max_samples() said {bound}",
            call.describe(),
            http_samples(&samples)
        );
        assert!(
            event_series(&samples) <= event_bound,
            "after {}: app_events_total has {} series, max_series() said {event_bound}",
            call.describe(),
            event_series(&samples)
        );
    }
    assert_eq!(
        setup.metrics.max_samples(),
        bound,
        "traffic does not move the bound"
    );
}

#[actix_web::test]
async fn clients_see_the_middleware_stack() {
    let setup = Setup::new();
    let app = setup.service().await;
    let mut wrong = Vec::new();
    for call in &traffic() {
        wrong.extend(send(&app, call).await);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The shape of the problem in the smallest traffic: a scope whose handlers
/// are mounted at its root (`#[get("")]`, `Scope::route("", ..)`) answers a
/// method none of them accepts from the app's default service, so no
/// resource matched and the request is `unmatched`, as the same method one
/// segment deeper is.
#[actix_web::test]
async fn a_method_the_scope_root_does_not_accept_is_unmatched() {
    let setup = Setup::new();
    let app = setup.service().await;
    let before = scrape(&app).await;
    for call in [
        Call::new("DELETE", "/users/1", 404, UNMATCHED),
        Call::new("DELETE", "/users", 404, UNMATCHED),
        Call::new("POST", "/posts", 404, UNMATCHED),
    ] {
        let wrong = send(&app, &call).await;
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
    let after = scrape(&app).await;
    assert_eq!(
        count_changes(&before, &after),
        BTreeMap::from([
            (("DELETE".into(), UNMATCHED.into(), "404".into()), 2.0),
            (("POST".into(), UNMATCHED.into(), "404".into()), 1.0),
        ]),
    );
    assert_eq!(
        events(&after),
        BTreeMap::from([((UNMATCHED.into(), "NoRoute".into()), 3.0)]),
        "the default service's `Route` is `unmatched` too"
    );
}

/// The same traffic on a real server with two workers, from several
/// clients at once: the session middleware's await after each response
/// lets other requests run on the worker in between.
#[test]
fn a_real_server_counts_concurrent_clients_exactly() {
    const CLIENTS: usize = 4;
    let setup = Setup::new();
    let server = {
        let (metrics, events, registry) = (
            setup.metrics.clone(),
            setup.events.clone(),
            Arc::clone(&setup.registry),
        );
        HttpServer::new(move || app::app(metrics.clone(), events.clone(), Arc::clone(&registry)))
            .workers(WORKERS)
            .disable_signals()
            .bind(LOOPBACK)
            .expect("a loopback port")
    };
    let live = Live::start(server.addrs()[0], server.run());
    // Every worker has built the app once a request is answered.
    live.scrape();
    let bound = setup.metrics.max_samples();

    let calls = traffic();
    let wrong: Vec<String> = std::thread::scope(|threads| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                threads.spawn(|| {
                    let mut client = live.client();
                    let mut wrong = Vec::new();
                    for call in &calls {
                        let headers: &[(&str, &str)] = if call.gzip {
                            &[("accept-encoding", "gzip")]
                        } else {
                            &[]
                        };
                        let res = client
                            .send_with(call.method, &call.target, headers)
                            .unwrap_or_else(|err| panic!("{}: {err}", call.describe()));
                        if res.status != call.status {
                            wrong.push(format!(
                                "{}: status {}, expected {}",
                                call.describe(),
                                res.status,
                                call.status
                            ));
                        }
                        if call.gzip && res.header("content-encoding") != Some("gzip") {
                            wrong.push(format!("{}: not gzipped", call.describe()));
                        }
                    }
                    wrong
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|client| client.join().expect("a client does not panic"))
            .collect()
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // A request is counted when its last byte is sent, which the client may
    // see first: wait, bounded, for the total, then compare every count.
    let sent: Vec<&Call> = (0..CLIENTS).flat_map(|_| &calls).collect();
    let mut expected = expected_counts(sent.iter().copied());
    expected.remove(&scrape_key());
    let total: f64 = expected.values().sum();
    let final_samples = poll_until(
        "every request to be counted",
        Duration::from_secs(10),
        || {
            let now = samples(&live.scrape());
            let counted: f64 = count_changes(&[], &now).values().sum();
            (counted >= total).then_some(now)
        },
    );
    let diff = differences(&count_changes(&[], &final_samples), &expected);
    let event_diff = differences(
        &events(&final_samples),
        &expected_events(sent.iter().copied()),
    );
    assert!(
        diff.is_empty() && event_diff.is_empty(),
        "histogram counts that differ from the traffic:\n{diff}\
         app_events_total counts that differ:\n{event_diff}"
    );
    assert!(
        http_samples(&final_samples) as u64 <= bound,
        "{} samples, max_samples() said {bound}",
        http_samples(&final_samples)
    );
    assert!(event_series(&final_samples) <= setup.events.max_series());
}
