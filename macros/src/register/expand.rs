//! Turns a validated [`Handler`] into the inventory entries, the `Registered`
//! impl and the handler's registration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Ident, LitStr, Path};

use crate::register::ast::Handler;

/// One inventory entry: a distinct template of the handler.
struct Entry {
    ident: Ident,
    template: LitStr,
    methods: Vec<String>,
}

/// The inventory entries of `handler`, its `Registered` impl, and its
/// registration.
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
                static #ident: #krate::__private::RouteInfo = #krate::__private::route_info(
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
    let registration = registration(&mut handler, &entries, &entry_of_route, krate);
    quote! {
        #(#statics)*
        impl #krate::__private::Sealed for #name {}
        impl #krate::Registered for #name {
            const ROUTE: &'static #krate::__private::RouteInfo = #route;
        }
        #registration
    }
}

/// The unit struct actix-web's attribute would make of the handler, and its
/// `HttpServiceFactory`: one resource per route attribute, as actix-web's
/// attribute registers it (the same name, the method guard, then the
/// attribute's guards, its `wrap`s around the handler), but through
/// route-labels, which gives the resource a node of the app's resource map
/// and so its full template when the app is built.
fn registration(
    handler: &mut Handler,
    entries: &[Entry],
    entry_of_route: &[usize],
    krate: &Path,
) -> TokenStream {
    let name = handler.ident().clone();
    let name_text = name.to_string().trim_start_matches("r#").to_owned();
    let actix = quote!(#krate::__private::actix_web);
    let registrations = handler
        .routes
        .iter()
        .zip(entry_of_route)
        .map(|(route, &entry)| {
            let path = &route.path;
            let resource_name = route
                .name
                .clone()
                .unwrap_or_else(|| LitStr::new(&name_text, name.span()));
            let entry = &entries[entry].ident;
            let methods = &route.methods;
            let guards = &route.guards;
            let wraps = &route.wraps;
            quote! {
                {
                    let __factory = #actix::web::route().to(#name);
                    #(
                        let __factory = #krate::__private::actix_service::apply(#wraps, __factory);
                    )*
                    #krate::__private::register_route(
                        __config,
                        #path,
                        #resource_name,
                        &#entry,
                        &[#(#methods),*],
                        ::std::vec![#(
                            ::std::boxed::Box::new(#actix::guard::fn_guard(#guards))
                                as ::std::boxed::Box<dyn #actix::guard::Guard>
                        ),*],
                        __factory,
                    );
                }
            }
        });
    let registrations: Vec<TokenStream> = registrations.collect();
    // A route at a scope's root (template `""`) that refuses a request by
    // its method leaves actix-web's request looking as if a resource had
    // answered: the scope consumed the whole path. One resource more at the
    // same path never matches, and its guard notes that a registered
    // route's path was matched, which tells the `Route` extractor of a
    // default service the request reached no resource (`unmatched`).
    let roots: Vec<&LitStr> = entries
        .iter()
        .map(|e| &e.template)
        .filter(|t| t.value().is_empty())
        .collect();
    // The route attributes are consumed here, not expanded by actix-web:
    // naming their paths keeps the user's `use actix_web::get;` in use.
    // Under `#[routes]`, the method attributes are read by `routes`, never
    // resolved as paths.
    let kinds: Vec<_> = handler
        .item
        .attrs
        .iter()
        .filter_map(|attr| Some((attr, crate::register::parse::classify(attr)?)))
        .collect();
    let under_routes = kinds
        .iter()
        .any(|(_, kind)| matches!(kind, crate::register::ast::AttrKind::Routes));
    let attr_paths: Vec<&syn::Path> = kinds
        .iter()
        .filter(|(_, kind)| !under_routes || matches!(kind, crate::register::ast::AttrKind::Routes))
        .map(|(attr, _)| attr.path())
        .collect();
    let mut item = handler.item.clone();
    item.attrs.retain(|attr| {
        crate::register::parse::classify(attr).is_none() && !attr.path().is_ident("doc")
    });
    let docs: Vec<&syn::Attribute> = handler
        .item
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .collect();
    let vis = &handler.item.vis;
    quote! {
        const _: () = {
            #(
                #[allow(unused_imports)]
                use #attr_paths as _;
            )*
        };

        #(#docs)*
        #[allow(non_camel_case_types, missing_docs)]
        #vis struct #name;

        impl #actix::dev::HttpServiceFactory for #name {
            fn register(self, __config: &mut #actix::dev::AppService) {
                #item
                #(#registrations)*
                #(
                    #actix::dev::HttpServiceFactory::register(
                        #krate::__private::refusals(#roots),
                        __config,
                    );
                )*
            }
        }
    }
}
