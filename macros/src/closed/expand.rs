//! Generates the `ClosedLabelValue` and `ClosedLabelSet` impls, inside
//! `const _: () = { ... };`, naming the runtime only by absolute paths.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::Path;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::closed::ast::{LabelField, LabelSet, LabelValue};
use crate::common::tokens_text;

/// `impl ClosedLabelValue`: a variant's index is its position.
pub fn label_value(value: &LabelValue<'_>) -> TokenStream {
    let ident = &value.input.ident;
    let krate = &value.krate;
    let (impl_generics, ty_generics, where_clause) = value.input.generics.split_for_impl();
    let variants: Vec<&Ident> = value
        .variants
        .iter()
        .map(|variant| &variant.ident)
        .collect();
    let count = Literal::usize_unsuffixed(variants.len());
    let indices: Vec<Literal> = (0..variants.len()).map(Literal::usize_unsuffixed).collect();
    let index = Ident::new("index", Span::mixed_site());
    let from_index = if variants.is_empty() {
        quote!(
            fn from_index(_: ::core::primitive::usize) -> ::core::option::Option<Self> {
                ::core::option::Option::None
            }
        )
    } else {
        quote!(fn from_index(#index: ::core::primitive::usize) -> ::core::option::Option<Self> {
            match #index {
                #(#indices => ::core::option::Option::Some(Self::#variants),)*
                _ => ::core::option::Option::None,
            }
        })
    };
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::ClosedLabelValue for #ident #ty_generics #where_clause {
                const CARDINALITY: ::core::option::Option<::core::primitive::usize> =
                    ::core::option::Option::Some(#count);

                #[inline]
                fn cardinality() -> ::core::primitive::usize {
                    #count
                }

                #[inline]
                fn index(&self) -> ::core::primitive::usize {
                    match *self {
                        #(Self::#variants => #indices,)*
                    }
                }

                #from_index
            }
        };
    }
}

/// `impl ClosedLabelSet`. Each field is reached through a bridge trait
/// whose parameters name the struct and the field, for the error of a field
/// that is not closed. The layout of the index is the runtime's (its
/// `closed/layout.rs`): each field's `PLACE`, a constant, says whether it is
/// a digit of the static part or the field whose cardinality is known only
/// at run time, which the macro cannot tell from the field's type.
pub fn label_set(set: &LabelSet<'_>) -> TokenStream {
    let ident = &set.input.ident;
    let krate = &set.krate;
    let markers = Markers::new(set);
    let bridges: Vec<TokenStream> = set
        .fields
        .iter()
        .map(|field| bridge(set, field, &markers))
        .collect();
    let names: Vec<&Ident> = set.fields.iter().map(|field| field.ident).collect();
    let index = index(&names, &bridges, krate);
    let from_index = from_index(&names, &bridges, krate);
    let checks = checks(set, &bridges);
    let definitions = markers.definitions(set);
    quote! {
        const _: () = {
            #definitions

            #[automatically_derived]
            impl #krate::ClosedLabelSet for #ident {
                const CARDINALITY: ::core::option::Option<::core::primitive::usize> =
                    #krate::__private::static_product(&[#(#bridges::CARDINALITY),*]);

                #[inline]
                fn cardinality() -> ::core::primitive::usize {
                    #krate::__private::product(&[#(#bridges::cardinality()),*])
                }

                #index

                #from_index
            }

            #checks
        };
    }
}

/// `fn index`: the static part, `a`, then `a * rb + b`, then
/// `(a * rb + b) * rc + c`, ... over the fields' digits (0 for the run-time
/// field, whose radix is 1), plus the run-time field's index times the
/// static part's range.
fn index(names: &[&Ident], bridges: &[TokenStream], krate: &Path) -> TokenStream {
    let signature = quote!(fn index(&self) -> ::core::primitive::usize);
    if names.is_empty() {
        return quote!(#[inline] #signature { 0 });
    }
    let locals = locals("field", names.len());
    let mut digits: Option<(TokenStream, bool)> = None;
    for (bridge, local) in bridges.iter().zip(&locals) {
        let digit = quote!(#bridge::PLACE.digit(#local));
        digits = Some(match digits {
            None => (digit, false),
            Some((higher, false)) => (quote!(#higher * #bridge::PLACE.radix() + #digit), true),
            Some((higher, true)) => (quote!((#higher) * #bridge::PLACE.radix() + #digit), true),
        });
    }
    let digits = digits.map(|(digits, _)| digits);
    quote! {
        #[inline]
        #signature {
            #(let #locals = #bridges::index(&self.#names);)*
            (#(#bridges::PLACE.run_time(#locals))+*)
                * const { #krate::__private::product(&[#(#bridges::PLACE.radix()),*]) }
                + #digits
        }
    }
}

/// `fn from_index`: the digits taken off the static part, last field first;
/// what remains is the run-time field's index.
fn from_index(names: &[&Ident], bridges: &[TokenStream], krate: &Path) -> TokenStream {
    let arg = Ident::new("index", Span::mixed_site());
    let rest = Ident::new("rest", Span::mixed_site());
    let digits = locals("digit", names.len());
    let split = bridges
        .iter()
        .zip(&digits)
        .rev()
        .map(|(bridge, digit)| quote!(let (#digit, #rest) = #bridge::PLACE.split(#rest)?;));
    let body = if names.is_empty() {
        quote!(::core::option::Option::Some(Self {}))
    } else {
        quote! {
            let #rest = #arg;
            #(#split)*
            ::core::option::Option::Some(Self {
                #(#names: #bridges::from_index(#bridges::PLACE.index(#digits, #rest))?),*
            })
        }
    };
    quote! {
        fn from_index(#arg: ::core::primitive::usize) -> ::core::option::Option<Self> {
            if #arg >= <Self as #krate::ClosedLabelSet>::cardinality() {
                return ::core::option::Option::None;
            }
            #body
        }
    }
}

/// `field0`, `field1`, ...: locals of generated code, out of the user's
/// reach.
fn locals(prefix: &str, count: usize) -> Vec<Ident> {
    (0..count)
        .map(|i| Ident::new(&format!("{prefix}{i}"), Span::mixed_site()))
        .collect()
}

/// `<Type as ::route_labels::__private::ClosedField<Labels, field>>`.
fn bridge(set: &LabelSet<'_>, field: &LabelField<'_>, markers: &Markers) -> TokenStream {
    let krate = &set.krate;
    let ty = field.ty();
    let trait_name = if field.flatten {
        quote!(ClosedFlatField)
    } else {
        quote!(ClosedField)
    };
    let marker = markers.path(field.ident);
    let ident = &set.input.ident;
    quote_spanned!(ty.span()=> <#ty as #krate::__private::#trait_name<#ident, #marker>>)
}

/// Constants that fail to evaluate when a field must have a compile-time
/// cardinality and has none, each spanned over the field's type: any field
/// of a set with a budget, `#[closed(max_series = N)]`, and otherwise any
/// field after the first whose cardinality is known only at run time. The
/// runtime tells which from the fields' cardinalities, which the macro
/// cannot see; then the budget's own check.
fn checks(set: &LabelSet<'_>, bridges: &[TokenStream]) -> TokenStream {
    let budget_check = budget_check(set);
    // Without a budget, the first field may be known only at run time.
    let skip = usize::from(set.max_series.is_none());
    if set.fields.len() <= skip {
        return budget_check;
    }
    let krate = &set.krate;
    let set_name = set.input.ident.unraw().to_string();
    let budget = if let Some(budget) = &set.max_series {
        let attr = format!("#[closed(max_series = {})]", tokens_text(&budget.value));
        quote!(::core::option::Option::Some(#attr))
    } else {
        quote!(::core::option::Option::None)
    };
    let fields: Vec<String> = set
        .fields
        .iter()
        .map(|field| field.ident.unraw().to_string())
        .collect();
    let count = Literal::usize_unsuffixed(fields.len());
    let names = Ident::new("__ROUTE_LABELS_FIELDS", Span::call_site());
    let cardinalities = Ident::new("__ROUTE_LABELS_CARDINALITIES", Span::call_site());
    let field_checks = set.fields.iter().enumerate().skip(skip).map(|(at, field)| {
        let at = Literal::usize_unsuffixed(at);
        let check = spanned_call(
            quote!(#krate::__private::check_static_field),
            quote!(#set_name, &#names, &#cardinalities, #at, #budget),
            field.ty(),
        );
        quote!(const _: () = #check;)
    });
    quote! {
        const _: () = {
            const #names: [&::core::primitive::str; #count] = [#(#fields),*];
            const #cardinalities: [::core::option::Option<::core::primitive::usize>; #count] =
                [#(#bridges::CARDINALITY),*];
            #(#field_checks)*
        };
        #budget_check
    }
}

/// `#[closed(max_series = N)]`: a constant that fails to evaluate when the
/// fields allow more than `N` combinations.
fn budget_check(set: &LabelSet<'_>) -> TokenStream {
    let Some(budget) = &set.max_series else {
        return TokenStream::new();
    };
    let krate = &set.krate;
    let ident = &set.input.ident;
    let value = &budget.value;
    let keyword = Ident::new("max_series", budget.span);
    let set_name = ident.to_string();
    let check = spanned_call(
        quote!(#krate::__private::check_budget),
        quote!(#set_name, <#ident as #krate::ClosedLabelSet>::CARDINALITY, #value),
        &quote!(#keyword = #value),
    );
    quote!(const _: () = #check;)
}

/// `function(args)` spanned over `at`: the path on its first token, the
/// parentheses on its last, so that the compiler reports a panic in the
/// call (a `#[track_caller]` constant check) under all of `at`.
fn spanned_call(function: TokenStream, args: TokenStream, at: &impl ToTokens) -> TokenStream {
    let tokens: Vec<TokenTree> = at.to_token_stream().into_iter().collect();
    let first = tokens.first().map_or_else(Span::call_site, TokenTree::span);
    let last = tokens.last().map_or(first, TokenTree::span);
    let function = function.into_iter().map(|mut tree| {
        tree.set_span(first);
        tree
    });
    let mut args = Group::new(Delimiter::Parenthesis, args);
    args.set_span(last);
    quote!(#(#function)* #args)
}

/// The types named after the fields that generated code passes to the
/// bridge traits, so that an error message can say which field is wrong.
struct Markers {
    /// When a field's name is also a name that the generated code uses (a
    /// field `route: route::Kind`, a budget `max_series = limit`), the
    /// markers live in a module, where they shadow nothing.
    module: Option<Ident>,
}

impl Markers {
    fn new(set: &LabelSet<'_>) -> Self {
        let mut used = HashSet::new();
        used.insert(set.input.ident.unraw().to_string());
        if let Some(first) = set.krate.segments.first() {
            used.insert(first.ident.unraw().to_string());
        }
        for field in &set.fields {
            collect_idents(field.ty().to_token_stream(), &mut used);
        }
        if let Some(budget) = &set.max_series {
            collect_idents(budget.value.to_token_stream(), &mut used);
        }
        let collides = set
            .fields
            .iter()
            .any(|field| used.contains(&field.ident.unraw().to_string()));
        Self {
            module: collides.then(|| Ident::new("__closed_label_fields", Span::call_site())),
        }
    }

    fn marker(field: &Ident) -> Ident {
        let mut marker = field.clone();
        marker.set_span(Span::call_site());
        marker
    }

    fn path(&self, field: &Ident) -> TokenStream {
        let marker = Self::marker(field);
        match &self.module {
            Some(module) => quote!(#module::#marker),
            None => marker.into_token_stream(),
        }
    }

    fn definitions(&self, set: &LabelSet<'_>) -> TokenStream {
        let markers = set.fields.iter().map(|field| Self::marker(field.ident));
        if let Some(module) = &self.module {
            quote! {
                mod #module {
                    #(
                        #[allow(non_camel_case_types)]
                        pub enum #markers {}
                    )*
                }
            }
        } else {
            quote! {
                #(
                    #[allow(non_camel_case_types)]
                    enum #markers {}
                )*
            }
        }
    }
}

fn collect_idents(tokens: TokenStream, into: &mut HashSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                into.insert(ident.unraw().to_string());
            }
            TokenTree::Group(group) => collect_idents(group.stream(), into),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}
