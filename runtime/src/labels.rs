//! The closed sets of label values.

use std::fmt;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

/// `http_route` of a request that no resource matched: the value of
/// [`Route::UNMATCHED`](crate::Route::UNMATCHED).
pub(crate) const UNMATCHED: &str = "unmatched";

/// `http_route` of a request that a resource not registered served: the
/// value of [`Route::UNREGISTERED`](crate::Route::UNREGISTERED).
pub(crate) const UNREGISTERED: &str = "unregistered";

/// The value that stands for every value a closed set has no room for:
/// `http_response_status_code` once a (route, method) pair has used up its
/// [status code capacity](crate::HttpMetricsBuilder::status_codes_per_route),
/// `error_type` of its errors then (with
/// [`error_type`](crate::HttpMetricsBuilder::error_type) on), and
/// `http_request_method` of a method not declared ([`HttpMethod::Other`]).
///
/// ```
/// assert_eq!(route_labels::OTHER, "_OTHER");
/// assert_eq!(route_labels::HttpMethod::Other.as_str(), route_labels::OTHER);
/// ```
pub const OTHER: &str = "_OTHER";

/// `http_response_status_code` of a request whose client went away before the
/// response was complete (the server dropped the request), following nginx.
///
/// ```
/// assert_eq!(route_labels::CLIENT_CLOSED_REQUEST, 499);
/// ```
pub const CLIENT_CLOSED_REQUEST: u16 = 499;

/// The `http_request_method` label: the nine standard methods, and `_OTHER`
/// for any other token (OpenTelemetry HTTP semantic conventions).
///
/// ```
/// use route_labels::HttpMethod;
///
/// assert_eq!(HttpMethod::from_bytes(b"GET"), HttpMethod::Get);
/// assert_eq!(HttpMethod::from_bytes(b"PROPFIND"), HttpMethod::Other);
/// assert_eq!(HttpMethod::Other.as_str(), "_OTHER");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
    /// Any other method token; encodes as `_OTHER`.
    Other,
}

impl HttpMethod {
    /// Every value, in label order.
    ///
    /// ```
    /// assert_eq!(route_labels::HttpMethod::ALL.len(), 10);
    /// ```
    pub const ALL: [Self; 10] = [
        Self::Get,
        Self::Head,
        Self::Post,
        Self::Put,
        Self::Delete,
        Self::Connect,
        Self::Options,
        Self::Trace,
        Self::Patch,
        Self::Other,
    ];

    /// Classifies a method token; anything but the nine standard methods
    /// (case-sensitive, as HTTP methods are) is [`HttpMethod::Other`].
    ///
    /// ```
    /// use route_labels::HttpMethod;
    /// assert_eq!(HttpMethod::from_bytes(b"PATCH"), HttpMethod::Patch);
    /// assert_eq!(HttpMethod::from_bytes(b"get"), HttpMethod::Other);
    /// ```
    #[must_use]
    pub fn from_bytes(method: &[u8]) -> Self {
        match method {
            b"GET" => Self::Get,
            b"HEAD" => Self::Head,
            b"POST" => Self::Post,
            b"PUT" => Self::Put,
            b"DELETE" => Self::Delete,
            b"CONNECT" => Self::Connect,
            b"OPTIONS" => Self::Options,
            b"TRACE" => Self::Trace,
            b"PATCH" => Self::Patch,
            _ => Self::Other,
        }
    }

    /// Classifies an actix-web request method without looking at its bytes
    /// for the standard ones.
    ///
    /// ```
    /// use actix_web::http::Method;
    /// use route_labels::HttpMethod;
    /// assert_eq!(HttpMethod::from_method(&Method::DELETE), HttpMethod::Delete);
    /// ```
    #[must_use]
    pub fn from_method(method: &actix_web::http::Method) -> Self {
        use actix_web::http::Method;
        match *method {
            Method::GET => Self::Get,
            Method::HEAD => Self::Head,
            Method::POST => Self::Post,
            Method::PUT => Self::Put,
            Method::DELETE => Self::Delete,
            Method::CONNECT => Self::Connect,
            Method::OPTIONS => Self::Options,
            Method::TRACE => Self::Trace,
            Method::PATCH => Self::Patch,
            _ => Self::Other,
        }
    }

    /// The label value: `GET`, ..., `PATCH`, or `_OTHER`.
    ///
    /// ```
    /// assert_eq!(route_labels::HttpMethod::Head.as_str(), "HEAD");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Connect => "CONNECT",
            Self::Options => "OPTIONS",
            Self::Trace => "TRACE",
            Self::Patch => "PATCH",
            Self::Other => "_OTHER",
        }
    }

    /// The position in [`HttpMethod::ALL`].
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EncodeLabelValue for HttpMethod {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), fmt::Error> {
        self.as_str().encode(encoder)
    }
}
