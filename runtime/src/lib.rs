//! Bounded route labels for actix-web Prometheus metrics.
//!
//! `#[route_labels::register]` records each handler's route template in a
//! link-time inventory. [`HttpMetrics`] uses that closed set as the only
//! values of the `http_route` label: a request that reached no registered
//! handler is counted under [`UNMATCHED`] or [`UNREGISTERED`], never under
//! its path. A [`Route`] comes only from [`route_of!`], so labelling by a
//! string does not compile.
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
mod collector;
mod error;
mod exposition;
mod family;
mod inventory;
mod labels;
mod middleware;
mod slots;
mod stamp;

pub use crate::closed::{ClosedLabelSet, ClosedLabelValue};
pub use crate::error::BuildError;
pub use crate::exposition::{
    MetricsEndpoint, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE,
};
pub use crate::family::ClosedFamily;
pub use crate::inventory::{Registered, Route, RouteInfo, routes};
pub use crate::labels::{CLIENT_CLOSED_REQUEST, HttpMethod, OTHER_STATUS, UNMATCHED, UNREGISTERED};
pub use crate::middleware::{
    DEFAULT_BUCKETS, DEFAULT_STATUS_CODES_PER_ROUTE, HttpMetrics, HttpMetricsBuilder,
    HttpMetricsFuture, HttpMetricsService, MeteredBody,
};

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
/// assert_eq!(route_labels::routes().filter(|r| r.template() == "/index").count(), 1);
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

/// Not public API: what code generated by `#[register]` names.
#[doc(hidden)]
pub mod __private {
    /// Not public API.
    pub use linkme;

    /// Not public API.
    pub use crate::inventory::{Route, RouteInfo};
    /// Not public API.
    pub use crate::stamp::Stamp;

    /// Not public API: what `#[derive(ClosedLabelSet)]` names.
    pub use crate::closed::{
        ClosedField, ClosedFlatField, check_budget, check_static_field, product, static_product,
    };

    /// Not public API: the inventory.
    #[linkme::distributed_slice]
    pub static ROUTES: [RouteInfo];
}
