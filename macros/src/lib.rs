//! Attribute macros of [route-labels](https://docs.rs/route-labels).
//!
//! Depend on `route-labels`, which re-exports them and documents them; the
//! generated code names `::route_labels::__private` and nothing else. (The
//! macros carry no doc comments of their own: a re-export shows the
//! original's docs after its own.)
#![warn(clippy::pedantic)]

mod closed;
mod common;
mod register;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

// Records an actix-web handler's route template in the route-labels
// inventory. Documented in `route_labels::register`.
#[proc_macro_attribute]
pub fn register(args: TokenStream, input: TokenStream) -> TokenStream {
    register::attribute(args.into(), input.into()).into()
}

// Not public API: `route_labels::resource!` calls it with the runtime's
// path first. Documented in `route_labels::resource`.
#[doc(hidden)]
#[proc_macro]
pub fn __resource(input: TokenStream) -> TokenStream {
    register::resource(input.into()).into()
}

// Not public API: `route_labels::service!` calls it with the runtime's
// path first. Documented in `route_labels::service`.
#[doc(hidden)]
#[proc_macro]
pub fn __service(input: TokenStream) -> TokenStream {
    register::service(input.into()).into()
}

// Implements `route_labels::ClosedLabelValue` for an enum whose variants
// carry no data. Documented in `route_labels::ClosedLabelValue`.
#[proc_macro_derive(ClosedLabelValue, attributes(closed))]
pub fn derive_closed_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    closed::label_value(&input).into()
}

// Implements `route_labels::ClosedLabelSet` for a struct of closed label
// values. Documented in `route_labels::ClosedLabelSet`.
#[proc_macro_derive(ClosedLabelSet, attributes(closed))]
pub fn derive_closed_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    closed::label_set(&input).into()
}
