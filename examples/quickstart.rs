//! The README's example: a server whose request metrics are labelled by
//! route template, laid out as services are, one module per resource.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! then try the `curl` commands it prints. However many ids, query strings
//! and unknown paths you send, `/metrics` only ever shows the full templates
//! (`/users`, `/users/{id}`, `/orders/{id}`), `unmatched` and `unregistered`.

use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

mod users {
    use actix_web::{HttpResponse, get, post, web};

    // `#[route_labels::register]` goes above actix-web's route attribute.
    #[route_labels::register]
    #[get("")]
    async fn list() -> HttpResponse {
        HttpResponse::Ok().body("users\n")
    }

    #[route_labels::register]
    #[post("")]
    async fn create() -> HttpResponse {
        HttpResponse::Created().finish()
    }

    #[route_labels::register]
    #[get("/{id}")]
    async fn show(id: web::Path<u64>) -> HttpResponse {
        HttpResponse::Ok().body(format!("user {id}\n"))
    }

    pub fn configure(cfg: &mut web::ServiceConfig) {
        cfg.service(list).service(create).service(show);
    }
}

mod orders {
    use actix_web::{HttpResponse, get, web};

    // The same template as `users::show`: mounted under `/orders`, its
    // label value is `/orders/{id}`.
    #[route_labels::register]
    #[get("/{id}")]
    async fn show(id: web::Path<u64>) -> HttpResponse {
        HttpResponse::Ok().body(format!("order {id}\n"))
    }

    pub fn configure(cfg: &mut web::ServiceConfig) {
        cfg.service(show);
    }
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry)?;
    let registry = Arc::new(registry);

    let server = HttpServer::new(move || {
        // The metrics wrap the app (outermost, so they time everything) and
        // know its routes as soon as each worker has built it.
        metrics.app(
            App::new()
                .service(web::scope("/users").configure(users::configure))
                .service(web::scope("/orders").configure(orders::configure))
                .service(MetricsEndpoint::new("/metrics", registry.clone())),
        )
    })
    .bind(("127.0.0.1", 8080))?;

    println!("listening on http://127.0.0.1:8080; try:");
    println!("  curl -s localhost:8080/users");
    println!("  curl -s localhost:8080/users/42");
    println!("  curl -s -X POST localhost:8080/users");
    println!("  curl -s 'localhost:8080/orders/7?utm_source=x'");
    println!("  curl -s localhost:8080/wp-login.php");
    println!("  curl -s -X PROPFIND localhost:8080/users");
    println!("then:");
    println!("  curl -s localhost:8080/metrics");
    server.run().await?;
    Ok(())
}
