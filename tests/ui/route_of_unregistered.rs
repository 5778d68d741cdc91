use actix_web::{get, HttpResponse};

#[get("/users/{id}")]
async fn get_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = route_labels::route_of!(get_user);
}
