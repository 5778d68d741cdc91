//! [`Route`]: the mounted route of a request, as a label value.

use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

use crate::labels::{UNMATCHED, UNREGISTERED};
use crate::routing::claim::{self, Claim};
use crate::routing::inventory::RouteInfo;
use crate::routing::mounts;

/// The route a request was served by, as a label value: the same value as
/// the `http_route` label of [`HttpMetrics`](crate::HttpMetrics) for that
/// request.
///
/// It is the full template actix-web matched, scope prefixes included
/// (`/users/{id}`, `/orders/{id}`, `/api/v2/users`), or one of two fixed
/// values: [`Route::UNMATCHED`] (no resource matched, e.g. a custom default
/// service) and [`Route::UNREGISTERED`] (a resource matched, but it is not
/// registered with route-labels). Get one by asking for it in a handler: a
/// `Route` is an extractor. There is no conversion from a string, so a
/// `Route` can never hold request data, and the set of values is closed: the
/// mounts of the app, fixed once the app is built.
///
/// ```
/// use actix_web::{get, test, web, App, HttpResponse};
/// use prometheus_client::encoding::EncodeLabelSet;
/// use prometheus_client::metrics::counter::Counter;
/// use route_labels::{ClosedFamily, ClosedLabelSet, Route};
///
/// #[derive(Clone, Debug, EncodeLabelSet, ClosedLabelSet)]
/// struct Labels {
///     http_route: Route,
/// }
///
/// // One module per resource, each with its own `/{id}`.
/// #[route_labels::register]
/// #[get("/{id}")]
/// async fn show(route: Route, views: web::Data<ClosedFamily<Labels, Counter>>) -> HttpResponse {
///     views.get_or_create(&Labels { http_route: route }).inc();
///     HttpResponse::Ok().body(route.to_string())
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let views = ClosedFamily::<Labels, Counter>::default();
/// let app = test::init_service(
///     App::new()
///         .app_data(web::Data::new(views.clone()))
///         .service(web::scope("/users").service(show))
///         .service(web::scope("/orders").service(show)),
/// )
/// .await;
/// let body = test::call_and_read_body(&app, test::TestRequest::get().uri("/orders/7").to_request()).await;
/// assert_eq!(body, "/orders/{id}");
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route(u32);

/// `Route(0)` and `Route(1)` are the two fixed values; template id `n` is
/// `Route(n + 2)`.
const FIXED: u32 = 2;

impl Route {
    /// No resource matched the request (actix-web's default service answered
    /// it, typically with 404): `http_route="unmatched"`.
    ///
    /// ```
    /// assert_eq!(route_labels::Route::UNMATCHED.as_str(), "unmatched");
    /// ```
    pub const UNMATCHED: Route = Route(0);

    /// A resource that is not registered with route-labels served the
    /// request, such as `web::resource("/x").to(handler)`:
    /// `http_route="unregistered"`.
    ///
    /// ```
    /// assert_eq!(route_labels::Route::UNREGISTERED.to_string(), "unregistered");
    /// ```
    pub const UNREGISTERED: Route = Route(1);

    pub(crate) fn of_template(template_id: u32) -> Self {
        Self(template_id + FIXED)
    }

    /// The label value: the full template, `unmatched` or `unregistered`.
    ///
    /// ```
    /// assert_eq!(route_labels::Route::UNMATCHED.as_str(), "unmatched");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self.0 {
            0 => UNMATCHED,
            1 => UNREGISTERED,
            n => mounts::template_of(n - FIXED),
        }
    }

    /// Whether a registered route served the request.
    ///
    /// ```
    /// assert!(!route_labels::Route::UNREGISTERED.is_registered());
    /// ```
    #[must_use]
    pub fn is_registered(self) -> bool {
        self.0 >= FIXED
    }

    /// The route of `req` when no stamp claimed it.
    pub(crate) fn unclaimed(req: &HttpRequest) -> Self {
        if claim::unclaimed_resource_matched(req) {
            Self::UNREGISTERED
        } else {
            Self::UNMATCHED
        }
    }

    /// The number of values: the two fixed ones and one per mount of the app.
    /// Exact once the app is built; it only grows.
    pub(crate) fn cardinality() -> usize {
        FIXED as usize + mounts::mount_bound().max(mounts::templates_interned())
    }

    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }

    pub(crate) fn from_index(index: usize) -> Option<Self> {
        let index = u32::try_from(index).ok()?;
        (index < FIXED || ((index - FIXED) as usize) < mounts::templates_interned())
            .then_some(Self(index))
    }
}

/// The request's route: the mount that serves it, or [`Route::UNMATCHED`] /
/// [`Route::UNREGISTERED`]. Never fails. Inside
/// [`HttpMetrics`](crate::HttpMetrics) it reads what the request was counted
/// under, at no cost; without it, it asks actix-web (`match_pattern()`, an
/// allocation), and a default service may then see `unregistered` for a
/// method a scope's root refused.
impl FromRequest for Route {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    #[inline]
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let route = match claim::claimed() {
            Claim::Mount(mount) => Self::of_template(mounts::template_id_of(mount)),
            Claim::Refused => Self::UNMATCHED,
            Claim::None => Self::unclaimed(req),
            // No `HttpMetrics` around: ask actix-web (an allocation).
            Claim::Unwatched => match req.match_pattern() {
                Some(pattern) => mounts::template_id(&pattern)
                    .map_or_else(|| Self::unclaimed(req), Self::of_template),
                None => Self::UNMATCHED,
            },
        };
        ready(Ok(route))
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Route").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        self.as_str().encode(encoder)
    }
}

/// Mounts are a run-time fact: they live beside [`Route`], not in the
/// inventory.
impl RouteInfo {
    /// The mounts of this registration in the apps built so far, as label
    /// values: the full templates it is reachable under. A `#[register]`
    /// handler's mounts are known once its app is built; a route builder's
    /// once a request went through it.
    ///
    /// ```
    /// use actix_web::{get, test, web, App, HttpResponse};
    /// use route_labels::route_of;
    ///
    /// #[route_labels::register]
    /// #[get("/{id}")]
    /// async fn show_thing() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(web::scope("/things").service(show_thing))
    ///         .service(web::scope("/stuff").service(show_thing)),
    /// )
    /// .await;
    /// test::call_service(&app, test::TestRequest::get().uri("/stuff/1").to_request()).await;
    /// let mounts: Vec<String> = route_of!(show_thing).mounts().map(|r| r.to_string()).collect();
    /// assert_eq!(mounts, ["/things/{id}", "/stuff/{id}"]);
    /// # });
    /// ```
    pub fn mounts(&'static self) -> impl Iterator<Item = Route> {
        mounts::template_ids_of(self)
            .into_iter()
            .map(Route::of_template)
    }
}
