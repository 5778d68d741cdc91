//! Property: whatever characters a mount's template holds (quotes,
//! backslashes, newlines, control characters, non-ASCII), the `http_route`
//! label carries it exactly, escaped, and `promtool` accepts the exposition
//! in both formats.
//!
//! A handler's own template is checked at compile time, but a `web::scope`
//! prefix is any run-time string, and it becomes part of the label. The
//! property that the compile-time validator agrees with actix-router lives
//! beside the validator, in `macros/src/valid.rs`.

mod common;

use std::fmt::Write as _;
use std::sync::Arc;

use actix_web::test::init_service;
use actix_web::{App, HttpResponse, get, web};
use common::{assert_promtool_accepts, scrape_with, send};
use prometheus_client::registry::Registry;
use proptest::prelude::*;
use route_labels::{HttpMetrics, MetricsEndpoint};

#[route_labels::register]
#[get("/props/label")]
async fn label() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Pieces of a scope prefix: what label encoders must escape, what
/// Prometheus' parsers trip on, and plain text. Not `/` (kept out so that
/// the prefix is one segment), `{`, `}` and `*` (actix-web's template
/// syntax), nor `%` (a request cannot spell it: actix-web keeps `%25`
/// encoded).
const PIECES: [&str; 33] = [
    "\"", "\\", "\n", "\r", "\t", " ", "\\n", "\\\"", "\"\"", "\0", "\u{7f}", "\u{1b}", "é",
    "日本", "🦀", "\u{200b}", "\u{2028}", "\u{fffd}", "'", ",", "=", "?", "#", "+", "$", "^", "|",
    "(", "]", ":", "le", "a", "0",
];

fn prefixes() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&PIECES[..]), 1..12)
        .prop_map(|pieces| format!("/{}", pieces.concat()))
}

/// The request path that reaches `path`: every byte percent-encoded but
/// the unreserved ones, `/` and `+` (which actix-web keeps encoded as `%2B`,
/// so it must be sent as is).
fn request_path(path: &str) -> String {
    let mut encoded = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/+".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            write!(encoded, "%{byte:02X}").expect("a String");
        }
    }
    encoded
}

/// A label value as both text formats write it.
fn escaped(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn any_scope_prefix_yields_an_exact_label_and_a_valid_exposition(prefix in prefixes()) {
        actix_web::rt::System::new().block_on(async {
            let mut registry = Registry::default();
            let metrics = HttpMetrics::new(&mut registry).expect("no duplicate routes");
            let app = init_service(
                App::new()
                    .service(web::scope(&prefix).service(label))
                    .service(MetricsEndpoint::new("/metrics", Arc::new(registry)))
                    .wrap(metrics),
            )
            .await;
            let uri = request_path(&format!("{prefix}/props/label"));
            assert_eq!(send(&app, "GET", &uri).await, 200, "{uri}");

            let expected = format!(
                "{{http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"{}\"}}",
                escaped(&format!("{prefix}/props/label"))
            );
            for accept in [None, Some("text/plain")] {
                let (content_type, body) = scrape_with(&app, accept).await;
                assert!(
                    body.contains(&format!("http_server_request_duration_seconds_count{expected} 1")),
                    "{prefix:?}: no series {expected} in\n{body}"
                );
                assert_promtool_accepts(&body, &format!("{content_type} for prefix {prefix:?}"));
            }
        });
    }
}
