use actix_web::web;

fn main() {
    // A label is a template: no query string, and a literal.
    let _ = route_labels::service!("/old?from=1", web::redirect("/old", "/new"));
    let label = "/old";
    let _ = route_labels::service!(label, web::redirect("/old", "/new"));
}
