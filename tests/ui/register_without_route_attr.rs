use actix_web::HttpResponse;

#[route_labels::register]
async fn get_user() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
