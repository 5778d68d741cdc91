//! What every macro of the crate does alike: collect errors, emit the item
//! beside them, point at an item, quote the user's tokens in a message, and
//! read the `crate = path` argument.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Lookahead1, ParseStream};
use syn::{Path, Token};

/// Errors collected over a whole input, combined into one `syn::Error`, so
/// that the user sees every mistake at once.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(err),
            None => self.0 = Some(err),
        }
    }

    /// The value of `result`, or `None` with its error kept.
    pub fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|err| self.push(err)).ok()
    }

    pub fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The user's item with `err` beside it: one mistake gives one message, and
/// the item still exists for the rest of the crate and the IDE.
pub fn with_error(mut item: TokenStream, err: syn::Error) -> TokenStream {
    item.extend(err.into_compile_error());
    item
}

/// The tokens that name an item, to point an error at: `struct Labels`,
/// `impl Handler`. Outer attributes and the visibility are skipped; the
/// next two tokens are the keyword and, mostly, the name.
pub fn item_head(item: &impl ToTokens) -> TokenStream {
    let tokens: Vec<TokenTree> = item.to_token_stream().into_iter().collect();
    let mut rest = tokens.as_slice();
    loop {
        rest = match rest {
            [TokenTree::Punct(pound), TokenTree::Group(_), tail @ ..] if pound.as_char() == '#' => {
                tail
            }
            [TokenTree::Ident(word), TokenTree::Group(scope), tail @ ..]
                if word == "pub" && scope.delimiter() == Delimiter::Parenthesis =>
            {
                tail
            }
            [TokenTree::Ident(word), tail @ ..] if word == "pub" => tail,
            _ => break,
        };
    }
    rest.iter().take(2).cloned().collect()
}

/// Tokens as a user would write them, for messages: `CONST_PATH`,
/// `concat!("/a")`, `(HttpMethod, bool)`, `{ reason: String }`, `<T>`.
pub fn tokens_text(tokens: &impl ToTokens) -> String {
    let mut text = String::new();
    write_text(&mut text, tokens.to_token_stream());
    text
}

fn write_text(text: &mut String, tokens: TokenStream) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (at, tree) in tokens.iter().enumerate() {
        if at > 0 && space_before(&tokens[..=at]) {
            text.push(' ');
        }
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace if group.stream().is_empty() => ("{", "}"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                text.push_str(open);
                write_text(text, group.stream());
                text.push_str(close);
            }
            TokenTree::Punct(punct) => text.push(punct.as_char()),
            TokenTree::Ident(_) | TokenTree::Literal(_) => text.push_str(&tree.to_string()),
        }
    }
}

/// Whether the last of `tokens` is written apart from the one before it,
/// as rustfmt writes the syntax that messages quote.
fn space_before(tokens: &[TokenTree]) -> bool {
    let [.., prev, next] = tokens else {
        return false;
    };
    let before_prev = tokens.len().checked_sub(3).map(|at| &tokens[at]);
    let prev_is_ident = matches!(prev, TokenTree::Ident(_));
    let glued_to_prev = match punct(prev) {
        // One token to the reader (`::`, `->`, `'a`), or one that leads
        // into the next: `&T`, `#[..]`, `!x`, `concat!(..)`, `Vec<T`, `x.y`.
        Some((_, Spacing::Joint) | ('&' | '#' | '!' | '<' | '.', _)) => true,
        // `a::b`.
        Some((':', _)) => before_prev.and_then(punct) == Some((':', Spacing::Joint)),
        // `= -1`, but `a - 1`.
        Some(('-', _)) => before_prev.is_none_or(|tree| punct(tree).is_some()),
        _ => false,
    };
    let glued_to_next = match next {
        // `a, b`, `a: b`, `x.y`, `x?`, `Vec<T>`.
        TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';' | ':' | '.' | '?' | '>') => true,
        // `Vec<T>`, `concat!`, but `a != b`.
        TokenTree::Punct(p) if matches!(p.as_char(), '<' | '!') => {
            prev_is_ident && p.spacing() == Spacing::Alone
        }
        // `f(x)`, `Tuple(A, B)`, `a[0]`.
        TokenTree::Group(group) => {
            prev_is_ident
                && matches!(
                    group.delimiter(),
                    Delimiter::Parenthesis | Delimiter::Bracket
                )
        }
        _ => false,
    };
    !(glued_to_prev || glued_to_next)
}

fn punct(tree: &TokenTree) -> Option<(char, Spacing)> {
    match tree {
        TokenTree::Punct(punct) => Some((punct.as_char(), punct.spacing())),
        _ => None,
    }
}

/// Comma-separated arguments: `crate = path`, which every macro takes and
/// which is read here, and the macro's own, which `other` reads from the
/// lookahead at their first token (or rejects with the lookahead's error).
pub fn parse_args(
    input: ParseStream<'_>,
    krate: &mut Option<Path>,
    mut other: impl FnMut(ParseStream<'_>, Lookahead1<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        let lookahead = input.lookahead1();
        if lookahead.peek(Token![crate]) {
            let keyword: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            let path = input.call(Path::parse_mod_style)?;
            set_once(krate, path, &keyword)?;
        } else {
            other(input, lookahead)?;
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(())
}

/// Stores the value of an argument that may be given once; the error
/// points at the second `keyword`.
pub fn set_once<T>(slot: &mut Option<T>, value: T, keyword: &impl ToTokens) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new_spanned(
            keyword,
            format!("duplicate `{}` argument", tokens_text(keyword)),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// Where generated code finds the runtime: `crate = path`, or
/// `::route_labels`.
pub fn runtime_path(krate: Option<&Path>) -> Path {
    krate
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(::route_labels))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::{item_head, tokens_text};

    #[test]
    fn tokens_read_as_the_user_wrote_them() {
        for (tokens, text) in [
            (quote!(CONST_PATH), "CONST_PATH"),
            (quote!(concat!("/a", "/b")), "concat!(\"/a\", \"/b\")"),
            (quote!((HttpMethod, bool)), "(HttpMethod, bool)"),
            (quote!({ reason: String }), "{ reason: String }"),
            (quote!(<T>), "<T>"),
            (quote!(<'a, T: Clone>), "<'a, T: Clone>"),
            (
                quote!(::core::option::Option<Vec<&'static str>>),
                "::core::option::Option<Vec<&'static str>>",
            ),
            (quote!(<T as Trait>::CONST * 2), "<T as Trait>::CONST * 2"),
            (quote!(limit() - 1), "limit() - 1"),
            (quote!(x = -1), "x = -1"),
            (quote!(a != b), "a != b"),
            (
                quote!(
                    fn f(x: [u8; 4]) -> (A, B) {}
                ),
                "fn f(x: [u8; 4]) -> (A, B) {}",
            ),
            (
                quote!(
                    #[get("/")]
                    self.x?
                ),
                "#[get(\"/\")] self.x?",
            ),
        ] {
            assert_eq!(tokens_text(&tokens), text);
        }
    }

    #[test]
    fn the_head_of_an_item_is_its_keyword_and_name() {
        let item = quote! {
            /// Docs.
            #[derive(Debug)]
            pub(crate) struct Labels { ok: bool }
        };
        assert_eq!(tokens_text(&item_head(&item)), "struct Labels");
        assert_eq!(
            tokens_text(&item_head(&quote!(impl Handler {}))),
            "impl Handler"
        );
    }
}
