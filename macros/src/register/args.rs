//! The arguments of `#[register(..)]` itself.

use syn::Path;
use syn::parse::{Parse, ParseStream};

use crate::common;

/// `#[register]` or `#[register(crate = path::to::route_labels)]`.
pub struct Args {
    /// Where generated code finds the runtime crate.
    pub krate: Path,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut krate = None;
        common::parse_args(input, &mut krate, |_, lookahead| Err(lookahead.error()))?;
        Ok(Self {
            krate: common::runtime_path(krate.as_ref()),
        })
    }
}
