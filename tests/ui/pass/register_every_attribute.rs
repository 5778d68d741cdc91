//! Every actix-web route attribute `#[register]` supports, including paths to
//! them and options it must keep.
use actix_web::{connect, delete, get, head, options, patch, post, put, route, routes, trace, HttpResponse};
use route_labels::{route_of, RouteInfo};

macro_rules! handler {
    ($attr:meta, $name:ident) => {
        #[route_labels::register]
        #[$attr]
        async fn $name() -> HttpResponse {
            HttpResponse::Ok().finish()
        }
    };
}

handler!(get("/get"), get_h);
handler!(post("/post"), post_h);
handler!(put("/put"), put_h);
handler!(delete("/delete"), delete_h);
handler!(patch("/patch"), patch_h);
handler!(head("/head"), head_h);
handler!(options("/options"), options_h);
handler!(trace("/trace"), trace_h);
handler!(connect("/connect"), connect_h);
handler!(actix_web::query("/query"), query_h);
handler!(actix_web::get("/full-path", name = "named",), full_path_h);
handler!(route("/route", method = "GET", method = "PUT", method = "PURGE"), route_h);
handler!(get("/tail/{rest:.*}"), tail_h);
handler!(get("/re/{id:\\d+}"), regex_h);

#[route_labels::register]
#[routes]
#[get("/many")]
#[post("/many")]
async fn many() -> HttpResponse {
    HttpResponse::Ok().finish()
}

mod nested {
    pub mod deeper {
        use actix_web::{get, HttpResponse};

        #[route_labels::register]
        #[get("/nested")]
        pub async fn nested() -> HttpResponse {
            HttpResponse::Ok().finish()
        }
    }
}

mod renamed {
    pub use route_labels as rl;
}

#[route_labels::register(crate = renamed::rl)]
#[get("/renamed")]
async fn renamed_h() -> HttpResponse {
    HttpResponse::Ok().finish()
}

const NESTED: &RouteInfo = route_of!(nested::deeper::nested);
const MANY: &RouteInfo = route_of!(many);

fn main() {
    assert_eq!(NESTED.template(), Some("/nested"));
    assert_eq!(MANY.methods(), ["GET", "POST"]);
    assert_eq!(route_of!(route_h).methods(), ["GET", "PUT", "PURGE"]);
    assert_eq!(route_of!(renamed_h).template(), Some("/renamed"));
    let _ = actix_web::App::new()
        .service(get_h).service(post_h).service(put_h).service(delete_h).service(patch_h)
        .service(head_h).service(options_h).service(trace_h).service(connect_h).service(query_h)
        .service(full_path_h).service(route_h).service(tail_h).service(regex_h).service(many)
        .service(nested::deeper::nested).service(renamed_h);
}
