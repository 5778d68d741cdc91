//! What a scrape reads: [`collector`] encodes the HTTP metrics through
//! prometheus-client's `Collector`; [`exposition`] serves a registry in the
//! format the scraper asks for ([`MetricsEndpoint`](crate::MetricsEndpoint)).

pub(crate) mod collector;
pub(crate) mod exposition;
