//! App layouts real services use, checked against the traffic sent: every
//! request is counted exactly once, under the full template of the mount
//! that served it, `unmatched` or `unregistered`, with its final status.
//!
//! Resource modules mounted with `configure`, one API module under two
//! versions, nested scopes, a stack of actix-web's own middleware, a
//! session-store middleware that awaits after the response, error handlers
//! whose work is a future, custom metrics labelled by the `Route` extractor,
//! and a streaming body that fails half way.

mod common;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{
    self, Compress, ErrorHandlerResponse, ErrorHandlers, Logger, NormalizePath, from_fn,
};
use actix_web::rt::task::yield_now;
use actix_web::test::{self, TestRequest, init_service};
use actix_web::web::{self, Bytes};
use actix_web::{App, Error, HttpResponse, get};
use common::{SeriesKey, assert_histograms_consistent, counts, samples, scrape, send};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint, route_of};

/// Gives the worker back to the executor `turns` times, as a handler that
/// awaits a database does.
async fn yield_times(turns: u32) {
    for _ in 0..turns {
        yield_now().await;
    }
}

/// One module per resource, each with its own `""` and `"/{id}"`, mounted
/// with `web::scope("/users").configure(users::configure)`. The handlers
/// answer with the `Route` extractor's value, so every test also checks it.
mod users {
    use actix_web::{HttpResponse, get, web};
    use route_labels::Route;

    #[route_labels::register]
    #[get("")]
    pub async fn list(route: Route) -> HttpResponse {
        super::yield_times(1).await;
        HttpResponse::Ok().body(route.to_string())
    }

    #[route_labels::register]
    #[get("/{id}")]
    pub async fn show(route: Route, id: web::Path<u32>) -> HttpResponse {
        super::yield_times(*id % 4).await;
        HttpResponse::Ok().body(route.to_string())
    }

    pub fn configure(cfg: &mut web::ServiceConfig) {
        cfg.service(list).service(show);
    }
}

mod orders {
    use actix_web::{HttpResponse, get, web};
    use route_labels::Route;

    #[route_labels::register]
    #[get("")]
    pub async fn list(route: Route) -> HttpResponse {
        HttpResponse::Ok().body(route.to_string())
    }

    /// Order 0 does not exist: the handler answers 404 itself.
    #[route_labels::register]
    #[get("/{id}")]
    pub async fn show(route: Route, id: web::Path<u32>) -> HttpResponse {
        super::yield_times(*id % 3).await;
        if *id == 0 {
            return HttpResponse::NotFound().body(route.to_string());
        }
        HttpResponse::Ok().body(route.to_string())
    }

    pub fn configure(cfg: &mut web::ServiceConfig) {
        cfg.service(list).service(show);
    }
}

mod products {
    use actix_web::{HttpResponse, get, web};
    use route_labels::Route;

    #[route_labels::register]
    #[get("")]
    pub async fn list(route: Route) -> HttpResponse {
        HttpResponse::Ok().body(route.to_string())
    }

    /// `web::Path<u32>` refuses `/products/abc`: actix-web answers 404
    /// before the handler runs, from inside the mount.
    #[route_labels::register]
    #[get("/{id}")]
    pub async fn show(route: Route, id: web::Path<u32>) -> HttpResponse {
        let _ = id;
        HttpResponse::Ok().body(route.to_string())
    }

    pub fn configure(cfg: &mut web::ServiceConfig) {
        cfg.service(list).service(show);
    }
}

/// One API module, mounted under `/api/v1` and `/api/v2`: the same handlers
/// twice.
mod api {
    use actix_web::{HttpResponse, get, post, web};
    use route_labels::Route;

    #[route_labels::register]
    #[get("")]
    pub async fn list_things(route: Route) -> HttpResponse {
        HttpResponse::Ok().body(route.to_string())
    }

    #[route_labels::register]
    #[post("")]
    pub async fn create_thing(route: Route) -> HttpResponse {
        HttpResponse::Created().body(route.to_string())
    }

    #[route_labels::register]
    #[get("/{id}")]
    pub async fn show_thing(route: Route, id: web::Path<u32>) -> HttpResponse {
        super::yield_times(*id % 2).await;
        HttpResponse::Ok().body(route.to_string())
    }

    pub fn configure(cfg: &mut web::ServiceConfig) {
        cfg.service(
            web::scope("/things")
                .service(list_things)
                .service(create_thing)
                .service(show_thing),
        );
    }

    pub fn v1(cfg: &mut web::ServiceConfig) {
        cfg.service(web::scope("/api/v1").configure(configure));
    }

    pub fn v2(cfg: &mut web::ServiceConfig) {
        cfg.service(web::scope("/api/v2").configure(configure));
    }
}

/// Mounted in nested scopes: `/admin` → `/reports` → `/{id}`.
mod reports {
    use actix_web::{HttpResponse, get, post};
    use route_labels::Route;

    #[route_labels::register]
    #[get("/{id}")]
    pub async fn show(route: Route) -> HttpResponse {
        HttpResponse::Ok().body(route.to_string())
    }

    #[route_labels::register]
    #[post("/{id}/rerun")]
    pub async fn rerun(route: Route) -> HttpResponse {
        HttpResponse::Accepted().body(route.to_string())
    }
}

/// Not annotated: a resource that matches but is not registered.
async fn health() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// The layout of the first tests: resource modules, the API twice, nested
/// scopes, an unregistered health check and the metrics endpoint.
fn resource_modules(
    metrics: HttpMetrics,
    registry: Arc<Registry>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .service(web::scope("/users").configure(users::configure))
        .service(web::scope("/orders").configure(orders::configure))
        .service(web::scope("/products").configure(products::configure))
        .configure(api::v1)
        .configure(api::v2)
        .service(
            web::scope("/admin").service(
                web::scope("/reports")
                    .service(reports::show)
                    .service(reports::rerun),
            ),
        )
        .service(web::resource("/health").to(health))
        .service(MetricsEndpoint::new("/metrics", registry))
        .wrap(metrics)
}

/// The `(method, route, status)` counts a test expects, as `counts` gives
/// them.
fn expected(rows: &[(&str, &str, u16, u32)]) -> BTreeMap<SeriesKey, f64> {
    let mut map = BTreeMap::new();
    for &(method, route, status, n) in rows {
        *map.entry((method.to_owned(), route.to_owned(), status.to_string()))
            .or_insert(0.0) += f64::from(n);
    }
    map
}

/// Sends a request, reads the whole body, returns status and body.
async fn fetch<S, B>(app: &S, req: TestRequest) -> (u16, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let res = app
        .call(req.to_request())
        .await
        .expect("the app answers every request");
    let status = res.status().as_u16();
    let body = test::read_body(res).await;
    (
        status,
        String::from_utf8(body.to_vec()).expect("utf-8 body"),
    )
}

fn request(method: &str, uri: &str) -> TestRequest {
    TestRequest::default()
        .method(actix_web::http::Method::from_bytes(method.as_bytes()).expect("a method"))
        .uri(uri)
}

/// Every request of a resource-module app is counted under the full
/// template of its mount, and nothing else is counted. Catches: a label by
/// the declared template (`/{id}` for users, orders, products and both API
/// versions alike), a lost scope prefix (`/reports/{id}`), one API
/// version's requests counted under the other, an extractor failure or a
/// handler's own 404 counted as `unmatched`, an unknown path counted under
/// a route whose prefix it shares.
#[actix_web::test]
async fn resource_modules_are_counted_under_their_full_templates() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry)
        .expect("declared templates repeat (`\"\"`, `/{id}`, the API twice): that is valid");
    let app = init_service(resource_modules(metrics, Arc::new(registry))).await;

    // (method, uri, status, the route the handler's `Route` extractor sees)
    let traffic: &[(&str, &str, u16, Option<&str>)] = &[
        ("GET", "/users", 200, Some("/users")),
        ("GET", "/users?page=2", 200, Some("/users")),
        ("GET", "/users/1", 200, Some("/users/{id}")),
        ("GET", "/users/2", 200, Some("/users/{id}")),
        ("GET", "/users/3?expand=orders", 200, Some("/users/{id}")),
        ("GET", "/orders", 200, Some("/orders")),
        ("GET", "/orders/5", 200, Some("/orders/{id}")),
        ("GET", "/orders/0", 404, Some("/orders/{id}")),
        ("GET", "/products", 200, Some("/products")),
        ("GET", "/products/9", 200, Some("/products/{id}")),
        ("GET", "/products/abc", 404, None),
        ("GET", "/api/v1/things", 200, Some("/api/v1/things")),
        ("POST", "/api/v1/things", 201, Some("/api/v1/things")),
        ("GET", "/api/v1/things/1", 200, Some("/api/v1/things/{id}")),
        ("GET", "/api/v1/things/2", 200, Some("/api/v1/things/{id}")),
        ("GET", "/api/v2/things", 200, Some("/api/v2/things")),
        ("POST", "/api/v2/things", 201, Some("/api/v2/things")),
        ("POST", "/api/v2/things", 201, Some("/api/v2/things")),
        ("GET", "/api/v2/things/1", 200, Some("/api/v2/things/{id}")),
        ("GET", "/admin/reports/5", 200, Some("/admin/reports/{id}")),
        ("GET", "/admin/reports/6", 200, Some("/admin/reports/{id}")),
        (
            "POST",
            "/admin/reports/5/rerun",
            202,
            Some("/admin/reports/{id}/rerun"),
        ),
        ("GET", "/health", 200, None),
        // No resource matches any of these.
        ("GET", "/nope", 404, None),
        ("GET", "/users/1/edit", 404, None),
        ("GET", "/api/v3/things/1", 404, None),
        ("GET", "/admin/reports", 404, None),
        ("GET", "/admin", 404, None),
        ("GET", "/admin/reports/5/rerun", 404, None),
        ("POST", "/users/1", 404, None),
    ];
    for &(method, uri, status, route) in traffic {
        let (got, body) = fetch(&app, request(method, uri)).await;
        assert_eq!(got, status, "{method} {uri}");
        if let Some(route) = route {
            assert_eq!(body, route, "the `Route` extractor in {method} {uri}");
        }
    }

    let samples = scrape(&app).await;
    assert_eq!(
        counts(&samples),
        expected(&[
            ("GET", "/users", 200, 2),
            ("GET", "/users/{id}", 200, 3),
            ("GET", "/orders", 200, 1),
            ("GET", "/orders/{id}", 200, 1),
            ("GET", "/orders/{id}", 404, 1),
            ("GET", "/products", 200, 1),
            ("GET", "/products/{id}", 200, 1),
            ("GET", "/products/{id}", 404, 1),
            ("GET", "/api/v1/things", 200, 1),
            ("POST", "/api/v1/things", 201, 1),
            ("GET", "/api/v1/things/{id}", 200, 2),
            ("GET", "/api/v2/things", 200, 1),
            ("POST", "/api/v2/things", 201, 2),
            ("GET", "/api/v2/things/{id}", 200, 1),
            ("GET", "/admin/reports/{id}", 200, 2),
            ("POST", "/admin/reports/{id}/rerun", 202, 1),
            ("GET", "unregistered", 200, 1),
            ("GET", "unmatched", 404, 6),
            ("POST", "unmatched", 404, 1),
        ]),
    );
    assert_histograms_consistent(&samples);

    // What the program declares is not the label: one registration, two
    // mounts, two routes.
    assert_eq!(route_of!(users::show).template(), Some("/{id}"));
    assert_eq!(route_of!(orders::show).template(), Some("/{id}"));
    assert_eq!(route_of!(api::show_thing).template(), Some("/{id}"));
    let mut mounts: Vec<String> = route_of!(api::show_thing)
        .mounts()
        .map(|r| r.to_string())
        .collect();
    mounts.sort();
    assert_eq!(mounts, ["/api/v1/things/{id}", "/api/v2/things/{id}"]);

    // The route info metric joins on the same values, one series per mount.
    let info: BTreeSet<(String, String)> = samples
        .iter()
        .filter(|s| s.name == "http_server_route_info")
        .filter_map(|s| {
            Some((
                s.labels.get("http_route")?.clone(),
                s.labels["handler"].clone(),
            ))
        })
        .filter(|(_, handler)| handler.ends_with("api::show_thing"))
        .collect();
    assert_eq!(
        info.iter()
            .map(|(route, _)| route.as_str())
            .collect::<Vec<_>>(),
        ["/api/v1/things/{id}", "/api/v2/things/{id}"],
    );
}

const WRONG_METHOD_AT_A_SCOPE_ROOT: &str =
    "a_method_no_handler_accepts_at_a_scope_root_is_unmatched";

/// A method no handler accepts, at a path that is exactly a scope's prefix
/// where the scope has `#[get("")]` (or `#[post("")]`) handlers: actix-web
/// routes by the method guard, no resource matches, the scope's default
/// answers 404. Nothing was matched, so it is `unmatched`, as the same
/// mistake one segment deeper (`POST /users/1`) is, and whether or not the
/// scope's own handlers have served a request yet. Run alone: which full
/// templates are mounted is process-wide, learnt from requests served.
/// Catches: telling `unmatched` from `unregistered` by the path alone
/// (which ignores guards), and a bucket that depends on earlier traffic.
#[test]
fn a_method_no_handler_accepts_at_a_scope_root_is_unmatched() {
    if !common::alone(WRONG_METHOD_AT_A_SCOPE_ROOT) {
        return;
    }
    actix_web::rt::System::new().block_on(async {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::new(&mut registry).unwrap();
        let app = init_service(resource_modules(metrics, Arc::new(registry))).await;

        let wrong = [
            ("POST", "/users"),
            ("POST", "/users/1"),
            ("DELETE", "/api/v1/things"),
            ("HEAD", "/orders"),
        ];
        // Before any request reached the scopes' handlers, then after.
        for (method, uri) in wrong {
            assert_eq!(send(&app, method, uri).await, 404, "{method} {uri}");
        }
        for uri in ["/users", "/users/1", "/api/v1/things", "/orders"] {
            assert_eq!(send(&app, "GET", uri).await, 200, "GET {uri}");
        }
        for (method, uri) in wrong {
            assert_eq!(send(&app, method, uri).await, 404, "{method} {uri}");
        }

        assert_eq!(
            counts(&scrape(&app).await),
            expected(&[
                ("GET", "/users", 200, 1),
                ("GET", "/users/{id}", 200, 1),
                ("GET", "/api/v1/things", 200, 1),
                ("GET", "/orders", 200, 1),
                ("POST", "unmatched", 404, 4),
                ("DELETE", "unmatched", 404, 2),
                ("HEAD", "unmatched", 404, 2),
            ]),
        );
    });
}

/// Not annotated yet: creates a user.
async fn create_user_unannotated() -> HttpResponse {
    HttpResponse::Created().finish()
}

const HALF_ANNOTATED: &str = "a_handler_not_yet_annotated_is_unregistered_beside_annotated_ones";

/// Half way through annotating: `/users` has the registered `#[get("")]`
/// list and a POST route not registered yet. The POST is served (201) by a
/// resource that is not registered: `unregistered`, the bucket that says
/// "annotate this handler", before and after the GET served a request. Run
/// alone: which full templates are mounted is process-wide, learnt from
/// requests served. Catches: the POST counted as `unmatched` (no resource
/// matched, which is false) once the registered GET has resolved `/users`.
#[test]
fn a_handler_not_yet_annotated_is_unregistered_beside_annotated_ones() {
    if !common::alone(HALF_ANNOTATED) {
        return;
    }
    actix_web::rt::System::new().block_on(async {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::new(&mut registry).unwrap();
        let app = init_service(
            App::new()
                .service(
                    web::scope("/users")
                        .configure(users::configure)
                        .route("", web::post().to(create_user_unannotated)),
                )
                .service(MetricsEndpoint::new("/metrics", Arc::new(registry)))
                .wrap(metrics),
        )
        .await;
        assert_eq!(send(&app, "POST", "/users").await, 201);
        assert_eq!(send(&app, "GET", "/users").await, 200);
        assert_eq!(send(&app, "POST", "/users").await, 201);
        assert_eq!(
            counts(&scrape(&app).await),
            expected(&[("GET", "/users", 200, 1), ("POST", "unregistered", 201, 2),]),
        );
    });
}

/// A 64 KiB body: big enough that `Compress` gzips it on a blocking thread,
/// so the body is still pending after the handler returned.
mod exports {
    use actix_web::{HttpResponse, get};

    #[route_labels::register]
    #[get("/export")]
    pub async fn export() -> HttpResponse {
        HttpResponse::Ok().body("id,name\n".repeat(8 * 1024))
    }
}

/// The default service of a JSON API.
async fn json_not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("application/json")
        .body(r#"{"error":"not found"}"#)
}

/// actix-web's own middleware inside `HttpMetrics`: paths are normalized
/// before routing, so `/users/7/` is `/users/{id}`; gzip-compressed bodies
/// (one of them compressed on a blocking thread) are counted once, when
/// they are complete; a custom default service is `unmatched`. Catches: a
/// request labelled before normalization, a compressed body counted twice
/// or not at all, the default service counted as `unregistered`.
#[actix_web::test]
async fn a_middleware_stack_with_normalization_compression_and_a_json_default() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let registry = Arc::new(registry);
    let app = init_service(
        App::new()
            .service(web::scope("/users").configure(users::configure))
            .service(web::scope("/orders").configure(orders::configure))
            .service(web::scope("/reports").service(exports::export))
            .service(MetricsEndpoint::new("/metrics", registry))
            .default_service(web::to(json_not_found))
            .wrap(NormalizePath::trim())
            .wrap(Logger::default())
            .wrap(Compress::default())
            .wrap(metrics),
    )
    .await;

    for (uri, route) in [
        ("/users/", "/users"),
        ("/users", "/users"),
        ("/users/7/", "/users/{id}"),
        ("//users//8", "/users/{id}"),
        ("/orders/5/", "/orders/{id}"),
    ] {
        assert_eq!(
            fetch(&app, request("GET", uri)).await,
            (200, route.to_owned())
        );
    }

    // A gzip-accepting client.
    for (uri, route) in [("/users/3", "/users/{id}"), ("/orders/0", "/orders/{id}")] {
        let res = test::call_service(
            &app,
            request("GET", uri)
                .insert_header((header::ACCEPT_ENCODING, "gzip"))
                .to_request(),
        )
        .await;
        assert_eq!(
            res.headers().get(header::CONTENT_ENCODING),
            Some(&HeaderValue::from_static("gzip")),
            "{uri} is compressed"
        );
        let body = test::read_body(res).await;
        assert_ne!(body, route.as_bytes(), "{uri} is compressed");
    }
    let res = test::call_service(
        &app,
        request("GET", "/reports/export/")
            .insert_header((header::ACCEPT_ENCODING, "gzip"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get(header::CONTENT_ENCODING),
        Some(&HeaderValue::from_static("gzip"))
    );
    let body = test::read_body(res).await;
    assert!(
        !body.is_empty() && body.len() < 64 * 1024 / 10,
        "64 KiB of repeated lines compress well: {} bytes",
        body.len()
    );

    for uri in ["/nope", "/nope/", "/users/7/edit/", "/reports"] {
        let res = test::call_service(&app, request("GET", uri).to_request()).await;
        assert_eq!(res.status(), 404, "{uri}");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("application/json"))
        );
        assert_eq!(test::read_body(res).await, r#"{"error":"not found"}"#);
    }

    let samples = scrape(&app).await;
    assert_eq!(
        counts(&samples),
        expected(&[
            ("GET", "/users", 200, 2),
            ("GET", "/users/{id}", 200, 3),
            ("GET", "/orders/{id}", 200, 1),
            ("GET", "/orders/{id}", 404, 1),
            ("GET", "/reports/export", 200, 1),
            ("GET", "unmatched", 404, 4),
        ]),
    );
    assert_histograms_consistent(&samples);
}

/// A session middleware: after the response, it saves the session, which
/// gives the worker back to the executor (twice, and once through a task
/// it spawns and awaits), as a write to a session store does. It tracks how
/// many requests are inside it at once.
#[derive(Clone, Default)]
struct SessionStore {
    inside: Rc<Cell<usize>>,
    most_inside: Rc<Cell<usize>>,
    saved: Rc<Cell<usize>>,
}

impl SessionStore {
    async fn save(&self) {
        yield_now().await;
        let saved = self.saved.clone();
        actix_web::rt::spawn(async move {
            yield_now().await;
            saved.set(saved.get() + 1);
        })
        .await
        .expect("the store write does not panic");
        yield_now().await;
    }

    fn enter(&self) {
        self.inside.set(self.inside.get() + 1);
        self.most_inside
            .set(self.most_inside.get().max(self.inside.get()));
    }

    fn leave(&self) {
        self.inside.set(self.inside.get() - 1);
    }
}

/// `from_fn(session)`: the inner call, then the store write.
async fn session(
    store: SessionStore,
    req: ServiceRequest,
    next: middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    store.enter();
    let res = next.call(req).await?;
    store.save().await;
    store.leave();
    Ok(res)
}

/// `from_fn(defer)`: a middleware that awaits before it calls the inner
/// service (a rate limiter asking its store first), so routing happens in
/// a later poll of the request's future, not in `call`.
async fn defer(
    req: ServiceRequest,
    next: middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    yield_now().await;
    yield_now().await;
    next.call(req).await
}

/// `count` requests spread over two and more routes, the unmatched and the
/// unregistered bucket, each with the route its handler must see and the
/// series it must be counted in.
fn mixed_traffic(count: u32) -> Vec<(String, u16, Option<&'static str>, SeriesKey)> {
    let key = |route: &str, status: u16| ("GET".to_owned(), route.to_owned(), status.to_string());
    (0..count)
        .map(|i| match i % 6 {
            0 => (
                format!("/users/{i}"),
                200,
                Some("/users/{id}"),
                key("/users/{id}", 200),
            ),
            // Order 0 does not exist: every other order request is a 404.
            1 => {
                let id = (i / 6) % 2;
                let status = if id == 0 { 404 } else { 200 };
                (
                    format!("/orders/{id}"),
                    status,
                    Some("/orders/{id}"),
                    key("/orders/{id}", status),
                )
            }
            2 => ("/users".to_owned(), 200, Some("/users"), key("/users", 200)),
            3 => (
                format!("/api/v1/things/{i}"),
                200,
                Some("/api/v1/things/{id}"),
                key("/api/v1/things/{id}", 200),
            ),
            4 => (format!("/nope/{i}"), 404, None, key("unmatched", 404)),
            _ => ("/health".to_owned(), 200, None, key("unregistered", 200)),
        })
        .collect()
}

/// Sends all of `traffic` at once on the one worker of `app`: the futures
/// are polled in turn by `join_all`, so their polls interleave. Checks each
/// status and, for registered routes, the route the handler saw; returns
/// the counts the traffic must produce.
async fn send_interleaved<S, B>(
    app: &S,
    traffic: &[(String, u16, Option<&'static str>, SeriesKey)],
) -> BTreeMap<SeriesKey, f64>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let responses = futures_util::future::join_all(
        traffic
            .iter()
            .map(|(uri, ..)| fetch(app, request("GET", uri))),
    )
    .await;
    let mut expected = BTreeMap::new();
    for ((uri, status, route, key), (got, body)) in traffic.iter().zip(responses) {
        assert_eq!(got, *status, "GET {uri}");
        if let Some(route) = route {
            assert_eq!(body, *route, "the `Route` extractor in GET {uri}");
        }
        *expected.entry(key.clone()).or_insert(0.0) += 1.0;
    }
    expected
}

/// The routes of the interleaving tests; the test adds the middleware.
fn interleaving_routes(registry: Arc<Registry>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(web::scope("/users").configure(users::configure))
            .service(web::scope("/orders").configure(orders::configure))
            .configure(api::v1)
            .service(web::resource("/health").to(health))
            .service(MetricsEndpoint::new("/metrics", registry));
    }
}

/// Many requests of several routes in flight at once on one worker, inside
/// a session middleware that awaits its store after the response, with
/// handlers that yield: each is counted under its own route. Catches: a
/// request labelled with whichever route was routed last on the worker
/// (the claim read after the store write, or after another request's
/// poll), requests counted as `unregistered` because their claim was lost.
#[actix_web::test]
async fn a_session_store_awaited_after_the_response_keeps_each_requests_route() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let store = SessionStore::default();
    let app = {
        let store = store.clone();
        init_service(
            App::new()
                .configure(interleaving_routes(Arc::new(registry)))
                .wrap(from_fn(move |req, next| session(store.clone(), req, next)))
                .wrap(metrics),
        )
        .await
    };

    // Twice: the first batch also resolves every mount while requests of
    // other mounts are in flight.
    let traffic = mixed_traffic(120);
    let mut want = send_interleaved(&app, &traffic).await;
    for (key, n) in send_interleaved(&app, &traffic).await {
        *want.entry(key).or_insert(0.0) += n;
    }
    assert!(
        store.most_inside.get() >= 100,
        "the requests were in flight together: at most {} at once",
        store.most_inside.get()
    );
    assert_eq!(store.saved.get(), 240, "every session was saved");
    assert_eq!(
        want,
        expected(&[
            ("GET", "/users/{id}", 200, 40),
            ("GET", "/orders/{id}", 200, 20),
            ("GET", "/orders/{id}", 404, 20),
            ("GET", "/users", 200, 40),
            ("GET", "/api/v1/things/{id}", 200, 40),
            ("GET", "unmatched", 404, 40),
            ("GET", "unregistered", 200, 40),
        ]),
        "the traffic is what the test means to send"
    );

    let samples = scrape(&app).await;
    assert_eq!(counts(&samples), want);
    assert_histograms_consistent(&samples);
}

/// The same traffic through a middleware that awaits before it calls the
/// inner service, so actix-web routes each request in a later poll, while
/// other requests are between polls. Catches: a route taken only from the
/// synchronous `call` (every request `unregistered`), or from whichever
/// request was routed last.
#[actix_web::test]
async fn a_middleware_that_defers_the_inner_call_keeps_each_requests_route() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let store = SessionStore::default();
    let app = {
        let store = store.clone();
        init_service(
            App::new()
                .configure(interleaving_routes(Arc::new(registry)))
                .wrap(from_fn(defer))
                .wrap(from_fn(move |req, next| session(store.clone(), req, next)))
                .wrap(metrics),
        )
        .await
    };

    let traffic = mixed_traffic(90);
    let want = send_interleaved(&app, &traffic).await;
    assert!(store.most_inside.get() >= 80, "the requests overlapped");
    assert_eq!(
        want,
        expected(&[
            ("GET", "/users/{id}", 200, 15),
            ("GET", "/orders/{id}", 200, 7),
            ("GET", "/orders/{id}", 404, 8),
            ("GET", "/users", 200, 15),
            ("GET", "/api/v1/things/{id}", 200, 15),
            ("GET", "unmatched", 404, 15),
            ("GET", "unregistered", 200, 15),
        ]),
        "the traffic is what the test means to send"
    );
    let samples = scrape(&app).await;
    assert_eq!(counts(&samples), want);
    assert_histograms_consistent(&samples);
}

/// Fails for odd ids, after yielding as a database call does.
#[route_labels::register]
#[get("/{id}/invoice")]
async fn invoice(id: web::Path<u32>) -> Result<HttpResponse, Error> {
    yield_times(*id % 3).await;
    if *id % 2 == 1 {
        return Err(actix_web::error::ErrorInternalServerError("db down"));
    }
    Ok(HttpResponse::Ok().body("invoice"))
}

/// An error handler whose work is a future: it replaces a 500's body by a
/// JSON error, after yielding (it logs to a store).
fn json_server_error<B: 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        yield_times(3).await;
        let status = res.status();
        let (req, _) = res.into_parts();
        let res = HttpResponse::build(status)
            .content_type("application/json")
            .body(format!(r#"{{"error":{}}}"#, status.as_u16()));
        Ok(ServiceResponse::new(req, res).map_into_right_body())
    })))
}

/// An error handler whose work is a future: it tags a 404, keeping its body.
fn tag_not_found<B: 'static>(
    mut res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        yield_times(2).await;
        res.headers_mut().insert(
            header::HeaderName::from_static("x-not-found"),
            HeaderValue::from_static("1"),
        );
        Ok(res.map_into_left_body())
    })))
}

/// actix-web's `ErrorHandlers` with handlers that return futures, for 500
/// and 404, with requests interleaved: the handlers' work runs after the
/// route was known, and each request keeps its route and its final status.
/// Catches: a request counted with the route of the request whose handler
/// ran last, a 500 counted as `unmatched`, the rewritten response counted
/// twice.
#[actix_web::test]
async fn error_handlers_returning_futures_keep_routes_and_statuses() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app = init_service(
        App::new()
            .service(
                web::scope("/orders")
                    .configure(orders::configure)
                    .service(invoice),
            )
            .service(web::resource("/health").to(health))
            .service(MetricsEndpoint::new("/metrics", Arc::new(registry)))
            .wrap(
                ErrorHandlers::new()
                    .handler(StatusCode::INTERNAL_SERVER_ERROR, json_server_error)
                    .handler(StatusCode::NOT_FOUND, tag_not_found),
            )
            .wrap(metrics),
    )
    .await;

    let uris: Vec<String> = (0..60)
        .map(|i| match i % 5 {
            0 | 1 => format!("/orders/{i}/invoice"),
            2 => format!("/orders/{}", i % 2),
            3 => format!("/missing/{i}"),
            _ => "/health".to_owned(),
        })
        .collect();
    let responses = futures_util::future::join_all(uris.iter().map(|uri| async {
        let res = test::call_service(&app, request("GET", uri).to_request()).await;
        let status = res.status().as_u16();
        let tagged = res.headers().contains_key("x-not-found");
        (status, tagged, test::read_body(res).await)
    }))
    .await;
    for (uri, (status, tagged, body)) in uris.iter().zip(&responses) {
        match *status {
            500 => assert_eq!(body, r#"{"error":500}"#, "{uri}"),
            404 => assert!(*tagged, "{uri}: the 404 handler ran"),
            200 => assert!(!*tagged, "{uri}"),
            other => panic!("{uri}: unexpected {other}"),
        }
    }

    let samples = scrape(&app).await;
    assert_eq!(
        counts(&samples),
        expected(&[
            ("GET", "/orders/{id}/invoice", 200, 12),
            ("GET", "/orders/{id}/invoice", 500, 12),
            ("GET", "/orders/{id}", 200, 6),
            ("GET", "/orders/{id}", 404, 6),
            ("GET", "unmatched", 404, 12),
            ("GET", "unregistered", 200, 12),
        ]),
    );
    assert_histograms_consistent(&samples);
}

/// Custom metrics by route: a closed family whose label set has a `Route`.
mod custom {
    use std::sync::OnceLock;

    use actix_web::{HttpResponse, get, web};
    use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
    use prometheus_client::metrics::counter::Counter;
    use route_labels::{ClosedFamily, ClosedLabelSet, ClosedLabelValue, Route};

    #[derive(Clone, Copy, Debug, EncodeLabelValue, ClosedLabelValue)]
    pub enum Cache {
        Hit,
        Miss,
    }

    #[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
    pub struct ViewLabels {
        pub route: Route,
        pub cache: Cache,
    }

    pub type Views = ClosedFamily<ViewLabels, Counter>;

    /// Where the handlers find the family: set at start-up.
    pub type ViewsCell = web::Data<OnceLock<Views>>;

    fn view(route: Route, id: u32, views: &ViewsCell) -> HttpResponse {
        let cache = if id.is_multiple_of(2) {
            Cache::Hit
        } else {
            Cache::Miss
        };
        views
            .get()
            .expect("the family is created at start-up")
            .get_or_create(&ViewLabels { route, cache })
            .inc();
        HttpResponse::Ok().body(route.to_string())
    }

    pub mod users {
        use super::{HttpResponse, Route, ViewsCell, get, web};

        #[route_labels::register]
        #[get("/{id}")]
        pub async fn show(route: Route, id: web::Path<u32>, views: ViewsCell) -> HttpResponse {
            super::view(route, *id, &views)
        }
    }

    pub mod orders {
        use super::{HttpResponse, Route, ViewsCell, get, web};

        #[route_labels::register]
        #[get("/{id}")]
        pub async fn show(route: Route, id: web::Path<u32>, views: ViewsCell) -> HttpResponse {
            super::view(route, *id, &views)
        }
    }

    /// One handler, mounted under `/v1/x` and `/v2/x`.
    pub mod x {
        use super::{HttpResponse, Route, ViewsCell, get, web};

        #[route_labels::register]
        #[get("/{id}")]
        pub async fn show(route: Route, id: web::Path<u32>, views: ViewsCell) -> HttpResponse {
            super::view(route, *id, &views)
        }
    }

    /// Four mounts.
    pub fn routes(cfg: &mut web::ServiceConfig) {
        cfg.service(web::scope("/users").service(users::show))
            .service(web::scope("/orders").service(orders::show))
            .service(web::scope("/v1/x").service(x::show))
            .service(web::scope("/v2/x").service(x::show));
    }

    /// Four mounts of the handlers, and the metrics endpoint every test app
    /// mounts at `/metrics`.
    pub const MOUNTS: usize = 5;
}

/// The per-route views the family holds, by route, and the per-route
/// `_count`s of the HTTP metrics, from one exposition each.
fn views_and_requests(
    views: &[common::Sample],
    http: &[common::Sample],
) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut by_route = BTreeMap::new();
    for s in views.iter().filter(|s| s.name == "views_total") {
        *by_route.entry(s.labels["route"].clone()).or_insert(0.0) += s.value;
    }
    let mut requests = BTreeMap::new();
    for ((_, route, _), n) in counts(http) {
        *requests.entry(route).or_insert(0.0) += n;
    }
    (by_route, requests)
}

/// Traffic for the custom-metrics app: 3 to `/users`, 2 to `/orders`, 2 to
/// `/v1/x`, 1 to `/v2/x`.
async fn view_traffic<S, B>(app: &S)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    for (uri, route) in [
        ("/users/1", "/users/{id}"),
        ("/users/2", "/users/{id}"),
        ("/users/4", "/users/{id}"),
        ("/orders/1", "/orders/{id}"),
        ("/orders/3", "/orders/{id}"),
        ("/v1/x/2", "/v1/x/{id}"),
        ("/v1/x/5", "/v1/x/{id}"),
        ("/v2/x/6", "/v2/x/{id}"),
    ] {
        assert_eq!(
            fetch(app, request("GET", uri)).await,
            (200, route.to_owned())
        );
    }
}

fn want_views() -> BTreeMap<String, f64> {
    [
        ("/orders/{id}", 2.0),
        ("/users/{id}", 3.0),
        ("/v1/x/{id}", 2.0),
        ("/v2/x/{id}", 1.0),
    ]
    .into_iter()
    .map(|(route, n)| (route.to_owned(), n))
    .collect()
}

const FAMILY_BEFORE_THE_APP: &str = "a_route_family_created_at_start_up_holds_every_mount";

/// The way a service sets up custom metrics: the family is created and
/// registered with the HTTP metrics before `HttpServer::new` (whose closure
/// captures it), and the apps are built afterwards. Its series carry the
/// mounted routes, the same values as `http_route` in the same scrape, and
/// `max_series()` is (mounts + 2) × the other fields' cardinality. Catches:
/// a family sized before the mounts are known (its `Route` values then have
/// no cell), a route value that is the declared template (`/{id}` for all
/// four mounts), values that differ from `http_route`.
#[test]
fn a_route_family_created_at_start_up_holds_every_mount() {
    if !common::alone(FAMILY_BEFORE_THE_APP) {
        return;
    }
    actix_web::rt::System::new().block_on(async {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::new(&mut registry).unwrap();
        let views = custom::Views::default();
        registry.register("views", "Views by route and cache", views.clone());
        let cell = web::Data::new(std::sync::OnceLock::new());
        assert!(cell.set(views.clone()).is_ok());
        let app = init_service(
            App::new()
                .app_data(cell)
                .configure(custom::routes)
                .service(MetricsEndpoint::new("/metrics", Arc::new(registry)))
                .wrap(metrics),
        )
        .await;

        assert_eq!(
            views.max_series(),
            (custom::MOUNTS + 2) * 2,
            "five mounts, `unmatched` and `unregistered`, times two cache values"
        );
        view_traffic(&app).await;
        let samples = scrape(&app).await;
        let (by_route, requests) = views_and_requests(&samples, &samples);
        assert_eq!(by_route, want_views());
        assert_eq!(requests, want_views(), "`http_route` has the same values");
        assert_eq!(views.max_series(), (custom::MOUNTS + 2) * 2);
    });
}

const FAMILY_AFTER_THE_APP: &str = "a_route_family_created_once_the_app_is_built_holds_every_mount";

/// The family created once the app is built (so the mounts are known), its
/// exposition compared with the HTTP metrics' own: the routes are the
/// mounted full templates, the same values as `http_route`, and
/// `max_series()` is exactly (mounts + 2) × 2. Catches: a route value that
/// is the declared template, a cardinality that counts each handler once
/// (four, not five, mounts) or counts mounts twice.
#[test]
fn a_route_family_created_once_the_app_is_built_holds_every_mount() {
    if !common::alone(FAMILY_AFTER_THE_APP) {
        return;
    }
    actix_web::rt::System::new().block_on(async {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::new(&mut registry).unwrap();
        let cell = web::Data::new(std::sync::OnceLock::new());
        let app = init_service(
            App::new()
                .app_data(cell.clone())
                .configure(custom::routes)
                .service(MetricsEndpoint::new("/metrics", Arc::new(registry)))
                .wrap(metrics),
        )
        .await;
        let views = custom::Views::default();
        assert_eq!(
            views.max_series(),
            (custom::MOUNTS + 2) * 2,
            "five mounts, `unmatched` and `unregistered`, times two cache values"
        );
        assert!(cell.set(views.clone()).is_ok());
        let mut views_registry = Registry::default();
        views_registry.register("views", "Views by route and cache", views.clone());

        view_traffic(&app).await;
        let http = scrape(&app).await;
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &views_registry).unwrap();
        let (by_route, requests) = views_and_requests(&samples(&text), &http);
        assert_eq!(by_route, want_views());
        assert_eq!(requests, want_views(), "`http_route` has the same values");
        // Each (route, cache) pair once, with its count.
        let pairs: BTreeMap<(String, String), f64> = samples(&text)
            .into_iter()
            .filter(|s| s.name == "views_total")
            .map(|s| {
                (
                    (s.labels["route"].clone(), s.labels["cache"].clone()),
                    s.value,
                )
            })
            .collect();
        let want: BTreeMap<(String, String), f64> = [
            ("/orders/{id}", "Miss", 2.0),
            ("/users/{id}", "Hit", 2.0),
            ("/users/{id}", "Miss", 1.0),
            ("/v1/x/{id}", "Hit", 1.0),
            ("/v1/x/{id}", "Miss", 1.0),
            ("/v2/x/{id}", "Hit", 1.0),
        ]
        .into_iter()
        .map(|(route, cache, n)| ((route.to_owned(), cache.to_owned()), n))
        .collect();
        assert_eq!(pairs, want);
        assert_eq!(views.max_series(), (custom::MOUNTS + 2) * 2);
    });
}

/// A CSV export streamed from a database cursor; the cursor fails after
/// the first chunk for id 0.
#[route_labels::register]
#[get("/{id}/csv")]
async fn csv(id: web::Path<u32>) -> HttpResponse {
    let last = if *id == 0 {
        Err(std::io::Error::other("cursor closed"))
    } else {
        Ok(Bytes::from_static(b"1,10\n"))
    };
    HttpResponse::Ok().streaming(futures_util::stream::iter([
        Ok(Bytes::from_static(b"id,total\n")),
        last,
    ]))
}

/// A body that yields an error after its head (`200`) was sent is a server
/// failure: `500`, under its route; read as the server reads it, through
/// `Compress` or not. Catches: the head's `200`, or `499` (a body dropped
/// unfinished, as when the client leaves), or a request counted twice
/// (once at the error, once at the drop).
#[actix_web::test]
async fn a_streaming_body_that_fails_is_a_500() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app = init_service(
        App::new()
            .service(web::scope("/orders").service(csv))
            .service(MetricsEndpoint::new("/metrics", Arc::new(registry)))
            .wrap(Compress::default())
            .wrap(metrics),
    )
    .await;

    for accept in [None, Some("gzip")] {
        let mut req = request("GET", "/orders/0/csv");
        if let Some(accept) = accept {
            req = req.insert_header((header::ACCEPT_ENCODING, accept));
        }
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(
            res.status(),
            200,
            "the head was sent before the body failed"
        );
        let body = actix_web::body::to_bytes(res.into_body()).await;
        assert!(body.is_err(), "the body fails ({accept:?})");
    }
    let res = test::call_service(&app, request("GET", "/orders/1/csv").to_request()).await;
    assert_eq!(test::read_body(res).await, "id,total\n1,10\n");

    let samples = scrape(&app).await;
    assert_eq!(
        counts(&samples),
        expected(&[
            ("GET", "/orders/{id}/csv", 500, 2),
            ("GET", "/orders/{id}/csv", 200, 1),
        ]),
    );
    assert_histograms_consistent(&samples);
}
