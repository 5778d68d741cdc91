use actix_web::{routes, HttpResponse};

#[route_labels::register]
#[routes]
#[get("/")]
#[get("/index")]
async fn index() -> HttpResponse {
    HttpResponse::Ok().finish()
}

const INDEX: &route_labels::RouteInfo = route_labels::route_of!(index);

fn main() {
    let _ = INDEX;
}
