//! Bounded route labels for actix-web Prometheus metrics.
//!
//! `#[route_labels::register]` records each handler in a link-time
//! inventory, and so do the builder macros ([`resource!`], [`get!`], ...) for
//! apps routed without attribute macros. [`HttpMetrics`] labels each request
//! with the full template of the registered mount that served it, scope
//! prefixes included: a closed set, fixed once the app is built. A request
//! that reached no registered route is counted under
//! [`Route::UNMATCHED`] or [`Route::UNREGISTERED`], never under its path. Custom metrics take the same value
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
//!     metrics.app(
//!         App::new()
//!             .service(get_account)
//!             .service(MetricsEndpoint::new("/metrics", registry.clone())),
//!     )
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

// The modules, by concept: which registered mount serves a request; the
// middleware that times it; the cells it is counted in; what a scrape reads;
// custom families over closed label sets; the label values.
mod cells;
mod closed;
mod export;
mod labels;
mod middleware;
mod routing;

// The HTTP metrics, their options and their errors.
pub use crate::cells::native::{Histograms, NativeBuckets};
pub use crate::middleware::error::BuildError;
pub use crate::middleware::{
    DEFAULT_BODY_SIZE_BUCKETS, DEFAULT_BUCKETS, DEFAULT_STATUS_CODES_PER_ROUTE, HttpMetrics,
    HttpMetricsBuilder,
};

// Serving the registry.
#[cfg(feature = "protobuf")]
pub use crate::export::exposition::PROMETHEUS_PROTOBUF_CONTENT_TYPE;
pub use crate::export::exposition::{
    MetricsEndpoint, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE,
};

// The routes: registrations, the extractor, label values.
pub use crate::labels::{CLIENT_CLOSED_REQUEST, HttpMethod, OTHER};
pub use crate::routing::inventory::{Registered, RouteInfo, routes};
pub use crate::routing::route::Route;

// Custom families over closed label sets.
pub use crate::closed::family::ClosedFamily;
pub use crate::closed::{ClosedLabelSet, ClosedLabelValue};

/// The machinery a user rarely names: the types the middleware, the app
/// wrapper and the builder macros return, as actix-web's own `dev` module
/// holds its services' types.
pub mod dev {
    pub use crate::middleware::body::MeteredBody;
    pub use crate::middleware::service::{HttpMetricsFuture, HttpMetricsService};
    pub use crate::routing::app::MeteredApp;
    pub use crate::routing::builders::{RegisteredResource, RouteBuilder};
    pub use crate::routing::services::RegisteredService;
}

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// Records an actix-web handler's route in the inventory. Place it above the
/// handler's actix-web route attribute.
///
/// Accepts `#[get]`, `#[post]`, `#[put]`, `#[delete]`, `#[patch]`, `#[head]`,
/// `#[options]`, `#[trace]`, `#[connect]`, `#[query]`, `#[route(..)]` and
/// `#[routes]` (`QUERY` is counted as `_OTHER` unless declared with
/// [`extra_methods`](HttpMetricsBuilder::extra_methods)). It emits the handler's [`RouteInfo`], implements
/// [`Registered`] for it (so [`route_of!`] works), and registers the
/// handler's resource as actix-web's attribute would (same name, method
/// guard, guards and `wrap`s), with a node of the app's resource map that
/// gives [`HttpMetrics`] the mount's full template when the app is built.
/// Templates that actix-web would reject, and templates containing `?` or
/// `#`, do not compile.
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
///
/// # Rejected at compile time
///
/// Each is a spanned error that points at the offending tokens, with the
/// handler still emitted beside it; `tests/ui/` holds every case and its
/// message.
///
/// | mistake | message |
/// |---|---|
/// | `#[register]` below the actix-web attribute, or with none | must sit above an actix-web route attribute such as `#[get("/path")]` |
/// | on a struct, or on a method taking `self` | applies to a free `fn` handler |
/// | `#[get(CONST_PATH)]` | expected a string literal path, found `CONST_PATH` |
/// | `"/search?q={q}"`, `"/docs#intro"` | route templates cannot contain `?` / `#` |
/// | `"/users/{id"`, `"/users/{id:[0-9+}"` | actix-web would reject this route template: *actix-router's own reason* |
/// | two route attributes without `#[routes]` | a handler takes one actix-web route attribute |
/// | `route_of!(handler)` without `#[register]` | `handler` is not a registered route handler; add `#[route_labels::register]` |
/// | `route_of!` on a `#[routes]` handler with several templates | `route_of!` needs a handler with one template |
/// | `Route::from("/x")`, `String::into()` | no such conversion exists |
/// | `resource!("/users/{id")`, `resource!("/search?q={q}")` | as for `#[register]` |
/// | `resource!(PATH)` | expected a string literal template, found `PATH` |
/// | `post!("/like")` | the path goes to the builder that mounts the route: `.route("/like", post!().to(..))` |
///
/// Generated code uses absolute paths only and is clean under
/// `#![deny(warnings, clippy::pedantic)]` (`tests/lints.rs`).
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
