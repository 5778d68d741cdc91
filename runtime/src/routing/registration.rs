//! How a `#[register]` handler joins an app: its resource is registered by
//! route-labels rather than by actix-web's route attribute, so that it owns
//! a node of the app's resource map, and knows its full template (scope
//! prefixes included) as soon as the app is built, before any request.
//!
//! actix-web builds an app in two synchronous steps before its first poll:
//! every service registers into the app's `AppService`, then the resource
//! map is assembled from what they registered (each node learns its parent)
//! and every service factory is created. A service that registers with a
//! nested map of its own is a node of the finished tree. The handler's node
//! holds one child that route-labels keeps a handle on; asked for the
//! pattern that matches the empty path, that child answers with every
//! ancestor's pattern joined: the mount's full template, exactly as
//! `HttpRequest::match_pattern` reports it for a request through the mount.
//!
//! What the node changes for actix-web is only the resource map, which
//! routing does not read: `url_for` and `match_name` find the resource by its
//! name on the node's leaf; `match_pattern` returns the same template.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{
    AppService, ResourceDef, ResourceMap, Service, ServiceFactory, ServiceRequest, ServiceResponse,
};
use actix_web::guard::{self, Guard};
use actix_web::http::Method;

use crate::routing::app;
use crate::routing::claim;
use crate::routing::inventory::RouteInfo;
use crate::routing::mounts;

/// Not public API: `#[register]` calls it for each route attribute, where
/// actix-web's attribute would register `Resource::new(path)` with the same
/// name, the method guard and then the attribute's own guards, and the
/// attribute's `wrap`s around the handler.
#[doc(hidden)]
pub fn register_route<F, B>(
    config: &mut AppService,
    path: &'static str,
    name: &str,
    route: &'static RouteInfo,
    methods: &[&str],
    guards: Vec<Box<dyn Guard>>,
    factory: F,
) where
    F: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    // As `Resource::register`: a leading slash, unless the path is empty
    // (the root of the app or of a scope).
    let mut rdef = ResourceDef::new(leading_slash(path));
    rdef.set_name(name);
    let mut all_guards: Vec<Box<dyn Guard>> = Vec::with_capacity(guards.len() + 1);
    all_guards.push(method_guard(methods));
    all_guards.extend(guards);
    let (node, probe) = nodes(&rdef, Some(name));
    config.register_service(
        rdef,
        Some(all_guards),
        MountFactory {
            inner: factory,
            route,
            probe,
        },
        Some(node),
    );
}

fn leading_slash(path: &str) -> String {
    if path.is_empty() || path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// The guard of actix-web's route attributes: the one method, or any of
/// several.
fn method_guard(methods: &[&str]) -> Box<dyn Guard> {
    let method = |m: &str| {
        guard::Method(Method::from_bytes(m.as_bytes()).expect("`#[register]` checked the method"))
    };
    match methods {
        [one] => Box::new(method(one)),
        [first, rest @ ..] => Box::new(
            rest.iter()
                .fold(guard::Any(method(first)), |any, m| any.or(method(m))),
        ),
        [] => unreachable!("`#[register]` finds at least one method"),
    }
}

/// The handler's node for the app's resource map, and the child that answers
/// with the full template. The node's pattern is the resource's own, so a
/// request routed through it reads the same template from actix-web; the
/// resource's name sits on the leaf, where `url_for` finds it.
pub(crate) fn nodes(rdef: &ResourceDef, name: Option<&str>) -> (Rc<ResourceMap>, Rc<ResourceMap>) {
    let mut leaf = ResourceDef::new("");
    if let Some(name) = name {
        leaf.set_name(name);
    }
    let mut probe = ResourceMap::new(ResourceDef::new(""));
    probe.add(&mut leaf, None);
    let probe = Rc::new(probe);
    let mut node = ResourceMap::new(rdef.clone());
    node.add(&mut ResourceDef::new(""), Some(Rc::clone(&probe)));
    (Rc::new(node), probe)
}

/// The full template of the mount whose node holds `probe`, once the app's
/// resource map is finished: every ancestor's pattern, root first, and the
/// two empty ones below the resource's.
pub(crate) fn full_template(probe: &ResourceMap) -> Option<String> {
    probe.match_pattern("")
}

/// The mount of a handler built apart from any app.
const NO_MOUNT: u32 = u32::MAX;

/// The handler's service factory, with the mount it serves.
struct MountFactory<F> {
    inner: F,
    route: &'static RouteInfo,
    probe: Rc<ResourceMap>,
}

impl<F, B> ServiceFactory<ServiceRequest> for MountFactory<F>
where
    F: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        >,
    F::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Config = ();
    type Service = MountService<F::Service>;
    type InitError = ();
    type Future = Pin<Box<dyn Future<Output = Result<Self::Service, ()>>>>;

    /// Called while the app is built, once its resource map is finished:
    /// the mount's full template is known here, and the app being built
    /// learns the mount.
    fn new_service(&self, (): ()) -> Self::Future {
        let mount = if app::building_apart() {
            // Built to read a registered service's resource map: it serves
            // no request, and is no mount.
            NO_MOUNT
        } else {
            let template = full_template(&self.probe)
                .or_else(|| self.route.template().map(str::to_owned))
                .unwrap_or_default();
            let mount = mounts::intern(self.route, &template);
            app::built(app::Built::Mount(mount));
            mount
        };
        let inner = self.inner.new_service(());
        Box::pin(async move {
            Ok(MountService {
                inner: inner.await?,
                mount,
            })
        })
    }
}

/// The service of a registered handler's resource.
#[derive(Debug)]
pub(crate) struct MountService<S> {
    inner: S,
    mount: u32,
}

impl<S, B> Service<ServiceRequest> for MountService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = Boxed<S::Future>;

    actix_web::dev::forward_ready!(inner);

    #[inline]
    fn call(&self, req: ServiceRequest) -> Self::Future {
        claim::claim(self.mount);
        Boxed {
            inner: self.inner.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of a registered handler, its body boxed as `Resource`
    /// boxes it.
    #[derive(Debug)]
    pub(crate) struct Boxed<F> {
        #[pin]
        inner: F,
    }
}

impl<F, B> Future for Boxed<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: MessageBody + 'static,
{
    type Output = Result<ServiceResponse<BoxBody>, actix_web::Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .inner
            .poll(cx)
            .map_ok(ServiceResponse::map_into_boxed_body)
    }
}
