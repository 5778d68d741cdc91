//! `resource!("/template")`: a registered `web::resource`, its template
//! checked as `#[register]` checks one.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, Lit, LitStr, Path, Token};

use crate::common::tokens_text;
use crate::register::valid;

/// What `route_labels::resource!` passes on: the runtime's path, then the
/// user's arguments.
struct Input {
    krate: Path,
    template: LitStr,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (krate, template) = krate_and_template(
            input,
            "expected the resource's route template, e.g. `resource!(\"/users/{id}\")`",
            "template",
        )?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected argument: `resource!` takes one template"));
        }
        Ok(Self { krate, template })
    }
}

/// The runtime's path, then a string literal template (`what` names it in
/// the error): what `resource!` and `service!` begin with.
pub fn krate_and_template(
    input: ParseStream<'_>,
    expected: &str,
    what: &str,
) -> syn::Result<(Path, LitStr)> {
    let krate = input.call(Path::parse_mod_style)?;
    input.parse::<Token![,]>()?;
    if input.is_empty() {
        return Err(input.error(expected));
    }
    match input.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(template),
            ..
        }) => Ok((krate, template)),
        other => Err(syn::Error::new_spanned(
            &other,
            format!(
                "expected a string literal {what}, found `{}`; route-labels checks the {what} at compile time, so it must be written in the macro",
                tokens_text(&other)
            ),
        )),
    }
}

/// `resource!`: the template checked, then a `web::resource` whose template
/// is in the inventory.
pub fn resource(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input).and_then(|input| {
        valid::template(&input.template)?;
        Ok(input)
    }) {
        Ok(Input { krate, template }) => {
            let site = format!("resource!({})", tokens_text(&template));
            quote! {{
                #[#krate::__private::linkme::distributed_slice(#krate::__private::ROUTES)]
                #[linkme(crate = #krate::__private::linkme)]
                static ROUTE: #krate::RouteInfo = #krate::__private::route_info(
                    ::core::option::Option::Some(#template),
                    &[],
                    ::core::concat!(::core::module_path!(), "::", #site),
                    ::core::file!(),
                    ::core::line!(),
                );
                #krate::__private::resource(#template, &ROUTE)
            }}
        }
        Err(err) => err.into_compile_error(),
    }
}
