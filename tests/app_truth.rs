//! One app, one truth: an app built through `HttpMetrics::app` is known to
//! its metrics before any request, requests a scope's middleware refuses
//! keep their route, and two apps in one process never see each other.
//! Laid out as a real service is: an API scope behind an auth check and a
//! rate limiter, a public scope, and an admin app of its own.

mod common;

use actix_web::dev::{Service, ServiceRequest};
use actix_web::middleware::{Next, from_fn};
use actix_web::test::init_service;
use actix_web::{App, HttpResponse, get, post, web};
use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;

use common::{count, exposition, route_info_mounts, send};

#[route_labels::register]
#[get("/posts/{id}")]
async fn get_post() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[post("/posts")]
async fn create_post() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[route_labels::register]
#[get("")]
async fn api_root() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[get("/users")]
async fn admin_users() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Answers `401` to a request without `authorization`, before routing
/// inside the scope.
async fn auth(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if req.headers().contains_key("authorization") {
        Ok(next.call(req).await?.map_into_boxed_body())
    } else {
        Ok(req.into_response(HttpResponse::Unauthorized().finish()))
    }
}

/// Answers `429` to a request marked `x-throttle`, as a rate limiter does.
async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if req.headers().contains_key("x-throttle") {
        Ok(req.into_response(HttpResponse::TooManyRequests().finish()))
    } else {
        Ok(next.call(req).await?.map_into_boxed_body())
    }
}

async fn call<S, B>(app: &S, method: &str, uri: &str, headers: &[(&str, &str)]) -> u16
where
    S: Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut req = actix_web::test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri);
    for header in headers {
        req = req.insert_header(*header);
    }
    actix_web::test::call_service(app, req.to_request())
        .await
        .status()
        .as_u16()
}

#[actix_web::test]
async fn requests_a_scope_middleware_refuses_keep_their_route() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app = init_service(
        metrics.app(
            App::new().service(
                web::scope("/api")
                    .wrap(from_fn(auth))
                    .wrap(from_fn(rate_limit))
                    .service(get_post)
                    .service(create_post)
                    .service(api_root),
            ),
        ),
    )
    .await;
    let token = [("authorization", "Bearer x")];
    let throttled = [("authorization", "Bearer x"), ("x-throttle", "1")];

    assert_eq!(call(&app, "GET", "/api/posts/1", &token).await, 200);
    assert_eq!(call(&app, "GET", "/api/posts/2", &[]).await, 401);
    assert_eq!(call(&app, "GET", "/api/posts/3", &[]).await, 401);
    assert_eq!(call(&app, "POST", "/api/posts", &throttled).await, 429);
    assert_eq!(call(&app, "GET", "/api", &[]).await, 401);
    // No route matches: refused all the same, and `unmatched`.
    assert_eq!(call(&app, "GET", "/api/wp-login.php", &[]).await, 401);
    // A method the route does not accept: actix-web would not route it there.
    assert_eq!(call(&app, "DELETE", "/api/posts/1", &[]).await, 401);
    assert_eq!(call(&app, "DELETE", "/api/posts/1", &token).await, 404);

    let samples = exposition(&registry);
    assert_eq!(count(&samples, "GET", "/api/posts/{id}", "200"), 1.0);
    assert_eq!(count(&samples, "GET", "/api/posts/{id}", "401"), 2.0);
    assert_eq!(count(&samples, "POST", "/api/posts", "429"), 1.0);
    assert_eq!(count(&samples, "GET", "/api", "401"), 1.0);
    assert_eq!(count(&samples, "GET", "unmatched", "401"), 1.0);
    assert_eq!(count(&samples, "DELETE", "unmatched", "401"), 1.0);
    assert_eq!(count(&samples, "DELETE", "unmatched", "404"), 1.0);
    assert_eq!(common::total(&samples), 8.0);
    assert!(
        samples
            .iter()
            .all(|s| s.labels.get("http_route").map(String::as_str) != Some("unregistered")),
        "nothing here is served by a resource that is not registered"
    );
}

#[actix_web::test]
async fn two_apps_in_one_process_never_see_each_other() {
    let mut api_registry = Registry::default();
    let api_metrics = HttpMetrics::new(&mut api_registry).unwrap();
    let mut admin_registry = Registry::default();
    let admin_metrics = HttpMetrics::new(&mut admin_registry).unwrap();
    let api = init_service(
        api_metrics.app(
            App::new()
                .service(health)
                .service(web::scope("/v1").service(get_post).service(create_post)),
        ),
    )
    .await;
    let admin = init_service(
        admin_metrics.app(App::new().service(web::scope("/admin").service(admin_users))),
    )
    .await;

    // Built, before any request: each lists its own mounts, and its bound.
    let api_bound = api_metrics.max_samples();
    let admin_bound = admin_metrics.max_samples();
    assert_eq!(
        route_info_mounts(&exposition(&api_registry)),
        ["/health", "/v1/posts", "/v1/posts/{id}"]
    );
    assert_eq!(
        route_info_mounts(&exposition(&admin_registry)),
        ["/admin/users"]
    );
    assert!(admin_bound < api_bound, "{admin_bound} vs {api_bound}");

    // Traffic to every route, with every status each can answer.
    for _ in 0..3 {
        assert_eq!(send(&api, "GET", "/health").await, 200);
        assert_eq!(send(&api, "GET", "/v1/posts/7").await, 200);
        assert_eq!(send(&api, "POST", "/v1/posts").await, 201);
        assert_eq!(send(&api, "GET", "/nope").await, 404);
        assert_eq!(send(&admin, "GET", "/admin/users").await, 200);
        assert_eq!(send(&admin, "GET", "/v1/posts/7").await, 404);
    }
    let api_samples = exposition(&api_registry);
    let admin_samples = exposition(&admin_registry);
    assert_eq!(count(&api_samples, "GET", "/v1/posts/{id}", "200"), 3.0);
    assert_eq!(count(&admin_samples, "GET", "unmatched", "404"), 3.0);
    assert_eq!(count(&admin_samples, "GET", "/v1/posts/{id}", "200"), 0.0);
    assert_eq!(route_info_mounts(&admin_samples), ["/admin/users"]);
    assert_eq!(api_metrics.max_samples(), api_bound, "final once built");
    assert_eq!(admin_metrics.max_samples(), admin_bound, "final once built");
    let request_samples = |samples: &[common::Sample]| {
        samples
            .iter()
            .filter(|s| s.name.starts_with("http_server_"))
            .count() as u64
    };
    assert!(request_samples(&api_samples) <= api_bound);
    assert!(request_samples(&admin_samples) <= admin_bound);
}
