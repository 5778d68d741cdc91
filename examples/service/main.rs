//! A service laid out like a real one: one module per resource, a versioned
//! API that mounts the same modules twice, builder-style routes, the usual
//! middleware stack, a JSON 404 and a business-event counter whose route
//! label joins with `http_route`.
//!
//! ```text
//! cargo run --example service
//! ```
//!
//! then try the `curl` commands it prints. The app itself is built in
//! [`app::app`], which `tests/service_example.rs` drives with a known set of
//! requests and checks every count of.

mod app;

use std::sync::Arc;

use actix_web::HttpServer;
use actix_web::rt;
use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;

const ADDR: (&str, u16) = ("127.0.0.1", 8082);
const WORKERS: usize = 2;

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry)?;
    let events = app::Events::register(&mut registry);
    let registry = Arc::new(registry);

    let server = {
        let metrics = metrics.clone();
        let events = events.clone();
        HttpServer::new(move || app::app(metrics.clone(), events.clone(), Arc::clone(&registry)))
            .workers(WORKERS)
            .bind(ADDR)?
            .run()
    };
    // The server's first poll starts the workers and waits until each has
    // built the app; only then are the mounts, and so the bounds, known.
    // Yielding once lets the spawned server task take that poll.
    let server = rt::spawn(server);
    rt::task::yield_now().await;

    println!("listening on http://127.0.0.1:8082 with {WORKERS} workers; try:");
    for command in [
        "curl -s localhost:8082/users",
        "curl -s localhost:8082/users/1/",
        "curl -s localhost:8082/users/999",
        "curl -s -X POST localhost:8082/api/v1/users",
        "curl -s localhost:8082/api/v2/orders/7",
        "curl -s -X DELETE localhost:8082/orders/7",
        "curl -s localhost:8082/posts",
        "curl -s -X POST localhost:8082/posts/5/like",
        "curl -s -i localhost:8082/health",
        "curl -s --compressed -i localhost:8082/api/v1/orders",
        "curl -s localhost:8082/wp-login.php",
        "curl -s -X PROPFIND localhost:8082/users",
    ] {
        println!("  {command}");
    }
    println!("then:");
    println!(
        "  curl -s localhost:8082/metrics | grep -E 'request_duration_seconds_count|app_events'"
    );
    println!(
        "the HTTP metrics expose at most {} samples per scrape (max_samples), app_events_total at \
         most {} series",
        metrics.max_samples(),
        events.max_series(),
    );

    server.await??;
    Ok(())
}
