//! The model of a `ClosedLabelValue` enum and of a `ClosedLabelSet` struct,
//! keeping the syn nodes so that errors point at the user's code.

use syn::{DeriveInput, Field, Ident, Path, Type, Variant};

use crate::closed::args::Budget;

/// An enum deriving `ClosedLabelValue`.
pub struct LabelValue<'a> {
    pub input: &'a DeriveInput,
    pub variants: Vec<&'a Variant>,
    pub krate: Path,
    /// A `max_series` found on the enum, where it does not apply.
    pub max_series: Option<Budget>,
}

/// A struct deriving `ClosedLabelSet`.
pub struct LabelSet<'a> {
    pub input: &'a DeriveInput,
    pub fields: Vec<LabelField<'a>>,
    pub krate: Path,
    pub max_series: Option<Budget>,
}

/// A named field of a `ClosedLabelSet`: one label, or with
/// `#[prometheus(flatten)]` a nested label set.
pub struct LabelField<'a> {
    pub field: &'a Field,
    pub ident: &'a Ident,
    pub flatten: bool,
}

impl LabelField<'_> {
    pub fn ty(&self) -> &Type {
        &self.field.ty
    }
}
