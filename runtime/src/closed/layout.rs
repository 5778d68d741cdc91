//! How a derived label set numbers its values: the cardinality from its
//! fields', and where each field's index goes in the set's index.
//!
//! The fields whose cardinality is known at compile time form the *static
//! part* of the index, a mixed-radix number whose digits are their indexes,
//! in declaration order, the first varying slowest. The one field whose
//! cardinality is known only at run time, if any, varies slowest of all,
//! above the static part:
//!
//! ```text
//! struct Labels { ok: bool, route: Route, method: HttpMethod }
//! index = route * (2 * 10) + (ok * 10 + method)
//! ```
//!
//! so that when its cardinality grows, the indexes it had keep their label
//! sets. Without such a field the index is the static part alone.

/// Not public API: where a field's index goes in the index of its label set.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A digit of the static part, with `radix` values.
    Digit {
        /// The field's cardinality.
        radix: usize,
    },
    /// Above the static part: the field whose cardinality is known only at
    /// run time.
    RunTime,
}

impl Place {
    /// The place of a field with this compile-time cardinality.
    #[must_use]
    pub const fn of(cardinality: Option<usize>) -> Self {
        match cardinality {
            Some(radix) => Self::Digit { radix },
            None => Self::RunTime,
        }
    }

    /// The radix of the field's digit in the static part: 1 for the
    /// run-time field, which is no digit of it.
    #[must_use]
    pub const fn radix(self) -> usize {
        match self {
            Self::Digit { radix } => radix,
            Self::RunTime => 1,
        }
    }

    /// The field's digit in the static part, from its index: 0 for the
    /// run-time field.
    #[inline]
    #[must_use]
    pub fn digit(self, index: usize) -> usize {
        match self {
            Self::Digit { .. } => index,
            Self::RunTime => 0,
        }
    }

    /// What the field puts above the static part, from its index: its index
    /// for the run-time field, 0 for a digit.
    #[inline]
    #[must_use]
    pub fn run_time(self, index: usize) -> usize {
        match self {
            Self::Digit { .. } => 0,
            Self::RunTime => index,
        }
    }

    /// The field's digit, taken off the low end of `rest`, and what remains
    /// above it; `rest` unchanged for the run-time field. `None` for a radix
    /// of 0, a field without values.
    #[inline]
    #[must_use]
    pub fn split(self, rest: usize) -> Option<(usize, usize)> {
        match self {
            Self::Digit { radix } => Some((rest.checked_rem(radix)?, rest / radix)),
            Self::RunTime => Some((0, rest)),
        }
    }

    /// The field's index, from its digit and from what is above the static
    /// part: the inverse of [`digit`](Place::digit) and
    /// [`run_time`](Place::run_time).
    #[inline]
    #[must_use]
    pub fn index(self, digit: usize, run_time: usize) -> usize {
        match self {
            Self::Digit { .. } => digit,
            Self::RunTime => run_time,
        }
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

/// Not public API: the cardinality of a label set from its fields', or of
/// the static part of its index from the fields' radixes.
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

#[cfg(test)]
mod tests {
    use super::{Place, product, static_product};

    #[test]
    fn products_are_none_when_a_factor_is_only_known_at_run_time() {
        assert_eq!(static_product(&[]), Some(1));
        assert_eq!(static_product(&[Some(2), Some(10)]), Some(20));
        assert_eq!(static_product(&[Some(2), None]), None);
        assert_eq!(product(&[3, 0, 5]), 0);
    }

    /// `ok: bool, route: (run time), method: HttpMethod`, as in the module
    /// documentation: encoded the way generated code does, then decoded.
    #[test]
    fn the_run_time_field_varies_slowest_and_decoding_inverts_encoding() {
        let places = [Place::of(Some(2)), Place::of(None), Place::of(Some(10))];
        let radixes = places.map(Place::radix);
        assert_eq!(radixes, [2, 1, 10]);
        let encode = |indexes: [usize; 3]| {
            let mut digits = 0;
            let mut run_time = 0;
            for (place, index) in places.into_iter().zip(indexes) {
                digits = digits * place.radix() + place.digit(index);
                run_time += place.run_time(index);
            }
            run_time * product(&radixes) + digits
        };
        assert_eq!(encode([1, 7, 3]), 7 * 20 + 10 + 3);
        assert_eq!(
            encode([0, 0, 9]),
            9,
            "one route: as if the field were not there"
        );

        let decode = |index: usize| {
            let mut rest = index;
            let mut digits = [0; 3];
            for (digit, place) in digits.iter_mut().zip(places).rev() {
                (*digit, rest) = place.split(rest).unwrap();
            }
            [0, 1, 2].map(|i| places[i].index(digits[i], rest))
        };
        for index in 0..5 * 20 {
            assert_eq!(encode(decode(index)), index);
        }
        assert_eq!(Place::of(Some(0)).split(3), None);
    }
}
