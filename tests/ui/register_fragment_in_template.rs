use actix_web::{get, HttpResponse};

#[route_labels::register]
#[get("/docs#intro")]
async fn docs() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
