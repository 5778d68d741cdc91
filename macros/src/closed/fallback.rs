//! What a rejected derive emits beside its error: an impl of the trait for
//! any input the derive refused (a struct, a generic, a tuple struct, an
//! enum with data, a bad `#[closed(..)]`), so that each use of the type, in
//! a `ClosedFamily<Labels, _>`, as a field of another label set or in
//! `labels.index()`, adds no error of its own (thiserror's `fallback.rs`).
//!
//! The crate does not compile, so the impl never runs: its items only have
//! to type-check for any shape of the type and let every constant that
//! generated code evaluates at compile time pass. So the type has no values:
//!
//! - `CARDINALITY` is `Some(0)`: as a field, a known cardinality passes the
//!   check for fields known only at run time, which `None` would fail
//!   whenever the set has a budget or a `Route` field; and a product of 0
//!   is within any `max_series`, and cannot overflow;
//! - `cardinality()` agrees: 0;
//! - `index()` is 0, which needs no match on variants or fields that may
//!   not exist, and neither panics nor loops;
//! - `from_index()` is always `None`: there is no value to build.
//!
//! The trait's supertrait (`EncodeLabelValue`, `EncodeLabelSet`) is a bound
//! of the impl, not a requirement: for a type without it the bound does not
//! hold, and the impl adds no error. `for<'__fallback>` makes the bound
//! legal where it is trivially false (rust-lang/rust#48214, as thiserror
//! does). It names the trait through the runtime's `__private`, as all
//! generated code does.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, WherePredicate};

use crate::closed::args::Args;
use crate::common::Errors;

/// `err`, and `impl ClosedLabelValue` for a type with no values.
pub fn label_value(input: &DeriveInput, err: syn::Error) -> TokenStream {
    fallback(input, err, "ClosedLabelValue", "EncodeLabelValue")
}

/// `err`, and `impl ClosedLabelSet` for a type with no values.
pub fn label_set(input: &DeriveInput, err: syn::Error) -> TokenStream {
    fallback(input, err, "ClosedLabelSet", "EncodeLabelSet")
}

fn fallback(input: &DeriveInput, err: syn::Error, closed: &str, encode: &str) -> TokenStream {
    // The error is already reported; read only where the runtime is.
    let krate = Args::from_attrs(&input.attrs, &mut Errors::default()).krate();
    let closed = Ident::new(closed, Span::call_site());
    let encode = Ident::new(encode, Span::call_site());
    let ident = &input.ident;
    let (_, ty_generics, _) = input.generics.split_for_impl();
    let mut generics = input.generics.clone();
    let bound: WherePredicate = syn::parse_quote! {
        for<'__fallback> #ident #ty_generics: #krate::__private::#encode
    };
    generics.make_where_clause().predicates.push(bound);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let err = err.into_compile_error();
    quote! {
        #err

        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::#closed for #ident #ty_generics #where_clause {
                const CARDINALITY: ::core::option::Option<::core::primitive::usize> =
                    ::core::option::Option::Some(0);

                fn cardinality() -> ::core::primitive::usize {
                    0
                }

                fn index(&self) -> ::core::primitive::usize {
                    0
                }

                fn from_index(_: ::core::primitive::usize) -> ::core::option::Option<Self> {
                    ::core::option::Option::None
                }
            }
        };
    }
}
