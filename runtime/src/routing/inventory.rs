//! The link-time inventory of registered routes.
//!
//! Every `#[route_labels::register]` adds one [`RouteInfo`] per route template
//! to a [linkme] distributed slice. The slice is assembled by the linker:
//! nothing runs before `main`, and the set of routes is fixed before the first
//! request. An entry's position in the slice is its index, so per-route data
//! is found without hashing.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// The inventory: every `#[register]` and builder macro adds its
/// [`RouteInfo`] here, at link time. Generated code names it through
/// `__private`.
#[linkme::distributed_slice]
pub static ROUTES: [RouteInfo];

/// One registered place: a handler annotated with `#[register]`, or a
/// builder call ([`resource!`](crate::resource), [`get!`](crate::get), ...)
/// in the app's routing code.
///
/// It is what the program declares, not a label value: the same handler can
/// be mounted under several scopes, and each mount is its own
/// [`Route`](crate::Route). Read the inventory through [`routes()`] or
/// [`route_of!`](crate::route_of).
///
/// ```
/// for route in route_labels::routes() {
///     println!("{:?} {:?} -> {} ({}:{})",
///         route.template(), route.methods(), route.handler(), route.file(), route.line());
/// }
/// ```
#[derive(Debug)]
pub struct RouteInfo {
    template: Option<&'static str>,
    methods: &'static [&'static str],
    handler: &'static str,
    /// A route builder's handler, once it is given one (`.to(handler)`).
    named: OnceLock<&'static str>,
    file: &'static str,
    line: u32,
}

impl RouteInfo {
    /// Made by generated code, through `__private::route_info`.
    #[must_use]
    pub(crate) const fn new(
        template: Option<&'static str>,
        methods: &'static [&'static str],
        handler: &'static str,
        file: &'static str,
        line: u32,
    ) -> Self {
        Self {
            template,
            methods,
            handler,
            named: OnceLock::new(),
            file,
            line,
        }
    }

    /// The template as written in the macro, e.g. `/{id}`, relative to the
    /// scopes the route is mounted under; `None` for a route builder
    /// ([`get!`](crate::get), ...), whose path is written outside the macro.
    ///
    /// It is not the label value: [`Route`](crate::Route) is, the full
    /// template actix-web matched (`/users/{id}`).
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// if let Some(template) = route.template() {
    ///     assert!(template.is_empty() || template.starts_with('/'));
    /// }
    /// # }
    /// ```
    #[must_use]
    pub const fn template(&self) -> Option<&'static str> {
        self.template
    }

    /// The methods it answers, as written: `["GET"]`, `["GET", "PUT"]`;
    /// empty when they are not known at compile time (a
    /// [`resource!`](crate::resource) answers whatever its routes accept,
    /// and `405` otherwise), in which case [`HttpMetrics`](crate::HttpMetrics)
    /// keeps every method label for it.
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// assert!(route.methods().iter().all(|m| !m.is_empty()));
    /// # }
    /// ```
    #[must_use]
    pub const fn methods(&self) -> &'static [&'static str] {
        self.methods
    }

    /// Who registered it: the handler's path (`my_crate::users::get_user`);
    /// for a route builder, the handler it was given
    /// (`get!().to(list_users)`: `my_crate::users::list_users`), or until
    /// then the macro and its module (`my_crate::users::get!()`). Each is
    /// stable across edits that move lines, so the `handler` label of
    /// `http_server_route_info` does not change with them.
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// assert!(route.handler().contains("::"));
    /// # }
    /// ```
    #[must_use]
    pub fn handler(&self) -> &'static str {
        self.named.get().copied().unwrap_or(self.handler)
    }

    /// A route builder was given its handler: `name` is the handler's type
    /// name. The first one given names it.
    pub(crate) fn name_handler(&self, name: &'static str) {
        let _ = self.named.set(name);
    }

    /// The source file of the `#[register]` attribute or the macro call.
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// assert!(route.file().ends_with(".rs"));
    /// # }
    /// ```
    #[must_use]
    pub const fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the `#[register]` attribute or the macro call.
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// assert!(route.line() > 0);
    /// # }
    /// ```
    #[must_use]
    pub const fn line(&self) -> u32 {
        self.line
    }

    /// The position of this entry in [`routes()`], for a table of your own
    /// indexed by registration (`routes().len() + 1` entries);
    /// [`MetricsEndpoint::REGISTRATION`](crate::MetricsEndpoint::REGISTRATION), which is not
    /// in it, comes after the last.
    ///
    /// ```
    /// for (position, route) in route_labels::routes().enumerate() {
    ///     assert_eq!(route.position(), position);
    /// }
    /// ```
    #[must_use]
    pub fn position(&'static self) -> usize {
        index_of(self)
    }
}

/// Two entries are equal when they are the same entry of the inventory.
impl PartialEq for RouteInfo {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for RouteInfo {}

impl Hash for RouteInfo {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self, state);
    }
}

/// `` `users::show` (src/users.rs:12) ``.
impl fmt::Display for RouteInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({}:{})", self.handler(), self.file, self.line)
    }
}

/// Every route registered in the program, in link order.
///
/// ```
/// let handlers: Vec<&str> = route_labels::routes().map(|r| r.handler()).collect();
/// println!("{handlers:?}");
/// ```
#[must_use]
pub fn routes() -> impl ExactSizeIterator<Item = &'static RouteInfo> + Clone {
    ROUTES.iter()
}

/// The registration of [`MetricsEndpoint`](crate::MetricsEndpoint): made
/// by the runtime, so not in [`routes()`], which lists the app's own.
pub(crate) static METRICS_ENDPOINT: RouteInfo = RouteInfo::new(
    None,
    // Every method: the endpoint answers `405` to those it does not serve,
    // counted under its route.
    &[],
    "route_labels::MetricsEndpoint",
    file!(),
    line!(),
);

/// Whether `route` is a registration of the runtime's own.
pub(crate) fn is_builtin(route: &RouteInfo) -> bool {
    std::ptr::eq(route, &raw const METRICS_ENDPOINT)
}

/// Every registration: the app's [`routes()`], then the runtime's own.
pub(crate) fn registrations() -> impl Iterator<Item = &'static RouteInfo> {
    routes().chain(std::iter::once(&METRICS_ENDPOINT))
}

/// The position of an entry in the inventory, by address: the entry is an
/// element of the slice, so this is one subtraction and one division. The
/// runtime's own registration comes after the slice.
pub(crate) fn index_of(info: &'static RouteInfo) -> usize {
    if is_builtin(info) {
        return ROUTES.len();
    }
    let base = ROUTES.as_ptr() as usize;
    let offset = (std::ptr::from_ref(info) as usize).wrapping_sub(base);
    let index = offset / size_of::<RouteInfo>();
    assert!(
        ROUTES
            .get(index)
            .is_some_and(|entry| std::ptr::eq(entry, info)),
        "{info} is not in the route-labels inventory; a `RouteInfo` must come from `#[route_labels::register]` or a route-labels builder macro",
    );
    index
}

/// Implemented by `#[route_labels::register]` for every registered handler;
/// [`route_of!`](crate::route_of) reads it. Do not implement it by hand.
///
/// ```
/// use actix_web::{post, HttpResponse};
/// use route_labels::Registered;
///
/// #[route_labels::register]
/// #[post("/orders")]
/// async fn create_order() -> HttpResponse {
///     HttpResponse::Created().finish()
/// }
///
/// assert_eq!(<create_order as Registered>::ROUTE.template(), Some("/orders"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a registered route handler",
    label = "`route_of!` needs a handler annotated with `#[route_labels::register]`",
    note = "add `#[route_labels::register]` above the handler's actix-web route attribute, e.g. `#[get(\"/users/{{id}}\")]`"
)]
pub trait Registered: crate::__private::Sealed {
    /// The handler's entry in the inventory.
    const ROUTE: &'static RouteInfo;
}

/// The inventory entry of a handler annotated with `#[route_labels::register]`:
/// what the handler declares (its template, relative to any scope, and its
/// methods), checked by the compiler.
///
/// It names a handler, not a label value: a handler mounted under `/users`
/// and `/orders` is one registration and two [`Route`](crate::Route)s. Label
/// custom metrics with the [`Route`](crate::Route) extractor, which gives the
/// request's mounted route, the same value as `http_route`; use `route_of!`
/// to refer to a handler in code (its [`mounts`](RouteInfo::mounts), or to
/// compare with a route's registrations). Usable in `const` context; a
/// handler without `#[register]` does not compile.
///
/// ```
/// use route_labels::{route_of, RouteInfo};
///
/// mod api {
///     use actix_web::{get, HttpResponse};
///
///     #[route_labels::register]
///     #[get("/items/{id}")]
///     pub async fn get_item() -> HttpResponse {
///         HttpResponse::Ok().finish()
///     }
/// }
///
/// const ITEM: &RouteInfo = route_of!(api::get_item);
/// assert_eq!(ITEM.template(), Some("/items/{id}"));
/// assert!(ITEM.handler().ends_with("api::get_item"));
/// ```
#[macro_export]
macro_rules! route_of {
    ($handler:path $(,)?) => {
        <$handler as $crate::Registered>::ROUTE
    };
}
