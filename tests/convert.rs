//! `scripts/convert-routes.pl` converts an app exactly, for both import
//! styles (`web::get()` and, through `use actix_web::web::*`, `get()`), and
//! the app it leaves counts every route under its full template.

mod common;

use actix_web::App;
use actix_web::test::init_service;
use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;

use common::{count, samples, send};

// Compiled as the script leaves it, not as rustfmt would.
#[rustfmt::skip]
#[path = "fixtures/convert/after.rs"]
mod after;

#[test]
fn the_script_converts_the_fixture_exactly() {
    let output = std::process::Command::new("perl")
        .args([
            "scripts/convert-routes.pl",
            "--stdout",
            "tests/fixtures/convert/before.rs",
        ])
        .output()
        .expect("perl runs (Debian's perl-base is on every machine)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = std::fs::read_to_string("tests/fixtures/convert/after.rs").unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
}

#[actix_web::test]
async fn the_converted_app_counts_every_route() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app = init_service(metrics.app(App::new().configure(after::configure))).await;
    for (method, uri, status) in [
        ("GET", "/health", 200),
        ("GET", "/items", 200),
        ("POST", "/items", 200),
        ("POST", "/post", 201),
        ("GET", "/post/list", 200),
        ("POST", "/v2/post", 201),
        ("GET", "/v2/post/list", 200),
        ("GET", "/image/a.png", 200),
    ] {
        assert_eq!(send(&app, method, uri).await, status, "{method} {uri}");
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let samples = samples(&text);
    for (method, route, status) in [
        ("GET", "/health", "200"),
        ("GET", "/items", "200"),
        ("POST", "/items", "200"),
        ("POST", "/post", "201"),
        ("GET", "/post/list", "200"),
        ("POST", "/v2/post", "201"),
        ("GET", "/v2/post/list", "200"),
        ("GET", "/image/{name}", "200"),
    ] {
        assert_eq!(
            count(&samples, method, route, status),
            1.0,
            "{method} {route}"
        );
    }
    assert_eq!(common::total(&samples), 8.0);
}
