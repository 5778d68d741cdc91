//! The requests of a flood: request `i` is always the same, so both servers
//! see exactly the same traffic.
//!
//! The mix repeats every [`PERIOD`] requests, so every kind of request (and
//! so every series route-labels can produce for it) has appeared after the
//! first few requests. Most requests still carry something unique: an id in
//! the path, a scanner's probe, a query string or a made-up method token.

use std::borrow::Cow;

/// The length of the request mix.
pub(crate) const PERIOD: u64 = 10;

/// One request: a method token and a request target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Request {
    /// The method token, standard or made up.
    pub method: Cow<'static, str>,
    /// The request target: a path, maybe with a query string.
    pub target: String,
}

impl Request {
    fn new(method: impl Into<Cow<'static, str>>, target: String) -> Self {
        Self {
            method: method.into(),
            target,
        }
    }
}

/// The `i`th request of a flood.
#[must_use]
pub fn request(i: u64) -> Request {
    // Ids that look like ids.
    let id = 100_000 + i;
    match i % PERIOD {
        // A registered route, with an id in the path.
        0 => Request::new("GET", format!("/users/{id}")),
        // A registered route under a scope.
        1 => Request::new("GET", format!("/api/v1/items/{id}")),
        // A vulnerability scanner: no route matches.
        2 => Request::new("GET", format!("/wp-admin/x-{i}.php")),
        // A query string on a route without parameters.
        3 => Request::new("GET", format!("/health?q={i}")),
        // The same request every time.
        4 => Request::new("POST", "/users".to_owned()),
        // A made-up method token (legal HTTP); no route accepts it.
        5 => Request::new(format!("FOO{i}"), format!("/users/{id}")),
        // A registered route whose handler rejects the id (404).
        6 => Request::new("GET", format!("/users/u{i}")),
        // The same request every time.
        7 => Request::new("GET", "/health".to_owned()),
        // A resource without `#[register]`, with a query string.
        8 => Request::new("GET", format!("/version?build={i}")),
        // A registered route with an id and a query string.
        _ => Request::new("GET", format!("/api/v1/items/{id}?fields=name,price")),
    }
}

/// A warm-up request: the same every time.
pub(crate) fn warm_up(_: u64) -> Request {
    Request::new("GET", "/health".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_deterministic_and_mostly_unique() {
        assert_eq!(request(12), request(12));
        let unique: std::collections::HashSet<_> = (0..1000).map(request).collect();
        assert_eq!(unique.len(), 1000 - 2 * 99, "two kinds of request repeat");
        assert_eq!(request(5).method, "FOO5");
    }
}
