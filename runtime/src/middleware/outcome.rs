//! What a request ended with, as its row records it: a status code, and
//! why it failed when it failed without a status of its own; and the
//! `error_type` label value it gets: the status code of a `5xx` response,
//! a [`Failure`]'s name, or `_OTHER` for errors counted in a row's overflow
//! slot.

/// Why a request failed without a response status of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u16)]
pub(crate) enum Failure {
    /// It did not fail that way: its status says how it went.
    None = 0,
    /// The client went away before the last byte (counted as `499`).
    ClientClosed = 1,
    /// The handler panicked (counted as `500`).
    Panic = 2,
    /// The response body yielded an error half way (counted as `500`).
    BodyError = 3,
}

impl Failure {
    const ALL: [Self; 4] = [Self::None, Self::ClientClosed, Self::Panic, Self::BodyError];

    /// The `error_type` value.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::ClientClosed => "client_closed",
            Self::Panic => "panic",
            Self::BodyError => "response_body_error",
        }
    }
}

/// How one request ended: its status, and why it failed if it failed
/// without one. Packed into the `u16` a status slot is claimed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) status: u16,
    pub(crate) failure: Failure,
}

/// Status codes are `100..=999`: ten bits.
const STATUS_BITS: u16 = 10;
const STATUS_MASK: u16 = (1 << STATUS_BITS) - 1;

impl Outcome {
    pub(crate) const fn new(status: u16, failure: Failure) -> Self {
        Self { status, failure }
    }

    /// The slot key: never 0, since a status code is at least 100.
    pub(crate) const fn key(self) -> u16 {
        self.status | (self.failure as u16) << STATUS_BITS
    }

    pub(crate) fn from_key(key: u16) -> Self {
        Self {
            status: key & STATUS_MASK,
            failure: Failure::ALL[usize::from(key >> STATUS_BITS)],
        }
    }

    /// An error in the conventions' sense: a `5xx`, or a failure without
    /// a status.
    pub(crate) const fn is_error(self) -> bool {
        self.status >= 500 || !matches!(self.failure, Failure::None)
    }
}

/// The `error_type` label of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ErrorType {
    /// A `5xx` response: its status code.
    Status(u16),
    Failure(Failure),
    /// Errors of a row whose status slots were used up.
    Other,
}

impl ErrorType {
    /// The label of requests ending with `outcome`, if they are errors.
    pub(crate) fn of(outcome: Outcome) -> Option<Self> {
        match outcome.failure {
            Failure::None if outcome.status >= 500 => Some(Self::Status(outcome.status)),
            Failure::None => None,
            failure => Some(Self::Failure(failure)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_survives_its_key() {
        for failure in Failure::ALL {
            for status in [100, 200, 499, 500, 999] {
                let outcome = Outcome::new(status, failure);
                assert_ne!(outcome.key(), 0);
                assert_eq!(Outcome::from_key(outcome.key()), outcome);
            }
        }
    }
}
