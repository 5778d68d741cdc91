//! Turns a validated [`Handler`] into the inventory entries, the `Registered`
//! impl and the actix-web attributes with their added `wrap`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::{Ident, Item, ItemFn, LitStr, Meta, Path};

use crate::args::Args;
use crate::ast::Handler;
use crate::{parse, valid};

/// The entry point: parse, validate, expand; on error, the user's item is
/// still emitted beside the error so that one mistake gives one message.
pub fn register(args: TokenStream, input: TokenStream) -> TokenStream {
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
        Ok(()) => expand(handler, &args.krate),
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

fn with_error(mut item: TokenStream, err: syn::Error) -> TokenStream {
    item.extend(err.into_compile_error());
    item
}

/// The tokens that name an item, to point an error at: `struct Foo`.
fn item_head(item: &Item) -> TokenStream {
    let tokens: Vec<TokenTree> = item.to_token_stream().into_iter().collect();
    // Skip outer attributes (`#` and a bracket group each), keep the next
    // two tokens: the keyword and, mostly, the name.
    let mut rest = tokens.as_slice();
    while let [TokenTree::Punct(p), TokenTree::Group(_), tail @ ..] = rest
        && p.as_char() == '#'
    {
        rest = tail;
    }
    rest.iter().take(2).cloned().collect()
}

fn without_route_attrs(mut item: ItemFn) -> ItemFn {
    item.attrs.retain(|attr| parse::classify(attr).is_none());
    item
}

/// One inventory entry: a distinct template of the handler.
struct Entry {
    ident: Ident,
    template: LitStr,
    methods: Vec<String>,
}

fn expand(mut handler: Handler, krate: &Path) -> TokenStream {
    let name = handler.ident().clone();
    let base = name.to_string().trim_start_matches("r#").to_uppercase();

    let mut entries: Vec<Entry> = Vec::new();
    let mut entry_of_route = Vec::new();
    for route in &handler.routes {
        let index = match entries
            .iter()
            .position(|e| e.template.value() == route.path.value())
        {
            Some(index) => index,
            None => {
                entries.push(Entry {
                    ident: format_ident!("__ROUTE_LABELS_{}_{}", base, entries.len()),
                    template: route.path.clone(),
                    methods: Vec::new(),
                });
                entries.len() - 1
            }
        };
        for method in &route.methods {
            if !entries[index].methods.contains(method) {
                entries[index].methods.push(method.clone());
            }
        }
        entry_of_route.push(index);
    }

    for (route, &entry) in handler.routes.iter().zip(&entry_of_route) {
        let stamp = format!(
            "{}::__private::Stamp::new(&{})",
            krate.to_token_stream(),
            entries[entry].ident
        );
        add_wrap(
            &mut handler.item.attrs[route.attr].meta,
            &LitStr::new(&stamp, Span::call_site()),
        );
    }

    let name_text = name.to_string();
    let statics = entries.iter().map(
        |Entry {
             ident,
             template,
             methods,
         }| {
            quote! {
                #[#krate::__private::linkme::distributed_slice(#krate::__private::ROUTES)]
                #[linkme(crate = #krate::__private::linkme)]
                #[doc(hidden)]
                static #ident: #krate::__private::RouteInfo = #krate::__private::RouteInfo::__new(
                    #template,
                    &[#(#methods),*],
                    ::core::concat!(::core::module_path!(), "::", #name_text),
                    ::core::file!(),
                    ::core::line!(),
                );
            }
        },
    );
    let route = match entries.as_slice() {
        [only] => {
            let ident = &only.ident;
            quote!(#krate::__private::Route::__new(&#ident))
        }
        // Evaluated only where `route_of!` names this handler: a compile
        // error there, pointing at this attribute.
        several => {
            let templates: Vec<String> = several
                .iter()
                .map(|e| format!("`{}`", e.template.value()))
                .collect();
            let message = format!(
                "`route_of!({name_text})` needs a handler with one template; `{name_text}` is registered under {}",
                templates.join(", ")
            );
            quote!(::core::panic!(#message))
        }
    };
    let item = &handler.item;
    quote! {
        #(#statics)*
        impl #krate::Registered for #name {
            const ROUTE: #krate::Route = #route;
        }
        #item
    }
}

/// `#[get("/p", name = "x")]` becomes `#[get("/p", name = "x", wrap = "..")]`.
fn add_wrap(meta: &mut Meta, stamp: &LitStr) {
    let Meta::List(list) = meta else {
        unreachable!("route attributes were parsed as lists");
    };
    let tokens = &list.tokens;
    let trailing_comma = matches!(tokens.clone().into_iter().last(), Some(TokenTree::Punct(p)) if p.as_char() == ',');
    list.tokens = if trailing_comma {
        quote!(#tokens wrap = #stamp)
    } else {
        quote!(#tokens, wrap = #stamp)
    };
}
