//! Shared pieces of route-labels' examples and integration tests. Not published.
//!
//! - [`naive`]: the usual mistake, a middleware that labels by the raw path
//!   and method, to compare route-labels against.
//! - [`flood`]: the flood demo (`cargo run --release --example flood`) as a
//!   library, so that a test can run it small.
#![deny(missing_docs)]
#![warn(clippy::pedantic)]
#![allow(clippy::cast_precision_loss)]

pub mod flood;
pub mod naive;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The examples of docs/native-histograms.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/native-histograms.md")]
pub struct NativeHistogramsDoctests;

/// The examples of docs/metrics.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/metrics.md")]
pub struct MetricsDoctests;

/// The examples of docs/routing.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/routing.md")]
pub struct RoutingDoctests;

/// The examples of docs/custom-metrics.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/custom-metrics.md")]
pub struct CustomMetricsDoctests;

/// The examples of docs/running-at-scale.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/running-at-scale.md")]
pub struct RunningAtScaleDoctests;

/// The examples of docs/conformance.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/conformance.md")]
pub struct ConformanceDoctests;

/// The examples of docs/limits.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/limits.md")]
pub struct LimitsDoctests;

/// The examples of docs/migrating-from-actix-web-prom.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/migrating-from-actix-web-prom.md")]
pub struct MigratingFromActixWebPromDoctests;

/// The example of the route-labels crate's own README, compiled and run as
/// doc tests.
#[cfg(doctest)]
#[doc = include_str!("../runtime/README.md")]
pub struct RuntimeReadmeDoctests;

/// The example of the macros crate's README, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../macros/README.md")]
pub struct MacrosReadmeDoctests;
