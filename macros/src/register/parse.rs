//! Reads the actix-web route attributes below `#[register]` into the model.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, ItemFn, Lit, LitStr, MetaNameValue, Path, Token};

use crate::common::{Errors, tokens_text};
use crate::register::ast::{AttrKind, Handler, METHOD_ATTRS, RouteAttr};

/// What `attr` is to actix-web, judged by the last segment of its path, so
/// that `#[get]` and `#[actix_web::get]` are both found.
pub fn classify(attr: &Attribute) -> Option<AttrKind> {
    let name = attr.path().segments.last()?.ident.to_string();
    match name.as_str() {
        "route" => Some(AttrKind::Route),
        "routes" => Some(AttrKind::Routes),
        other => METHOD_ATTRS
            .iter()
            .find(|(attr, _)| *attr == other)
            .map(|(_, method)| AttrKind::Method(method)),
    }
}

/// Finds and parses the route attributes of `item`, collecting every error.
pub fn handler(item: ItemFn) -> syn::Result<Handler> {
    if let Some(receiver) = item.sig.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            "`#[route_labels::register]` applies to a free `fn` handler, found a method taking `self`",
        ));
    }
    let kinds: Vec<Option<AttrKind>> = item.attrs.iter().map(classify).collect();
    let routes_attr = kinds
        .iter()
        .position(|k| matches!(k, Some(AttrKind::Routes)));

    let candidates: Vec<(usize, &AttrKind)> = kinds
        .iter()
        .enumerate()
        .filter_map(|(i, kind)| Some((i, kind.as_ref()?)))
        .filter(|(i, kind)| match routes_attr {
            // Under `#[routes]`, actix-web takes every bare `#[get]`-style attribute.
            Some(_) => {
                matches!(kind, AttrKind::Method(_)) && item.attrs[*i].path().get_ident().is_some()
            }
            None => !matches!(kind, AttrKind::Routes),
        })
        .collect();

    if candidates.is_empty() {
        let message = if routes_attr.is_some() {
            "`#[routes]` needs at least one `#[get(\"/path\")]`-style attribute below it"
        } else {
            "`#[route_labels::register]` must sit above an actix-web route attribute such as `#[get(\"/path\")]`; none was found below it"
        };
        return Err(syn::Error::new(Span::call_site(), message));
    }
    if routes_attr.is_none() && candidates.len() > 1 {
        let (second, _) = candidates[1];
        return Err(syn::Error::new_spanned(
            &item.attrs[second],
            "a handler takes one actix-web route attribute; to give it several, put `#[routes]` above them",
        ));
    }

    let mut errors = Errors::default();
    let routes = candidates
        .into_iter()
        .filter_map(|(index, kind)| errors.take(route_attr(&item.attrs[index], kind)))
        .collect();
    errors.finish()?;
    Ok(Handler { item, routes })
}

fn route_attr(attr: &Attribute, kind: &AttrKind) -> syn::Result<RouteAttr> {
    let (path, options) = attr.parse_args_with(route_args)?;
    let methods = match kind {
        AttrKind::Method(method) => vec![(*method).to_owned()],
        AttrKind::Route => {
            let mut methods = Vec::new();
            for option in options.iter().filter(|nv| nv.path.is_ident("method")) {
                match &option.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(lit), ..
                    }) => {
                        methods.push(lit.value());
                    }
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            format!(
                                "expected a string literal method, found `{}`",
                                tokens_text(other)
                            ),
                        ));
                    }
                }
            }
            if methods.is_empty() {
                return Err(syn::Error::new_spanned(
                    attr,
                    "`#[route]` needs at least one `method = \"...\"`",
                ));
            }
            methods
        }
        AttrKind::Routes => unreachable!("`#[routes]` is never a route attribute itself"),
    };
    let mut name = None;
    let mut guards = Vec::new();
    let mut wraps = Vec::new();
    for option in &options {
        let key = option.path.get_ident().map(ToString::to_string);
        let key = key.as_deref().unwrap_or_default();
        if key == "method" && matches!(kind, AttrKind::Route) {
            continue;
        }
        let lit = match &option.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => lit,
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    format!(
                        "expected a string literal for `{key}`, found `{}`",
                        tokens_text(other)
                    ),
                ));
            }
        };
        match key {
            "name" if name.is_some() => {
                return Err(syn::Error::new_spanned(option, "`name` is given twice"));
            }
            "name" => name = Some(lit.clone()),
            "guard" => guards.push(lit.parse::<Path>()?),
            "wrap" => wraps.push(lit.parse::<Expr>()?),
            _ => {
                return Err(syn::Error::new_spanned(
                    &option.path,
                    format!(
                        "unknown option `{}`; actix-web's route attributes take `name`, `guard`, `wrap`{}",
                        tokens_text(&option.path),
                        if matches!(kind, AttrKind::Route) {
                            " and `method`"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
    }
    Ok(RouteAttr {
        path,
        methods,
        name,
        guards,
        wraps,
    })
}

/// `"/path"` then `key = value` options, as actix-web reads them.
fn route_args(
    input: ParseStream<'_>,
) -> syn::Result<(LitStr, Punctuated<MetaNameValue, Token![,]>)> {
    if !input.peek(LitStr) {
        let mut found = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            found.extend([input.parse::<TokenTree>()?]);
        }
        let text = tokens_text(&found);
        if text.is_empty() {
            return Err(input.error("expected a string literal path, found nothing"));
        }
        return Err(syn::Error::new_spanned(
            found,
            format!("expected a string literal path, found `{text}`"),
        ));
    }
    let path: LitStr = input.parse()?;
    if input.is_empty() {
        return Ok((path, Punctuated::new()));
    }
    input.parse::<Token![,]>()?;
    let options = Punctuated::parse_terminated(input)?;
    Ok((path, options))
}
