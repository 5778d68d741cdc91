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

use crate::http::services::{self, Owner};
use crate::http::shared::Shared;
use crate::inventory::RouteInfo;

/// What a registered place told the app being built about itself.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Built {
    /// A `#[register]` handler's mount, its full template known.
    Mount(u32),
    /// A route builder's place (`resource!`, `get!`, ...): its full
    /// template is learnt at its first request.
    Pending(&'static RouteInfo),
}

thread_local! {
    /// The registered places of the app being built on this thread.
    static BUILDING: RefCell<Option<Vec<Built>>> = const { RefCell::new(None) };
    /// The registered services of the app being built on this thread.
    static OWNED: RefCell<Vec<Rc<Owner>>> = const { RefCell::new(Vec::new()) };
    /// The app being built is one [`outside_build`] builds.
    static SEPARATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called by a registered service while an app is built: which paths are
/// its own, on this worker.
pub(crate) fn owned(owner: Rc<Owner>) {
    let building = BUILDING.with(|building| building.borrow().is_some());
    if building {
        OWNED.with(|owned| owned.borrow_mut().push(owner));
    }
}

/// Called by a registered place while an app is built: the app being built
/// through [`HttpMetrics::app`](crate::HttpMetrics::app), if any, has it.
pub(crate) fn built(place: Built) {
    BUILDING.with(|building| {
        if let Some(places) = building.borrow_mut().as_mut() {
            places.push(place);
        }
    });
}

/// Runs `f` outside the app being built: what it builds (the app of one
/// registered service alone, see [`services`]) is not the app's.
pub(crate) fn outside_build<T>(f: impl FnOnce() -> T) -> T {
    let building = BUILDING.take();
    let owned = OWNED.take();
    let separate = SEPARATE.replace(true);
    let result = f();
    SEPARATE.set(separate);
    BUILDING.replace(building);
    OWNED.replace(owned);
    result
}

/// Whether the app being built on this thread is one [`outside_build`]
/// builds: its mounts serve no request, and are no mounts of any app.
pub(crate) fn building_apart() -> bool {
    SEPARATE.get()
}

/// Collects what is [`built`] on this thread until dropped; restores what
/// was open before (nothing, unless a build starts inside another).
struct Collecting {
    outer: Option<Vec<Built>>,
}

impl Collecting {
    fn start() -> Self {
        Self {
            outer: BUILDING.replace(Some(Vec::new())),
        }
    }

    fn finish(mut self) -> Vec<Built> {
        let outer = self.outer.take();
        BUILDING.replace(outer).unwrap_or_default()
    }
}

impl Drop for Collecting {
    fn drop(&mut self) {
        if let Some(outer) = self.outer.take() {
            BUILDING.replace(Some(outer));
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
        let outer_owned = OWNED.take();
        let future = self.factory.new_service(config);
        self.shared.app_built(&collecting.finish());
        let owned = OWNED.replace(outer_owned);
        services::set_owners(Arc::as_ptr(&self.shared) as usize, owned);
        #[cfg(not(feature = "introspection"))]
        return future;
        #[cfg(feature = "introspection")]
        Box::pin(async move {
            use actix_web::dev::Service as _;
            let app = future.await?;
            // Answered by the app's own resource, which keeps the list.
            let _ = app.call(crate::http::unregistered::request()).await;
            Ok(app)
        })
    }
}
