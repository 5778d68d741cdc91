use actix_web::{get, HttpResponse};

#[route_labels::register]
#[get("/search?q={query}")]
async fn search() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
