//! The rules of `HttpMetrics`, checked through the public API and the
//! exposition a scraper would read.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use actix_web::dev::Service;
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, init_service};
use actix_web::{App, HttpResponse, get, post, route, routes, web};
use common::{
    count, routes as route_values, samples, scrape, scrape_with, send, series_set, total,
};
use prometheus_client::registry::Registry;
use route_labels::{
    HttpMetrics, MetricsEndpoint, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE,
};

#[route_labels::register]
#[get("/users/{id}")]
async fn get_user(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(format!("user {id}"))
}

#[route_labels::register]
#[post("/users")]
async fn create_user(body: web::Json<serde_like::User>) -> HttpResponse {
    let _ = body;
    HttpResponse::Created().finish()
}

/// A tiny stand-in for a serde type, so the test needs no serde dependency:
/// `web::Json` needs `DeserializeOwned`, so the extractor failure is shown
/// with `web::Path` instead (see `extractor_failures_are_counted`).
mod serde_like {
    pub type User = std::collections::HashMap<String, String>;
}

#[route_labels::register]
#[route("/items/{id}", method = "GET", method = "PUT", method = "PURGE")]
async fn item() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[routes]
#[get("/")]
#[get("/index")]
#[post("/index")]
async fn index() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[get("/status/{code}")]
async fn status(code: web::Path<u16>) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(*code).unwrap()).finish()
}

#[route_labels::register]
#[get("/fail")]
async fn fail() -> Result<HttpResponse, actix_web::Error> {
    Err(actix_web::error::ErrorConflict("already exists"))
}

#[route_labels::register]
#[get("/hang")]
async fn hang() -> HttpResponse {
    std::future::pending::<()>().await;
    unreachable!("a pending future never completes")
}

/// actix-web's `#[scope]` module macro rewrites the paths of the route
/// attributes inside it before `#[register]` reads them.
#[actix_web::scope("/admin")]
mod admin {
    use actix_web::{HttpResponse, get};

    #[route_labels::register]
    #[get("/stats")]
    pub async fn stats() -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

#[route_labels::register]
#[get("/panic")]
async fn panics() -> HttpResponse {
    panic!("a handler bug")
}

async fn not_annotated() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn app(
    metrics: HttpMetrics,
    registry: Arc<Registry>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .service(web::scope("/v1").service(get_user))
        .service(web::scope("/v2").service(get_user))
        .service(create_user)
        .service(item)
        .service(index)
        .service(status)
        .service(fail)
        .service(hang)
        .service(admin::stats)
        .service(panics)
        .service(web::resource("/plain").to(not_annotated))
        .service(MetricsEndpoint::new("/metrics", registry))
        .wrap(metrics)
}

async fn setup(
    builder: route_labels::HttpMetricsBuilder,
) -> (
    impl Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    HttpMetrics,
) {
    let mut registry = Registry::default();
    let metrics = builder.build(&mut registry).unwrap();
    let app = init_service(app(metrics.clone(), Arc::new(registry))).await;
    (app, metrics)
}

#[actix_web::test]
async fn scoped_and_doubly_mounted_handlers_get_their_full_templates() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    assert_eq!(send(&app, "GET", "/v1/users/1").await, 200);
    assert_eq!(send(&app, "GET", "/v1/users/2?x=1").await, 200);
    assert_eq!(send(&app, "GET", "/v2/users/3").await, 200);

    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/v1/users/{id}", "200"), 2.0);
    assert_eq!(count(&samples, "GET", "/v2/users/{id}", "200"), 1.0);
    assert_eq!(
        count(&samples, "GET", "/users/{id}", "200"),
        0.0,
        "the template alone is never the mount's label"
    );
}

#[actix_web::test]
async fn route_and_routes_attributes_label_every_method_and_template() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    send(&app, "GET", "/items/1").await;
    send(&app, "PUT", "/items/2").await;
    send(&app, "PURGE", "/items/3").await;
    send(&app, "GET", "/").await;
    send(&app, "GET", "/index").await;
    send(&app, "POST", "/index").await;

    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/items/{id}", "200"), 1.0);
    assert_eq!(count(&samples, "PUT", "/items/{id}", "200"), 1.0);
    assert_eq!(
        count(&samples, "_OTHER", "/items/{id}", "200"),
        1.0,
        "PURGE is not a standard method"
    );
    assert_eq!(count(&samples, "GET", "/", "200"), 1.0);
    assert_eq!(count(&samples, "GET", "/index", "200"), 1.0);
    assert_eq!(count(&samples, "POST", "/index", "200"), 1.0);
}

#[actix_web::test]
async fn handlers_in_a_scope_module_are_registered_with_the_prefix() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    assert_eq!(send(&app, "GET", "/admin/stats").await, 200);
    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/admin/stats", "200"), 1.0);
    assert_eq!(
        route_labels::route_of!(admin::stats).template(),
        Some("/admin/stats")
    );
}

#[actix_web::test]
async fn requests_outside_registered_handlers_land_in_the_two_buckets() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    assert_eq!(send(&app, "GET", "/wp-login.php").await, 404);
    assert_eq!(
        send(&app, "DELETE", "/users/1").await,
        404,
        "no resource accepts DELETE"
    );
    assert_eq!(
        send(&app, "POST", "/v1/users/1").await,
        404,
        "wrong method on a registered path"
    );
    assert_eq!(send(&app, "GET", "/plain").await, 200);
    assert_eq!(send(&app, "POST", "/plain").await, 200);

    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "unmatched", "404"), 1.0);
    assert_eq!(count(&samples, "DELETE", "unmatched", "404"), 1.0);
    assert_eq!(count(&samples, "POST", "unmatched", "404"), 1.0);
    assert_eq!(count(&samples, "GET", "unregistered", "200"), 1.0);
    assert_eq!(count(&samples, "POST", "unregistered", "200"), 1.0);
}

#[actix_web::test]
async fn unknown_methods_are_other() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    for method in ["FOO", "get", "BREW", "M-SEARCH"] {
        send(&app, method, "/").await;
    }
    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "_OTHER", "unmatched", "404"), 4.0);
    assert!(samples.iter().all(|s| {
        s.labels
            .get("http_request_method")
            .is_none_or(|m| !["FOO", "get", "BREW", "M-SEARCH"].contains(&m.as_str()))
    }));
}

#[actix_web::test]
async fn handler_errors_count_with_their_response_status() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    assert_eq!(send(&app, "GET", "/fail").await, 409);
    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/fail", "409"), 1.0);
}

#[actix_web::test]
async fn extractor_failures_are_counted_under_the_route() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    // `web::Path<u32>` refuses "abc": actix-web answers 404 from the handler.
    assert_eq!(send(&app, "GET", "/v1/users/abc").await, 404);
    // `web::Json` refuses a body without the JSON content type: 400.
    assert_eq!(send(&app, "POST", "/users").await, 400);
    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/v1/users/{id}", "404"), 1.0);
    assert_eq!(count(&samples, "POST", "/users", "400"), 1.0);
}

fn active(samples: &[common::Sample], method: &str) -> f64 {
    samples
        .iter()
        .find(|s| {
            s.name == "http_server_active_requests" && s.labels["http_request_method"] == method
        })
        .map(|s| s.value)
        .expect("the gauge has every method")
}

#[actix_web::test]
async fn a_dropped_request_is_counted_once_and_leaves_the_active_gauge() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    let mut pending = Box::pin(app.call(TestRequest::get().uri("/hang").to_request()));
    std::future::poll_fn(|cx| {
        assert!(
            pending.as_mut().poll(cx).is_pending(),
            "the handler never finishes"
        );
        Poll::Ready(())
    })
    .await;

    let samples = scrape(&app).await;
    // The scrape itself is a GET in flight.
    assert_eq!(active(&samples, "GET"), 2.0);
    assert_eq!(count(&samples, "GET", "/hang", "499"), 0.0);

    drop(pending); // the client went away
    let samples = scrape(&app).await;
    assert_eq!(active(&samples, "GET"), 1.0);
    assert_eq!(count(&samples, "GET", "/hang", "499"), 1.0);
}

#[actix_web::test]
async fn a_panicking_handler_is_counted_as_a_server_error() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    let mut request = Box::pin(app.call(TestRequest::get().uri("/panic").to_request()));
    // As the runtime does: catch the panic of a poll, then drop the future.
    let polled = std::future::poll_fn(|cx| {
        Poll::Ready(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || request.as_mut().poll(cx).is_ready(),
        )))
    })
    .await;
    assert!(polled.is_err(), "the handler panicked");
    drop(request);

    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/panic", "500"), 1.0);
    assert_eq!(active(&samples, "GET"), 1.0, "only the scrape is in flight");
}

#[actix_web::test]
async fn a_body_taken_whole_counts_the_request() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    let res = app
        .call(TestRequest::get().uri("/v1/users/5").to_request())
        .await
        .unwrap();
    // What actix-web's `Compress` and `BoxBody::new` do with a full body.
    let bytes = actix_web::body::MessageBody::try_into_bytes(res.into_body())
        .ok()
        .expect("a body all in memory is handed over whole");
    assert_eq!(bytes, "user 5");
    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/v1/users/{id}", "200"), 1.0);
    assert_eq!(active(&samples, "GET"), 1.0, "only the scrape is in flight");
}

#[actix_web::test]
async fn status_codes_beyond_the_capacity_share_the_overflow_value() {
    let (app, _) = setup(HttpMetrics::builder().status_codes_per_route(2)).await;
    for code in [200, 201, 200, 202, 203, 202] {
        assert_eq!(send(&app, "GET", &format!("/status/{code}")).await, code);
    }
    let samples = scrape(&app).await;
    assert_eq!(count(&samples, "GET", "/status/{code}", "200"), 2.0);
    assert_eq!(count(&samples, "GET", "/status/{code}", "201"), 1.0);
    assert_eq!(count(&samples, "GET", "/status/{code}", "202"), 0.0);
    assert_eq!(count(&samples, "GET", "/status/{code}", "_OTHER"), 3.0);
}

#[actix_web::test]
async fn a_flood_of_unique_paths_and_methods_adds_no_series() {
    let (app, metrics) = setup(HttpMetrics::builder()).await;
    // Warm up every label set the flood can reach.
    send(&app, "GET", "/warm").await;
    send(&app, "JUNK", "/warm").await;
    send(&app, "GET", "/v1/users/1").await;
    send(&app, "GET", "/?q=warm").await;
    scrape(&app).await; // the scrape is itself a GET, to `/metrics`
    let before = scrape(&app).await;

    let mut sent = 0;
    for i in 0..3_000 {
        let method = if i % 3 == 0 {
            format!("X{i}")
        } else {
            "GET".to_owned()
        };
        let uri = match i % 4 {
            0 => format!("/scan/{i}/wp-admin.php"),
            1 => format!("/v1/users/{i}?session={i}"),
            2 => format!("/?q={i}"),
            _ => format!("/%E2%9C%93/{i}/%00"),
        };
        send(&app, &method, &uri).await;
        sent += 1;
    }
    let after = scrape(&app).await;
    // The route info lists the mounts of the process, which the tests
    // running beside this one add to: compare the request metrics.
    let requests = |samples: &[common::Sample]| {
        let mut set = series_set(samples);
        set.retain(|(name, _)| !name.starts_with("http_server_route_info"));
        set
    };
    assert_eq!(requests(&before), requests(&after));
    // Exactly once each: the flood, and the scrape that took `before`.
    assert_eq!(total(&after), total(&before) + f64::from(sent) + 1.0);
    assert!(after.len() as u64 <= metrics.max_samples());
    for route in route_values(&after) {
        assert!(
            [
                "/v1/users/{id}",
                "/",
                "unmatched",
                "unregistered",
                "/metrics"
            ]
            .contains(&route.as_str()),
            "{route}"
        );
    }
}

#[actix_web::test]
async fn every_request_is_counted_exactly_once() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    let requests = [
        ("GET", "/v1/users/1"),
        ("GET", "/v2/users/1"),
        ("GET", "/nope"),
        ("GET", "/plain"),
        ("GET", "/fail"),
        ("GET", "/v1/users/x"),
        ("PUT", "/items/1"),
        ("BREW", "/coffee"),
    ];
    for (method, uri) in requests {
        send(&app, method, uri).await;
    }
    let samples = scrape(&app).await;
    assert_eq!(total(&samples), requests.len() as f64);
    // Histogram invariants: +Inf bucket equals _count.
    for s in samples.iter().filter(|s| s.name.ends_with("_count")) {
        let inf = samples
            .iter()
            .find(|b| {
                b.name == "http_server_request_duration_seconds_bucket"
                    && b.labels.get("le").map(String::as_str) == Some("+Inf")
                    && b.labels
                        .iter()
                        .filter(|(k, _)| *k != "le")
                        .eq(s.labels.iter())
            })
            .expect("every series has a +Inf bucket");
        assert_eq!(inf.value, s.value);
    }
}

#[actix_web::test]
async fn both_exposition_formats_are_served() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    send(&app, "GET", "/v1/users/1").await;

    let (content_type, openmetrics) = scrape_with(&app, None).await;
    assert_eq!(content_type, OPENMETRICS_CONTENT_TYPE);
    assert!(openmetrics.ends_with("# EOF\n"));
    assert!(openmetrics.contains("# UNIT http_server_request_duration_seconds seconds\n"));
    assert!(openmetrics.contains("# TYPE http_server_route_info gauge\n"));

    let (content_type, prometheus) = scrape_with(&app, Some("text/plain;version=0.0.4")).await;
    assert_eq!(content_type, PROMETHEUS_TEXT_CONTENT_TYPE);
    assert!(!prometheus.contains("# EOF"));
    assert!(!prometheus.contains("# UNIT"));

    // The same series either way.
    let om = samples(&openmetrics);
    let prom = samples(&prometheus);
    assert_eq!(count(&om, "GET", "/v1/users/{id}", "200"), 1.0);
    assert_eq!(count(&prom, "GET", "/v1/users/{id}", "200"), 1.0);
}

/// The info metric lists each mount by its full template, the value
/// `http_route` has on the request metrics, so the two join; a registration
/// no request has reached yet (in this process: other tests run beside this
/// one) is listed by its declared template. Every registration is listed.
#[actix_web::test]
async fn the_route_info_metric_lists_every_mount_and_registration() {
    let (app, _) = setup(HttpMetrics::builder()).await;
    assert_eq!(send(&app, "GET", "/v1/users/1").await, 200);
    assert_eq!(send(&app, "GET", "/v2/users/1").await, 200);
    let samples = scrape(&app).await;
    let info: Vec<&common::Sample> = samples
        .iter()
        .filter(|s| s.name == "http_server_route_info")
        .collect();
    for mount in ["/v1/users/{id}", "/v2/users/{id}"] {
        let series: Vec<_> = info
            .iter()
            .filter(|s| s.labels.get("http_route").map(String::as_str) == Some(mount))
            .collect();
        assert_eq!(series.len(), 1, "{mount}: {info:?}");
        assert_eq!(series[0].labels["handler"], "http_metrics::get_user");
        assert_eq!(series[0].labels["http_request_methods"], "GET");
        assert_eq!(series[0].value, 1.0);
    }
    // Each series is a mount (`http_route`) or a registration not reached
    // yet (`template`), never both.
    for series in &info {
        assert!(
            series.labels.contains_key("http_route") != series.labels.contains_key("template"),
            "{series:?}"
        );
    }
    let listed: std::collections::BTreeSet<&str> =
        info.iter().map(|s| s.labels["handler"].as_str()).collect();
    // The app's registrations, and the metrics endpoint: the scrape reached it.
    let registered: std::collections::BTreeSet<&str> = route_labels::routes()
        .chain([MetricsEndpoint::REGISTRATION])
        .map(route_labels::RouteInfo::handler)
        .collect();
    assert_eq!(listed, registered);
    let purge = info
        .iter()
        .find(|s| s.labels["handler"] == "http_metrics::item")
        .unwrap();
    assert_eq!(purge.labels["http_request_methods"], "GET,PUT,PURGE");
}

/// Only [`route_info_follows_mounts_resolved_between_scrapes`] mounts it.
#[route_labels::register]
#[get("/late")]
async fn late() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// An app built through `HttpMetrics::app` is known from the first scrape:
/// its mount is listed by its full template before any request, and
/// `max_samples` does not change with traffic.
#[actix_web::test]
async fn route_info_lists_the_apps_mounts_from_the_first_scrape() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app =
        init_service(metrics.app(App::new().service(web::scope("/first").service(late)))).await;
    let late_series = |registry: &Registry| {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
        samples(&text)
            .into_iter()
            .filter(|s| {
                s.name == "http_server_route_info" && s.labels["handler"] == "http_metrics::late"
            })
            .map(|s| s.labels)
            .collect::<Vec<_>>()
    };
    let bound = metrics.max_samples();
    let before = late_series(&registry);
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(
        before[0].get("http_route").map(String::as_str),
        Some("/first/late")
    );
    assert!(!before[0].contains_key("template"), "{before:?}");
    assert_eq!(send(&app, "GET", "/first/late").await, 200);
    assert_eq!(late_series(&registry), before);
    assert_eq!(metrics.max_samples(), bound);
}

#[actix_web::test]
async fn max_series_bounds_the_exposition_under_every_kind_of_traffic() {
    let (app, metrics) = setup(HttpMetrics::builder().status_codes_per_route(2)).await;
    for code in 200..260 {
        send(&app, "GET", &format!("/status/{code}")).await;
    }
    for method in [
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "CONNECT", "X",
    ] {
        for uri in [
            "/none",
            "/plain",
            "/v1/users/1",
            "/v2/users/1",
            "/index",
            "/items/1",
            "/fail",
        ] {
            send(&app, method, uri).await;
        }
    }
    let samples = scrape(&app).await;
    let http_samples = samples
        .iter()
        .filter(|s| s.name.starts_with("http_server_"))
        .count() as u64;
    assert!(
        http_samples <= metrics.max_samples(),
        "{http_samples} > {}",
        metrics.max_samples()
    );
}

/// Mounted only by `max_series_is_known_once_the_app_is_built`, in two scopes.
#[route_labels::register]
#[get("/twice")]
async fn twice() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn max_series_is_known_once_the_app_is_built() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let before_build = metrics.max_samples();
    let app = init_service(
        App::new()
            .service(web::scope("/a").service(twice))
            .service(web::scope("/b").service(twice))
            .wrap(metrics.clone()),
    )
    .await;
    let at_start = metrics.max_samples();
    assert!(
        at_start > before_build,
        "the second mount of `twice` counts"
    );
    assert_eq!(send(&app, "GET", "/a/twice").await, 200);
    assert_eq!(send(&app, "GET", "/b/twice").await, 200);
    assert_eq!(
        metrics.max_samples(),
        at_start,
        "traffic revealed no new mount"
    );
}

#[test]
fn bad_options_are_refused() {
    let mut registry = Registry::default();
    for buckets in [
        vec![],
        vec![0.1, 0.1],
        vec![-1.0],
        vec![f64::NAN],
        vec![1.0, f64::INFINITY],
    ] {
        let err = HttpMetrics::builder()
            .buckets(buckets)
            .build(&mut registry)
            .unwrap_err();
        assert!(
            matches!(err, route_labels::BuildError::InvalidBuckets(_)),
            "{err}"
        );
    }
    for prefix in ["", "1abc", "a-b", "a b"] {
        let err = HttpMetrics::builder()
            .prefix(prefix)
            .build(&mut registry)
            .unwrap_err();
        assert!(
            matches!(err, route_labels::BuildError::InvalidPrefix(_)),
            "{err}"
        );
    }
    let err = HttpMetrics::builder()
        .status_codes_per_route(0)
        .build(&mut registry)
        .unwrap_err();
    assert!(matches!(err, route_labels::BuildError::NoStatusCodes));
}

#[actix_web::test]
async fn buckets_and_prefix_are_applied() {
    let (app, _) = setup(HttpMetrics::builder().buckets([0.5, 2.0]).prefix("shop")).await;
    send(&app, "GET", "/").await;
    let samples = scrape(&app).await;
    let les: Vec<&str> = samples
        .iter()
        .filter(|s| s.name == "shop_http_server_request_duration_seconds_bucket")
        .map(|s| s.labels["le"].as_str())
        .collect();
    assert_eq!(les, ["0.5", "2.0", "+Inf"]);
    assert!(
        samples
            .iter()
            .any(|s| s.name == "shop_http_server_active_requests")
    );
    assert!(
        samples
            .iter()
            .any(|s| s.name == "shop_http_server_route_info")
    );
}
