//! Closed label values and label sets: types whose values form a closed
//! set, each with an index that never changes, so that a
//! [`ClosedFamily`](crate::ClosedFamily) over them has a bounded number of
//! series and finds a series' cell without hashing.
//!
//! The number of values is known at compile time, or, for one field of a
//! label set at most (a [`Route`]), only at run time: it may then grow while
//! the program runs, never shrink, and the values it had keep their indexes.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

use crate::labels::HttpMethod;
use crate::routing::route::Route;

mod checks;
pub(crate) mod family;
mod layout;

pub use self::checks::{check_budget, check_static_field};
use self::layout::Place;
pub use self::layout::{product, static_product};

/// A label value drawn from a closed set: every value has an index in
/// `0..cardinality()`, which it keeps for the life of the process.
///
/// Implemented for [`Route`] (the mounted routes of the app), `bool`,
/// [`HttpMethod`], and, through `#[derive(ClosedLabelValue)]`, enums whose
/// variants carry no data. `String`, `&str`, integers and floats are not
/// closed: a struct of labels with such a field does not compile.
///
/// ```
/// use prometheus_client::encoding::EncodeLabelValue;
/// use route_labels::ClosedLabelValue;
///
/// #[derive(Clone, Copy, Debug, PartialEq, EncodeLabelValue, ClosedLabelValue)]
/// enum Outcome {
///     Paid,
///     Declined,
/// }
///
/// assert_eq!(Outcome::CARDINALITY, Some(2));
/// assert_eq!(Outcome::Declined.index(), 1);
/// assert_eq!(Outcome::from_index(0), Some(Outcome::Paid));
/// assert_eq!(Outcome::from_index(2), None);
/// ```
///
/// The derive rejects a variant with fields, which could carry any value,
/// such as `Declined(String)`: "variant `Declined(String)` carries data, so
/// the label could take unboundedly many values".
#[diagnostic::on_unimplemented(
    message = "`{Self}` can take unboundedly many values; use an enum deriving `ClosedLabelValue`, or the request's `Route` (an extractor)",
    label = "not a closed label value",
    note = "closed label values are `route_labels::Route`, `bool`, `route_labels::HttpMethod`, and enums whose variants carry no data with `#[derive(ClosedLabelValue)]`"
)]
pub trait ClosedLabelValue: EncodeLabelValue + Sized {
    /// The number of values when it is known at compile time; `None` when it
    /// is only known at run time, as for [`Route`] (the mounts of the app,
    /// known once it is built). [`cardinality`](ClosedLabelValue::cardinality)
    /// may then grow while the program runs, but never shrinks, and a value
    /// keeps its [`index`](ClosedLabelValue::index) as it grows.
    ///
    /// ```
    /// use route_labels::{ClosedLabelValue, HttpMethod, Route};
    /// assert_eq!(<bool as ClosedLabelValue>::CARDINALITY, Some(2));
    /// assert_eq!(HttpMethod::CARDINALITY, Some(10));
    /// assert_eq!(Route::CARDINALITY, None);
    /// ```
    const CARDINALITY: Option<usize>;

    /// The number of values so far: [`CARDINALITY`](ClosedLabelValue::CARDINALITY)
    /// when that is `Some`, otherwise a number that may grow (never shrink)
    /// while the program runs.
    ///
    /// ```
    /// use route_labels::{ClosedLabelValue, HttpMethod};
    /// assert_eq!(<bool as ClosedLabelValue>::cardinality(), 2);
    /// assert_eq!(HttpMethod::cardinality(), HttpMethod::CARDINALITY.unwrap());
    /// ```
    fn cardinality() -> usize;

    /// This value's position in `0..Self::cardinality()`: below the
    /// cardinality at the moment it is returned, and the same for the life of
    /// the process, however the cardinality grows.
    ///
    /// ```
    /// use route_labels::ClosedLabelValue;
    /// assert_eq!(true.index(), 1);
    /// ```
    fn index(&self) -> usize;

    /// The value at `index`, `None` from `Self::cardinality()` on; the
    /// inverse of [`index`](ClosedLabelValue::index).
    ///
    /// ```
    /// use route_labels::{ClosedLabelValue, HttpMethod};
    /// assert_eq!(HttpMethod::from_index(HttpMethod::Put.index()), Some(HttpMethod::Put));
    /// ```
    fn from_index(index: usize) -> Option<Self>;
}

/// A struct of closed label values: the label set of a
/// [`ClosedFamily`](crate::ClosedFamily).
///
/// Derive it together with prometheus-client's `EncodeLabelSet`. Its
/// cardinality is the product of its fields' cardinalities, and its index
/// combines theirs as a mixed-radix number, the first field varying slowest.
/// A field marked `#[prometheus(flatten)]` must itself be a
/// `ClosedLabelSet`.
///
/// One field may have a number of values known only at run time (a
/// [`Route`], or a flattened label set with such a field): its cardinality,
/// and so the label set's, may grow while the program runs. That field
/// varies slowest of all, above the others in declaration order, so that
/// every label set keeps its index as the cardinality grows.
///
/// ```
/// use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
/// use route_labels::{ClosedLabelSet, ClosedLabelValue, HttpMethod};
///
/// #[derive(Clone, Copy, Debug, PartialEq, EncodeLabelValue, ClosedLabelValue)]
/// enum Cache {
///     Hit,
///     Miss,
/// }
///
/// #[derive(Clone, Debug, PartialEq, EncodeLabelSet, ClosedLabelSet)]
/// #[closed(max_series = 20)]
/// struct Lookups {
///     method: HttpMethod,
///     cache: Cache,
/// }
///
/// assert_eq!(Lookups::CARDINALITY, Some(20));
/// let labels = Lookups { method: HttpMethod::Head, cache: Cache::Miss };
/// assert_eq!(labels.index(), 3);
/// assert_eq!(Lookups::from_index(3), Some(labels));
/// ```
///
/// A field that is not a [`ClosedLabelValue`] does not compile, nor does a
/// label set with more combinations than its `max_series`:
///
/// ```compile_fail,E0277
/// # use prometheus_client::encoding::EncodeLabelSet;
/// #[derive(Clone, Debug, EncodeLabelSet, route_labels::ClosedLabelSet)]
/// struct Lookups {
///     user_id: String,
/// }
/// ```
///
/// ```compile_fail,E0080
/// # use prometheus_client::encoding::EncodeLabelSet;
/// #[derive(Clone, Debug, EncodeLabelSet, route_labels::ClosedLabelSet)]
/// #[closed(max_series = 10)]
/// struct Lookups {
///     method: route_labels::HttpMethod,
///     ok: bool,
/// }
/// ```
///
/// Nor does a label set with two fields whose number of values is known
/// only at run time, which could not keep its indexes as both grow:
///
/// ```compile_fail,E0080
/// # use prometheus_client::encoding::EncodeLabelSet;
/// #[derive(Clone, Debug, EncodeLabelSet, route_labels::ClosedLabelSet)]
/// struct Hops {
///     from: route_labels::Route,
///     to: route_labels::Route,
/// }
/// ```
///
/// # Rejected at compile time
///
/// Each is a spanned error that points at the offending tokens; a field's error
/// points at its type and names the field. `tests/ui/closed_*.rs` holds every
/// case and its message.
///
/// | mistake | message |
/// |---|---|
/// | a `String` field in a `ClosedLabelSet` (`closed_string_field`) | field `user_id` of `Labels`: `String` can take unboundedly many values; use an enum deriving `ClosedLabelValue`, or the request's `Route` (an extractor) |
/// | `&str` (`closed_str_field`), `Cow<str>` (`closed_cow_field`), an integer (`closed_integer_field`), a float (`closed_float_field`), `Option<String>` (`closed_option_field`) | the same, naming the field and its type |
/// | an enum without `#[derive(ClosedLabelValue)]`, or any other type (`closed_plain_enum_field`) | the same, with "the trait `ClosedLabelValue` is not implemented for `Outcome`" pointing at the enum |
/// | several such fields (`closed_every_error_at_once`) | one error per field, each once |
/// | `ClosedFamily<Vec<(String, String)>, _>` (`closed_family_open_labels`) | `Vec<(String, String)>` is not a closed label set: a family over it could grow without bound; derive `ClosedLabelSet` and `EncodeLabelSet` on a struct whose fields are ... |
/// | `#[derive(ClosedLabelValue)]` on an enum with `Declined(String)` or `Refunded { amount_cents: u64 }` (`closed_value_data_variant`) | variant `Declined(String)` carries data, so the label could take unboundedly many values; `ClosedLabelValue` needs unit variants, one per label value, such as `Declined` |
/// | `#[derive(ClosedLabelValue)]` on a struct (`closed_value_on_struct`) | `ClosedLabelValue` can only be derived for an enum whose variants carry no data, found `struct Labels`; for a struct of labels, derive `ClosedLabelSet` |
/// | `#[closed(max_series = 10)]` on 10 methods × a `bool` (`closed_budget_exceeded`) | label set `Labels` allows 20 series, more than its budget `#[closed(max_series = 10)]`; raise the budget, or label by fewer or smaller fields |
/// | `#[closed(max_series = 100)]` with a `Route` field (`closed_budget_with_route`) | field `route` has a number of values known only at run time (a `Route` counts the mounts of the built app), so `#[closed(max_series = 100)]` cannot be checked at compile time; remove `max_series`, and read `ClosedFamily::max_series()` once the app is built |
/// | `#[derive(ClosedLabelSet)]` on a tuple struct, a unit struct, an enum, a generic struct (`closed_set_shapes`) | `ClosedLabelSet` needs named fields, which name the labels, found `(HttpMethod, bool)` / ... found `struct Unit;` / can only be derived for a struct with named fields, found `enum Outcome` / cannot be derived for a generic struct, found `<T>` |
/// | `#[closed(..)]` mistakes (`closed_bad_arguments`) | duplicate `max_series` argument / expected `crate` or `max_series` / `max_series` applies to a struct deriving `ClosedLabelSet` |
///
/// `tests/ui/pass/closed_issue_example.rs` is the example above plus the shapes
/// that must keep compiling (a field named like the module of its type, raw
/// identifiers, `#[prometheus(flatten)]`, an empty label set).
/// Generated code uses absolute paths only and is clean under
/// `#![deny(warnings, clippy::pedantic)]` (`tests/closed_lints.rs`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a closed label set: a family over it could grow without bound",
    label = "not a `ClosedLabelSet`",
    note = "derive `ClosedLabelSet` and `EncodeLabelSet` on a struct whose fields are `route_labels::Route`, `bool`, `route_labels::HttpMethod`, or enums deriving `ClosedLabelValue`"
)]
pub trait ClosedLabelSet: EncodeLabelSet + Sized {
    /// The number of label sets when it is known at compile time: `None` if
    /// a field's cardinality is only known at run time (a [`Route`]), in
    /// which case [`cardinality`](ClosedLabelSet::cardinality) may grow
    /// while the program runs.
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use route_labels::{ClosedLabelSet, HttpMethod, Route};
    ///
    /// #[derive(EncodeLabelSet, ClosedLabelSet)]
    /// struct ByMethod { method: HttpMethod, ok: bool }
    ///
    /// #[derive(EncodeLabelSet, ClosedLabelSet)]
    /// struct ByRoute { route: Route, ok: bool }
    ///
    /// assert_eq!(ByMethod::CARDINALITY, Some(20));
    /// assert_eq!(ByRoute::CARDINALITY, None);
    /// ```
    const CARDINALITY: Option<usize>;

    /// The number of label sets so far: the product of the fields'
    /// cardinalities. With a field whose cardinality is known only at run
    /// time, it grows with that field's, and never shrinks.
    ///
    /// # Panics
    ///
    /// If the product overflows `usize`.
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use route_labels::{ClosedLabelSet, ClosedLabelValue, Route};
    ///
    /// #[derive(EncodeLabelSet, ClosedLabelSet)]
    /// struct ByRoute { route: Route, ok: bool }
    ///
    /// assert_eq!(ByRoute::cardinality(), <Route as ClosedLabelValue>::cardinality() * 2);
    /// ```
    fn cardinality() -> usize;

    /// This label set's position in `0..Self::cardinality()`: below the
    /// cardinality at the moment it is returned, and the same for the life
    /// of the process, however the cardinality grows.
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use route_labels::{ClosedLabelSet, HttpMethod};
    ///
    /// #[derive(EncodeLabelSet, ClosedLabelSet)]
    /// struct ByMethod { method: HttpMethod, ok: bool }
    ///
    /// assert_eq!(ByMethod { method: HttpMethod::Post, ok: true }.index(), 2 * 2 + 1);
    /// ```
    fn index(&self) -> usize;

    /// The label set at `index`, `None` from `Self::cardinality()` on; the
    /// inverse of [`index`](ClosedLabelSet::index).
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use route_labels::{ClosedLabelSet, HttpMethod};
    ///
    /// #[derive(Debug, PartialEq, EncodeLabelSet, ClosedLabelSet)]
    /// struct ByMethod { method: HttpMethod, ok: bool }
    ///
    /// assert_eq!(ByMethod::from_index(5), Some(ByMethod { method: HttpMethod::Post, ok: true }));
    /// assert_eq!(ByMethod::from_index(20), None);
    /// ```
    fn from_index(index: usize) -> Option<Self>;
}

impl ClosedLabelValue for bool {
    const CARDINALITY: Option<usize> = Some(2);

    #[inline]
    fn cardinality() -> usize {
        2
    }

    #[inline]
    fn index(&self) -> usize {
        usize::from(*self)
    }

    #[inline]
    fn from_index(index: usize) -> Option<Self> {
        match index {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl ClosedLabelValue for HttpMethod {
    const CARDINALITY: Option<usize> = Some(HttpMethod::ALL.len());

    #[inline]
    fn cardinality() -> usize {
        HttpMethod::ALL.len()
    }

    #[inline]
    fn index(&self) -> usize {
        HttpMethod::index(*self)
    }

    #[inline]
    fn from_index(index: usize) -> Option<Self> {
        HttpMethod::ALL.get(index).copied()
    }
}

/// The mounted routes of the app, and `unmatched` and `unregistered`. The
/// cardinality is known once the app is built (it counts the mounts every
/// worker built) and only grows; mounts that resolve to one full template
/// (`GET /orders` and `POST /orders`) share a value, so they share an index.
impl ClosedLabelValue for Route {
    const CARDINALITY: Option<usize> = None;

    #[inline]
    fn cardinality() -> usize {
        Route::cardinality()
    }

    #[inline]
    fn index(&self) -> usize {
        Route::index(*self)
    }

    #[inline]
    fn from_index(index: usize) -> Option<Self> {
        Route::from_index(index)
    }
}

/// Not public API: a [`ClosedLabelValue`] as a field of a derived label set.
///
/// Generated code reaches every field's trait through this bridge, whose
/// parameters are the struct and a type named after the field, so that the
/// error for a field that is not closed names both.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "field `{Field}` of `{Set}`: `{Self}` can take unboundedly many values; use an enum deriving `ClosedLabelValue`, or the request's `Route` (an extractor)",
    label = "not a closed label value",
    note = "closed label values are `route_labels::Route`, `bool`, `route_labels::HttpMethod`, and enums whose variants carry no data with `#[derive(ClosedLabelValue)]`"
)]
pub trait ClosedField<Set, Field>: Sized {
    /// Not public API.
    const CARDINALITY: Option<usize>;
    /// Not public API: where the field's index goes in the set's.
    const PLACE: Place = Place::of(Self::CARDINALITY);
    /// Not public API.
    fn cardinality() -> usize;
    /// Not public API.
    fn index(&self) -> usize;
    /// Not public API.
    fn from_index(index: usize) -> Option<Self>;
}

impl<T: ClosedLabelValue, Set, Field> ClosedField<Set, Field> for T {
    const CARDINALITY: Option<usize> = T::CARDINALITY;

    #[inline]
    fn cardinality() -> usize {
        T::cardinality()
    }

    #[inline]
    fn index(&self) -> usize {
        T::index(self)
    }

    #[inline]
    fn from_index(index: usize) -> Option<Self> {
        T::from_index(index)
    }
}

/// Not public API: a [`ClosedLabelSet`] as a `#[prometheus(flatten)]` field
/// of a derived label set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "flattened field `{Field}` of `{Set}`: `{Self}` is not a closed label set",
    label = "not a `ClosedLabelSet`",
    note = "a `#[prometheus(flatten)]` field of a `ClosedLabelSet` must itself derive `ClosedLabelSet`"
)]
pub trait ClosedFlatField<Set, Field>: Sized {
    /// Not public API.
    const CARDINALITY: Option<usize>;
    /// Not public API: where the field's index goes in the set's.
    const PLACE: Place = Place::of(Self::CARDINALITY);
    /// Not public API.
    fn cardinality() -> usize;
    /// Not public API.
    fn index(&self) -> usize;
    /// Not public API.
    fn from_index(index: usize) -> Option<Self>;
}

impl<T: ClosedLabelSet, Set, Field> ClosedFlatField<Set, Field> for T {
    const CARDINALITY: Option<usize> = T::CARDINALITY;

    #[inline]
    fn cardinality() -> usize {
        T::cardinality()
    }

    #[inline]
    fn index(&self) -> usize {
        T::index(self)
    }

    #[inline]
    fn from_index(index: usize) -> Option<Self> {
        T::from_index(index)
    }
}

#[cfg(test)]
mod tests {
    use super::{ClosedLabelValue, HttpMethod};

    #[test]
    fn every_index_maps_back_to_its_value() {
        for value in [false, true] {
            assert_eq!(bool::from_index(value.index()), Some(value));
        }
        for (index, method) in HttpMethod::ALL.into_iter().enumerate() {
            assert_eq!(ClosedLabelValue::index(&method), index);
            assert_eq!(
                <HttpMethod as ClosedLabelValue>::from_index(index),
                Some(method)
            );
        }
        assert_eq!(<HttpMethod as ClosedLabelValue>::from_index(10), None);
    }
}
