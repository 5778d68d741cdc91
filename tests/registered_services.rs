//! Services that are not handlers, beside handlers, as a real service mounts
//! them: static files (actix-files), a redirect, Swagger UI with its OpenAPI
//! document (utoipa-swagger-ui, vendored). Every request is counted under
//! the label of what answered it; only paths nothing serves are
//! `unmatched`, and nothing is `unregistered`.

mod common;

use std::path::PathBuf;

use actix_files::Files;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::test::{self, TestRequest, init_service};
use actix_web::{App, HttpResponse, get, web};
use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use common::{count, exposition, route_info_mounts, total};

#[route_labels::register]
#[get("/pets/{id}")]
async fn get_pet() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(OpenApi)]
#[openapi(info(title = "pets", version = "1"))]
struct ApiDoc;

fn static_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("route-labels-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("css")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>pets</h1>").unwrap();
    std::fs::write(dir.join("css/site.css"), "h1 {}").unwrap();
    dir
}

/// A rate limiter on the docs scope: `429` to a request marked `x-throttle`.
async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if req.headers().contains_key("x-throttle") {
        Ok(req.into_response(HttpResponse::TooManyRequests().finish()))
    } else {
        Ok(next.call(req).await?.map_into_boxed_body())
    }
}

#[actix_web::test]
async fn files_a_redirect_and_swagger_ui_are_counted_under_their_labels() {
    let dir = static_dir();
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app = init_service(
        metrics.app(
            App::new()
                .service(web::scope("/api").service(get_pet))
                // A scope another crate would build, given as a closure that
                // makes it: a `Scope` is not `Clone`.
                .service(route_labels::service!("/docs", || {
                    web::scope("/docs").wrap(from_fn(rate_limit)).service(
                        SwaggerUi::new("/ui/{_:.*}").url("/openapi.json", ApiDoc::openapi()),
                    )
                }))
                .service(route_labels::service!(
                    "/old-pets",
                    web::redirect("/old-pets", "/api/pets/1")
                ))
                .service(route_labels::service!(
                    "/static",
                    Files::new("/static", &dir).index_file("index.html")
                )),
        ),
    )
    .await;

    // Known from the build, before any request.
    assert_eq!(
        route_info_mounts(&exposition(&registry)),
        ["/api/pets/{id}", "/docs", "/old-pets", "/static"]
    );
    let bound = metrics.max_samples();

    let get = |uri: &str| TestRequest::get().uri(uri).to_request();
    let status = |res: ServiceResponse<_>| res.status().as_u16();
    assert_eq!(
        status(test::call_service(&app, get("/api/pets/1")).await),
        200
    );
    assert_eq!(
        status(test::call_service(&app, get("/static/css/site.css")).await),
        200
    );
    assert_eq!(status(test::call_service(&app, get("/static/")).await), 200);
    assert_eq!(
        status(test::call_service(&app, get("/static/missing.js")).await),
        404
    );
    assert_eq!(
        status(test::call_service(&app, get("/old-pets")).await),
        307
    );
    assert_eq!(
        status(test::call_service(&app, get("/docs/openapi.json")).await),
        200
    );
    assert_eq!(
        status(test::call_service(&app, get("/docs/ui/")).await),
        200
    );
    assert_eq!(
        status(test::call_service(&app, get("/docs/ui/index.css")).await),
        200
    );
    let throttled = TestRequest::get()
        .uri("/docs/openapi.json")
        .insert_header(("x-throttle", "1"))
        .to_request();
    assert_eq!(status(test::call_service(&app, throttled).await), 429);
    assert_eq!(
        status(test::call_service(&app, get("/wp-login.php")).await),
        404
    );

    let samples = exposition(&registry);
    assert_eq!(count(&samples, "GET", "/api/pets/{id}", "200"), 1.0);
    assert_eq!(count(&samples, "GET", "/static", "200"), 2.0);
    assert_eq!(
        count(&samples, "GET", "/static", "404"),
        1.0,
        "the service's own 404"
    );
    assert_eq!(count(&samples, "GET", "/old-pets", "307"), 1.0);
    assert_eq!(count(&samples, "GET", "/docs", "200"), 3.0);
    assert_eq!(count(&samples, "GET", "/docs", "429"), 1.0);
    assert_eq!(count(&samples, "GET", "unmatched", "404"), 1.0);
    assert_eq!(total(&samples), 10.0);
    assert_eq!(metrics.max_samples(), bound);
    std::fs::remove_dir_all(dir).unwrap();
}

#[route_labels::register]
#[get("/stats")]
async fn stats() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A scope another crate builds, with a registered handler inside: the
/// handler keeps its own mount (the more precise registration), the rest of
/// the scope counts under the service's label, and building the scope apart
/// to read its resource map adds no mount.
#[actix_web::test]
async fn a_registered_handler_inside_a_registered_service_keeps_its_mount() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let admin = route_labels::service!("/admin", || {
        web::scope("/admin")
            .service(stats)
            .route("/jobs", web::get().to(HttpResponse::Ok))
    });
    let app = init_service(metrics.app(App::new().service(web::scope("/v1").service(admin)))).await;
    let get = |uri: &str| TestRequest::get().uri(uri).to_request();
    assert_eq!(
        test::call_service(&app, get("/v1/admin/stats"))
            .await
            .status(),
        200
    );
    assert_eq!(
        test::call_service(&app, get("/v1/admin/jobs"))
            .await
            .status(),
        200
    );

    let samples = exposition(&registry);
    assert_eq!(count(&samples, "GET", "/v1/admin/stats", "200"), 1.0);
    assert_eq!(count(&samples, "GET", "/v1/admin", "200"), 1.0);
    assert_eq!(
        route_info_mounts(&samples),
        ["/v1/admin", "/v1/admin/stats"]
    );
    let stats_mounts: Vec<String> = route_labels::route_of!(stats)
        .mounts()
        .map(|route| route.to_string())
        .collect();
    assert_eq!(
        stats_mounts,
        ["/v1/admin/stats"],
        "no mount of the scope built apart"
    );
}
