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
