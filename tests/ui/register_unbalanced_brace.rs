use actix_web::{get, HttpResponse};

#[route_labels::register]
#[get("/users/{id")]
async fn get_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
