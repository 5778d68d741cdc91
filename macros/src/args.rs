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
                parse_crate(input, &mut krate)?;
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

/// `crate = path`, the one argument both `#[register]` and `#[closed]` take;
/// `input` is at `crate`.
pub fn parse_crate(input: ParseStream<'_>, krate: &mut Option<Path>) -> syn::Result<()> {
    let keyword: Token![crate] = input.parse()?;
    input.parse::<Token![=]>()?;
    let path = input.call(Path::parse_mod_style)?;
    if krate.is_some() {
        return Err(syn::Error::new_spanned(
            keyword,
            "duplicate `crate` argument",
        ));
    }
    *krate = Some(path);
    Ok(())
}
