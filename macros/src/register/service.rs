//! `service!("/template", service)`: a registered service that is not a
//! handler, its label checked as `#[register]` checks a template.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, LitStr, Path, Token};

use crate::common::tokens_text;
use crate::register::resource::krate_and_template;
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
        let (krate, template) = krate_and_template(
            input,
            "expected the service's label and the service, e.g. `service!(\"/static\", Files::new(\"/static\", \"./static\"))`",
            "label",
        )?;
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
    let Input {
        krate,
        template,
        service,
    } = match syn::parse2::<Input>(input) {
        Ok(input) => input,
        Err(err) => return err.into_compile_error(),
    };
    // A label refused: the error, beside the service itself, so that the
    // service still type-checks and one mistake gives one message.
    if let Err(err) = valid::template(&template) {
        let error = err.into_compile_error();
        return quote! {{ #error; #service }};
    }
    let site = format!("service!({})", tokens_text(&template));
    // A closure makes the service (a `Scope` is not `Clone`); any other
    // expression is the service, cloned.
    let constructor = if matches!(service, Expr::Closure(_)) {
        quote!(service_from_fn)
    } else {
        quote!(service)
    };
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
        #krate::__private::#constructor(&ROUTE, #service)
    }}
}
