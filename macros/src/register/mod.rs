//! `#[register]` on a handler and `resource!("/template")`: read the route
//! templates, check them as actix-web will, and record them in the
//! inventory.

mod args;
mod ast;
mod expand;
mod parse;
mod resource;
mod service;
mod valid;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Item, ItemFn};

use self::args::Args;
pub use self::resource::resource;
pub use self::service::service;
use crate::common::{item_head, with_error};

/// `#[register]`: parse, validate, expand. On error the user's item is still
/// emitted beside the error, so that one mistake gives one message.
pub fn attribute(args: TokenStream, input: TokenStream) -> TokenStream {
    let args: Args = match syn::parse2(args) {
        Ok(args) => args,
        Err(err) => return with_error(input, err),
    };
    let item_fn = match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Fn(item_fn)) => item_fn,
        Ok(other) => {
            let err = syn::Error::new_spanned(
                item_head(&other),
                "`#[route_labels::register]` applies to a free `fn` handler",
            );
            return with_error(input, err);
        }
        Err(err) => return with_error(input, err),
    };
    let handler = match parse::handler(item_fn.clone()) {
        Ok(handler) => handler,
        // Without its route attributes the function still type-checks, and
        // actix-web does not report the same mistake a second time.
        Err(err) => return with_error(without_route_attrs(item_fn).into_token_stream(), err),
    };
    match valid::handler(&handler) {
        Ok(()) => expand::handler(handler, &args.krate),
        // Templates actix-web accepts but route-labels refuses (`?`, `#`)
        // keep their attributes, so the handler still works as a service.
        Err(err)
            if handler
                .routes
                .iter()
                .all(|r| valid::actix_router_accepts(&r.path.value()).is_ok()) =>
        {
            with_error(item_fn.into_token_stream(), err)
        }
        Err(err) => with_error(without_route_attrs(item_fn).into_token_stream(), err),
    }
}

fn without_route_attrs(mut item: ItemFn) -> ItemFn {
    item.attrs.retain(|attr| parse::classify(attr).is_none());
    item
}
