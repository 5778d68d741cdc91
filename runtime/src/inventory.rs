//! The link-time inventory of registered routes.
//!
//! Every `#[route_labels::register]` adds one [`RouteInfo`] per route template
//! to a [linkme] distributed slice. The slice is assembled by the linker:
//! nothing runs before `main`, and the set of routes is fixed before the first
//! request. An entry's position in the slice is its index, so per-route data
//! is found without hashing.

use std::fmt;
use std::hash::{Hash, Hasher};

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

use crate::__private::ROUTES;

/// One registered route: a handler's template and the methods it accepts.
///
/// Created by `#[route_labels::register]`; read it through [`routes()`] or
/// [`Route::info`].
///
/// ```
/// for route in route_labels::routes() {
///     println!("{} {:?} -> {} ({}:{})",
///         route.template(), route.methods(), route.handler(), route.file(), route.line());
/// }
/// ```
#[derive(Debug)]
pub struct RouteInfo {
    template: &'static str,
    methods: &'static [&'static str],
    handler: &'static str,
    file: &'static str,
    line: u32,
}

impl RouteInfo {
    /// Not public API: generated code calls it.
    #[doc(hidden)]
    #[must_use]
    pub const fn __new(
        template: &'static str,
        methods: &'static [&'static str],
        handler: &'static str,
        file: &'static str,
        line: u32,
    ) -> Self {
        Self {
            template,
            methods,
            handler,
            file,
            line,
        }
    }

    /// The template as written in the handler's attribute, e.g. `/users/{id}`.
    ///
    /// Scope prefixes are not part of it: they are only known once the
    /// handler is mounted (see [`HttpMetrics`](crate::HttpMetrics)).
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// assert!(route.template().starts_with('/') || route.template().is_empty());
    /// # }
    /// ```
    #[must_use]
    pub const fn template(&self) -> &'static str {
        self.template
    }

    /// The methods the handler accepts, as written: `["GET"]`, `["GET", "PUT"]`.
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// assert!(!route.methods().is_empty());
    /// # }
    /// ```
    #[must_use]
    pub const fn methods(&self) -> &'static [&'static str] {
        self.methods
    }

    /// The handler's path: `my_crate::users::get_user`.
    ///
    /// ```
    /// # for route in route_labels::routes() {
    /// assert!(route.handler().contains("::"));
    /// # }
    /// ```
    #[must_use]
    pub const fn handler(&self) -> &'static str {
        self.handler
    }

    /// The source file of the handler's `#[register]` attribute.
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

    /// The line of the handler's `#[register]` attribute.
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
}

/// Every route registered in the program, in link order.
///
/// ```
/// let templates: Vec<&str> = route_labels::routes().map(|r| r.template()).collect();
/// println!("{templates:?}");
/// ```
#[must_use]
pub fn routes() -> impl ExactSizeIterator<Item = &'static RouteInfo> + Clone {
    ROUTES.iter()
}

/// A registered route, as a label value: the only way to get one is
/// [`route_of!`](crate::route_of), so a `Route` can never hold request data.
///
/// A `Route` encodes as its template (without scope prefixes). There is no
/// conversion from `String` or `&str`.
///
/// ```
/// use actix_web::{get, HttpResponse};
/// use route_labels::{route_of, Route};
///
/// #[route_labels::register]
/// #[get("/users/{id}")]
/// async fn get_user() -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
///
/// const USERS: Route = route_of!(get_user);
/// assert_eq!(USERS.template(), "/users/{id}");
/// ```
#[derive(Clone, Copy)]
pub struct Route(&'static RouteInfo);

impl Route {
    /// Not public API: generated code calls it.
    #[doc(hidden)]
    #[must_use]
    pub const fn __new(info: &'static RouteInfo) -> Self {
        Self(info)
    }

    /// The route's inventory entry.
    ///
    /// ```
    /// # use actix_web::{get, HttpResponse};
    /// # #[route_labels::register]
    /// # #[get("/health")]
    /// # async fn health() -> HttpResponse { HttpResponse::Ok().finish() }
    /// let route = route_labels::route_of!(health);
    /// assert!(route.info().handler().ends_with("::health"));
    /// ```
    #[must_use]
    pub const fn info(self) -> &'static RouteInfo {
        self.0
    }

    /// The template as written in the handler's attribute.
    ///
    /// ```
    /// # use actix_web::{get, HttpResponse};
    /// # #[route_labels::register]
    /// # #[get("/ready")]
    /// # async fn ready() -> HttpResponse { HttpResponse::Ok().finish() }
    /// assert_eq!(route_labels::route_of!(ready).template(), "/ready");
    /// ```
    #[must_use]
    pub const fn template(self) -> &'static str {
        self.0.template
    }

    /// The route's position in [`routes()`]: `0..routes().len()`.
    ///
    /// ```
    /// # use actix_web::{get, HttpResponse};
    /// # #[route_labels::register]
    /// # #[get("/live")]
    /// # async fn health() -> HttpResponse { HttpResponse::Ok().finish() }
    /// let route = route_labels::route_of!(health);
    /// let info = route_labels::routes().nth(route.index()).unwrap();
    /// assert!(std::ptr::eq(info, route.info()));
    /// ```
    #[must_use]
    pub fn index(self) -> usize {
        index_of(self.0)
    }
}

/// The position of the first entry with the same template as `route`: two
/// handlers of one template (`GET /orders` and `POST /orders`) are one label
/// value, so label sets that hold a [`Route`] index them by this.
pub(crate) fn label_index(route: Route) -> usize {
    static FIRST_WITH_TEMPLATE: std::sync::OnceLock<Box<[usize]>> = std::sync::OnceLock::new();
    let first = FIRST_WITH_TEMPLATE.get_or_init(|| {
        let mut first_of = std::collections::HashMap::new();
        ROUTES
            .iter()
            .enumerate()
            .map(|(index, info)| *first_of.entry(info.template).or_insert(index))
            .collect()
    });
    first[route.index()]
}

/// The position of an entry in the inventory, by address: the entry is an
/// element of the slice, so this is one subtraction and one division.
pub(crate) fn index_of(info: &'static RouteInfo) -> usize {
    let base = ROUTES.as_ptr() as usize;
    let offset = (std::ptr::from_ref(info) as usize).wrapping_sub(base);
    let index = offset / size_of::<RouteInfo>();
    assert!(
        ROUTES
            .get(index)
            .is_some_and(|entry| std::ptr::eq(entry, info)),
        "route `{}` is not in the route-labels inventory; a `RouteInfo` must come from `#[route_labels::register]`",
        info.template,
    );
    index
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Route {}

impl Hash for Route {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state);
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Route").field(&self.0.template).finish()
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.template)
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        self.0.template.encode(encoder)
    }
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
/// assert_eq!(<create_order as Registered>::ROUTE.template(), "/orders");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a registered route handler",
    label = "`route_of!` needs a handler annotated with `#[route_labels::register]`",
    note = "add `#[route_labels::register]` above the handler's actix-web route attribute, e.g. `#[get(\"/users/{{id}}\")]`"
)]
pub trait Registered {
    /// The handler's route.
    const ROUTE: Route;
}

/// The [`Route`] of a handler annotated with `#[route_labels::register]`.
///
/// Usable in `const` context. A handler without `#[register]` does not compile.
///
/// ```
/// use actix_web::{get, HttpResponse};
/// use route_labels::{route_of, Route};
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
/// const ITEM: Route = route_of!(api::get_item);
/// assert_eq!(ITEM.to_string(), "/items/{id}");
/// ```
#[macro_export]
macro_rules! route_of {
    ($handler:path $(,)?) => {
        <$handler as $crate::Registered>::ROUTE
    };
}
