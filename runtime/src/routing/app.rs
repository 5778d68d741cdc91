//! [`HttpMetrics::app`](crate::HttpMetrics::app): the metrics wrap an app
//! and watch it being built, so that they know its registered mounts before
//! any request.
//!
//! actix-web builds an app (once per worker, and once per
//! `test::init_service`) in one synchronous call, `new_service`, before its
//! first poll: every service registers, the resource map is finished, and
//! every service factory is created. [`MeteredApp`] makes that call with a
//! thread-local list open; each registered mount created inside it adds
//! itself ([`built`]), and the list is handed to the app's metrics when the
//! call returns. Nothing of another app can land there: the call is
//! synchronous, so no other app's build runs on the thread in between.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use actix_http::Request;
use actix_web::dev::{AppConfig, ServiceFactory};

use crate::middleware::shared::Shared;
use crate::routing::inventory::RouteInfo;
use crate::routing::services::{self, Owner};

/// What a registered place told the app being built about itself.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Built {
    /// A `#[register]` handler's mount, its full template known.
    Mount(u32),
    /// A route builder's place (`resource!`, `get!`, ...): its full
    /// template is learnt at its first request.
    Pending(&'static RouteInfo),
    /// The routes of a [`resource!`](crate::resource) are being built: what
    /// is built until [`Built::RoutesEnd`] of the same resource is theirs.
    RoutesOf(&'static RouteInfo),
    /// The routes of a `resource!` are built; it was given this many.
    RoutesEnd(&'static RouteInfo, usize),
}

/// What is being built on this thread.
#[derive(Debug, Default)]
enum Building {
    /// No app through [`HttpMetrics::app`](crate::HttpMetrics::app).
    #[default]
    Nothing,
    /// An app through `HttpMetrics::app`: its registered places, and its
    /// registered services on this worker.
    App {
        places: Vec<Built>,
        owners: Vec<Rc<Owner>>,
    },
    /// A registered service's copy, built alone ([`outside_build`]): its
    /// mounts serve no request, and are no mounts of any app.
    Apart,
}

thread_local! {
    static BUILDING: RefCell<Building> = const { RefCell::new(Building::Nothing) };
}

/// Called by a registered place while an app is built: the app being built
/// through [`HttpMetrics::app`](crate::HttpMetrics::app), if any, has it.
pub(crate) fn built(place: Built) {
    BUILDING.with(|building| {
        if let Building::App { places, .. } = &mut *building.borrow_mut() {
            places.push(place);
        }
    });
}

/// Called by a registered service while an app is built: which paths are
/// its own, on this worker.
pub(crate) fn owned(owner: Rc<Owner>) {
    BUILDING.with(|building| {
        if let Building::App { owners, .. } = &mut *building.borrow_mut() {
            owners.push(owner);
        }
    });
}

/// Runs `f` outside the app being built: what it builds (the copy of one
/// registered service, see [`services`]) is not the app's.
pub(crate) fn outside_build<T>(f: impl FnOnce() -> T) -> T {
    let outer = BUILDING.replace(Building::Apart);
    let result = f();
    BUILDING.replace(outer);
    result
}

/// Whether what is being built on this thread is one [`outside_build`]
/// builds.
pub(crate) fn building_apart() -> bool {
    BUILDING.with(|building| matches!(*building.borrow(), Building::Apart))
}

/// Collects what is [`built`] on this thread until finished or dropped;
/// restores what was being built before.
struct Collecting {
    outer: Option<Building>,
}

impl Collecting {
    fn start() -> Self {
        let app = Building::App {
            places: Vec::new(),
            owners: Vec::new(),
        };
        Self {
            outer: Some(BUILDING.replace(app)),
        }
    }

    /// The registered places and services that were built.
    fn finish(mut self) -> (Vec<Built>, Vec<Rc<Owner>>) {
        let outer = self.outer.take().unwrap_or_default();
        match BUILDING.replace(outer) {
            Building::App { places, owners } => (places, owners),
            Building::Nothing | Building::Apart => (Vec::new(), Vec::new()),
        }
    }
}

impl Drop for Collecting {
    fn drop(&mut self) {
        if let Some(outer) = self.outer.take() {
            BUILDING.replace(outer);
        }
    }
}

/// An app wrapped in its [`HttpMetrics`](crate::HttpMetrics), from
/// [`HttpMetrics::app`](crate::HttpMetrics::app): what `HttpServer::new`'s
/// factory returns, or what `actix_web::test::init_service` takes.
///
/// ```
/// use actix_web::{get, test, App, HttpResponse};
///
/// #[route_labels::register]
/// #[get("/ping")]
/// async fn ping() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
/// let app: route_labels::dev::MeteredApp<_> = metrics.app(App::new().service(ping));
/// let app = test::init_service(app).await;
/// # let _ = app;
/// # });
/// ```
#[derive(Debug)]
pub struct MeteredApp<F> {
    factory: F,
    shared: Arc<Shared>,
}

impl<F> MeteredApp<F> {
    pub(crate) fn new(factory: F, shared: Arc<Shared>) -> Self {
        Self { factory, shared }
    }
}

impl<F> ServiceFactory<Request> for MeteredApp<F>
where
    F: ServiceFactory<Request, Config = AppConfig>,
    F::Future: 'static,
    F::Service: 'static,
{
    type Response = F::Response;
    type Error = F::Error;
    type Config = AppConfig;
    type Service = F::Service;
    type InitError = F::InitError;
    #[cfg(not(feature = "introspection"))]
    type Future = F::Future;
    /// Built, the app is asked once for its unregistered mounts.
    #[cfg(feature = "introspection")]
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<F::Service, F::InitError>>>>;

    fn new_service(&self, config: AppConfig) -> Self::Future {
        let collecting = Collecting::start();
        let future = self.factory.new_service(config);
        let (places, owners) = collecting.finish();
        self.shared.app_built(&places);
        services::set_owners(Arc::as_ptr(&self.shared) as usize, owners);
        #[cfg(not(feature = "introspection"))]
        return future;
        #[cfg(feature = "introspection")]
        Box::pin(async move {
            use actix_web::dev::Service as _;
            let app = future.await?;
            // Answered by the app's own resource, which keeps the list.
            let _ = app.call(crate::routing::unregistered::request()).await;
            Ok(app)
        })
    }
}
