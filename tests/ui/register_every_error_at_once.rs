use actix_web::{get, routes, HttpResponse};

// Each bad template is reported, not only the first.
#[route_labels::register]
#[routes]
#[get("/a?x")]
#[get("/b/{id")]
async fn both() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
