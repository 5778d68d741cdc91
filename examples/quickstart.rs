//! A server whose request metrics are labelled by route template.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! then try the `curl` commands it prints. However many ids, query strings
//! and unknown paths you send, `/metrics` only ever shows the templates below
//! (`/users/{id}`, `/api/v1/items/{id}`, ...), `unmatched` and
//! `unregistered`.

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, get, post, web};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

// `#[route_labels::register]` goes above actix-web's route attribute. It
// records the template, so that it can become a label value.
#[route_labels::register]
#[get("/")]
async fn index() -> &'static str {
    "hello\n"
}

#[route_labels::register]
#[get("/users/{id}")]
async fn get_user(id: web::Path<u64>) -> String {
    format!("user {id}\n")
}

#[route_labels::register]
#[post("/users")]
async fn create_user() -> HttpResponse {
    HttpResponse::Created().finish()
}

// Mounted under `web::scope("/api/v1")` below: its label value is the full
// template, `/api/v1/items/{id}`.
#[route_labels::register]
#[get("/items/{id}")]
async fn get_item(id: web::Path<u64>) -> String {
    format!("item {id}\n")
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::default();
    // Fails if two handlers register the same method and template.
    let metrics = HttpMetrics::new(&mut registry)?;
    let registry = Arc::new(registry);

    let server = HttpServer::new(move || {
        App::new()
            .service(index)
            .service(get_user)
            .service(create_user)
            .service(web::scope("/api/v1").service(get_item))
            .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
            // Last, so that it is the outermost middleware and times everything.
            .wrap(metrics.clone())
    })
    .bind(("127.0.0.1", 8080))?;

    println!("listening on http://127.0.0.1:8080; try:");
    println!("  curl -s localhost:8080/users/42");
    println!("  curl -s localhost:8080/users/43");
    println!("  curl -s -X POST localhost:8080/users");
    println!("  curl -s 'localhost:8080/api/v1/items/7?fields=name'");
    println!("  curl -s localhost:8080/wp-login.php");
    println!("  curl -s -X PROPFIND localhost:8080/");
    println!("then:");
    println!("  curl -s localhost:8080/metrics");
    server.run().await?;
    Ok(())
}
