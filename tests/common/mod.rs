//! Helpers for the integration tests: scrape an app and read the exposition.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::collections::BTreeMap;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the sample lines of a text exposition (either format). Label
/// values may contain escaped quotes; the tests' values do not contain `,"`.
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.strip_suffix('}').expect("labels end with }")),
                None => (series, ""),
            };
            let labels = split_labels(labels)
                .into_iter()
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label is k=v");
                    (k.to_owned(), unescape(v.trim_matches('"')))
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("numeric value"),
            }
        })
        .collect()
}

fn split_labels(labels: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in labels.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                out.push(&labels[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < labels.len() {
        out.push(&labels[start..]);
    }
    out
}

fn unescape(value: &str) -> String {
    value
        .replace("\\\"", "\"")
        .replace("\\n", "\n")
        .replace("\\\\", "\\")
}

/// The `_count` of the request duration histogram for one label set, 0 if
/// the series does not exist.
pub fn count(samples: &[Sample], method: &str, route: &str, status: &str) -> f64 {
    samples
        .iter()
        .find(|s| {
            s.name == "http_server_request_duration_seconds_count"
                && s.labels["http_request_method"] == method
                && s.labels["http_route"] == route
                && s.labels["http_response_status_code"] == status
        })
        .map_or(0.0, |s| s.value)
}

/// The sum of every `_count` of the request duration histogram.
pub fn total(samples: &[Sample]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .map(|s| s.value)
        .sum()
}

/// Every distinct `http_route` value of the request duration histogram.
pub fn routes(samples: &[Sample]) -> Vec<String> {
    let mut routes: Vec<String> = samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .map(|s| s.labels["http_route"].clone())
        .collect();
    routes.sort();
    routes.dedup();
    routes
}

/// The series (name and labels, no value) of an exposition.
pub fn series_set(samples: &[Sample]) -> Vec<(String, BTreeMap<String, String>)> {
    let mut set: Vec<_> = samples
        .iter()
        .map(|s| (s.name.clone(), s.labels.clone()))
        .collect();
    set.sort();
    set
}

/// Sends a request and returns the response status.
pub async fn send<S, B>(app: &S, method: &str, uri: &str) -> u16
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(method.as_bytes()).expect("a method token"))
        .uri(uri)
        .to_request();
    match app.call(req).await {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    }
}

/// Scrapes `/metrics` with an `Accept` header, returning content type and body.
pub async fn scrape_with<S, B>(app: &S, accept: Option<&str>) -> (String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = test::TestRequest::get().uri("/metrics");
    if let Some(accept) = accept {
        req = req.insert_header(("accept", accept));
    }
    let res = test::call_service(app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    let content_type = res
        .headers()
        .get("content-type")
        .expect("a content type")
        .to_str()
        .unwrap()
        .to_owned();
    let body = test::read_body(res).await;
    (
        content_type,
        String::from_utf8(body.to_vec()).expect("utf-8 exposition"),
    )
}

/// Scrapes `/metrics` in OpenMetrics text and parses it.
pub async fn scrape<S, B>(app: &S) -> Vec<Sample>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    samples(&scrape_with(app, None).await.1)
}
