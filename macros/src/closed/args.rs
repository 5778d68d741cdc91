//! The arguments of `#[closed(..)]` on the input of a derive.

use proc_macro2::Span;
use syn::parse::ParseStream;
use syn::{Attribute, Expr, Path, Token};

use crate::common::{self, Errors};

mod kw {
    syn::custom_keyword!(max_series);
}

/// `#[closed(crate = path, max_series = N)]`, both optional, over every
/// `#[closed(..)]` of the item.
#[derive(Default)]
pub struct Args {
    /// Where generated code finds the runtime crate.
    pub krate: Option<Path>,
    pub max_series: Option<Budget>,
}

/// `max_series = N`: the most series a label set may allow.
pub struct Budget {
    /// The span of `max_series`, where a budget exceeded is reported.
    pub span: Span,
    pub value: Expr,
}

impl Args {
    /// The arguments of every `#[closed(..)]` in `attrs`, each given once
    /// over all of them. What was read before an error is kept, so that the
    /// fallback impl of a rejected derive still finds `crate = path`.
    pub fn from_attrs(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut args = Args::default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("closed")) {
            errors.take(attr.parse_args_with(|input: ParseStream<'_>| args.parse_more(input)));
        }
        args
    }

    fn parse_more(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        common::parse_args(input, &mut self.krate, |input, lookahead| {
            if !lookahead.peek(kw::max_series) {
                return Err(lookahead.error());
            }
            let keyword: kw::max_series = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            let budget = Budget {
                span: keyword.span,
                value,
            };
            common::set_once(&mut self.max_series, budget, &keyword)
        })
    }

    /// Where generated code finds the runtime crate.
    pub fn krate(&self) -> Path {
        common::runtime_path(self.krate.as_ref())
    }
}
