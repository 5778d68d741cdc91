//! Reads a derive's input into the model, collecting every error.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Attribute, Data, DeriveInput, Field, Fields, Ident, Path};

use crate::closed::args::Args;
use crate::closed::ast::{LabelField, LabelSet, LabelValue};
use crate::closed::{Errors, tokens_text};

/// An enum for `#[derive(ClosedLabelValue)]`.
pub fn label_value(input: &DeriveInput) -> syn::Result<LabelValue<'_>> {
    let mut errors = Errors::default();
    let args = errors.take(args(&input.attrs)).unwrap_or_default();
    let variants = match &input.data {
        Data::Enum(data) => data.variants.iter().collect(),
        Data::Struct(_) | Data::Union(_) => {
            let head = item_head(input);
            errors.push(syn::Error::new_spanned(
                &head,
                format!(
                    "`ClosedLabelValue` can only be derived for an enum whose variants carry no data, found `{}`; \
                     for a struct of labels, derive `ClosedLabelSet`",
                    tokens_text(&head)
                ),
            ));
            Vec::new()
        }
    };
    errors.finish()?;
    Ok(LabelValue {
        input,
        variants,
        krate: krate(args.krate),
        max_series: args.max_series,
    })
}

/// A struct for `#[derive(ClosedLabelSet)]`.
pub fn label_set(input: &DeriveInput) -> syn::Result<LabelSet<'_>> {
    let mut errors = Errors::default();
    let args = errors.take(args(&input.attrs)).unwrap_or_default();
    let mut fields = Vec::new();
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => {
                for field in &named.named {
                    if let Some(field) = errors.take(label_field(field)) {
                        fields.push(field);
                    }
                }
            }
            Fields::Unnamed(unnamed) => errors.push(syn::Error::new_spanned(
                unnamed,
                format!(
                    "`ClosedLabelSet` needs named fields, which name the labels, found `{}`",
                    tokens_text(unnamed)
                ),
            )),
            Fields::Unit => {
                let head = item_head(input);
                errors.push(syn::Error::new_spanned(
                    &head,
                    format!(
                        "`ClosedLabelSet` needs named fields, which name the labels, found `{};`",
                        tokens_text(&head)
                    ),
                ));
            }
        },
        Data::Enum(_) | Data::Union(_) => {
            let head = item_head(input);
            errors.push(syn::Error::new_spanned(
                &head,
                format!(
                    "`ClosedLabelSet` can only be derived for a struct with named fields, found `{}`; \
                     for the values of one label, derive `ClosedLabelValue` on an enum",
                    tokens_text(&head)
                ),
            ));
        }
    }
    errors.finish()?;
    Ok(LabelSet {
        input,
        fields,
        krate: krate(args.krate),
        max_series: args.max_series,
    })
}

/// Every `#[closed(..)]` of the item, merged.
fn args(attrs: &[Attribute]) -> syn::Result<Args> {
    let mut args = Args::default();
    let mut errors = Errors::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("closed")) {
        if let Some(more) = errors.take(attr.parse_args::<Args>()) {
            errors.take(args.merge(more));
        }
    }
    errors.finish()?;
    Ok(args)
}

fn label_field(field: &Field) -> syn::Result<LabelField<'_>> {
    let ident = field
        .ident
        .as_ref()
        .ok_or_else(|| syn::Error::new_spanned(field, "expected a named field"))?;
    Ok(LabelField {
        field,
        ident,
        flatten: flatten(&field.attrs),
    })
}

/// Whether prometheus-client's `EncodeLabelSet` derive reads the field as a
/// nested label set: `#[prometheus(flatten)]`. Other contents are its
/// derive's to reject.
fn flatten(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("prometheus"))
        .any(|attr| {
            attr.parse_args::<Ident>()
                .is_ok_and(|ident| ident == "flatten")
        })
}

fn krate(krate: Option<Path>) -> Path {
    krate.unwrap_or_else(|| syn::parse_quote!(::route_labels))
}

/// The tokens that name the item, to point an error at: `struct Labels`.
fn item_head(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let keyword = match &input.data {
        Data::Struct(data) => data.struct_token.to_token_stream(),
        Data::Enum(data) => data.enum_token.to_token_stream(),
        Data::Union(data) => data.union_token.to_token_stream(),
    };
    quote!(#keyword #ident)
}
