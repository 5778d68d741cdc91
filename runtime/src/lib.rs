//! Bounded route labels for actix-web Prometheus metrics.
//!
//! `#[route_labels::register]` records each handler in a link-time
//! inventory, and so do the builder macros ([`resource!`], [`get!`], ...) for
//! apps routed without attribute macros. [`HttpMetrics`] labels each request
//! with the full template of the registered mount that served it, scope
//! prefixes included: a closed set, fixed once the app is built. A request
//! that reached no registered route is counted under [`UNMATCHED`] or
//! [`UNREGISTERED`], never under its path. Custom metrics take the same value
//! from the [`Route`] extractor; there is no `Route` from a string, so
//! labelling by a string does not compile.
//!
//! ```
//! use std::sync::Arc;
//! use actix_web::{get, web, App, HttpResponse};
//! use prometheus_client::registry::Registry;
//! use route_labels::{HttpMetrics, MetricsEndpoint};
//!
//! #[route_labels::register]
//! #[get("/accounts/{id}")]
//! async fn get_account(id: web::Path<u64>) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("account {id}"))
//! }
//!
//! # fn main() -> Result<(), route_labels::BuildError> {
//! let mut registry = Registry::default();
//! let metrics = HttpMetrics::new(&mut registry)?;
//! let registry = Arc::new(registry);
//! let app = move || {
//!     App::new()
//!         .service(get_account)
//!         .service(MetricsEndpoint::new("/metrics", registry.clone()))
//!         .wrap(metrics.clone())
//! };
//! // actix_web::HttpServer::new(app).bind(("127.0.0.1", 8080))?.run().await
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![warn(clippy::pedantic)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]

mod cells;
mod closed;
mod export;
mod labels;
mod middleware;
mod routing;

pub use crate::closed::family::ClosedFamily;
pub use crate::closed::{ClosedLabelSet, ClosedLabelValue};
#[cfg(feature = "protobuf")]
pub use crate::export::exposition::PROMETHEUS_PROTOBUF_CONTENT_TYPE;
pub use crate::export::exposition::{
    MetricsEndpoint, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE,
};
pub use crate::middleware::body::MeteredBody;
pub use crate::middleware::error::BuildError;
pub use crate::middleware::service::{HttpMetricsFuture, HttpMetricsService};
pub use crate::routing::builders::{Resource, RouteBuilder};

/// The machinery behind [`HttpMetrics::app`] that a user rarely names.
pub mod dev {
    pub use crate::routing::app::MeteredApp;
    pub use crate::routing::services::RegisteredService;
}
pub use crate::cells::native::{Histograms, NativeBuckets};
pub use crate::labels::{
    CLIENT_CLOSED_REQUEST, HttpMethod, OTHER_ERROR_TYPE, OTHER_STATUS, UNMATCHED, UNREGISTERED,
};
pub use crate::middleware::{
    DEFAULT_BODY_SIZE_BUCKETS, DEFAULT_BUCKETS, DEFAULT_STATUS_CODES_PER_ROUTE, HttpMetrics,
    HttpMetricsBuilder,
};
pub use crate::routing::inventory::{Registered, RouteInfo, routes};
pub use crate::routing::route::Route;

/// Records an actix-web handler's route in the inventory. Place it above the
/// handler's actix-web route attribute.
///
/// Accepts `#[get]`, `#[post]`, `#[put]`, `#[delete]`, `#[patch]`, `#[head]`,
/// `#[options]`, `#[trace]`, `#[connect]`, `#[query]`, `#[route(..)]` and
/// `#[routes]`. It emits the handler's [`RouteInfo`], implements
/// [`Registered`] for it (so [`route_of!`] works), and adds a `wrap` to the
/// actix-web attribute that tells [`HttpMetrics`] which mount served each
/// request. Templates that actix-web would reject, and templates containing
/// `?` or `#`, do not compile.
///
/// ```
/// use actix_web::{get, route, routes, HttpResponse};
///
/// #[route_labels::register]
/// #[get("/people/{id}")]
/// async fn get_person() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// #[route_labels::register]
/// #[route("/items", method = "GET", method = "PUT")]
/// async fn items() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// #[route_labels::register]
/// #[routes]
/// #[get("/")]
/// #[get("/index")]
/// async fn index() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// assert_eq!(route_labels::routes().filter(|r| r.template() == Some("/index")).count(), 1);
/// ```
///
/// If your crate reaches route-labels under another name, say where:
/// `#[route_labels::register(crate = my_reexports::route_labels)]`.
pub use route_labels_macros::register;

/// Derives [`ClosedLabelValue`](trait@ClosedLabelValue) for an enum whose
/// variants carry no data; see the trait for an example.
///
/// A variant with fields, a struct or a union is rejected at compile time.
/// If your crate reaches route-labels under another name, say where:
/// `#[closed(crate = my_reexports::route_labels)]`.
///
/// ```
/// # use prometheus_client::encoding::EncodeLabelValue;
/// #[derive(Clone, Copy, EncodeLabelValue, route_labels::ClosedLabelValue)]
/// enum Cache { Hit, Miss }
///
/// assert_eq!(<Cache as route_labels::ClosedLabelValue>::CARDINALITY, Some(2));
/// ```
pub use route_labels_macros::ClosedLabelValue;

/// Derives [`ClosedLabelSet`](trait@ClosedLabelSet) for a struct whose fields
/// are all [`ClosedLabelValue`](trait@ClosedLabelValue)s (or, with
/// `#[prometheus(flatten)]`, `ClosedLabelSet`s); see the trait for an example.
///
/// `#[closed(max_series = N)]` on the struct fails compilation when the
/// fields allow more than `N` combinations of values; it needs every field's
/// cardinality at compile time, so a [`Route`] field rules it out.
/// `#[closed(crate = path)]` says where route-labels is.
///
/// ```
/// # use prometheus_client::encoding::EncodeLabelSet;
/// #[derive(Clone, EncodeLabelSet, route_labels::ClosedLabelSet)]
/// #[closed(max_series = 20)]
/// struct Labels { method: route_labels::HttpMethod, ok: bool }
///
/// assert_eq!(<Labels as route_labels::ClosedLabelSet>::CARDINALITY, Some(20));
/// ```
pub use route_labels_macros::ClosedLabelSet;

/// A registered [`web::resource`](actix_web::web::resource): the same
/// builder, whose call site is recorded in the inventory and whose requests
/// are counted under the full template it is mounted at.
///
/// The template is checked at compile time as `#[register]` checks one. The
/// methods are not known at compile time (they are the resource's routes,
/// and anything else gets its default `405`, counted under its route), so
/// the resource has a row for every method label. When every route is a
/// route builder ([`get!`](crate::get), ...: each counts what it serves
/// under its own mount) and the resource has no handler, default service or
/// middleware of its own, the resource itself only answers those `405`s:
/// an app built through [`HttpMetrics::app`] learns that when it is built,
/// and its rows keep one status slot each in
/// [`HttpMetrics::max_samples`] (a first route that never matches tells
/// the app where the resource's routes begin: a request through the
/// resource pays its guard). Replace `web::resource(` with
/// `route_labels::resource!(`:
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
///
/// async fn show_user() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
/// let app = test::init_service(
///     App::new()
///         .service(web::scope("/users").service(
///             route_labels::resource!("/{id}").route(web::get().to(show_user)),
///         ))
///         .wrap(metrics),
/// )
/// .await;
/// test::call_service(&app, test::TestRequest::delete().uri("/users/7").to_request()).await;
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains(r#"http_request_method="DELETE",http_response_status_code="405",http_route="/users/{id}""#));
/// # });
/// ```
///
/// A template actix-web would refuse does not compile:
///
/// ```compile_fail
/// let resource = route_labels::resource!("/users/{id");
/// ```
#[macro_export]
macro_rules! resource {
    ($($template:tt)*) => {
        $crate::__private::__resource!($crate, $($template)*)
    };
}

/// A registered service that is not a handler: `actix_files::Files`,
/// `web::redirect`, `utoipa_swagger_ui::SwaggerUi`, a `Scope` another crate
/// builds. Every request the service answers (its `404`s included, and
/// requests a middleware of an enclosing scope answers before it) is counted
/// under `http_route` = the label, after the prefix of the scope it is
/// mounted in: one closed value for the service, as a handler's template is
/// one for its handler. The label is checked as a template at compile time;
/// the service's own prefix is the natural choice.
///
/// The service is registered as it is without route-labels, so the app
/// routes exactly as before; it must be `Clone` (the three above are), or be
/// given as a closure written in the macro that makes it (`|| admin_scope()`:
/// a `Scope` is not `Clone`): a second one is built alone when the app is
/// built, and its resource map tells which paths are the service's. A
/// registered handler inside it keeps its own mount. Counting a request
/// costs no allocation.
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
/// let app = metrics.app(
///     App::new().service(
///         web::scope("/v1").service(route_labels::service!("/old", web::redirect("/old", "/new"))),
///     ),
/// );
/// let app = test::init_service(app).await;
/// test::call_service(&app, test::TestRequest::get().uri("/v1/old").to_request()).await;
///
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains(r#"http_route="/v1/old""#));
/// # });
/// ```
#[macro_export]
macro_rules! service {
    ($($args:tt)*) => {
        $crate::__private::__service!($crate, $($args)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __route_builder {
    ($site:literal, [$($method:literal),*]) => {{
        #[$crate::__private::linkme::distributed_slice($crate::__private::ROUTES)]
        #[linkme(crate = $crate::__private::linkme)]
        static ROUTE: $crate::RouteInfo = $crate::RouteInfo::__new(
            ::core::option::Option::None,
            &[$($method),*],
            ::core::concat!(::core::module_path!(), "::", $site),
            ::core::file!(),
            ::core::line!(),
        );
        $crate::__private::RouteBuilder::__new(&ROUTE)
    }};
}

/// A registered [`web::get()`](actix_web::web::get): a GET route whose
/// call site is recorded in the inventory; see [`RouteBuilder`].
///
/// A request it serves is counted under the full template the route is
/// mounted at, whichever builder mounts it (`Scope::route`, `App::route`,
/// `ServiceConfig::route`, `Resource::route`). Replace `web::get()` with
/// `route_labels::get!()`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/api").route("/thing", route_labels::get!().to(handler)));
/// ```
#[macro_export]
macro_rules! get {
    () => {
        $crate::__route_builder!("get!()", ["GET"])
    };
}

/// A registered [`web::post()`](actix_web::web::post): a POST route whose
/// call site is recorded in the inventory; see [`RouteBuilder`].
///
/// A request it serves is counted under the full template the route is
/// mounted at, whichever builder mounts it (`Scope::route`, `App::route`,
/// `ServiceConfig::route`, `Resource::route`). Replace `web::post()` with
/// `route_labels::post!()`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/api").route("/thing", route_labels::post!().to(handler)));
/// ```
#[macro_export]
macro_rules! post {
    () => {
        $crate::__route_builder!("post!()", ["POST"])
    };
}

/// A registered [`web::put()`](actix_web::web::put): a PUT route whose
/// call site is recorded in the inventory; see [`RouteBuilder`].
///
/// A request it serves is counted under the full template the route is
/// mounted at, whichever builder mounts it (`Scope::route`, `App::route`,
/// `ServiceConfig::route`, `Resource::route`). Replace `web::put()` with
/// `route_labels::put!()`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/api").route("/thing", route_labels::put!().to(handler)));
/// ```
#[macro_export]
macro_rules! put {
    () => {
        $crate::__route_builder!("put!()", ["PUT"])
    };
}

/// A registered [`web::patch()`](actix_web::web::patch): a PATCH route whose
/// call site is recorded in the inventory; see [`RouteBuilder`].
///
/// A request it serves is counted under the full template the route is
/// mounted at, whichever builder mounts it (`Scope::route`, `App::route`,
/// `ServiceConfig::route`, `Resource::route`). Replace `web::patch()` with
/// `route_labels::patch!()`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/api").route("/thing", route_labels::patch!().to(handler)));
/// ```
#[macro_export]
macro_rules! patch {
    () => {
        $crate::__route_builder!("patch!()", ["PATCH"])
    };
}

/// A registered [`web::delete()`](actix_web::web::delete): a DELETE route whose
/// call site is recorded in the inventory; see [`RouteBuilder`].
///
/// A request it serves is counted under the full template the route is
/// mounted at, whichever builder mounts it (`Scope::route`, `App::route`,
/// `ServiceConfig::route`, `Resource::route`). Replace `web::delete()` with
/// `route_labels::delete!()`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/api").route("/thing", route_labels::delete!().to(handler)));
/// ```
#[macro_export]
macro_rules! delete {
    () => {
        $crate::__route_builder!("delete!()", ["DELETE"])
    };
}

/// A registered [`web::head()`](actix_web::web::head): a HEAD route whose
/// call site is recorded in the inventory; see [`RouteBuilder`].
///
/// A request it serves is counted under the full template the route is
/// mounted at, whichever builder mounts it (`Scope::route`, `App::route`,
/// `ServiceConfig::route`, `Resource::route`). Replace `web::head()` with
/// `route_labels::head!()`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/api").route("/thing", route_labels::head!().to(handler)));
/// ```
#[macro_export]
macro_rules! head {
    () => {
        $crate::__route_builder!("head!()", ["HEAD"])
    };
}

/// A registered [`web::trace()`](actix_web::web::trace): a TRACE route whose
/// call site is recorded in the inventory; see [`RouteBuilder`].
///
/// A request it serves is counted under the full template the route is
/// mounted at, whichever builder mounts it (`Scope::route`, `App::route`,
/// `ServiceConfig::route`, `Resource::route`). Replace `web::trace()` with
/// `route_labels::trace!()`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/api").route("/thing", route_labels::trace!().to(handler)));
/// ```
#[macro_export]
macro_rules! trace {
    () => {
        $crate::__route_builder!("trace!()", ["TRACE"])
    };
}

/// A registered [`web::route()`](actix_web::web::route): a route for any
/// method (narrow it with [`RouteBuilder::method`] or
/// [`RouteBuilder::guard`]) whose call site is recorded in the inventory.
/// Its methods are not known at compile time, so every method label is
/// counted for it in [`HttpMetrics::max_series`].
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().route("/anything", route_labels::route!().to(handler));
/// ```
#[macro_export]
macro_rules! route {
    () => {
        $crate::__route_builder!("route!()", [])
    };
}

/// Not public API: what code generated by `#[register]` and the builder
/// macros names.
#[doc(hidden)]
pub mod __private {
    /// Not public API.
    pub use crate::routing::services::RegisteredService;
    /// Not public API.
    pub use actix_web;
    /// Not public API.
    pub use linkme;
    /// Not public API.
    pub use route_labels_macros::{__resource, __service};

    /// Not public API.
    pub use crate::routing::builders::{Resource, RouteBuilder, refusals};
    /// Not public API: the inventory.
    pub use crate::routing::inventory::{ROUTES, RouteInfo};
    /// Not public API: what `#[register]` registers a handler with.
    pub use crate::routing::registration::register_route;
    /// Not public API.
    pub use crate::routing::stamp::Stamp;
    /// Not public API.
    pub use actix_service;

    /// Not public API: what a derive that failed names in its fallback impl.
    pub use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

    /// Not public API: what `#[derive(ClosedLabelSet)]` names.
    pub use crate::closed::{
        ClosedField, ClosedFlatField, check_budget, check_static_field, product, static_product,
    };
}
