//! Checks what the model cannot express: a closed label value has no data
//! in its variants, a closed label set is not generic.

use syn::Fields;

use crate::closed::ast::{LabelSet, LabelValue};
use crate::common::{Errors, tokens_text};

/// Every variant of the enum, with all errors combined.
pub fn label_value(value: &LabelValue<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    for variant in &value.variants {
        if !matches!(variant.fields, Fields::Unit) {
            let ident = &variant.ident;
            let fields = &variant.fields;
            errors.push(syn::Error::new_spanned(
                fields,
                format!(
                    "variant `{ident}{}{}` carries data, so the label could take unboundedly many values; \
                     `ClosedLabelValue` needs unit variants, one per label value, such as `{ident}`",
                    if matches!(fields, Fields::Named(_)) { " " } else { "" },
                    tokens_text(fields)
                ),
            ));
        }
    }
    if let Some(budget) = &value.max_series {
        errors.push(syn::Error::new(
            budget.span,
            "`max_series` applies to a struct deriving `ClosedLabelSet`; \
             the number of values of an enum is its number of variants",
        ));
    }
    errors.finish()
}

/// The struct's shape beyond its fields.
pub fn label_set(set: &LabelSet<'_>) -> syn::Result<()> {
    let generics = &set.input.generics;
    if generics.params.is_empty() {
        return Ok(());
    }
    Err(syn::Error::new_spanned(
        generics,
        format!(
            "`ClosedLabelSet` cannot be derived for a generic struct, found `{}`; \
             name the label value types in the fields",
            tokens_text(generics)
        ),
    ))
}
