//! `#[derive(ClosedLabelValue)]` and `#[derive(ClosedLabelSet)]`: parse the
//! input into the model, validate, expand; on error, only the errors are
//! emitted (a derive does not re-emit its item).

mod args;
mod ast;
mod expand;
mod parse;
mod valid;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::DeriveInput;

/// `#[derive(ClosedLabelValue)]` on an enum whose variants carry no data.
pub fn label_value(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => return err.into_compile_error(),
    };
    let value = parse::label_value(&input).and_then(|value| {
        valid::label_value(&value)?;
        Ok(value)
    });
    match value {
        Ok(value) => expand::label_value(&value),
        Err(err) => err.into_compile_error(),
    }
}

/// `#[derive(ClosedLabelSet)]` on a struct of closed label values.
pub fn label_set(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => return err.into_compile_error(),
    };
    let set = parse::label_set(&input).and_then(|set| {
        valid::label_set(&set)?;
        Ok(set)
    });
    match set {
        Ok(set) => expand::label_set(&set),
        Err(err) => err.into_compile_error(),
    }
}

/// Errors collected over a whole input, combined into one `syn::Error`.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(err),
            None => self.0 = Some(err),
        }
    }

    /// The value of `result`, or `None` with its error kept.
    fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|err| self.push(err)).ok()
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Tokens as a user would write them, for messages: `(HttpMethod, bool)`,
/// `{ reason: String }`, `<T>`.
fn tokens_text(tokens: &impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    // proc_macro2 separates every token; join the common cases back.
    [
        (" :: ", "::"),
        (" : ", ": "),
        (" ,", ","),
        ("( ", "("),
        (" )", ")"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        ("& ", "&"),
    ]
    .iter()
    .fold(text, |text, (from, to)| text.replace(from, to))
}
