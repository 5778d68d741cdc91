//! What fails the compilation of a derived label set, from constants that
//! generated code evaluates: each panic is a compile error at the call,
//! which generated code spans over the user's field or budget.

/// Not public API: fails compilation, from a constant, when field `at` of
/// label set `set` must have a compile-time cardinality and has none.
///
/// Every field must when the set has a budget (`budget` is then the
/// attribute, `#[closed(max_series = N)]`, as the user wrote it). Otherwise
/// one field may be known only at run time, and every later one must not:
/// the set's index would not stay stable as both grow.
///
/// `fields` and `cardinalities` are the set's fields' names and
/// compile-time cardinalities, in declaration order.
#[doc(hidden)]
#[track_caller]
pub const fn check_static_field(
    set: &str,
    fields: &[&str],
    cardinalities: &[Option<usize>],
    at: usize,
    budget: Option<&str>,
) {
    if cardinalities[at].is_some() {
        return;
    }
    let mut message = Message::new();
    if let Some(budget) = budget {
        message.push("field `");
        message.push(fields[at]);
        message.push(
            "` has a number of values known only at run time (a `Route` counts the mounts of the \
             built app), so `",
        );
        message.push(budget);
        message.push(
            "` cannot be checked at compile time; remove `max_series`, and read \
             `ClosedFamily::max_series()` once the app is built",
        );
        panic!("{}", message.as_str());
    }
    let mut first = 0;
    while first < at && cardinalities[first].is_some() {
        first += 1;
    }
    if first < at {
        message.push("label set `");
        message.push(set);
        message.push("` has two fields whose number of values is known only at run time (`");
        message.push(fields[first]);
        message.push("` and `");
        message.push(fields[at]);
        message.push(
            "`); a closed family can grow along one of them only: keep one, or split the family",
        );
        panic!("{}", message.as_str());
    }
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
    use super::{Message, check_static_field};

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
    fn one_run_time_field_passes_without_a_budget() {
        let fields = ["ok", "route", "method"];
        let cardinalities = [Some(2), None, Some(10)];
        for at in 0..3 {
            check_static_field("Labels", &fields, &cardinalities, at, None);
        }
    }

    #[test]
    #[should_panic(
        expected = "label set `Labels` has two fields whose number of values is known only at run time (`from` and `to`)"
    )]
    fn the_second_run_time_field_fails_naming_the_first() {
        let fields = ["from", "ok", "to"];
        check_static_field("Labels", &fields, &[None, Some(2), None], 2, None);
    }

    #[test]
    #[should_panic(expected = "field `route` has a number of values known only at run time")]
    fn with_a_budget_every_run_time_field_fails() {
        check_static_field(
            "Labels",
            &["route"],
            &[None],
            0,
            Some("#[closed(max_series = 10)]"),
        );
    }
}
