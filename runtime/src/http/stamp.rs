//! The per-mount stamp: a resource middleware that `#[register]` and
//! [`resource!`](crate::resource) install, and the same logic inside the
//! handler service of the route builders ([`get!`](crate::get), ...).
//!
//! actix-web builds one stamp per mount per worker. On its first request
//! the stamp resolves the mount's full template (scope prefixes included)
//! with `match_pattern()` and interns it in the [mount table](crate::http::mounts).
//! From then on a request through the stamp costs two thread-local stores:
//! [`claim`](crate::http::claim::claim) tells [`HttpMetrics`](crate::HttpMetrics)
//! which mount serves it, and [`within`](crate::http::claim::within) makes the
//! route readable by the [`Route`](crate::Route) extractor while the
//! request's inner services run.

use std::cell::Cell;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};

use crate::http::claim;
use crate::http::mounts::{self, Resolved};
use crate::inventory::RouteInfo;

/// The mount of one stamp, resolved on its first request.
#[derive(Debug)]
pub(crate) struct MountOf {
    route: &'static RouteInfo,
    resolved: Cell<Option<Resolved>>,
}

impl MountOf {
    /// Counts the stamp as built (once per mount per worker).
    pub(crate) fn new(route: &'static RouteInfo) -> Self {
        mounts::note_built(route);
        Self {
            route,
            resolved: Cell::new(None),
        }
    }

    /// The mount of `req`, resolved once per mount per worker: actix-web's
    /// `match_pattern` allocates and walks the route tree.
    pub(crate) fn resolve(&self, req: &actix_web::HttpRequest) -> Resolved {
        if let Some(resolved) = self.resolved.get() {
            return resolved;
        }
        let template = req.match_pattern();
        let template = template
            .as_deref()
            .or(self.route.template())
            .unwrap_or_default();
        let resolved = mounts::intern(self.route, template);
        self.resolved.set(Some(resolved));
        resolved
    }

    /// Claims `req` for this mount; returns the label to run its inner
    /// services [`within`](claim::within).
    #[inline]
    pub(crate) fn claim(&self, req: &actix_web::HttpRequest) -> u32 {
        let resolved = self.resolve(req);
        claim::claim(resolved.mount);
        resolved.label
    }
}

/// Not public API: `#[register]` passes it to actix-web's `wrap`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    route: &'static RouteInfo,
}

impl Stamp {
    /// Not public API: `#[register]` passes it to actix-web's `wrap`.
    #[doc(hidden)]
    #[must_use]
    pub const fn new(route: &'static RouteInfo) -> Self {
        Self { route }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Stamp
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = StampService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(StampService {
            service,
            mount: MountOf::new(self.route),
        }))
    }
}

/// Not public API: the service a [`Stamp`] wraps around a resource.
#[doc(hidden)]
#[derive(Debug)]
pub struct StampService<S> {
    service: S,
    mount: MountOf,
}

impl<S, B> Service<ServiceRequest> for StampService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = Within<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let label = self.mount.claim(req.request());
        Within {
            inner: claim::within(label, || self.service.call(req)),
            label,
        }
    }
}

pin_project_lite::pin_project! {
    /// Not public API: a future polled [`within`](claim::within) its route.
    #[doc(hidden)]
    #[derive(Debug)]
    pub struct Within<F> {
        #[pin]
        inner: F,
        label: u32,
    }
}

impl<F> Within<F> {
    pub(crate) fn new(inner: F, label: u32) -> Self {
        Self { inner, label }
    }
}

impl<F: Future> Future for Within<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let label = *this.label;
        claim::within(label, || this.inner.poll(cx))
    }
}
