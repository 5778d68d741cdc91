//! The per-mount stamp: a resource middleware that `#[register]` and
//! [`resource!`](crate::resource) install, and the same logic inside the
//! handler service of the route builders ([`get!`](crate::get), ...).
//!
//! actix-web builds one stamp per mount per worker. On its first request
//! the stamp resolves the mount's full template (scope prefixes included)
//! with `match_pattern()` and interns it in the [mount table](crate::routing::mounts).
//! From then on a request through the stamp costs a thread-local load and
//! store: [`claim`](crate::routing::claim::claim) tells
//! [`HttpMetrics`](crate::HttpMetrics), and the [`Route`](crate::Route)
//! extractor, which mount serves it. The stamp adds no future of its own.

use std::cell::Cell;
use std::future::{Ready, ready};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};

use crate::routing::claim;
use crate::routing::inventory::RouteInfo;
use crate::routing::mounts;

/// The mount of one stamp, resolved on its first request.
#[derive(Debug)]
pub(crate) struct MountOf {
    route: &'static RouteInfo,
    mount: Cell<Option<u32>>,
}

impl MountOf {
    /// Counts the stamp as built (once per mount per worker).
    pub(crate) fn new(route: &'static RouteInfo) -> Self {
        mounts::note_built(route);
        Self {
            route,
            mount: Cell::new(None),
        }
    }

    /// The mount of `req`, resolved once per mount per worker: actix-web's
    /// `match_pattern` allocates and walks the route tree.
    #[inline]
    pub(crate) fn resolve(&self, req: &actix_web::HttpRequest) -> u32 {
        match self.mount.get() {
            Some(mount) => mount,
            None => self.first_request(req),
        }
    }

    #[cold]
    fn first_request(&self, req: &actix_web::HttpRequest) -> u32 {
        let template = req.match_pattern();
        let template = template
            .as_deref()
            .or(self.route.template())
            .unwrap_or_default();
        let mount = mounts::intern(self.route, template);
        self.mount.set(Some(mount));
        mount
    }

    /// Claims `req` for this mount.
    #[inline]
    pub(crate) fn claim(&self, req: &actix_web::HttpRequest) {
        claim::claim(self.resolve(req));
    }
}

/// Not public API: the stamp of a [`resource!`](crate::resource) resource
/// (the benchmarks build one by hand).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    route: &'static RouteInfo,
}

impl Stamp {
    /// Made while the app is registered, once per mount per build: the app
    /// being built learns the place.
    #[doc(hidden)]
    #[must_use]
    pub fn new(route: &'static RouteInfo) -> Self {
        crate::routing::app::built(crate::routing::app::Built::Pending(route));
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
    type Future = S::Future;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        self.mount.claim(req.request());
        self.service.call(req)
    }
}
