use actix_web::{get, HttpResponse};

#[get("/users/{id}")]
#[route_labels::register]
async fn get_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
