use actix_web::{get, HttpResponse};

const USERS: &str = "/users";

#[route_labels::register]
#[get(USERS)]
async fn users() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
