//! Checks a route template the way actix-web will read it.

use std::panic;

use actix_router::ResourceDef;
use syn::LitStr;

use crate::common::Errors;
use crate::register::ast::Handler;

/// Every template of `handler`, with all errors combined.
pub fn handler(handler: &Handler) -> syn::Result<()> {
    let mut errors = Errors::default();
    for route in &handler.routes {
        errors.take(template(&route.path));
    }
    errors.finish()
}

/// What a template cannot hold, and why.
const REQUEST_DATA: [(char, &str); 2] = [
    (
        '?',
        "a query string is request data, never part of a route label",
    ),
    ('#', "a fragment is never sent to the server"),
];

/// A template is a route label only if it is no request data (`?`, `#`) and
/// actix-router's own parser accepts it.
pub fn template(lit: &LitStr) -> syn::Result<()> {
    let value = lit.value();
    if let Some((found, why)) = REQUEST_DATA.iter().find(|(c, _)| value.contains(*c)) {
        return Err(syn::Error::new_spanned(
            lit,
            format!("route templates cannot contain `{found}`: {why}"),
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

#[cfg(test)]
mod tests {
    use proc_macro2::Span;
    use proptest::prelude::*;
    use syn::LitStr;

    /// Pieces of templates that actix-router's parser reads specially or
    /// that a string literal must escape.
    const PIECES: [&str; 37] = [
        "/", "/", "/", "{", "}", ":", "{id}", "{id", "id}", "{tail}*", "*", "{}", "{:}", "{id:}",
        "{id:[}", "{id:(}", "{a}{b}", "{{", "}}", "?", "#", "?q={q}", "#top", "[", "]", "(", ")",
        "\\", "\"", "+", ".", "|", "^", "$", "é", "🦀", " ",
    ];

    /// Whole segments with a regex, and text.
    const SEGMENTS: [&str; 6] = [
        "{tail:.*}",
        "{id:\\d+}",
        "{id:[0-9]+}",
        "{n:\\d{2,3}}",
        "users\n",
        "%7Busers%7D",
    ];

    fn templates() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            6 => prop::sample::select(&PIECES[..]).prop_map(str::to_owned),
            1 => prop::sample::select(&SEGMENTS[..]).prop_map(str::to_owned),
            2 => any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// `#[register]` accepts a template exactly when actix-web would:
        /// actix-router's `ResourceDef::new` does not panic on it, and it
        /// holds no request data (`?`, `#`).
        #[test]
        fn the_validator_accepts_what_actix_router_accepts(path in templates()) {
            let actix_accepts =
                std::panic::catch_unwind(|| actix_router::ResourceDef::new(path.as_str())).is_ok();
            let expected = actix_accepts && !path.contains(['?', '#']);
            let lit = LitStr::new(&path, Span::call_site());
            let verdict = super::template(&lit);
            prop_assert_eq!(verdict.is_ok(), expected, "template {:?}: {:?}", path, verdict);
            if let Err(err) = verdict {
                let message = err.to_string();
                if path.contains('?') {
                    prop_assert!(message.contains("cannot contain `?`"), "{}", message);
                } else if path.contains('#') {
                    prop_assert!(message.contains("cannot contain `#`"), "{}", message);
                } else {
                    prop_assert!(message.starts_with("actix-web would reject"), "{}", message);
                }
            }
        }
    }
}
