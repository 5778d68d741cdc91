//! Not public API: what the code that `#[register]`, the builder macros and
//! the derives generate names. Nothing here is covered by semver.

pub use actix_service;
pub use actix_web;
pub use linkme;
pub use route_labels_macros::{__resource, __service};

pub use crate::routing::builders::refusals;
pub use crate::routing::inventory::{ROUTES, RouteInfo};
pub use crate::routing::registration::register_route;
/// The stamp of a `resource!`, which the benchmarks build by hand.
pub use crate::routing::stamp::Stamp;

/// What a derive that failed names in its fallback impl.
pub use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

/// What `#[derive(ClosedLabelSet)]` names.
pub use crate::closed::{
    ClosedField, ClosedFlatField, check_budget, check_static_field, product, static_product,
};

use actix_web::dev::HttpServiceFactory;

use crate::routing::builders::{RegisteredResource, RouteBuilder};
use crate::routing::services::RegisteredService;

/// The supertrait that seals [`Registered`](crate::Registered): only
/// `#[register]` implements it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` implements `Registered` by hand; only `#[route_labels::register]` does",
    label = "not a handler registered with `#[route_labels::register]`",
    note = "a registration is made by `#[route_labels::register]` on the handler, which records it in the inventory"
)]
pub trait Sealed {}

/// A registration: `#[register]` and the builder macros make their
/// inventory entry with it.
#[must_use]
pub const fn route_info(
    template: Option<&'static str>,
    methods: &'static [&'static str],
    site: &'static str,
    file: &'static str,
    line: u32,
) -> RouteInfo {
    RouteInfo::new(template, methods, site, file, line)
}

/// What the method macros and `route!` return.
pub fn route_builder(info: &'static RouteInfo) -> RouteBuilder {
    RouteBuilder::new(info)
}

/// What `resource!` returns.
pub fn resource(path: &str, info: &'static RouteInfo) -> RegisteredResource {
    RegisteredResource::new(path, info)
}

/// What `service!` returns for a service that is `Clone`.
pub fn service<S>(
    route: &'static RouteInfo,
    service: S,
) -> RegisteredService<impl Fn() -> S + 'static>
where
    S: HttpServiceFactory + Clone + 'static,
{
    RegisteredService::new(route, move || service.clone())
}

/// What `service!` returns for a closure that makes the service (a `Scope`
/// is not `Clone`).
pub fn service_from_fn<S, F>(route: &'static RouteInfo, make: F) -> RegisteredService<F>
where
    F: Fn() -> S + 'static,
    S: HttpServiceFactory + 'static,
{
    RegisteredService::new(route, make)
}
