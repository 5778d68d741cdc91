//! The OpenTelemetry attributes beyond route, method and status: which ones
//! an app turned on, their closed sets of values, and how a request maps to
//! them without trusting anything the client wrote.
//!
//! - `url_scheme`: `http` or `https`, from the listener the request came in
//!   on (actix-web's `AppConfig::secure`), never from `Host`, `Forwarded` or
//!   `X-Forwarded-Proto`.
//! - `network_protocol_version`: `1.0`, `1.1`, `2` or `3`, from the version
//!   actix-web's codec parsed.
//! - `error_type`: whether it is on; its values are a request's
//!   [outcome](super::outcome).
//! - the method label: the nine standard methods, the extra methods the app
//!   declared at build time, and `_OTHER`.
//!
//! Scheme and version together make a request's *variant*: a small index,
//! always 0 when neither is on, that selects a block of a row's cells.

use actix_web::dev::ServiceRequest;
use actix_web::http::Version;

use crate::labels::HttpMethod;

/// `url_scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    const ALL: [Self; 2] = [Self::Http, Self::Https];

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// `network_protocol_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ProtocolVersion {
    Http10,
    Http11,
    Http2,
    Http3,
}

impl ProtocolVersion {
    const ALL: [Self; 4] = [Self::Http10, Self::Http11, Self::Http2, Self::Http3];

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Http10 => "1.0",
            Self::Http11 => "1.1",
            Self::Http2 => "2",
            Self::Http3 => "3",
        }
    }

    fn of(version: Version) -> Self {
        match version {
            Version::HTTP_2 => Self::Http2,
            Version::HTTP_3 => Self::Http3,
            Version::HTTP_11 => Self::Http11,
            // actix-web's HTTP/1 codec reads `HTTP/1.0` and `HTTP/1.1` only;
            // 0.9 cannot reach a handler, and would be closest to 1.0.
            _ => Self::Http10,
        }
    }
}

/// The most extra methods an app can declare: the method label is an `u8`
/// index, and each label is a row per route.
pub(crate) const MAX_EXTRA_METHODS: usize = 32;

/// The number of method labels there can be: the standard ten and the
/// extra ones.
pub(crate) const MAX_METHOD_LABELS: usize = HttpMethod::ALL.len() + MAX_EXTRA_METHODS;

/// Which of the request's attributes an app turned on, and its extra
/// methods: what turns a request into the indexes of its cells. (Whether
/// `error_type` is on is the cells' [`Shape`](crate::cells::Shape):
/// it decides what a status slot is claimed with.)
#[derive(Debug, Clone)]
pub(crate) struct Attributes {
    url_scheme: bool,
    protocol_version: bool,
    error_type: bool,
    /// Methods beyond the nine, in label order after `_OTHER`.
    extra_methods: Box<[Box<str>]>,
    /// Schemes told apart: 2 with `url_scheme`, else 1.
    schemes: usize,
    /// Versions told apart: 4 with `protocol_version`, else 1.
    versions: usize,
}

impl Attributes {
    pub(crate) fn new(
        url_scheme: bool,
        protocol_version: bool,
        error_type: bool,
        extra_methods: Box<[Box<str>]>,
    ) -> Self {
        Self {
            url_scheme,
            protocol_version,
            error_type,
            extra_methods,
            schemes: if url_scheme { Scheme::ALL.len() } else { 1 },
            versions: if protocol_version {
                ProtocolVersion::ALL.len()
            } else {
                1
            },
        }
    }

    /// The number of method labels: ten, and the extra methods.
    pub(crate) fn method_labels(&self) -> usize {
        HttpMethod::ALL.len() + self.extra_methods.len()
    }

    /// The method label index of a request.
    #[inline]
    pub(crate) fn method_of(&self, method: &actix_web::http::Method) -> u8 {
        match HttpMethod::from_method(method) {
            HttpMethod::Other if !self.extra_methods.is_empty() => {
                self.declared_method(method.as_str())
            }
            standard => standard.index() as u8,
        }
    }

    /// The method label index of a method token as written: a standard
    /// method, an extra one, or `_OTHER`.
    pub(crate) fn declared_method(&self, token: &str) -> u8 {
        match HttpMethod::from_bytes(token.as_bytes()) {
            HttpMethod::Other => self
                .extra_methods
                .iter()
                .position(|extra| **extra == *token)
                .map_or(HttpMethod::Other.index(), |i| HttpMethod::ALL.len() + i)
                as u8,
            standard => standard.index() as u8,
        }
    }

    /// The label value of method index `index`.
    pub(crate) fn method_label(&self, index: u8) -> &str {
        let index = usize::from(index);
        match HttpMethod::ALL.get(index) {
            Some(method) => method.as_str(),
            None => &self.extra_methods[index - HttpMethod::ALL.len()],
        }
    }

    /// Whether failures carry `error_type`.
    pub(crate) fn error_type(&self) -> bool {
        self.error_type
    }

    /// The number of variants: 1 with neither scheme nor version on, 8 with
    /// both.
    pub(crate) fn variants(&self) -> usize {
        self.schemes * self.versions
    }

    /// The number of `http_server_active_requests` series per method.
    pub(crate) fn active_per_method(&self) -> usize {
        self.schemes
    }

    /// The variant of a request: its scheme and version, those that are on.
    #[inline]
    pub(crate) fn variant_of(&self, req: &ServiceRequest) -> u8 {
        if !self.url_scheme && !self.protocol_version {
            return 0;
        }
        let scheme = if self.url_scheme {
            usize::from(req.app_config().secure())
        } else {
            0
        };
        let version = if self.protocol_version {
            ProtocolVersion::of(req.version()) as usize
        } else {
            0
        };
        (scheme * self.versions + version) as u8
    }

    /// The scheme of a variant, if the label is on.
    pub(crate) fn scheme_of(&self, variant: u8) -> Option<Scheme> {
        self.url_scheme
            .then(|| Scheme::ALL[usize::from(variant) / self.versions])
    }

    /// The protocol version of a variant, if the label is on.
    pub(crate) fn version_of(&self, variant: u8) -> Option<ProtocolVersion> {
        self.protocol_version
            .then(|| ProtocolVersion::ALL[usize::from(variant) % self.versions])
    }

    /// The index of a request's `http_server_active_requests` gauge: by
    /// method and scheme. A variant is `scheme * versions + version`, with
    /// scheme 0 when `url_scheme` is off.
    #[inline]
    pub(crate) fn active_index(&self, method: u8, variant: u8) -> usize {
        usize::from(method) * self.schemes + usize::from(variant) / self.versions
    }

    /// The scheme of gauge `index % active_per_method()`, if the label is on.
    pub(crate) fn active_scheme(&self, index: usize) -> Option<Scheme> {
        self.url_scheme
            .then(|| Scheme::ALL[index % self.active_per_method()])
    }
}

/// Whether `token` is an HTTP method token (RFC 9110's `tchar`s).
pub(crate) fn is_method_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_cover_every_scheme_and_version_once() {
        let attributes = Attributes::new(true, true, false, Box::default());
        let mut seen = std::collections::BTreeSet::new();
        for variant in 0..attributes.variants() as u8 {
            seen.insert((
                attributes.scheme_of(variant).unwrap(),
                attributes.version_of(variant).unwrap(),
            ));
        }
        assert_eq!(seen.len(), 8);
        let plain = Attributes::new(false, false, false, Box::default());
        assert_eq!(plain.variants(), 1);
        assert_eq!(plain.scheme_of(0), None);
        for method in 0..12 {
            for variant in 0..8 {
                let index = attributes.active_index(method, variant);
                assert_eq!(index / 2, usize::from(method));
                assert_eq!(
                    attributes.active_scheme(index),
                    attributes.scheme_of(variant)
                );
            }
        }
    }

    #[test]
    fn extra_methods_follow_the_standard_labels() {
        let attributes = Attributes::new(
            false,
            false,
            false,
            ["PROPFIND".into(), "QUERY".into()].into(),
        );
        assert_eq!(attributes.declared_method("GET"), 0);
        assert_eq!(attributes.declared_method("PROPFIND"), 10);
        assert_eq!(attributes.method_label(11), "QUERY");
        assert_eq!(attributes.declared_method("BREW"), 9);
        assert_eq!(attributes.method_label(9), "_OTHER");
        assert!(is_method_token("M-SEARCH") && !is_method_token("GET /") && !is_method_token(""));
    }
}
