//! The arguments of `#[register(..)]` itself.

use syn::parse::{Parse, ParseStream};
use syn::{Path, Token};

/// `#[register]` or `#[register(crate = path::to::route_labels)]`.
pub struct Args {
    /// Where generated code finds the runtime crate.
    pub krate: Path,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut krate: Option<Path> = None;
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![crate]) {
                let keyword: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                let path = input.call(Path::parse_mod_style)?;
                if krate.is_some() {
                    return Err(syn::Error::new_spanned(
                        keyword,
                        "duplicate `crate` argument",
                    ));
                }
                krate = Some(path);
            } else {
                return Err(lookahead.error());
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Self {
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::route_labels)),
        })
    }
}
