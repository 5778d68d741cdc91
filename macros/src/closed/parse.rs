//! Reads a derive's input into the model, collecting every error.

use syn::{Attribute, Data, DeriveInput, Field, Fields, Ident};

use crate::closed::args::Args;
use crate::closed::ast::{LabelField, LabelSet, LabelValue};
use crate::common::{Errors, item_head, tokens_text};

/// An enum for `#[derive(ClosedLabelValue)]`.
pub fn label_value(input: &DeriveInput) -> syn::Result<LabelValue<'_>> {
    let mut errors = Errors::default();
    let args = Args::from_attrs(&input.attrs, &mut errors);
    let variants = match &input.data {
        Data::Enum(data) => data.variants.iter().collect(),
        Data::Struct(_) | Data::Union(_) => {
            errors.push(at_head(input, |found| {
                format!(
                    "`ClosedLabelValue` can only be derived for an enum whose variants carry no data, \
                     found `{found}`; for a struct of labels, derive `ClosedLabelSet`"
                )
            }));
            Vec::new()
        }
    };
    errors.finish()?;
    Ok(LabelValue {
        input,
        variants,
        krate: args.krate(),
        max_series: args.max_series,
    })
}

/// A struct for `#[derive(ClosedLabelSet)]`.
pub fn label_set(input: &DeriveInput) -> syn::Result<LabelSet<'_>> {
    let mut errors = Errors::default();
    let args = Args::from_attrs(&input.attrs, &mut errors);
    let mut fields = Vec::new();
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => {
                fields.extend(
                    named
                        .named
                        .iter()
                        .filter_map(|field| errors.take(label_field(field))),
                );
            }
            Fields::Unnamed(unnamed) => errors.push(syn::Error::new_spanned(
                unnamed,
                format!(
                    "`ClosedLabelSet` needs named fields, which name the labels, found `{}`",
                    tokens_text(unnamed)
                ),
            )),
            Fields::Unit => errors.push(at_head(input, |found| {
                format!("`ClosedLabelSet` needs named fields, which name the labels, found `{found};`")
            })),
        },
        Data::Enum(_) | Data::Union(_) => errors.push(at_head(input, |found| {
            format!(
                "`ClosedLabelSet` can only be derived for a struct with named fields, found `{found}`; \
                 for the values of one label, derive `ClosedLabelValue` on an enum"
            )
        })),
    }
    errors.finish()?;
    Ok(LabelSet {
        input,
        fields,
        krate: args.krate(),
        max_series: args.max_series,
    })
}

/// An error at the head of the item, `struct Labels`, whose message quotes
/// it.
fn at_head(input: &DeriveInput, message: impl FnOnce(&str) -> String) -> syn::Error {
    let head = item_head(input);
    let message = message(&tokens_text(&head));
    syn::Error::new_spanned(head, message)
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
