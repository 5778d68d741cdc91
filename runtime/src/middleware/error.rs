//! Errors from building [`HttpMetrics`](crate::HttpMetrics).

use std::fmt;

/// Why [`HttpMetricsBuilder::build`](crate::HttpMetricsBuilder::build) refused.
///
/// ```
/// let mut registry = prometheus_client::registry::Registry::default();
/// let err = route_labels::HttpMetrics::builder()
///     .buckets([1.0, 0.5])
///     .build(&mut registry)
///     .unwrap_err();
/// assert!(matches!(err, route_labels::BuildError::InvalidBuckets(_)));
/// assert_eq!(err.to_string(), "histogram buckets must be finite, positive and strictly increasing, found [1.0, 0.5]");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BuildError {
    /// The histogram buckets are empty, not finite, not positive or not
    /// strictly increasing.
    InvalidBuckets(Vec<f64>),
    /// The metric name prefix is not a valid Prometheus metric name.
    InvalidPrefix(String),
    /// Zero status codes per (route, method) pair were asked for.
    NoStatusCodes,
    /// The body size buckets are empty, not finite, not positive or not
    /// strictly increasing.
    InvalidBodySizeBuckets(Vec<f64>),
    /// The [`NativeBuckets`](crate::NativeBuckets) cannot be laid out: the
    /// reason says which of schema, zero threshold and maximum.
    InvalidNativeBuckets(&'static str),
    /// An extra method is not an HTTP method token, is one of the nine
    /// standard methods, or was given twice.
    InvalidMethod {
        /// The method as given.
        method: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// More extra methods than [`HttpMetricsBuilder::extra_methods`](crate::HttpMetricsBuilder::extra_methods) keeps.
    TooManyMethods(usize),
    /// An excluded route is not a registration: a [`RouteInfo`](crate::RouteInfo)
    /// built by hand rather than taken from [`route_of!`](crate::route_of).
    NotRegistered(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidBuckets(buckets) => write!(
                f,
                "histogram buckets must be finite, positive and strictly increasing, found {buckets:?}"
            ),
            Self::InvalidPrefix(prefix) => write!(
                f,
                "metric prefix `{prefix}` is not a valid metric name: use ASCII letters, digits and `_`, not starting with a digit"
            ),
            Self::NoStatusCodes => f.write_str("status_codes_per_route must be at least 1"),
            Self::InvalidBodySizeBuckets(buckets) => write!(
                f,
                "body size buckets must be finite, positive and strictly increasing, found {buckets:?}"
            ),
            Self::InvalidNativeBuckets(reason) => write!(f, "native buckets: {reason}"),
            Self::InvalidMethod { method, reason } => {
                write!(f, "extra method {method:?} {reason}")
            }
            Self::TooManyMethods(count) => write!(
                f,
                "{count} extra methods given, at most {} are kept apart",
                crate::middleware::attributes::MAX_EXTRA_METHODS
            ),
            Self::NotRegistered(route) => write!(
                f,
                "cannot exclude {route}: it is not in the route-labels inventory; take it from `route_of!(handler)`"
            ),
        }
    }
}

impl std::error::Error for BuildError {}
