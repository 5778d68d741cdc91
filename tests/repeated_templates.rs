//! Templates repeat across scopes in every real app: `HttpMetrics` never
//! refuses them, and each mount is labelled by its full template.

mod common;

use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, get, route, web};
use common::{count, samples};
use prometheus_client::registry::Registry;
use route_labels::HttpMetrics;

mod users {
    use super::{HttpResponse, get};

    #[route_labels::register]
    #[get("/{id}")]
    pub async fn show() -> HttpResponse {
        HttpResponse::Ok().body("user")
    }
}

mod orders {
    use super::{HttpResponse, route};

    #[route_labels::register]
    #[route("/{id}", method = "PUT", method = "GET")]
    pub async fn show() -> HttpResponse {
        HttpResponse::Ok().body("order")
    }
}

/// The same declared template and method in two modules, under two scopes:
/// two routes, and the app starts.
#[actix_web::test]
async fn one_template_under_two_scopes_is_two_routes() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).expect("templates that repeat are valid");
    let app = init_service(
        App::new()
            .service(web::scope("/users").service(users::show))
            .service(web::scope("/orders").service(orders::show))
            .wrap(metrics),
    )
    .await;
    for uri in ["/users/1", "/users/2", "/orders/3"] {
        let res = call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), 200);
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let samples = samples(&text);
    assert_eq!(count(&samples, "GET", "/users/{id}", "200"), 2.0);
    assert_eq!(count(&samples, "GET", "/orders/{id}", "200"), 1.0);
}

/// Two handlers that actix-web resolves to one full template and method:
/// the first one registered answers, and the app still starts (a guard can
/// make both reachable, so this is not an error).
#[actix_web::test]
async fn one_full_template_twice_counts_the_handler_that_answers() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).expect("never refused");
    let app = init_service(
        App::new()
            .service(web::scope("/x").service(users::show).service(orders::show))
            .wrap(metrics),
    )
    .await;
    let res = call_service(&app, TestRequest::get().uri("/x/1").to_request()).await;
    assert_eq!(actix_web::test::read_body(res).await, "user");
    let res = call_service(&app, TestRequest::put().uri("/x/1").to_request()).await;
    assert_eq!(actix_web::test::read_body(res).await, "order");
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let samples = samples(&text);
    assert_eq!(count(&samples, "GET", "/x/{id}", "200"), 1.0);
    assert_eq!(count(&samples, "PUT", "/x/{id}", "200"), 1.0);
}

mod roots {
    use super::{HttpResponse, get};

    #[route_labels::register]
    #[get("")]
    pub async fn list(req: actix_web::HttpRequest) -> HttpResponse {
        // A handler at a scope's root keeps its resource name for `url_for`.
        let url = req.url_for_static("list").expect("named after the handler");
        HttpResponse::Ok().body(url.path().to_owned())
    }
}

/// `#[register]` generates the service of a scope-root handler itself (see
/// the runtime's `refusals`): the handler keeps its resource name, and a
/// method it refuses is `unmatched`, also before it has served a request.
#[actix_web::test]
async fn a_scope_root_handler_keeps_its_name_and_refusals_are_unmatched() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app = init_service(
        App::new()
            .service(web::scope("/roots").service(roots::list))
            .wrap(metrics),
    )
    .await;
    let res = call_service(&app, TestRequest::delete().uri("/roots").to_request()).await;
    assert_eq!(res.status(), 404);
    let res = call_service(&app, TestRequest::get().uri("/roots").to_request()).await;
    assert_eq!(actix_web::test::read_body(res).await, "/roots");
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let samples = samples(&text);
    assert_eq!(count(&samples, "DELETE", "unmatched", "404"), 1.0);
    assert_eq!(count(&samples, "DELETE", "unregistered", "404"), 0.0);
    assert_eq!(count(&samples, "GET", "/roots", "200"), 1.0);
}
