use actix_web::{get, HttpResponse};

#[route_labels::register(name = "x")]
#[get("/a")]
async fn a() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
