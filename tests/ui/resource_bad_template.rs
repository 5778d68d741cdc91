use actix_web::{web, App, HttpResponse};

const PATH: &str = "/users/{id}";

fn main() {
    let _ = App::new()
        .service(route_labels::resource!("/users/{id").route(web::get().to(HttpResponse::Ok)))
        .service(route_labels::resource!("/search?q={q}").to(HttpResponse::Ok))
        .service(route_labels::resource!(PATH).to(HttpResponse::Ok))
        .service(route_labels::resource!().to(HttpResponse::Ok))
        .service(route_labels::resource!("/a", "/b").to(HttpResponse::Ok));
}
