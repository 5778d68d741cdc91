//! Registered equivalents of actix-web's route builders: what
//! [`resource!`](crate::resource), [`get!`](crate::get) and the other method
//! macros return.
//!
//! Each macro call adds one [`RouteInfo`] to the inventory (the call site is
//! the registered place) and returns a builder that installs the stamp when
//! actix-web builds the app, so the set of registered places stays closed
//! and known at compile time, and the label is the full template actix-web
//! mounts the route under.

use std::future::{Future, ready};
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{
    AppService, Handler, HttpServiceFactory, ServiceFactory, ServiceRequest, ServiceResponse,
    Transform, fn_factory, fn_service,
};
use actix_web::guard::Guard;
use actix_web::{Error, FromRequest, HttpResponse, Responder};

use crate::routing::app::Built;
use crate::routing::claim;
use crate::routing::inventory::RouteInfo;
use crate::routing::stamp::{MountOf, Stamp};

/// A route with a registered call site, from [`get!`](crate::get),
/// [`post!`](crate::post), ... or [`route!`](macro@crate::route): actix-web's
/// [`Route`](actix_web::Route) until its handler is set. [`to`](Self::to)
/// returns the actix-web `Route`, for `Scope::route`, `App::route`,
/// `ServiceConfig::route` and `Resource::route`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn like_post() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().service(web::scope("/post").route("/like", route_labels::post!().to(like_post)));
/// ```
#[must_use = "a route does nothing until it is given a handler with `to`"]
pub struct RouteBuilder {
    route: actix_web::Route,
    info: &'static RouteInfo,
}

impl std::fmt::Debug for RouteBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteBuilder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl RouteBuilder {
    /// Made by the method macros, through `__private`.
    ///
    /// The route of `web::get()` and its siblings, with one guard more, in
    /// front of the method guard: it notes that the route's path matched,
    /// so that a request its method guard then refuses is known to have
    /// reached no resource (`unmatched`), even at a scope's root, where
    /// actix-web does not tell it from a resource that answered.
    pub(crate) fn new(info: &'static RouteInfo) -> Self {
        let mut route = actix_web::Route::new().guard(PathMatched);
        for method in info.methods() {
            let method = actix_web::http::Method::from_bytes(method.as_bytes())
                .expect("the method macros name standard methods");
            route = route.method(method);
        }
        Self { route, info }
    }

    /// Adds a guard, as [`Route::guard`](actix_web::Route::guard).
    ///
    /// ```
    /// use actix_web::{guard, HttpResponse};
    /// let route = route_labels::get!()
    ///     .guard(guard::Header("accept", "text/csv"))
    ///     .to(|| async { HttpResponse::Ok().finish() });
    /// # let _ = route;
    /// ```
    pub fn guard<G: Guard + 'static>(mut self, guard: G) -> Self {
        self.route = self.route.guard(guard);
        self
    }

    /// Adds a method guard, as [`Route::method`](actix_web::Route::method).
    ///
    /// ```
    /// use actix_web::{http::Method, HttpResponse};
    /// let route = route_labels::route!()
    ///     .method(Method::from_bytes(b"PROPFIND").unwrap())
    ///     .to(|| async { HttpResponse::Ok().finish() });
    /// # let _ = route;
    /// ```
    pub fn method(mut self, method: actix_web::http::Method) -> Self {
        self.route = self.route.method(method);
        self
    }

    /// Sets the handler, as [`Route::to`](actix_web::Route::to), and returns
    /// the actix-web route. A request it serves is counted under the full
    /// template the route is mounted at, and the [`Route`](crate::Route)
    /// extractor gives that template to the handler.
    ///
    /// ```
    /// use actix_web::{web, App, HttpResponse};
    ///
    /// async fn list_posts() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// App::new().route("/posts", route_labels::get!().to(list_posts));
    /// ```
    pub fn to<F, Args>(self, handler: F) -> actix_web::Route
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let info = self.info;
        info.name_handler(std::any::type_name::<F>());
        // The handler service of actix-web's `Route::to`, with the stamp
        // inside: `Route::service` boxes it once, as `Route::to` does, so a
        // request costs no allocation more than with `web::get()`.
        let factory = fn_factory(move || {
            let handler = handler.clone();
            // Created while the app is built: the app learns the place.
            crate::routing::app::built(Built::Pending(info));
            let mount = Rc::new(MountOf::new(info));
            ready(Ok::<_, ()>(fn_service(move |req: ServiceRequest| {
                mount.claim(req.request());
                let handler = handler.clone();
                async move {
                    let (req, mut payload) = req.into_parts();
                    let res = match Args::from_request(&req, &mut payload).await {
                        Err(err) => HttpResponse::from_error(err),
                        Ok(data) => handler
                            .call(data)
                            .await
                            .respond_to(&req)
                            .map_into_boxed_body(),
                    };
                    Ok::<_, Error>(ServiceResponse::new(req, res))
                }
            })))
        });
        self.route.service(factory)
    }
}

/// The guard [`RouteBuilder`] puts first: always passes, and notes that a
/// registered route's path matched.
struct PathMatched;

impl Guard for PathMatched {
    fn check(&self, _: &actix_web::guard::GuardContext<'_>) -> bool {
        claim::path_matched();
        true
    }
}

/// Not public API: what `#[register]` registers after a handler mounted at
/// a scope's root (template `""`). It never matches: its guard notes that
/// the path of a registered route matched, so that a request the handler's
/// method guard refused, and that no resource took, counts as `unmatched`.
#[doc(hidden)]
pub fn refusals(path: &'static str) -> impl HttpServiceFactory {
    struct Refused;

    impl Guard for Refused {
        fn check(&self, _: &actix_web::guard::GuardContext<'_>) -> bool {
            claim::path_matched();
            false
        }
    }

    actix_web::web::resource(path)
        .guard(Refused)
        .to(HttpResponse::NotFound)
}

/// A resource with a registered call site, from
/// [`resource!`](crate::resource): actix-web's
/// [`Resource`](actix_web::Resource), with the same builder methods. Pass it
/// to `.service(..)`; the marker that tells the metrics which mount serves a
/// request is installed then, outside every middleware
/// the resource's own `wrap` adds, so a request a resource middleware
/// answers itself (a `401` from an auth check) is still counted under the
/// resource's route.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn show_user() -> HttpResponse { HttpResponse::Ok().finish() }
/// async fn delete_user() -> HttpResponse { HttpResponse::NoContent().finish() }
///
/// App::new().service(
///     web::scope("/users").service(
///         route_labels::resource!("/{id}")
///             .route(web::get().to(show_user))
///             .route(web::delete().to(delete_user)),
///     ),
/// );
/// ```
#[must_use = "a resource does nothing until it is passed to `.service(..)`"]
pub struct RegisteredResource<R = actix_web::Resource> {
    inner: R,
    info: &'static RouteInfo,
    /// The routes given with [`route`](Self::route).
    routes: usize,
    /// The resource answers requests itself: a handler of its own
    /// ([`to`](Self::to)), a default service, or a middleware of its own.
    answers: bool,
}

impl<R> std::fmt::Debug for RegisteredResource<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredResource")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl RegisteredResource {
    /// Made by `resource!`, through `__private`.
    pub(crate) fn new(path: &str, info: &'static RouteInfo) -> Self {
        Self {
            // The resource's own guards come after this one: a request they
            // refuse is known to have reached a registered path.
            inner: actix_web::web::resource(path)
                .guard(PathMatched)
                .route(marker(Built::RoutesOf(info))),
            info,
            routes: 0,
            answers: false,
        }
    }
}

/// A route that never matches, and tells the app being built, when actix-web
/// builds it, that it was: `resource!` puts one before its routes and one
/// after, so that the app learns which route builders are the resource's
/// (actix-web builds a resource's routes in order, in the same synchronous
/// call that builds the app). A request through the resource pays the first
/// one's guard; the last one's is checked only when no route took it.
fn marker(place: Built) -> actix_web::Route {
    struct Never;

    impl Guard for Never {
        fn check(&self, _: &actix_web::guard::GuardContext<'_>) -> bool {
            false
        }
    }

    actix_web::Route::new()
        .guard(Never)
        .service(fn_factory(move || {
            crate::routing::app::built(place);
            ready(Ok::<_, ()>(fn_service(|req: ServiceRequest| {
                ready(Ok::<_, Error>(req.into_response(HttpResponse::NotFound())))
            })))
        }))
}

/// The builder methods of actix-web's `Resource`, each documented there.
impl<T> RegisteredResource<actix_web::Resource<T>>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
{
    fn map<U>(self, f: impl FnOnce(actix_web::Resource<T>) -> U) -> RegisteredResource<U> {
        RegisteredResource {
            inner: f(self.inner),
            info: self.info,
            routes: self.routes,
            answers: self.answers,
        }
    }

    /// The resource answers some requests itself, not only through routes.
    fn answering(mut self) -> Self {
        self.answers = true;
        self
    }

    /// As [`Resource::name`](actix_web::Resource::name).
    ///
    /// ```
    /// let resource = route_labels::resource!("/named").name("named");
    /// # let _ = resource;
    /// ```
    pub fn name(self, name: &str) -> Self {
        self.map(|r| r.name(name))
    }

    /// As [`Resource::guard`](actix_web::Resource::guard).
    ///
    /// ```
    /// let resource = route_labels::resource!("/guarded").guard(actix_web::guard::Get());
    /// # let _ = resource;
    /// ```
    pub fn guard<G: Guard + 'static>(self, guard: G) -> Self {
        self.map(|r| r.guard(guard))
    }

    /// As [`Resource::route`](actix_web::Resource::route).
    ///
    /// ```
    /// use actix_web::{web, HttpResponse};
    /// let resource = route_labels::resource!("/routed")
    ///     .route(web::get().to(|| async { HttpResponse::Ok().finish() }));
    /// # let _ = resource;
    /// ```
    pub fn route(mut self, route: actix_web::Route) -> Self {
        self.routes += 1;
        self.map(|r| r.route(route))
    }

    /// As [`Resource::app_data`](actix_web::Resource::app_data).
    ///
    /// ```
    /// let resource = route_labels::resource!("/with-data").app_data(actix_web::web::Data::new(1_u8));
    /// # let _ = resource;
    /// ```
    pub fn app_data<U: 'static>(self, data: U) -> Self {
        self.map(|r| r.app_data(data))
    }

    /// As [`Resource::to`](actix_web::Resource::to).
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// let resource = route_labels::resource!("/any").to(|| async { HttpResponse::Ok().finish() });
    /// # let _ = resource;
    /// ```
    pub fn to<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.answering().map(|r| r.to(handler))
    }

    /// As [`Resource::wrap`](actix_web::Resource::wrap). The marker stays
    /// outside this middleware.
    ///
    /// ```
    /// let resource = route_labels::resource!("/wrapped")
    ///     .wrap(actix_web::middleware::DefaultHeaders::new().add(("x-api", "1")));
    /// # let _ = resource;
    /// ```
    pub fn wrap<M, B>(
        self,
        mw: M,
    ) -> RegisteredResource<
        actix_web::Resource<
            impl ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            >,
        >,
    >
    where
        M: Transform<
                T::Service,
                ServiceRequest,
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            > + 'static,
        B: MessageBody,
    {
        self.answering().map(|r| r.wrap(mw))
    }

    /// As [`Resource::wrap_fn`](actix_web::Resource::wrap_fn). The marker
    /// stays outside this middleware.
    ///
    /// ```
    /// use actix_web::dev::Service;
    /// let resource = route_labels::resource!("/wrapped-fn").wrap_fn(|req, srv| srv.call(req));
    /// # let _ = resource;
    /// ```
    pub fn wrap_fn<F, R, B>(
        self,
        mw: F,
    ) -> RegisteredResource<
        actix_web::Resource<
            impl ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = Error,
                InitError = (),
            >,
        >,
    >
    where
        F: Fn(ServiceRequest, &T::Service) -> R + Clone + 'static,
        R: Future<Output = Result<ServiceResponse<B>, Error>>,
        B: MessageBody,
    {
        self.answering().map(|r| r.wrap_fn(mw))
    }

    /// As [`Resource::default_service`](actix_web::Resource::default_service):
    /// what answers a request no route of the resource accepts (`405` by
    /// default). Such requests are counted under the resource's route.
    ///
    /// ```
    /// use actix_web::{web, HttpResponse};
    /// let resource = route_labels::resource!("/strict")
    ///     .default_service(web::to(|| async { HttpResponse::MethodNotAllowed().finish() }));
    /// # let _ = resource;
    /// ```
    pub fn default_service<F, U>(self, f: F) -> Self
    where
        F: actix_service::IntoServiceFactory<U, ServiceRequest>,
        U: ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse, Error = Error>
            + 'static,
        U::InitError: std::fmt::Debug,
    {
        self.answering().map(|r| r.default_service(f))
    }
}

impl<T, B> HttpServiceFactory for RegisteredResource<actix_web::Resource<T>>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    fn register(self, config: &mut AppService) {
        // Without an answer of its own, a request the resource's mount is
        // claimed for and no route builder claims next is one its routes
        // refused: the app learns that when it is built.
        let inner = if self.answers {
            self.inner
        } else {
            self.inner
                .route(marker(Built::RoutesEnd(self.info, self.routes)))
        };
        #[cfg(feature = "introspection")]
        let inner = inner.guard(crate::routing::unregistered::RegisteredResource);
        // Installed last, so it is the outermost of the resource's middleware.
        inner.wrap(Stamp::new(self.info)).register(config);
    }
}
