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

/// Whether actix-router's parser accepts `template`, and if not, its reason.
///
/// A plain template (literal text and `{name}` segments) that [`plain`]
/// accepts is accepted without calling `ResourceDef::new`, which compiles a
/// regex for every template with a `{`: 0.6–0.8 ms a template in a proc
/// macro, which cargo builds unoptimised by default (docs/compile-time.md).
/// Every other template, and every template [`plain`] refuses, goes through
/// `ResourceDef::new`, whose panic message is the reason given, as before.
pub fn actix_router_accepts(template: &str) -> Result<(), String> {
    if plain(template) == Some(true) {
        return Ok(());
    }
    resource_def_accepts(template)
}

/// Runs actix-router's parser, which reports a bad pattern by panicking.
fn resource_def_accepts(template: &str) -> Result<(), String> {
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

/// actix-router's `MAX_DYNAMIC_SEGMENTS`: `ResourceDef::new` panics on more.
const MAX_DYNAMIC_SEGMENTS: usize = 16;

/// Templates longer than this are left to actix-router. The regex it builds
/// for one is then far below the `regex` crate's size limit (10 MiB), which
/// [`plain`] does not model: 16 segments and 256 KiB of `🦀` stay below it,
/// 512 KiB do not.
const PLAIN_MAX_LEN: usize = 1024;

/// What actix-router 0.5's `ResourceDef::new` makes of a plain template,
/// without building its regex: `Some(true)` if it accepts `template`,
/// `Some(false)` if it panics, `None` if `template` is not plain and only
/// `ResourceDef::new` can tell.
///
/// Plain means: at most [`PLAIN_MAX_LEN`] bytes; not ending in `*` (a tail
/// `{name}*`, whose regex differs, or a nameless tail, which actix-router
/// only warns about and says may become a panic); and every `{` opens a
/// segment closed by the next `}`, with no `{` in between (no nesting), and
/// a name with no `:` (a custom regex) and no `>` (which would end the regex
/// group's name early).
/// For such a template actix-router escapes the literal text, turns each
/// `{name}` into `(?P<name>[^/]+)` and compiles the result, so it accepts it
/// exactly when it has at most 16 segments and the names are distinct valid
/// group names ([`is_capture_name`]). A `{` never closed is refused. A
/// template without `{` is static: accepted as it is, with no regex.
///
/// The tests check this against `ResourceDef::new` on generated templates.
fn plain(template: &str) -> Option<bool> {
    if template.len() > PLAIN_MAX_LEN || template.ends_with('*') {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        // actix-router closes the segment at the `}` that balances this `{`.
        let Some(close) = after.find(['{', '}']) else {
            // No `}` at all: "contains malformed dynamic segment".
            return Some(false);
        };
        if after[close..].starts_with('{') {
            return None;
        }
        let name = &after[..close];
        if name.contains([':', '>']) {
            return None;
        }
        // The regex is compiled whole, so one bad name refuses the template
        // whatever follows it.
        if !is_capture_name(name) || names.contains(&name) {
            return Some(false);
        }
        names.push(name);
        rest = &after[close + 1..];
    }
    Some(names.len() <= MAX_DYNAMIC_SEGMENTS)
}

/// A valid group name for regex-syntax 0.8 (its `is_capture_char`), and for
/// regex-lite 0.1, which actix-router uses without its `unicode` feature: a
/// letter (`char::is_alphabetic`) or `_`, then letters, digits
/// (`char::is_alphanumeric`), `_`, `.`, `[` and `]`.
fn is_capture_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| matches!(c, '_' | '.' | '[' | ']') || c.is_alphanumeric())
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

    /// Pieces of plain templates, and of the near misses `plain` must tell
    /// apart or leave to actix-router: names valid, empty, duplicated, with
    /// odd or non-ASCII characters, with `:` or `>`; nested, unbalanced and
    /// stray braces; `*` inside and at the end; trailing slashes; text that
    /// is a regex metacharacter.
    const PLAIN_PIECES: [&str; 40] = [
        "", "/", "/", "users", "{id}", "{id}", "{a}", "{_}", "{x_1}", "{a.b[0]}", "{é}", "{名前}",
        "{}", "{1}", "{1a}", "{.a}", "{a-b}", "{a b}", "{🦀}", "{a\\b}", "{a:b}", "{a>b}", "{>}",
        "{id", "id}", "{", "}", "{{", "}}", "{a{b}}", "*", "{tail}*", "é", "🦀", ":", ">", ".",
        "(", "$", "\n",
    ];

    /// `plain`'s verdict on `template`, if it gives one, checked against
    /// `ResourceDef::new`'s; and the validator's answer (verdict and reason)
    /// checked against the one `ResourceDef::new` alone gives. (Where `plain`
    /// gives no verdict, the validator is `ResourceDef::new` alone.)
    fn check(template: &str) -> Option<bool> {
        let verdict = super::plain(template)?;
        let slow = super::resource_def_accepts(template);
        assert_eq!(
            verdict,
            slow.is_ok(),
            "plain and ResourceDef::new differ on {template:?}: {slow:?}"
        );
        assert_eq!(
            super::actix_router_accepts(template),
            slow,
            "validator and ResourceDef::new differ on {template:?}"
        );
        Some(verdict)
    }

    /// Every template of up to three pieces of [`PLAIN_PIECES`] (51,236
    /// distinct strings, of which `plain` decides 32,642: 9,652 accepted
    /// and 22,990 refused): wherever `plain` gives a verdict, it is
    /// actix-router's.
    #[test]
    fn plain_agrees_with_resource_def_on_every_short_template() {
        let mut seen = std::collections::HashSet::new();
        let (mut accepted, mut refused) = (0, 0);
        for a in PLAIN_PIECES {
            for b in PLAIN_PIECES {
                for c in PLAIN_PIECES {
                    let template = [a, b, c].concat();
                    if !seen.insert(template.clone()) {
                        continue;
                    }
                    match check(&template) {
                        Some(true) => accepted += 1,
                        Some(false) => refused += 1,
                        None => {}
                    }
                }
            }
        }
        // The check is not vacuous: `plain` decides most templates, both ways.
        let decided = accepted + refused;
        assert!(decided * 2 > seen.len(), "{decided} of {}", seen.len());
        assert!(
            accepted > 1_000 && refused > 1_000,
            "{accepted} accepted, {refused} refused"
        );
    }

    /// The templates of real routes are plain, and accepted without a regex.
    #[test]
    fn plain_decides_common_templates() {
        for template in [
            "",
            "/",
            "/users",
            "/users/",
            "/r199/{id}",
            "/users/{id}/posts/{post_id}",
            "/{org}/{repo}/{branch}/",
            "/files/{name}.{ext}",
            "/v1/things:batch",
            "/caf\u{e9}/{sp\u{e9}cial}",
        ] {
            assert_eq!(check(template), Some(true), "{template:?}");
        }
        // Custom regexes, tails and nesting are left to actix-router.
        for template in ["/users/{id:\\d+}", "/static/{tail}*", "/{a{b}}", "/a*"] {
            assert_eq!(super::plain(template), None, "{template:?}");
        }
    }

    /// The limits `plain` models or avoids: actix-router's 16 segments, and
    /// the length beyond which it leaves the template to actix-router,
    /// tried with the costliest plain segments (one-letter names, 4-byte
    /// characters).
    #[test]
    fn plain_agrees_at_the_limits() {
        let segments = |n: usize| {
            let segment = |i| format!("/{{n{i}}}");
            (0..n).map(segment).collect::<Vec<_>>().concat()
        };
        assert_eq!(check(&segments(16)), Some(true));
        assert_eq!(check(&segments(17)), Some(false));

        let mut longest: String = ('a'..='p').flat_map(|c| ['/', '{', c, '}']).collect();
        while longest.len() + 4 <= super::PLAIN_MAX_LEN {
            longest.push('🦀');
        }
        while longest.len() < super::PLAIN_MAX_LEN {
            longest.push('/');
        }
        assert_eq!(check(&longest), Some(true));
        longest.push('/');
        assert_eq!(super::plain(&longest), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// Longer templates of plain pieces and arbitrary characters: where
        /// `plain` decides, it decides as actix-router.
        #[test]
        fn plain_agrees_with_resource_def(
            path in prop::collection::vec(
                prop_oneof![
                    4 => prop::sample::select(&PLAIN_PIECES[..]).prop_map(str::to_owned),
                    1 => any::<char>().prop_map(String::from),
                    1 => "[a-c_]{0,2}".prop_map(|name| format!("{{{name}}}")),
                ],
                0..24,
            ).prop_map(|pieces| pieces.concat())
        ) {
            check(&path);
        }

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
