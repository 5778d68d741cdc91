use actix_web::{get, HttpResponse};

#[route_labels::register]
#[get("/users/{id:[0-9+}")]
async fn get_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
