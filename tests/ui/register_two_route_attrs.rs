use actix_web::{get, post, HttpResponse};

#[route_labels::register]
#[get("/a")]
#[post("/a")]
async fn both() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
