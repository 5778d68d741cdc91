//! What is not registered, said out loud: once an app is built through
//! `HttpMetrics::app`, its mounts that nothing of route-labels serves are
//! listed by full template (`unregistered_mounts`, and a warning), and a
//! test of the app fails on them with `assert_all_registered`. Registered
//! handlers, route builders, registered services and the metrics endpoint
//! are never listed; the listing request itself is never counted.

mod common;

use std::sync::Arc;

use actix_web::test::init_service;
use actix_web::{App, HttpResponse, get, web};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

use common::{samples, total};

#[route_labels::register]
#[get("/{id}")]
async fn show_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[route_labels::register]
#[get("")]
async fn list_users() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn plain() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn app(
    metrics: HttpMetrics,
    registry: Arc<Registry>,
    forgotten: bool,
) -> route_labels::dev::MeteredApp<
    impl actix_web::dev::ServiceFactory<
        actix_http::Request,
        Config = actix_web::dev::AppConfig,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let users = web::scope("/users").service(list_users).service(show_user);
    let mut admin = web::scope("/admin")
        .route("/stats", route_labels::get!().to(plain))
        .service(route_labels::resource!("/config").to(plain));
    if forgotten {
        // Converting by hand, two routes were missed.
        admin = admin
            .route("/audit", web::get().to(plain))
            .service(web::resource("/jobs/{id}").to(plain));
    }
    metrics.app(
        App::new()
            .service(users)
            .service(admin)
            .service(route_labels::service!(
                "/old",
                web::redirect("/old", "/users")
            ))
            .service(MetricsEndpoint::new("/metrics", registry)),
    )
}

#[actix_web::test]
async fn an_app_with_every_mount_registered_passes() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    assert_eq!(metrics.unregistered_mounts(), None, "not built yet");
    let _app = init_service(app(metrics.clone(), Arc::new(Registry::default()), false)).await;
    assert_eq!(metrics.unregistered_mounts(), Some(Vec::new()));
    metrics.assert_all_registered();

    // The listing request is not counted anywhere.
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert_eq!(total(&samples(&text)), 0.0);
}

#[actix_web::test]
async fn forgotten_routes_are_named_by_their_full_templates() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let _app = init_service(app(metrics.clone(), Arc::new(Registry::default()), true)).await;
    assert_eq!(
        metrics.unregistered_mounts().unwrap(),
        ["/admin/audit", "/admin/jobs/{id}"]
    );
    let failed = std::panic::catch_unwind(|| metrics.assert_all_registered()).unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("2 mount(s)") && message.contains("/admin/audit, /admin/jobs/{id}"),
        "{message}"
    );
}
