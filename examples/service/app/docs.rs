//! The OpenAPI document that Swagger UI serves at `/docs`, mounted through
//! `route_labels::service!` with the real utoipa-swagger-ui (its assets
//! vendored, so it builds offline).

use utoipa::OpenApi;

/// The shop's API, as Swagger UI shows it.
#[derive(OpenApi)]
#[openapi(info(title = "shop", version = "1"))]
pub struct ApiDoc;
