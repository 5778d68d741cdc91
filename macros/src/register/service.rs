//! `service!("/template", service)`: a registered service that is not a
//! handler, its label checked as `#[register]` checks a template.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, Lit, LitStr, Path, Token};

use crate::common::tokens_text;
use crate::register::valid;

/// What `route_labels::service!` passes on: the runtime's path, then the
/// user's arguments.
struct Input {
    krate: Path,
    template: LitStr,
    service: Expr,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate = input.call(Path::parse_mod_style)?;
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            return Err(input.error(
                "expected the service's label and the service, e.g. `service!(\"/static\", Files::new(\"/static\", \"./static\"))`",
            ));
        }
        let template = match input.parse::<Expr>()? {
            Expr::Lit(ExprLit {
                lit: Lit::Str(template),
                ..
            }) => template,
            other => {
                return Err(syn::Error::new_spanned(
                    &other,
                    format!(
                        "expected a string literal label, found `{}`; route-labels checks it at compile time, so it must be written in the macro",
                        tokens_text(&other)
                    ),
                ));
            }
        };
        if input.is_empty() {
            return Err(input.error(
                "expected the service after its label, e.g. `service!(\"/static\", Files::new(\"/static\", \"./static\"))`",
            ));
        }
        input.parse::<Token![,]>()?;
        let service: Expr = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected argument: `service!` takes a label and a service"));
        }
        Ok(Self {
            krate,
            template,
            service,
        })
    }
}

/// `service!`: the label checked, then the service with its label in the
/// inventory.
pub fn service(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input).and_then(|input| {
        valid::template(&input.template)?;
        Ok(input)
    }) {
        Ok(Input {
            krate,
            template,
            service,
        }) => {
            let site = format!("service!({})", tokens_text(&template));
            // A closure makes the service (a `Scope` is not `Clone`); any
            // other expression is the service, cloned.
            let constructor = if matches!(service, Expr::Closure(_)) {
                quote!(__from_fn)
            } else {
                quote!(__new)
            };
            quote! {{
                #[#krate::__private::linkme::distributed_slice(#krate::__private::ROUTES)]
                #[linkme(crate = #krate::__private::linkme)]
                static ROUTE: #krate::RouteInfo = #krate::RouteInfo::__new(
                    ::core::option::Option::Some(#template),
                    &[],
                    ::core::concat!(::core::module_path!(), "::", #site),
                    ::core::file!(),
                    ::core::line!(),
                );
                #krate::__private::RegisteredService::#constructor(&ROUTE, #service)
            }}
        }
        Err(err) => err.into_compile_error(),
    }
}
