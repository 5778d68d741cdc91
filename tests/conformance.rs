//! What users of the peers expect, through the public API only: the
//! OpenTelemetry attributes (`url_scheme`, `network_protocol_version`,
//! `error_type`) each within its closed set under hostile input, extra
//! methods, exclusions named by the compiler, the metrics endpoint labelled
//! by its own path, body sizes that sum to the bytes sent, constant labels
//! through prometheus-client's sub-registries, and `max_samples()` bounding
//! every exposition with every option on.

mod common;
mod live;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Service, ServiceFactory};
use actix_web::http::{Method, Version};
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::web::Bytes;
use actix_web::{App, HttpResponse, HttpServer, get, route, web};
use common::{Sample, samples};
use prometheus_client::registry::Registry;
use route_labels::{
    BuildError, DEFAULT_BODY_SIZE_BUCKETS, HttpMetrics, HttpMetricsBuilder, MetricsEndpoint,
    RouteInfo, route_of,
};

#[route_labels::register]
#[get("/items/{id}")]
async fn item(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(format!("item {id}"))
}

#[route_labels::register]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

#[route_labels::register]
#[get("/unavailable")]
async fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable().finish()
}

#[route_labels::register]
#[get("/broken")]
async fn broken() -> HttpResponse {
    HttpResponse::InternalServerError().finish()
}

/// A body that yields two chunks, then fails.
#[route_labels::register]
#[get("/failing-stream")]
async fn failing_stream() -> HttpResponse {
    let chunks: [Result<Bytes, std::io::Error>; 3] = [
        Ok(Bytes::from_static(b"half")),
        Ok(Bytes::from_static(b"way")),
        Err(std::io::Error::other("the source went away")),
    ];
    HttpResponse::Ok().streaming(futures_util::stream::iter(chunks))
}

/// A streaming body of `n` chunks of 1,000 bytes.
#[route_labels::register]
#[get("/stream/{n}")]
async fn thousands(n: web::Path<usize>) -> HttpResponse {
    let chunks = (0..*n).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1_000])));
    HttpResponse::Ok().streaming(futures_util::stream::iter(chunks))
}

#[route_labels::register]
#[route("/echo", method = "POST", method = "PUT")]
async fn echo(body: Bytes) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

/// Answers without reading the request body.
#[route_labels::register]
#[route("/ignore", method = "POST")]
async fn ignore() -> HttpResponse {
    HttpResponse::Accepted().finish()
}

#[route_labels::register]
#[route("/files/{name}", method = "PROPFIND")]
async fn propfind(name: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().body(format!("<multistatus>{name}</multistatus>"))
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(web::scope("/api").service(item).service(health))
        .service(web::scope("/internal").service(health))
        .service(unavailable)
        .service(broken)
        .service(failing_stream)
        .service(thousands)
        .service(echo)
        .service(ignore)
        .service(propfind);
}

/// Every option on.
fn every_option() -> HttpMetricsBuilder {
    HttpMetrics::builder()
        .url_scheme(true)
        .protocol_version(true)
        .error_type(true)
        .extra_methods(["PROPFIND", "QUERY"])
        .body_sizes(DEFAULT_BODY_SIZE_BUCKETS)
}

/// The app of this file with `builder`'s metrics, and its registry.
async fn start(
    builder: HttpMetricsBuilder,
) -> (
    impl Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    Arc<Registry>,
    HttpMetrics,
) {
    let mut registry = Registry::default();
    let metrics = builder.build(&mut registry).expect("valid options");
    let registry = Arc::new(registry);
    let app = init_service(
        App::new()
            .configure(routes)
            .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
            .wrap(metrics.clone()),
    )
    .await;
    (app, registry, metrics)
}

/// The exposition, encoded in process (a scrape through the app would be
/// counted itself).
fn exposition(registry: &Registry) -> Vec<Sample> {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).expect("the registry encodes");
    samples(&text)
}

/// The values `label` takes in the request series (duration and body
/// sizes) of `samples`. The gauge has a series for every method and scheme.
fn values(samples: &[Sample], label: &str) -> BTreeSet<String> {
    samples
        .iter()
        .filter(|s| s.name.starts_with("http_server_") && s.name != "http_server_active_requests")
        .filter_map(|s| s.labels.get(label).cloned())
        .collect()
}

fn set(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// The duration `_count` of the series whose labels include all of `labels`.
fn count_where(samples: &[Sample], labels: &[(&str, &str)]) -> f64 {
    sum_of(
        samples,
        "http_server_request_duration_seconds_count",
        labels,
    )
}

fn sum_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

async fn call<S, B>(app: &S, req: TestRequest) -> (u16, Bytes)
where
    S: Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: MessageBody,
{
    let res = call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    (status, read_body(res).await)
}

// ---------------------------------------------------------------------------
// url_scheme
// ---------------------------------------------------------------------------

/// The scheme is the listener's: forged `Host`, `X-Forwarded-Proto` and
/// `Forwarded` headers change nothing, and a TLS listener says `https`.
#[actix_web::test]
async fn url_scheme_comes_from_the_listener_never_from_headers() {
    let (app, registry, _) = start(HttpMetrics::builder().url_scheme(true)).await;
    let forged: [(&str, &str); 5] = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-proto", "gopher"),
        ("forwarded", "proto=https;host=evil.example"),
        ("host", "evil.example:443"),
        ("x-forwarded-scheme", "javascript"),
    ];
    for header in forged {
        let req = TestRequest::get().uri("/api/items/1").insert_header(header);
        assert_eq!(call(&app, req).await.0, 200);
    }
    let plain = exposition(&registry);
    assert_eq!(values(&plain, "url_scheme"), set(&["http"]));
    assert_eq!(
        count_where(
            &plain,
            &[("http_route", "/api/items/{id}"), ("url_scheme", "http")]
        ),
        5.0
    );
    // The gauge carries the scheme too: a series per method and scheme that
    // saw a request, so no `https` series on a plain listener.
    let active: Vec<&Sample> = plain
        .iter()
        .filter(|s| s.name == "http_server_active_requests")
        .collect();
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0].labels["url_scheme"], "http");
    assert_eq!(active[0].labels["http_request_method"], "GET");

    // A TLS listener: actix-web's `AppConfig::secure`, what `bind_rustls`
    // and `bind_openssl` set.
    let mut registry = Registry::default();
    let metrics = HttpMetrics::builder()
        .url_scheme(true)
        .build(&mut registry)
        .unwrap();
    let tls = AppConfig::__priv_test_new(
        true,
        "localhost:443".to_owned(),
        "127.0.0.1:443".parse().unwrap(),
    );
    let app = App::new().configure(routes).wrap(metrics);
    let app = actix_service::IntoServiceFactory::<_, actix_http::Request>::into_factory(app)
        .new_service(tls)
        .await
        .expect("the app starts");
    let req = TestRequest::get()
        .uri("/api/items/2")
        .insert_header(("x-forwarded-proto", "http"));
    assert_eq!(call(&app, req).await.0, 200);
    let secure = exposition(&registry);
    assert_eq!(values(&secure, "url_scheme"), set(&["https"]));
}

// ---------------------------------------------------------------------------
// network_protocol_version
// ---------------------------------------------------------------------------

/// HTTP/1.0 and HTTP/1.1 clients on a real socket, and the versions
/// actix-web's test requests can claim.
#[test]
fn protocol_version_is_what_actix_web_parsed() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::builder()
        .protocol_version(true)
        .build(&mut registry)
        .unwrap();
    let server = HttpServer::new(move || App::new().configure(routes).wrap(metrics.clone()))
        .workers(1)
        .disable_signals()
        .bind(live::LOOPBACK)
        .expect("a loopback port");
    let addr = server.addrs()[0];
    let live = live::Live::start(addr, server.run());
    for (version, times) in [("HTTP/1.0", 2), ("HTTP/1.1", 3), ("HTTP/1.1", 0)] {
        for i in 0..times {
            let mut stream = TcpStream::connect(live.addr()).expect("a connection");
            stream
                .set_read_timeout(Some(live::IO_TIMEOUT))
                .expect("a timeout");
            let request = format!(
                "GET /api/items/{i} {version}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).expect("sent");
            let mut response = String::new();
            stream.read_to_string(&mut response).expect("a response");
            assert!(response.starts_with("HTTP/1."), "{response}");
        }
    }
    // A request line with a version actix-web does not speak is refused by
    // its codec before any middleware: nothing to count.
    let mut stream = TcpStream::connect(live.addr()).expect("a connection");
    stream
        .set_read_timeout(Some(live::IO_TIMEOUT))
        .expect("a timeout");
    stream
        .write_all(b"GET /api/items/1 HTTP/7.3\r\nHost: x\r\n\r\n")
        .expect("sent");
    let mut ignored = Vec::new();
    let _ = stream.read_to_end(&mut ignored);

    let samples = live::poll_until("the requests to be counted", live::IO_TIMEOUT, || {
        let samples = exposition(&registry);
        (count_where(&samples, &[("http_route", "/api/items/{id}")]) == 5.0).then_some(samples)
    });
    assert_eq!(
        count_where(&samples, &[("network_protocol_version", "1.0")]),
        2.0
    );
    assert_eq!(
        count_where(&samples, &[("network_protocol_version", "1.1")]),
        3.0
    );
    assert_eq!(
        values(&samples, "network_protocol_version"),
        set(&["1.0", "1.1"])
    );
    drop(live);

    actix_web::rt::System::new().block_on(async {
        let (app, registry, _) = start(HttpMetrics::builder().protocol_version(true)).await;
        for version in [
            Version::HTTP_10,
            Version::HTTP_11,
            Version::HTTP_2,
            Version::HTTP_3,
        ] {
            let req = TestRequest::get().uri("/api/items/1").version(version);
            assert_eq!(call(&app, req).await.0, 200);
        }
        let samples = exposition(&registry);
        assert_eq!(
            values(&samples, "network_protocol_version"),
            set(&["1.0", "1.1", "2", "3"])
        );
    });
}

// ---------------------------------------------------------------------------
// error_type
// ---------------------------------------------------------------------------

/// `error_type` is the status code for a 5xx, a fixed name for a request
/// that failed without a status of its own, absent otherwise.
#[actix_web::test]
async fn error_type_is_the_5xx_status_or_a_fixed_name_and_absent_on_success() {
    let (app, registry, _) = start(HttpMetrics::builder().error_type(true)).await;
    assert_eq!(
        call(&app, TestRequest::get().uri("/unavailable")).await.0,
        503
    );
    assert_eq!(call(&app, TestRequest::get().uri("/broken")).await.0, 500);
    assert_eq!(
        call(&app, TestRequest::get().uri("/api/items/1")).await.0,
        200
    );
    assert_eq!(call(&app, TestRequest::get().uri("/nowhere")).await.0, 404);

    // The body fails half way: a server error, whatever its head said.
    let res = call_service(&app, TestRequest::get().uri("/failing-stream").to_request()).await;
    assert_eq!(res.status(), 200);
    assert!(actix_web::body::to_bytes(res.into_body()).await.is_err());

    // The client goes away after the first chunk.
    let res = call_service(&app, TestRequest::get().uri("/stream/3").to_request()).await;
    let mut body = Box::pin(res.into_body());
    let first = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await;
    assert!(matches!(first, Some(Ok(_))));
    drop(body);

    let samples = exposition(&registry);
    let error_of = |route: &str| -> BTreeSet<String> {
        samples
            .iter()
            .filter(|s| s.name == "http_server_request_duration_seconds_count")
            .filter(|s| s.labels["http_route"] == route)
            .map(|s| {
                format!(
                    "{} {}",
                    s.labels["http_response_status_code"],
                    s.labels.get("error_type").map_or("-", String::as_str)
                )
            })
            .collect()
    };
    assert_eq!(error_of("/unavailable"), set(&["503 503"]));
    assert_eq!(error_of("/broken"), set(&["500 500"]));
    assert_eq!(error_of("/api/items/{id}"), set(&["200 -"]));
    assert_eq!(error_of("unmatched"), set(&["404 -"]));
    assert_eq!(
        error_of("/failing-stream"),
        set(&["500 response_body_error"])
    );
    assert_eq!(error_of("/stream/{n}"), set(&["499 client_closed"]));
}

/// A row whose status slots are used up keeps its errors apart from its
/// successes: `_OTHER` status, and `_OTHER` error type for the errors.
#[actix_web::test]
async fn errors_beyond_the_status_slots_stay_errors() {
    let builder = HttpMetrics::builder()
        .error_type(true)
        .status_codes_per_route(1);
    let mut registry = Registry::default();
    let metrics = builder.build(&mut registry).unwrap();
    let answer = |req: actix_web::HttpRequest| async move {
        let code: u16 = req.query_string().parse().unwrap_or(200);
        HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).finish()
    };
    let app = init_service(
        App::new()
            .service(route_labels::resource!("/answer").to(answer))
            .wrap(metrics.clone()),
    )
    .await;
    for code in [200, 404, 500, 503, 502, 201] {
        let req = TestRequest::get().uri(&format!("/answer?{code}"));
        assert_eq!(call(&app, req).await.0, code);
    }
    let samples = exposition(&registry);
    let series = |labels: &[(&str, &str)]| count_where(&samples, labels);
    assert_eq!(series(&[("http_response_status_code", "200")]), 1.0);
    assert_eq!(
        series(&[
            ("http_response_status_code", "_OTHER"),
            ("error_type", "_OTHER")
        ]),
        3.0
    );
    let others = samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .filter(|s| s.labels["http_response_status_code"] == "_OTHER")
        .filter(|s| !s.labels.contains_key("error_type"))
        .map(|s| s.value)
        .sum::<f64>();
    assert_eq!(others, 2.0, "404 and 201: no error");
    assert!(samples.len() as u64 <= metrics.max_samples());
}

// ---------------------------------------------------------------------------
// Extra methods
// ---------------------------------------------------------------------------

/// Declared methods get their own label, on registered routes and in the
/// buckets; any other token is `_OTHER`; case matters.
#[actix_web::test]
async fn declared_methods_get_a_label_and_nothing_else_does() {
    let builder = HttpMetrics::builder().extra_methods(["PROPFIND", "QUERY"]);
    let (app, registry, metrics) = start(builder).await;
    let method = |m: &str| Method::from_bytes(m.as_bytes()).unwrap();
    let req = |m: &str, uri: &str| TestRequest::default().method(method(m)).uri(uri);
    assert_eq!(call(&app, req("PROPFIND", "/files/a")).await.0, 200);
    assert_eq!(call(&app, req("PROPFIND", "/files/b")).await.0, 200);
    assert_eq!(call(&app, req("QUERY", "/nowhere")).await.0, 404);
    for junk in ["propfind", "BREW", "M-SEARCH", "QUERY2"] {
        assert_eq!(call(&app, req(junk, "/nowhere")).await.0, 404);
    }
    let samples = exposition(&registry);
    let count = |m: &str, route: &str| {
        count_where(
            &samples,
            &[("http_request_method", m), ("http_route", route)],
        )
    };
    assert_eq!(count("PROPFIND", "/files/{name}"), 2.0);
    assert_eq!(count("QUERY", "unmatched"), 1.0);
    assert_eq!(count("_OTHER", "unmatched"), 4.0);
    let methods = values(&samples, "http_request_method");
    let mut allowed: BTreeSet<String> = route_labels::HttpMethod::ALL
        .iter()
        .map(|m| m.as_str().to_owned())
        .collect();
    allowed.extend(set(&["PROPFIND", "QUERY"]));
    assert!(methods.is_subset(&allowed), "{methods:?}");
    assert!(samples.len() as u64 <= metrics.max_samples());

    // Without the option, PROPFIND is `_OTHER`, even on its own route.
    let (app, registry, _) = start(HttpMetrics::builder()).await;
    assert_eq!(call(&app, req("PROPFIND", "/files/a")).await.0, 200);
    let samples = exposition(&registry);
    assert_eq!(
        count_where(&samples, &[("http_request_method", "_OTHER")]),
        1.0
    );
}

#[test]
fn invalid_methods_are_refused_with_the_reason() {
    let refused = |methods: &[&str]| {
        HttpMetrics::builder()
            .extra_methods(methods.iter().copied())
            .build(&mut Registry::default())
            .unwrap_err()
    };
    for (methods, says) in [
        (&["GET"][..], "is one of the nine standard methods"),
        (&["BAD METHOD"][..], "is not an HTTP method token"),
        (&[""][..], "is not an HTTP method token"),
        (&["_OTHER"][..], "is the label of every method not declared"),
        (&["QUERY", "QUERY"][..], "is given twice"),
    ] {
        let err = refused(methods);
        assert!(matches!(err, BuildError::InvalidMethod { .. }), "{err:?}");
        assert!(err.to_string().contains(says), "{err}");
    }
    let many: Vec<String> = (0..33).map(|i| format!("M{i}")).collect();
    let err = HttpMetrics::builder()
        .extra_methods(many)
        .build(&mut Registry::default())
        .unwrap_err();
    assert!(matches!(err, BuildError::TooManyMethods(33)), "{err:?}");
}

// ---------------------------------------------------------------------------
// Exclusions and the metrics endpoint
// ---------------------------------------------------------------------------

/// An excluded route, mounted under two scopes, leaves no sample in any
/// family, and lowers the bound; the rest is counted as before.
#[actix_web::test]
async fn an_excluded_route_leaves_no_sample_anywhere() {
    let builder = every_option().exclude(route_of!(health));
    let (app, registry, metrics) = start(builder).await;
    for uri in ["/api/health", "/internal/health", "/api/health?probe=1"] {
        assert_eq!(call(&app, TestRequest::get().uri(uri)).await.0, 200);
    }
    assert_eq!(
        call(&app, TestRequest::get().uri("/api/items/1")).await.0,
        200
    );
    let samples = exposition(&registry);
    let mentions_health = samples
        .iter()
        .any(|s| s.labels.values().any(|v| v.contains("health")));
    assert!(!mentions_health, "{samples:#?}");
    assert_eq!(
        count_where(&samples, &[("http_route", "/api/items/{id}")]),
        1.0
    );
    assert_eq!(count_where(&samples, &[("http_route", "unmatched")]), 0.0);

    let (_, _, including) = start(every_option()).await;
    assert!(metrics.max_samples() < including.max_samples());
}

/// The metrics endpoint is labelled by the path it is mounted at, scope
/// included, or left out when excluded.
#[actix_web::test]
async fn the_metrics_endpoint_is_labelled_by_its_own_path_or_excluded() {
    for (scope, exclude, expected) in [
        ("", false, Some("/metrics")),
        ("/admin", false, Some("/admin/metrics")),
        ("/admin", true, None),
    ] {
        let mut builder = HttpMetrics::builder();
        if exclude {
            builder = builder.exclude(MetricsEndpoint::REGISTRATION);
        }
        let mut registry = Registry::default();
        let metrics = builder.build(&mut registry).unwrap();
        let registry = Arc::new(registry);
        let app = init_service(
            App::new()
                .service(
                    web::scope(scope)
                        .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry))),
                )
                .wrap(metrics),
        )
        .await;
        for _ in 0..2 {
            let req = TestRequest::get().uri(&format!("{scope}/metrics"));
            assert_eq!(call(&app, req).await.0, 200);
        }
        let samples = exposition(&registry);
        let routes = values(&samples, "http_route");
        match expected {
            Some(route) => {
                assert_eq!(count_where(&samples, &[("http_route", route)]), 2.0);
                assert!(routes.contains(route), "{routes:?}");
            }
            None => assert!(!routes.iter().any(|r| r.contains("metrics")), "{routes:?}"),
        }
        assert_eq!(
            count_where(&samples, &[("http_route", "unregistered")]),
            0.0
        );
    }
}

#[test]
fn a_route_info_not_from_the_inventory_is_refused() {
    let forged: &'static RouteInfo = Box::leak(Box::new(route_labels::__private::route_info(
        Some("/health"),
        &["GET"],
        "forged",
        file!(),
        line!(),
    )));
    let err = HttpMetrics::builder()
        .exclude(forged)
        .build(&mut Registry::default())
        .unwrap_err();
    assert!(matches!(err, BuildError::NotRegistered(_)), "{err:?}");
    assert!(err.to_string().contains("route_of!"), "{err}");
}

// ---------------------------------------------------------------------------
// Body sizes
// ---------------------------------------------------------------------------

/// Request and response body sizes sum to the bytes sent each way:
/// in-memory and streaming bodies, a body the handler did not read, and
/// requests without one.
#[actix_web::test]
async fn body_sizes_sum_to_the_bytes_sent() {
    let (app, registry, metrics) =
        start(HttpMetrics::builder().body_sizes(DEFAULT_BODY_SIZE_BUCKETS)).await;
    let mut sent = 0;
    let mut received = 0;
    let mut requests = 0;
    for size in [0, 1, 100, 5_000, 70_000] {
        let body = vec![b'a'; size];
        let req = TestRequest::post().uri("/echo").set_payload(body);
        let (status, echoed) = call(&app, req).await;
        assert_eq!((status, echoed.len()), (200, size));
        sent += size;
        received += size;
        requests += 1;
    }
    let (status, _) = call(
        &app,
        TestRequest::post()
            .uri("/ignore")
            .set_payload(vec![0; 2_048]),
    )
    .await;
    assert_eq!(status, 202);
    sent += 2_048;
    requests += 1;
    for n in [1, 4] {
        let (status, body) = call(&app, TestRequest::get().uri(&format!("/stream/{n}"))).await;
        assert_eq!((status, body.len()), (200, n * 1_000));
        received += body.len();
        requests += 1;
    }
    let (_, body) = call(&app, TestRequest::get().uri("/api/items/12")).await;
    received += body.len();
    requests += 1;

    let samples = exposition(&registry);
    let total = |name: &str| sum_of(&samples, name, &[]);
    assert_eq!(
        total("http_server_request_body_size_bytes_sum"),
        sent as f64
    );
    assert_eq!(
        total("http_server_response_body_size_bytes_sum"),
        received as f64
    );
    assert_eq!(
        total("http_server_request_body_size_bytes_count"),
        f64::from(requests)
    );
    assert_eq!(
        total("http_server_response_body_size_bytes_count"),
        f64::from(requests)
    );
    assert_eq!(
        sum_of(
            &samples,
            "http_server_request_body_size_bytes_sum",
            &[("http_route", "/ignore")]
        ),
        2_048.0,
        "an unread body counts its declared length"
    );
    assert_eq!(
        sum_of(
            &samples,
            "http_server_response_body_size_bytes_sum",
            &[("http_route", "/stream/{n}")]
        ),
        5_000.0
    );
    assert!(samples.len() as u64 <= metrics.max_samples());
}

// ---------------------------------------------------------------------------
// Constant labels
// ---------------------------------------------------------------------------

/// Constant labels (service, region) come from prometheus-client's own
/// sub-registries: every series of the HTTP metrics carries them.
#[actix_web::test]
async fn constant_labels_come_from_a_sub_registry() {
    let mut registry = Registry::default();
    let service = registry.sub_registry_with_labels(
        [
            ("service".into(), "shop".into()),
            ("region".into(), "eu-west".into()),
        ]
        .into_iter(),
    );
    let metrics = HttpMetrics::new(service).unwrap();
    let registry = Arc::new(registry);
    let app = init_service(
        App::new()
            .configure(routes)
            .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
            .wrap(metrics),
    )
    .await;
    assert_eq!(
        call(&app, TestRequest::get().uri("/api/items/3")).await.0,
        200
    );
    let (_, text) = common::scrape_with(&app, None).await;
    let samples = samples(&text);
    let ours: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name.starts_with("http_server_"))
        .collect();
    assert!(!ours.is_empty());
    for sample in ours {
        assert_eq!(
            sample.labels.get("service").map(String::as_str),
            Some("shop"),
            "{sample:?}"
        );
        assert_eq!(
            sample.labels.get("region").map(String::as_str),
            Some("eu-west"),
            "{sample:?}"
        );
    }
    common::assert_promtool_accepts(&text, "constant labels");
}

// ---------------------------------------------------------------------------
// Everything at once, under hostile input
// ---------------------------------------------------------------------------

/// Every option on, and a flood of forged headers, junk methods, versions,
/// paths and bodies: each label stays in its closed set and the exposition
/// within `max_samples()`.
#[actix_web::test]
async fn every_option_stays_closed_and_bounded_under_hostile_input() {
    let (app, registry, metrics) = start(every_option()).await;
    let versions = [Version::HTTP_10, Version::HTTP_11, Version::HTTP_2];
    for i in 0..600_u32 {
        let method = match i % 5 {
            0 => format!("X{i}"),
            1 => "PROPFIND".to_owned(),
            2 => "POST".to_owned(),
            _ => "GET".to_owned(),
        };
        let uri = match i % 6 {
            0 => format!("/api/items/{i}?session={i}"),
            1 => format!("/wp-admin/{i}.php"),
            2 => "/echo".to_owned(),
            3 => format!("/files/{i}"),
            4 => "/unavailable".to_owned(),
            _ => format!("/stream/{}", i % 3),
        };
        let req = TestRequest::default()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri)
            .version(versions[i as usize % versions.len()])
            .insert_header(("host", format!("h{i}.evil.example")))
            .insert_header(("x-forwarded-proto", format!("proto{i}")))
            .set_payload(vec![b'z'; (i % 7) as usize * 100]);
        call(&app, req).await;
    }
    let samples = exposition(&registry);
    assert!(
        samples.len() as u64 <= metrics.max_samples(),
        "{} > {}",
        samples.len(),
        metrics.max_samples()
    );
    assert!(values(&samples, "url_scheme").is_subset(&set(&["http", "https"])));
    assert!(
        values(&samples, "network_protocol_version").is_subset(&set(&["1.0", "1.1", "2", "3"]))
    );
    for error in values(&samples, "error_type") {
        let status = error.parse::<u16>().is_ok_and(|c| (500..600).contains(&c));
        assert!(
            status
                || ["client_closed", "panic", "response_body_error", "_OTHER"]
                    .contains(&error.as_str()),
            "{error}"
        );
    }
    let routes = values(&samples, "http_route");
    assert!(
        routes
            .iter()
            .all(|r| !r.contains("evil") && !r.contains("wp-admin")),
        "{routes:?}"
    );
    common::assert_histograms_consistent(&samples);
}
