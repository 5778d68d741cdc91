//! The arguments of `#[closed(..)]` on the input of a derive.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Path, Token};

mod kw {
    syn::custom_keyword!(max_series);
}

/// `#[closed(crate = path, max_series = N)]`, both optional.
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

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![crate]) {
                crate::args::parse_crate(input, &mut args.krate)?;
            } else if lookahead.peek(kw::max_series) {
                let keyword: kw::max_series = input.parse()?;
                input.parse::<Token![=]>()?;
                let value: Expr = input.parse()?;
                if args.max_series.is_some() {
                    return Err(syn::Error::new_spanned(
                        keyword,
                        "duplicate `max_series` argument",
                    ));
                }
                args.max_series = Some(Budget {
                    span: keyword.span,
                    value,
                });
            } else {
                return Err(lookahead.error());
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

impl Args {
    /// Adds the arguments of another `#[closed(..)]` on the same item.
    pub fn merge(&mut self, other: Args) -> syn::Result<()> {
        if let Some(krate) = other.krate {
            if self.krate.is_some() {
                return Err(syn::Error::new_spanned(krate, "duplicate `crate` argument"));
            }
            self.krate = Some(krate);
        }
        if let Some(budget) = other.max_series {
            if self.max_series.is_some() {
                return Err(syn::Error::new(
                    budget.span,
                    "duplicate `max_series` argument",
                ));
            }
            self.max_series = Some(budget);
        }
        Ok(())
    }
}
