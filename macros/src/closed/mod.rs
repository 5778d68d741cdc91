//! `#[derive(ClosedLabelValue)]` and `#[derive(ClosedLabelSet)]`: parse the
//! input into the model, validate, expand. A derive does not re-emit its
//! item; after an error it emits a fallback impl beside it instead, so that
//! the uses of the type add no errors of their own.

mod args;
mod ast;
mod expand;
mod fallback;
mod parse;
mod valid;

use proc_macro2::TokenStream;
use syn::DeriveInput;

/// `#[derive(ClosedLabelValue)]` on an enum whose variants carry no data.
pub fn label_value(input: &DeriveInput) -> TokenStream {
    let expanded = parse::label_value(input).and_then(|value| {
        valid::label_value(&value)?;
        Ok(expand::label_value(&value))
    });
    expanded.unwrap_or_else(|err| fallback::label_value(input, err))
}

/// `#[derive(ClosedLabelSet)]` on a struct of closed label values.
pub fn label_set(input: &DeriveInput) -> TokenStream {
    let expanded = parse::label_set(input).and_then(|set| {
        valid::label_set(&set)?;
        Ok(expand::label_set(&set))
    });
    expanded.unwrap_or_else(|err| fallback::label_set(input, err))
}
