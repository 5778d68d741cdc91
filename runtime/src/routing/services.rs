//! Registered services: what [`service!`](crate::service) returns, for an
//! `HttpServiceFactory` that is not a handler (`actix_files::Files`,
//! `web::redirect`, `utoipa_swagger_ui::SwaggerUi`, a `Scope` built by
//! another crate). Every request it answers is counted under one label of
//! its own, its `404`s included.
//!
//! Such a service registers its resources itself, straight into the app's
//! `AppService`, which only actix-web can read: nothing can be put between
//! them and the router. So the service is registered exactly as it would be
//! without route-labels (the app routes as before), and a clone of it is
//! registered alone in an app of its own, built on the spot, whose resource
//! map tells which paths are the service's. A request no mount claimed is
//! the service's when its path, past the prefix of the scope the service is
//! mounted in, matches that map, as actix-web's router would match it
//! without guards. That prefix comes from a node of the real app's resource
//! map, as a handler's full template does (see
//! [`registration`]), held by a resource that
//! never matches a request.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::{Ready, ready};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix_service::IntoServiceFactory;
use actix_web::dev::{
    AppService, HttpServiceFactory, ResourceDef, ResourceMap, Service, ServiceFactory,
    ServiceRequest, ServiceResponse, Transform,
};
use actix_web::{App, HttpResponse};

use crate::routing::app;
use crate::routing::inventory::RouteInfo;
use crate::routing::mounts;
use crate::routing::registration;

/// A service that is not a handler, counted under its own label: see
/// [`service!`](crate::service).
///
/// ```
/// use actix_web::{test, web, App};
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
/// let old = route_labels::service!("/old", web::redirect("/old", "/new"));
/// let app = test::init_service(metrics.app(App::new().service(old))).await;
/// let res = test::call_service(&app, test::TestRequest::get().uri("/old").to_request()).await;
/// assert_eq!(res.status(), 307);
///
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// let line = text.lines().find(|l| l.starts_with("http_server_request_duration_seconds_count"));
/// let line = line.unwrap();
/// assert!(line.contains(r#"http_route="/old""#) && line.contains(r#"http_response_status_code="307""#));
/// # });
/// ```
#[must_use = "a registered service does nothing until it is passed to `.service(..)`"]
pub struct RegisteredService<F> {
    route: &'static RouteInfo,
    /// Makes the service: once for the app, once to be built alone.
    make: F,
}

impl<F> std::fmt::Debug for RegisteredService<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredService")
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

impl<F> RegisteredService<F> {
    /// Made by [`service!`](crate::service), through `__private`.
    pub(crate) fn new(route: &'static RouteInfo, make: F) -> Self {
        Self { route, make }
    }
}

impl<F, S> HttpServiceFactory for RegisteredService<F>
where
    F: Fn() -> S + 'static,
    S: HttpServiceFactory + 'static,
{
    fn register(self, config: &mut AppService) {
        // Built apart from the app: its mounts, if it has registered
        // handlers, are the app's only as registered below.
        let map = app::outside_build(|| map_of((self.make)(), config));
        (self.make)().register(config);
        // After the service: it never matches, so where it sits changes
        // nothing but that a request past the service tests one static
        // pattern more.
        let (node, probe) = registration::nodes(&ResourceDef::new(NEVER), None);
        config.register_service(
            ResourceDef::new(NEVER),
            None,
            Marker {
                route: self.route,
                probe,
                map,
            },
            Some(node),
        );
    }
}

/// A path no request has: a NUL is not allowed in a request target.
const NEVER: &str = "/\0route-labels";

/// The resource map of `service` registered alone in an app of its own,
/// with the real app's configuration; `None` if building that app awaits
/// something (an async data factory), which a service's resources never
/// need.
fn map_of<S>(service: S, config: &AppService) -> Option<Rc<ResourceMap>>
where
    S: HttpServiceFactory + 'static,
{
    let slot = Rc::new(RefCell::new(None));
    let app = App::new().service(service).wrap(Capture {
        slot: Rc::clone(&slot),
    });
    let factory = app.into_factory();
    let mut cx = Context::from_waker(Waker::noop());
    let built = pin!(factory.new_service(config.config().clone()));
    let Poll::Ready(Ok(app)) = built.poll(&mut cx) else {
        return None;
    };
    let probe = actix_web::test::TestRequest::default().to_request();
    let answered = pin!(app.call(probe));
    let _ = answered.poll(&mut cx);
    slot.take().map(Rc::new)
}

/// The middleware of the app [`map_of`] builds: answers its one request
/// itself, keeping the app's resource map.
struct Capture {
    slot: Rc<RefCell<Option<ResourceMap>>>,
}

impl<S> Transform<S, ServiceRequest> for Capture {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Transform = Captured;
    type InitError = ();
    type Future = Ready<Result<Captured, ()>>;

    fn new_transform(&self, _: S) -> Self::Future {
        ready(Ok(Captured {
            slot: Rc::clone(&self.slot),
        }))
    }
}

struct Captured {
    slot: Rc<RefCell<Option<ResourceMap>>>,
}

impl Service<ServiceRequest> for Captured {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = Ready<Result<ServiceResponse, actix_web::Error>>;

    actix_web::dev::always_ready!();

    fn call(&self, req: ServiceRequest) -> Self::Future {
        *self.slot.borrow_mut() = Some(req.request().resource_map().clone());
        ready(Ok(req.into_response(HttpResponse::NoContent().finish())))
    }
}

/// The never-matching resource registered after the service: its node
/// gives the prefix of the scope the service is mounted in; its factory,
/// made while the app is built, tells the app about the service.
struct Marker {
    route: &'static RouteInfo,
    probe: Rc<ResourceMap>,
    map: Option<Rc<ResourceMap>>,
}

impl ServiceFactory<ServiceRequest> for Marker {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Config = ();
    type Service = Never;
    type InitError = ();
    type Future = Ready<Result<Never, ()>>;

    fn new_service(&self, (): ()) -> Self::Future {
        if app::building_apart() {
            return ready(Ok(Never));
        }
        let prefix = registration::full_template(&self.probe)
            .and_then(|template| template.strip_suffix(NEVER).map(str::to_owned))
            .unwrap_or_default();
        let label = format!("{prefix}{}", self.route.template().unwrap_or_default());
        let mount = mounts::intern(self.route, &label);
        app::built(app::Built::Mount(mount));
        if let Some(map) = &self.map {
            app::owned(Rc::new(Owner {
                prefix: ResourceDef::root_prefix(&prefix),
                map: Rc::clone(map),
                mount,
            }));
        }
        ready(Ok(Never))
    }
}

/// The service of the never-matching resource.
struct Never;

impl Service<ServiceRequest> for Never {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = Ready<Result<ServiceResponse, actix_web::Error>>;

    actix_web::dev::always_ready!();

    fn call(&self, req: ServiceRequest) -> Self::Future {
        ready(Ok(req.into_response(HttpResponse::NotFound().finish())))
    }
}

/// A registered service of an app, on one worker: the paths it answers,
/// and the mount that counts them.
#[derive(Debug)]
pub(crate) struct Owner {
    /// The prefix of the scope the service is mounted in.
    prefix: ResourceDef,
    /// The service's resource map, alone.
    map: Rc<ResourceMap>,
    mount: u32,
}

impl Owner {
    /// The mount, if `path` is one of the service's, as actix-web's router
    /// would find it without guards. Allocates nothing.
    fn owns(&self, path: &str) -> Option<u32> {
        let skip = self.prefix.find_match(path)?;
        self.map.has_resource(&path[skip..]).then_some(self.mount)
    }
}

/// The registered services of each app built on this thread, by the
/// metrics that wrap it (the address of their shared state).
#[derive(Debug, Default)]
pub(crate) struct Owners(HashMap<usize, Vec<Rc<Owner>>>);

thread_local! {
    static OWNERS: RefCell<Owners> = RefCell::default();
}

/// The app wrapped by the metrics at `key` was built on this thread with
/// these registered services.
pub(crate) fn set_owners(key: usize, owners: Vec<Rc<Owner>>) {
    OWNERS.with(|all| {
        let mut all = all.borrow_mut();
        if owners.is_empty() {
            all.0.remove(&key);
        } else {
            all.0.insert(key, owners);
        }
    });
}

/// The mount of the registered service whose paths include `path`, in the
/// app wrapped by the metrics at `key`, as built on this thread.
pub(crate) fn owner_of(key: usize, path: &str) -> Option<u32> {
    OWNERS.with(|all| {
        all.borrow()
            .0
            .get(&key)?
            .iter()
            .find_map(|owner| owner.owns(path))
    })
}
