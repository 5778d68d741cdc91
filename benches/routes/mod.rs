//! The benchmark routes: `GET /bench/r0/{id}` to `GET /bench/r499/{id}`, each twice,
//! as `registered::rN` (with `#[route_labels::register]`) and as `plain::rN`
//! (the bare actix-web handler, for the baselines and for the peers).
//!
//! The templates are listed in `list.rs`, written by `generate.sh`: actix-web
//! takes string literals only, so a macro cannot count them out.
//!
//! Every handler answers 200, or the status in the query string (`?s=503`),
//! with a short in-memory body.
#![allow(
    dead_code,
    reason = "each benchmark uses the part of the routes it needs"
)]

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};

/// How many routes `routes.rs` lists.
pub const ROUTES: usize = 500;

/// The body every handler answers with.
pub const BODY: &str = "ok";

/// What every handler answers.
fn respond(req: &HttpRequest) -> HttpResponse {
    let status = req
        .query_string()
        .strip_prefix("s=")
        .and_then(|code| code.parse().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    HttpResponse::build(status).body(BODY)
}

/// A path route `index` matches.
pub fn path(index: usize) -> String {
    format!("/bench/r{index}/7")
}

/// The template of route `index`.
pub fn template(index: usize) -> String {
    format!("/bench/r{index}/{{id}}")
}

macro_rules! bench_routes {
    ($($name:ident $template:tt)*) => {
        /// The handlers with `#[route_labels::register]`.
        pub mod registered {
            $(
                #[route_labels::register]
                #[actix_web::get($template)]
                pub async fn $name(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
                    super::respond(&req)
                }
            )*

            /// Mounts handler `i` in `MOUNT[i]`.
            pub const MOUNT: &[fn(&mut actix_web::web::ServiceConfig)] = &[
                $(|config| { config.service($name); },)*
            ];
        }

        /// The same handlers without `#[route_labels::register]`.
        pub mod plain {
            $(
                #[actix_web::get($template)]
                pub async fn $name(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
                    super::respond(&req)
                }
            )*

            /// Mounts handler `i` in `MOUNT[i]`.
            pub const MOUNT: &[fn(&mut actix_web::web::ServiceConfig)] = &[
                $(|config| { config.service($name); },)*
            ];
        }
    };
}

include!("list.rs");

/// Mounts the first `count` registered handlers.
pub fn mount_registered(count: usize) -> impl Fn(&mut actix_web::web::ServiceConfig) + Clone {
    move |config| {
        for mount in &registered::MOUNT[..count] {
            mount(config);
        }
    }
}

/// Mounts the first `count` plain handlers.
pub fn mount_plain(count: usize) -> impl Fn(&mut actix_web::web::ServiceConfig) + Clone {
    move |config| {
        for mount in &plain::MOUNT[..count] {
            mount(config);
        }
    }
}
