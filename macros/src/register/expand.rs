//! Turns a validated [`Handler`] into the inventory entries, the `Registered`
//! impl and the actix-web attributes with their added `wrap`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::{Ident, LitStr, Meta, Path};

use crate::register::ast::Handler;

/// One inventory entry: a distinct template of the handler.
struct Entry {
    ident: Ident,
    template: LitStr,
    methods: Vec<String>,
}

/// The inventory entries of `handler`, its `Registered` impl, and the item
/// with a `wrap` added to each route attribute.
pub fn handler(mut handler: Handler, krate: &Path) -> TokenStream {
    let name = handler.ident().clone();
    let base = name.to_string().trim_start_matches("r#").to_uppercase();

    let mut entries: Vec<Entry> = Vec::new();
    let mut entry_of_route = Vec::new();
    for route in &handler.routes {
        let known = entries
            .iter()
            .position(|e| e.template.value() == route.path.value());
        let index = known.unwrap_or_else(|| {
            entries.push(Entry {
                ident: format_ident!("__ROUTE_LABELS_{}_{}", base, entries.len()),
                template: route.path.clone(),
                methods: Vec::new(),
            });
            entries.len() - 1
        });
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
                    ::core::option::Option::Some(#template),
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
            quote!(&#ident)
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
    let refusals = scope_root_refusals(&mut handler, &entries, krate);
    let item = &handler.item;
    quote! {
        #(#statics)*
        impl #krate::Registered for #name {
            const ROUTE: &'static #krate::__private::RouteInfo = #route;
        }
        #item
        #refusals
    }
}

/// A route mounted at a scope's root (template `""`) that refuses a request
/// by its method leaves actix-web's request looking exactly as if a resource
/// had answered: the scope consumed the whole path. So such a handler
/// registers one resource more, after its own, at the same path: it never
/// matches, and its guard notes that the path of a registered route was
/// matched, which tells `HttpMetrics` the request reached no resource
/// (`unmatched`). actix-web's attribute goes on the function renamed
/// `__route_labels_<name>`, named as before for `url_for`, and `<name>` is a
/// unit struct that registers both.
fn scope_root_refusals(handler: &mut Handler, entries: &[Entry], krate: &Path) -> TokenStream {
    let roots: Vec<&LitStr> = entries
        .iter()
        .map(|e| &e.template)
        .filter(|t| t.value().is_empty())
        .collect();
    if roots.is_empty() {
        return TokenStream::new();
    }
    let name = handler.ident().clone();
    let name_text = name.to_string().trim_start_matches("r#").to_owned();
    let inner = format_ident!("__route_labels_{}", name_text, span = name.span());
    let resource_name = LitStr::new(&name_text, name.span());
    for route in &handler.routes {
        let meta = &mut handler.item.attrs[route.attr].meta;
        if !has_arg(meta, "name") {
            append_arg(meta, &quote!(name = #resource_name));
        }
    }
    handler.item.sig.ident = inner.clone();
    let docs: Vec<syn::Attribute> = handler
        .item
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .cloned()
        .collect();
    handler.item.attrs.push(syn::parse_quote!(#[doc(hidden)]));
    let vis = &handler.item.vis;
    quote! {
        #(#docs)*
        #[allow(non_camel_case_types, missing_docs)]
        #vis struct #name;

        impl #krate::__private::actix_web::dev::HttpServiceFactory for #name {
            fn register(self, config: &mut #krate::__private::actix_web::dev::AppService) {
                #krate::__private::actix_web::dev::HttpServiceFactory::register(#inner, config);
                #(
                    #krate::__private::actix_web::dev::HttpServiceFactory::register(
                        #krate::__private::refusals(#roots),
                        config,
                    );
                )*
            }
        }
    }
}

/// Whether the attribute has an argument `key = ..`.
fn has_arg(meta: &Meta, key: &str) -> bool {
    let Meta::List(list) = meta else {
        return false;
    };
    let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    tokens.windows(2).any(|pair| {
        matches!(pair, [TokenTree::Ident(ident), TokenTree::Punct(eq)] if ident == key && eq.as_char() == '=')
    })
}

/// `#[get("/p", name = "x")]` becomes `#[get("/p", name = "x", wrap = "..")]`.
fn add_wrap(meta: &mut Meta, stamp: &LitStr) {
    append_arg(meta, &quote!(wrap = #stamp));
}

/// Appends `arg` to the arguments of a route attribute.
fn append_arg(meta: &mut Meta, arg: &TokenStream) {
    let Meta::List(list) = meta else {
        unreachable!("route attributes were parsed as lists");
    };
    let tokens = &list.tokens;
    let trailing_comma = matches!(tokens.clone().into_iter().last(), Some(TokenTree::Punct(p)) if p.as_char() == ',');
    list.tokens = if trailing_comma {
        quote!(#tokens #arg)
    } else {
        quote!(#tokens, #arg)
    };
}
