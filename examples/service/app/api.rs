//! The versioned API: `/api/v1` and `/api/v2` mount the same resource
//! modules, so every handler in them has one mount, and one `http_route`
//! value, per version.

use actix_web::web;

use super::{orders, users};

/// Mounts the resources of one API version; the caller picks the prefix.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/users").configure(users::configure))
        .service(web::scope("/orders").configure(orders::configure));
}
