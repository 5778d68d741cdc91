//! Closed label values and label sets: types whose values are all known
//! before the program runs, each with an index, so that a
//! [`ClosedFamily`](crate::ClosedFamily) over them has a known number of
//! series and finds a series' cell without hashing.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

use crate::__private::ROUTES;
use crate::inventory::Route;
use crate::labels::HttpMethod;

/// A label value drawn from a closed set: every value has an index in
/// `0..cardinality()`.
///
/// Implemented for [`Route`] (the routes registered in the program), `bool`,
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
    message = "`{Self}` can take unboundedly many values; use an enum deriving `ClosedLabelValue`, or a `Route` from `route_of!`",
    label = "not a closed label value",
    note = "closed label values are `route_labels::Route`, `bool`, `route_labels::HttpMethod`, and enums whose variants carry no data with `#[derive(ClosedLabelValue)]`"
)]
pub trait ClosedLabelValue: EncodeLabelValue + Sized {
    /// The number of values when it is known at compile time; `None` when it
    /// is only known at run time, as for [`Route`] (the number of registered
    /// routes, which the linker collects).
    ///
    /// ```
    /// use route_labels::{ClosedLabelValue, HttpMethod, Route};
    /// assert_eq!(<bool as ClosedLabelValue>::CARDINALITY, Some(2));
    /// assert_eq!(HttpMethod::CARDINALITY, Some(10));
    /// assert_eq!(Route::CARDINALITY, None);
    /// ```
    const CARDINALITY: Option<usize>;

    /// The number of values.
    ///
    /// ```
    /// use route_labels::{ClosedLabelValue, Route};
    /// assert_eq!(Route::cardinality(), route_labels::routes().len());
    /// ```
    fn cardinality() -> usize;

    /// This value's position in `0..Self::cardinality()`.
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
/// combines theirs (mixed radix, the first field varying slowest).
/// A field marked `#[prometheus(flatten)]` must itself be a
/// `ClosedLabelSet`.
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
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a closed label set: a family over it could grow without bound",
    label = "not a `ClosedLabelSet`",
    note = "derive `ClosedLabelSet` and `EncodeLabelSet` on a struct whose fields are `route_labels::Route`, `bool`, `route_labels::HttpMethod`, or enums deriving `ClosedLabelValue`"
)]
pub trait ClosedLabelSet: EncodeLabelSet + Sized {
    /// The number of label sets when it is known at compile time: `None` if
    /// a field's cardinality is only known at run time (a [`Route`]).
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

    /// The number of label sets: the product of the fields' cardinalities.
    ///
    /// # Panics
    ///
    /// If the product overflows `usize`.
    ///
    /// ```
    /// # use prometheus_client::encoding::EncodeLabelSet;
    /// use route_labels::{ClosedLabelSet, Route};
    ///
    /// #[derive(EncodeLabelSet, ClosedLabelSet)]
    /// struct ByRoute { route: Route, ok: bool }
    ///
    /// assert_eq!(ByRoute::cardinality(), 2 * route_labels::routes().len());
    /// ```
    fn cardinality() -> usize;

    /// This label set's position in `0..Self::cardinality()`.
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

/// The routes of the inventory, in [`routes()`](crate::routes) order. Routes
/// that share a template (`GET /orders`, `POST /orders`) share a label value,
/// so they share an index: the first such route's.
impl ClosedLabelValue for Route {
    const CARDINALITY: Option<usize> = None;

    #[inline]
    fn cardinality() -> usize {
        ROUTES.len()
    }

    #[inline]
    fn index(&self) -> usize {
        crate::inventory::label_index(*self)
    }

    #[inline]
    fn from_index(index: usize) -> Option<Self> {
        ROUTES.get(index).map(Route::__new)
    }
}

/// Not public API: a [`ClosedLabelValue`] as a field of a derived label set.
///
/// Generated code reaches every field's trait through this bridge, whose
/// parameters are the struct and a type named after the field, so that the
/// error for a field that is not closed names both.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "field `{Field}` of `{Set}`: `{Self}` can take unboundedly many values; use an enum deriving `ClosedLabelValue`, or a `Route` from `route_of!`",
    label = "not a closed label value",
    note = "closed label values are `route_labels::Route`, `bool`, `route_labels::HttpMethod`, and enums whose variants carry no data with `#[derive(ClosedLabelValue)]`"
)]
pub trait ClosedField<Set, Field>: Sized {
    /// Not public API.
    const CARDINALITY: Option<usize>;
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

/// Not public API: the cardinality of a label set from its fields', `None`
/// if one of them is only known at run time.
///
/// # Panics
///
/// If the product overflows `usize`: at compile time, in a constant.
#[doc(hidden)]
#[must_use]
pub const fn static_product(factors: &[Option<usize>]) -> Option<usize> {
    let mut product = 1usize;
    let mut i = 0;
    while i < factors.len() {
        match factors[i] {
            Some(factor) => product = checked_mul(product, factor),
            None => return None,
        }
        i += 1;
    }
    Some(product)
}

/// Not public API: the cardinality of a label set from its fields'.
///
/// # Panics
///
/// If the product overflows `usize`.
#[doc(hidden)]
#[must_use]
pub const fn product(factors: &[usize]) -> usize {
    let mut product = 1usize;
    let mut i = 0;
    while i < factors.len() {
        product = checked_mul(product, factors[i]);
        i += 1;
    }
    product
}

const fn checked_mul(a: usize, b: usize) -> usize {
    match a.checked_mul(b) {
        Some(product) => product,
        None => panic!("a closed label set has more than `usize::MAX` combinations of values"),
    }
}

/// Not public API: fails compilation, from a constant, when `field` of a
/// label set with a `max_series` budget has no compile-time cardinality.
#[doc(hidden)]
#[track_caller]
pub const fn check_static_field(cardinality: Option<usize>, message: &str) {
    assert!(cardinality.is_some(), "{}", message);
}

/// Not public API: fails compilation, from a constant, when a label set has
/// more combinations of values than its `#[closed(max_series = N)]`.
#[doc(hidden)]
#[track_caller]
pub const fn check_budget(set: &str, series: Option<usize>, budget: usize) {
    let Some(series) = series else {
        return;
    };
    if series > budget {
        let mut message = Message::new();
        message.push("label set `");
        message.push(set);
        message.push("` allows ");
        message.push_number(series);
        message.push(" series, more than its budget `#[closed(max_series = ");
        message.push_number(budget);
        message.push(")]`; raise the budget, or label by fewer or smaller fields");
        panic!("{}", message.as_str());
    }
}

/// A message built in a constant, where `format!` is not available.
struct Message {
    bytes: [u8; 512],
    len: usize,
}

impl Message {
    const fn new() -> Self {
        Self {
            bytes: [0; 512],
            len: 0,
        }
    }

    const fn push(&mut self, text: &str) {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
    }

    const fn push_number(&mut self, mut number: usize) {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (number % 10) as u8;
            count += 1;
            number /= 10;
            if number == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.bytes.len() {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
        }
    }

    const fn as_str(&self) -> &str {
        // Truncation can only cut a multi-byte character of a very long
        // struct name; keep the valid prefix then.
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            Err(error) => match core::str::from_utf8(self.bytes.split_at(error.valid_up_to()).0) {
                Ok(text) => text,
                Err(_) => "",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ClosedLabelValue, HttpMethod, Message, product, static_product};

    #[test]
    fn products_are_none_when_a_factor_is_only_known_at_run_time() {
        assert_eq!(static_product(&[]), Some(1));
        assert_eq!(static_product(&[Some(2), Some(10)]), Some(20));
        assert_eq!(static_product(&[Some(2), None]), None);
        assert_eq!(product(&[3, 0, 5]), 0);
    }

    #[test]
    fn messages_format_numbers_in_constants() {
        const MESSAGE: Message = {
            let mut message = Message::new();
            message.push("up to ");
            message.push_number(1_234_567);
            message.push(", or ");
            message.push_number(0);
            message
        };
        assert_eq!(MESSAGE.as_str(), "up to 1234567, or 0");
    }

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
