//! Errors from building [`HttpMetrics`](crate::HttpMetrics).

use std::fmt;

use crate::inventory::RouteInfo;

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
    /// Two handlers registered the same method and template: their series
    /// could not be told apart.
    DuplicateRoute {
        /// The method both accept.
        method: &'static str,
        /// The template both declare.
        template: &'static str,
        /// The first handler, in inventory order.
        first: &'static RouteInfo,
        /// The second handler.
        second: &'static RouteInfo,
    },
    /// The histogram buckets are empty, not finite, not positive or not
    /// strictly increasing.
    InvalidBuckets(Vec<f64>),
    /// The metric name prefix is not a valid Prometheus metric name.
    InvalidPrefix(String),
    /// Zero status codes per (route, method) pair were asked for.
    NoStatusCodes,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateRoute {
                method,
                template,
                first,
                second,
            } => write!(
                f,
                "`{method} {template}` is registered twice: by `{}` at {}:{} and by `{}` at {}:{}; \
                 a route label must name one handler, so give one of them a distinct template",
                first.handler(),
                first.file(),
                first.line(),
                second.handler(),
                second.file(),
                second.line(),
            ),
            Self::InvalidBuckets(buckets) => write!(
                f,
                "histogram buckets must be finite, positive and strictly increasing, found {buckets:?}"
            ),
            Self::InvalidPrefix(prefix) => write!(
                f,
                "metric prefix `{prefix}` is not a valid metric name: use ASCII letters, digits and `_`, not starting with a digit"
            ),
            Self::NoStatusCodes => f.write_str("status_codes_per_route must be at least 1"),
        }
    }
}

impl std::error::Error for BuildError {}
