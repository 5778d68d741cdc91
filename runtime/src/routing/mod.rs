//! Which registered mount serves a request: the closed set of route
//! templates, and how a request is matched to one of them.
//!
//! - [`inventory`]: the registrations, a link-time list ([`RouteInfo`](crate::RouteInfo));
//!   [`route`]: the [`Route`](crate::Route) extractor;
//! - [`macros`]: the builder macros (`resource!`, `service!`, `get!`, ...);
//! - how a registration joins an app: [`registration`] (a `#[register]`
//!   handler's resource), [`builders`] (`resource!`, `get!`, ...),
//!   [`services`] (`service!`); [`app`]: an app built through
//!   [`HttpMetrics::app`](crate::HttpMetrics::app) learns its mounts;
//! - at request time: [`stamp`] marks the mount a request goes through,
//!   [`claim`] hands it to the middleware, [`mounts`] is the table of
//!   mounts by full template;
//! - `unregistered` (feature `introspection`): the app's mounts nothing
//!   registered serves.

pub(crate) mod app;
pub(crate) mod builders;
pub(crate) mod claim;
pub(crate) mod inventory;
mod macros;
pub(crate) mod mounts;
pub(crate) mod registration;
pub(crate) mod route;
pub(crate) mod services;
pub(crate) mod stamp;
#[cfg(feature = "introspection")]
pub(crate) mod unregistered;
