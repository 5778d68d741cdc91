//! Checks a route template the way actix-web will read it.

use std::panic;

use actix_router::ResourceDef;
use syn::LitStr;

use crate::ast::Handler;

/// Every template of `handler`, with all errors combined.
pub fn handler(handler: &Handler) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    for route in &handler.routes {
        if let Err(err) = template(&route.path) {
            match &mut errors {
                Some(errors) => errors.combine(err),
                None => errors = Some(err),
            }
        }
    }
    errors.map_or(Ok(()), Err)
}

/// A template is a route label only if it is no request data (`?`, `#`) and
/// actix-router's own parser accepts it.
pub fn template(lit: &LitStr) -> syn::Result<()> {
    let value = lit.value();
    if value.contains('?') {
        return Err(syn::Error::new_spanned(
            lit,
            "route templates cannot contain `?`: a query string is request data, never part of a route label",
        ));
    }
    if value.contains('#') {
        return Err(syn::Error::new_spanned(
            lit,
            "route templates cannot contain `#`: a fragment is never sent to the server",
        ));
    }
    actix_router_accepts(&value).map_err(|reason| {
        syn::Error::new_spanned(
            lit,
            format!("actix-web would reject this route template: {reason}"),
        )
    })
}

/// Runs actix-router's parser, which reports a bad pattern by panicking.
pub fn actix_router_accepts(template: &str) -> Result<(), String> {
    // Inside a macro expansion the proc_macro bridge keeps panics quiet, so
    // a rejected template gives one compile error and no panic report.
    let result = panic::catch_unwind(|| ResourceDef::new(template));
    match result {
        Ok(_) => Ok(()),
        Err(payload) => Err(payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("the pattern is malformed")
            .to_owned()),
    }
}
