//! The app: routes, middleware and shared state, as `main` serves it and
//! as `tests/service_example.rs` drives it.
//!
//! | mounted at | module | style |
//! |---|---|---|
//! | `/users`, `/orders` | [`users`], [`orders`] | `#[route_labels::register]` handlers, `configure` |
//! | `/api/v1/..`, `/api/v2/..` | [`api`]: the same two modules again | `configure` |
//! | `/posts` | [`posts`] | `route_labels::get!()` / `post!()` builders |
//! | `/health` | [`health`] | `route_labels::resource!` |
//! | `/metrics` | `MetricsEndpoint` | labelled by its own path: `/metrics` |
//! | `/static/..` | `actix_files::Files` | `route_labels::service!("/static", ..)` |
//! | `/shop` | `web::redirect` to `/orders` | `route_labels::service!("/shop", ..)` |
//! | `/docs/..`, `/api-docs/openapi.json` | `utoipa_swagger_ui::SwaggerUi`, [`docs`] | `route_labels::service!("/docs", ..)` |
//! | anything else | [`not_found`] | the default service: `unmatched` |

mod api;
mod docs;
mod events;
mod health;
mod not_found;
mod orders;
mod posts;
mod session;
mod users;

use std::sync::Arc;

use actix_files::Files;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceResponse};
use actix_web::middleware::{Compress, Logger, NormalizePath, from_fn};
use actix_web::{App, Error, web};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub use self::events::Events;
use self::events::Outcome;

/// The whole app, for one worker: `HttpServer::new(move || app(..))`.
///
/// `metrics` wraps the app through [`HttpMetrics::app`], so it is the
/// outermost middleware: it times the others too, sees the path after
/// [`NormalizePath`] only through the route the request reached, and knows
/// the app's mounts as soon as a worker has built it.
pub fn app(
    metrics: HttpMetrics,
    events: web::Data<Events>,
    registry: Arc<Registry>,
) -> route_labels::dev::MeteredApp<
    impl ServiceFactory<
        actix_http::Request,
        Config = actix_web::dev::AppConfig,
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let app = App::new()
        .app_data(events)
        .service(web::scope("/users").configure(users::configure))
        .service(web::scope("/orders").configure(orders::configure))
        .service(web::scope("/api/v1").configure(api::configure))
        .service(web::scope("/api/v2").configure(api::configure))
        .service(posts::scope())
        .service(health::resource())
        .service(MetricsEndpoint::new("/metrics", registry))
        // Services that are not handlers, each counted under its label.
        .service(route_labels::service!(
            "/static",
            Files::new(
                "/static",
                concat!(env!("CARGO_MANIFEST_DIR"), "/examples/service/static")
            )
            .index_file("index.html")
        ))
        .service(route_labels::service!(
            "/shop",
            web::redirect("/shop", "/orders")
        ))
        .service(route_labels::service!(
            "/docs",
            SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", docs::ApiDoc::openapi())
        ))
        .default_service(web::to(not_found::not_found))
        .wrap(from_fn(session::session))
        .wrap(Compress::default())
        .wrap(NormalizePath::trim())
        .wrap(Logger::default());
    metrics.app(app)
}
