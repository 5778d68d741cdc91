use actix_web::{get, HttpResponse};

struct Api;

impl Api {
    #[route_labels::register]
    #[get("/users")]
    async fn users(&self) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
