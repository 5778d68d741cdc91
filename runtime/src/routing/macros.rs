//! The builder macros: [`resource!`](crate::resource), [`service!`](crate::service),
//! a method macro per method `#[register]` knows ([`get!`](crate::get), ...)
//! and [`route!`](crate::route). Each call site adds one
//! [`RouteInfo`](crate::RouteInfo) to the inventory.

/// A registered [`web::resource`](actix_web::web::resource): the same
/// builder, whose call site is recorded in the inventory and whose requests
/// are counted under the full template it is mounted at.
///
/// The template is checked at compile time as `#[register]` checks one. The
/// methods are not known at compile time (they are the resource's routes,
/// and anything else gets its default `405`, counted under its route), so
/// the resource has a row for every method label. When every route is a
/// route builder ([`get!`](crate::get), ...: each counts what it serves
/// under its own mount) and the resource has no handler, default service or
/// middleware of its own, the resource itself only answers those `405`s:
/// an app built through [`HttpMetrics::app`](crate::HttpMetrics::app) learns that when it is built,
/// and its rows keep one status slot each in
/// [`HttpMetrics::max_samples`](crate::HttpMetrics::max_samples) (a first route that never matches tells
/// the app where the resource's routes begin: a request through the
/// resource pays its guard). Replace `web::resource(` with
/// `route_labels::resource!(`:
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
///
/// async fn show_user() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
/// let app = test::init_service(
///     App::new()
///         .service(web::scope("/users").service(
///             route_labels::resource!("/{id}").route(web::get().to(show_user)),
///         ))
///         .wrap(metrics),
/// )
/// .await;
/// test::call_service(&app, test::TestRequest::delete().uri("/users/7").to_request()).await;
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains(r#"http_request_method="DELETE",http_response_status_code="405",http_route="/users/{id}""#));
/// # });
/// ```
///
/// A template actix-web would refuse does not compile:
///
/// ```compile_fail
/// let resource = route_labels::resource!("/users/{id");
/// ```
#[macro_export]
macro_rules! resource {
    ($($template:tt)*) => {
        $crate::__private::__resource!($crate, $($template)*)
    };
}

/// A registered service that is not a handler: `actix_files::Files`,
/// `web::redirect`, `utoipa_swagger_ui::SwaggerUi`, a `Scope` another crate
/// builds. Every request the service answers (its `404`s included, and
/// requests a middleware of an enclosing scope answers before it) is counted
/// under `http_route` = the label, after the prefix of the scope it is
/// mounted in: one closed value for the service, as a handler's template is
/// one for its handler. The label is checked as a template at compile time;
/// the service's own prefix is the natural choice.
///
/// The service is registered as it is without route-labels, so the app
/// routes exactly as before; it must be `Clone` (the three above are), or be
/// given as a closure written in the macro that makes it (`|| admin_scope()`:
/// a `Scope` is not `Clone`): a second one is built alone when the app is
/// built, and its resource map tells which paths are the service's. A
/// registered handler inside it keeps its own mount. Counting a request
/// costs no allocation.
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
///
/// # actix_web::rt::System::new().block_on(async {
/// let mut registry = prometheus_client::registry::Registry::default();
/// let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
/// let app = metrics.app(
///     App::new().service(
///         web::scope("/v1").service(route_labels::service!("/old", web::redirect("/old", "/new"))),
///     ),
/// );
/// let app = test::init_service(app).await;
/// test::call_service(&app, test::TestRequest::get().uri("/v1/old").to_request()).await;
///
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
/// assert!(text.contains(r#"http_route="/v1/old""#));
/// # });
/// ```
#[macro_export]
macro_rules! service {
    ($($args:tt)*) => {
        $crate::__private::__service!($crate, $($args)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __route_builder {
    ($site:literal, [$($method:literal),*]) => {{
        #[$crate::__private::linkme::distributed_slice($crate::__private::ROUTES)]
        #[linkme(crate = $crate::__private::linkme)]
        static ROUTE: $crate::RouteInfo = $crate::__private::route_info(
            ::core::option::Option::None,
            &[$($method),*],
            ::core::concat!(::core::module_path!(), "::", $site),
            ::core::file!(),
            ::core::line!(),
        );
        $crate::__private::route_builder(&ROUTE)
    }};
}

/// One macro per method: `$name!()` registers a route for `$method`, in
/// place of actix-web's `$replaces`; `$site` names the call site. Takes `$`
/// as its first token, for the macros it defines.
macro_rules! method_macros {
    ($d:tt $($name:ident $site:literal $method:literal $replaces:literal;)*) => {$(
        #[doc = ::core::concat!(
            "A registered `", $replaces, "`: a route for ", $method, " whose call site is ",
            "recorded in the inventory; see [`RouteBuilder`](crate::dev::RouteBuilder).\n\n",
            "A request it serves is counted under the full template the route is mounted ",
            "at, whichever builder mounts it (`Scope::route`, `App::route`, ",
            "`ServiceConfig::route`, `Resource::route`). Replace `", $replaces, "` with `route_labels::",
            ::core::stringify!($name), "!()`. A method other than the nine standard ones (`QUERY`) ",
            "is counted as `_OTHER` unless declared with ",
            "[`extra_methods`](crate::HttpMetricsBuilder::extra_methods).\n\n",
            "```\n",
            "use actix_web::{web, App, HttpResponse};\n\n",
            "async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }\n\n",
            "App::new().service(web::scope(\"/api\").route(\"/thing\", route_labels::",
            ::core::stringify!($name), "!().to(handler)));\n",
            "```",
        )]
        #[macro_export]
        macro_rules! $name {
            () => {
                $d crate::__route_builder!($site, [$method])
            };
        }
    )*};
}

method_macros! {$
    get "get!()" "GET" "web::get()";
    post "post!()" "POST" "web::post()";
    put "put!()" "PUT" "web::put()";
    patch "patch!()" "PATCH" "web::patch()";
    delete "delete!()" "DELETE" "web::delete()";
    head "head!()" "HEAD" "web::head()";
    options "options!()" "OPTIONS" "web::method(Method::OPTIONS)";
    trace "trace!()" "TRACE" "web::trace()";
    connect "connect!()" "CONNECT" "web::method(Method::CONNECT)";
    query "query!()" "QUERY" "web::query()";
}

/// A registered [`web::route()`](actix_web::web::route): a route for any
/// method (narrow it with [`RouteBuilder::method`](crate::dev::RouteBuilder::method) or
/// [`RouteBuilder::guard`](crate::dev::RouteBuilder::guard)) whose call site is recorded in the inventory.
/// Its methods are not known at compile time, so every method label is
/// counted for it in [`HttpMetrics::max_samples`](crate::HttpMetrics::max_samples).
///
/// ```
/// use actix_web::{web, App, HttpResponse};
///
/// async fn handler() -> HttpResponse { HttpResponse::Ok().finish() }
///
/// App::new().route("/anything", route_labels::route!().to(handler));
/// ```
#[macro_export]
macro_rules! route {
    () => {
        $crate::__route_builder!("route!()", [])
    };
}
