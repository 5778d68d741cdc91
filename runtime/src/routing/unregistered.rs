//! What is not registered, said out loud (feature `introspection`): the
//! app's mounts that no registered handler, route builder or registered
//! service serves, by full template, once per app when it is built.
//!
//! actix-web's resource map cannot be listed through its API; its
//! `experimental-introspection` feature can list every configured resource
//! with its full path, through the app's data, which only a request reaches.
//! So [`HttpMetrics::app`](crate::HttpMetrics::app) adds one resource to the
//! app, which only its own request can reach (a guard wants a marker that
//! only the server can put on a request), and sends that request once the
//! app is built. actix-web's introspection is meant for diagnostics, which
//! is what this is: turn the feature on in `[dev-dependencies]` to check an
//! app in its tests with [`HttpMetrics::assert_all_registered`](crate::HttpMetrics::assert_all_registered).

use std::sync::Arc;

use actix_web::dev::HttpServiceFactory;
use actix_web::guard::{Guard, GuardContext};
use actix_web::introspection::{IntrospectionNode, IntrospectionTree, ResourceType};
use actix_web::{HttpResponse, web};

use crate::middleware::shared::Shared;
use crate::routing::services;

/// The path of the one request the app is asked once it is built.
pub(crate) const PATH: &str = "/.route-labels/unregistered";

/// Marks that request: only the server puts it on a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Marker;

/// The request's guard: only a request with the [`Marker`] reaches the
/// resource; any other request to its path falls through, as if it were
/// not there.
struct Marked;

impl Guard for Marked {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        ctx.req_data().contains::<Marker>()
    }
}

/// Whether `req` is that request.
pub(crate) fn is_ours(req: &actix_web::HttpRequest) -> bool {
    use actix_web::HttpMessage as _;
    req.path() == PATH && req.extensions().contains::<Marker>()
}

/// The resource that answers it, with the metrics that keep the answer.
pub(crate) fn resource(shared: Arc<Shared>) -> impl HttpServiceFactory {
    web::resource(PATH)
        .guard(Marked)
        .to(move |req: actix_web::HttpRequest| {
            let shared = Arc::clone(&shared);
            async move {
                if let Some(tree) = req.app_data::<web::Data<IntrospectionTree>>() {
                    shared.unregistered_found(unregistered(&shared, &tree.root));
                }
                HttpResponse::NoContent().finish()
            }
        })
}

/// The resources of `root` that nothing of route-labels serves, by full
/// template, sorted.
fn unregistered(shared: &Shared, root: &IntrospectionNode) -> Vec<String> {
    let registered: Vec<String> = shared.app().templates().map(normalize).collect();
    let key = std::ptr::from_ref(shared) as usize;
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        stack.extend(&node.children);
        if !matches!(node.kind, ResourceType::Resource) {
            continue;
        }
        let path = node.full_path.as_str();
        let ours = path == PATH
            || registered.iter().any(|t| t == path)
            // A route builder's or `resource!`'s: its guard says so.
            || node.guards.iter().any(|g| g.starts_with("route_labels::"))
            || services::owner_of(key, path).is_some();
        if !ours {
            found.push(node.full_path.clone());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A template as actix-web's introspection writes a full path: `/` for the
/// empty one, a leading `/` otherwise.
fn normalize(template: &str) -> String {
    if template.starts_with('/') {
        template.to_owned()
    } else {
        format!("/{template}")
    }
}

/// The guard `resource!` adds with this feature: always passes, and its
/// name tells introspection that the resource is registered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegisteredResource;

impl Guard for RegisteredResource {
    fn check(&self, _: &GuardContext<'_>) -> bool {
        true
    }
}

/// The app is built: ask it, once, for what it does not register.
pub(crate) fn request() -> actix_http::Request {
    use actix_web::HttpMessage as _;
    let req = actix_web::test::TestRequest::get().uri(PATH).to_request();
    req.extensions_mut().insert(Marker);
    req
}
