//! Attribute macros of [route-labels](https://docs.rs/route-labels).
//!
//! Depend on `route-labels`, which re-exports them; the generated code names
//! `::route_labels::__private` and nothing else.

mod args;
mod ast;
mod expand;
mod parse;
mod valid;

use proc_macro::TokenStream;

/// Records an actix-web handler's route template in the route-labels
/// inventory. Documented in `route_labels::register`.
#[proc_macro_attribute]
pub fn register(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::register(args.into(), input.into()).into()
}
