//! `/posts`, routed with the registered builders instead of attributes:
//! `route_labels::get!()` where actix-web has `web::get()`.

use actix_web::{HttpResponse, Scope, web};
use route_labels::Route;

use super::{Events, Outcome};

/// The scope, for `App::service`.
pub fn scope() -> Scope {
    web::scope("/posts")
        .route("", route_labels::get!().to(list))
        .route("/{id}/like", route_labels::post!().to(like))
}

async fn list(route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::Listed);
    HttpResponse::Ok().json(serde_json::json!([{ "id": 5, "title": "hello" }]))
}

async fn like(id: web::Path<u32>, route: Route, events: web::Data<Events>) -> HttpResponse {
    events.record(route, Outcome::Liked);
    HttpResponse::Ok().json(serde_json::json!({ "liked": id.into_inner() }))
}
