//! Acceptance: a large real service's route tree, converted to route-labels
//! one token per route, counts every request under the route it targeted.
//!
//! The layout copies Lemmy's API (`crates/routes`, `src/api_routes_v3.rs`):
//! an `/api/v3` scope behind a rate limiter, with a few routes of its own
//! and about thirty nested scopes (`/site`, `/community`, `/post`,
//! `/comment`, `/private_message`, `/user`, `/account`, `/admin`,
//! `/custom_emoji`, `/federated_instances`, `/image`, ...), some nested two
//! deep, several with scope-root routes (`""`) under GET, POST and PUT at
//! once; `/admin` behind an auth check, `/image` behind a rate limiter of
//! its own; and beside the API the feeds, the sitemap and nodeinfo, as
//! Lemmy's `main` configures them. The app is wrapped in `Logger`,
//! `Compress` and a pass-through session middleware, as Lemmy's is.
//!
//! Every route gets traffic (a few requests each, counts varying per route):
//! successes, handler errors (`400`, as Lemmy's API errors are), requests
//! refused by the rate limiters (`429`) and by the auth check (`401`), wrong
//! methods on registered paths (`404`, `unmatched`) and paths no route
//! matches. What was sent is kept in a map and must equal the scrape, series
//! for series.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{self, Next, from_fn};
use actix_web::test;
use actix_web::{App, HttpRequest, HttpResponse, delete, get, post, put, web};
use prometheus_client::registry::Registry;

/// A request to a path no route matches: method, path, headers, status.
type Stray = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    u16,
);

/// One registered route, as declared by the table that generated it.
#[derive(Debug)]
struct Endpoint {
    /// The actix-web attribute: `get`, `post`, `put`, `delete`.
    verb: &'static str,
    /// The scope prefixes joined with the handler's path.
    template: &'static str,
    /// The `handler` label of its route info: module path and fn name.
    handler: &'static str,
    /// What the handler answers when the request does not ask it to fail.
    status: u16,
}

impl Endpoint {
    fn method(&self) -> String {
        self.verb.to_ascii_uppercase()
    }
}

/// What a handler answers: its status, or `400` with an error body when
/// the query asks it to fail (Lemmy answers its API errors with `400`).
fn answer(req: &HttpRequest, status: u16) -> HttpResponse {
    if req.query_string().contains("fail=1") {
        return HttpResponse::BadRequest().body(r#"{"error":"couldnt_find_object"}"#);
    }
    HttpResponse::build(StatusCode::from_u16(status).expect("a status")).body("{}")
}

macro_rules! or_ok {
    () => {
        200
    };
    ($status:literal) => {
        $status
    };
}

/// Each line `verb "path" name [=> status];` becomes its own handler,
/// `#[route_labels::register]` above its actix-web attribute, and an entry
/// of the table `$table`, whose templates are `$prefix` joined with the
/// path. The prefix is only the table's: the app below mounts the handlers
/// in its scopes by hand, and the test checks the two agree.
macro_rules! routes {
    ($table:ident = $prefix:literal {
        $($verb:ident $path:tt $name:ident $(=> $status:literal)?;)*
    }) => {
        $(
            #[route_labels::register]
            #[$verb($path)]
            async fn $name(req: HttpRequest) -> HttpResponse {
                answer(&req, or_ok!($($status)?))
            }
        )*

        const $table: &[Endpoint] = &[$(
            Endpoint {
                verb: stringify!($verb),
                template: concat!($prefix, $path),
                handler: concat!(module_path!(), "::", stringify!($name)),
                status: or_ok!($($status)?),
            },
        )*];
    };
}

// ---------------------------------------------------------------- /api/v3

routes! { API = "/api/v3" {
    get "/modlog" get_mod_log;
    get "/search" search;
    get "/resolve_object" resolve_object;
    get "/image_proxy" image_proxy;
}}

routes! { SITE = "/api/v3/site" {
    get "" get_site;
    post "" create_site => 201;
    put "" update_site;
    post "/block" block_instance;
    post "/icon" upload_site_icon;
    delete "/icon" delete_site_icon;
    post "/banner" upload_site_banner;
    delete "/banner" delete_site_banner;
}}

routes! { COMMUNITY = "/api/v3/community" {
    post "" create_community => 201;
    get "" get_community;
    put "" update_community;
    put "/hide" hide_community;
    get "/list" list_communities;
    post "/follow" follow_community;
    post "/block" block_community;
    post "/delete" delete_community;
    post "/remove" remove_community;
    post "/transfer" transfer_community;
    post "/ban_user" ban_from_community;
    post "/mod" add_mod_to_community;
    post "/icon" upload_community_icon;
    delete "/icon" delete_community_icon;
    post "/banner" upload_community_banner;
    delete "/banner" delete_community_banner;
}}

routes! { COMMUNITY_PENDING = "/api/v3/community/pending_follows" {
    get "/list" list_pending_follows;
    post "/approve" approve_pending_follow;
    get "/count" count_pending_follows;
}}

routes! { COMMUNITY_TAG = "/api/v3/community/tag" {
    post "" create_community_tag => 201;
    put "" update_community_tag;
    delete "" delete_community_tag => 204;
}}

routes! { FEDERATED_INSTANCES = "/api/v3/federated_instances" {
    get "" get_federated_instances;
}}

routes! { POST = "/api/v3/post" {
    post "" create_post => 201;
    get "" get_post;
    put "" update_post;
    post "/delete" delete_post;
    post "/remove" remove_post;
    post "/mark_as_read" mark_post_as_read;
    post "/hide" hide_post;
    post "/lock" lock_post;
    post "/feature" feature_post;
    get "/list" list_posts;
    put "/save" save_post;
    get "/site_metadata" get_link_metadata;
}}

routes! { POST_LIKE = "/api/v3/post/like" {
    post "" like_post;
    get "/list" list_post_likes;
}}

routes! { POST_REPORT = "/api/v3/post/report" {
    post "" create_post_report => 201;
    put "/resolve" resolve_post_report;
    get "/list" list_post_reports;
}}

routes! { COMMENT = "/api/v3/comment" {
    post "" create_comment => 201;
    get "" get_comment;
    put "" update_comment;
    post "/delete" delete_comment;
    post "/remove" remove_comment;
    post "/mark_as_read" mark_reply_as_read;
    post "/distinguish" distinguish_comment;
    put "/save" save_comment;
    get "/list" list_comments;
}}

routes! { COMMENT_LIKE = "/api/v3/comment/like" {
    post "" like_comment;
    get "/list" list_comment_likes;
}}

routes! { COMMENT_REPORT = "/api/v3/comment/report" {
    post "" create_comment_report => 201;
    put "/resolve" resolve_comment_report;
    get "/list" list_comment_reports;
}}

routes! { PRIVATE_MESSAGE = "/api/v3/private_message" {
    get "/list" get_private_messages;
    post "" create_private_message => 201;
    put "" update_private_message;
    post "/delete" delete_private_message;
    post "/mark_as_read" mark_pm_as_read;
}}

routes! { PRIVATE_MESSAGE_REPORT = "/api/v3/private_message/report" {
    post "" create_pm_report => 201;
    put "/resolve" resolve_pm_report;
    get "/list" list_pm_reports;
}}

routes! { USER = "/api/v3/user" {
    post "/register" register => 201;
    post "/login" login;
    post "/password_reset" reset_password;
    get "/get_captcha" get_captcha;
    get "/export_settings" export_settings;
    post "/import_settings" import_settings;
    get "" read_person;
    get "/mention" list_mentions;
    post "/mention/mark_as_read" mark_person_mention_as_read;
    get "/replies" list_replies;
    post "/ban" ban_from_site;
    get "/banned" list_banned_users;
    post "/block" block_person;
    post "/logout" logout;
    post "/delete_account" delete_account;
    post "/password_change" change_password_after_reset;
    post "/mark_all_as_read" mark_all_notifications_read;
    put "/save_user_settings" save_user_settings;
    put "/change_password" change_password;
    get "/report_count" report_count;
    get "/unread_count" unread_count;
    post "/verify_email" verify_email;
    post "/leave_admin" leave_admin;
    get "/list_logins" list_logins;
    get "/validate_auth" validate_auth;
    post "/avatar" upload_user_avatar;
    delete "/avatar" delete_user_avatar;
}}

routes! { USER_TOTP = "/api/v3/user/totp" {
    post "/generate" generate_totp_secret;
    post "/update" update_totp;
}}

routes! { ACCOUNT = "/api/v3/account" {
    get "/list_media" list_media;
    get "/saved" list_saved;
    get "/hidden" list_hidden;
    get "/read" list_read;
    get "/liked" list_liked;
}}

routes! { ACCOUNT_BLOCK = "/api/v3/account/block" {
    post "/person" account_block_person;
    post "/community" account_block_community;
    post "/instance" account_block_instance;
}}

routes! { ADMIN = "/api/v3/admin" {
    post "/add" add_admin;
    get "/list_all_media" list_all_media;
    get "/users" list_users;
}}

routes! { ADMIN_REGISTRATION = "/api/v3/admin/registration_application" {
    get "" get_registration_application;
    get "/count" get_unread_registration_application_count;
    get "/list" list_registration_applications;
    put "/approve" approve_registration_application;
}}

routes! { ADMIN_PURGE = "/api/v3/admin/purge" {
    post "/person" purge_person;
    post "/community" purge_community;
    post "/post" purge_post;
    post "/comment" purge_comment;
}}

routes! { ADMIN_TAGLINE = "/api/v3/admin/tagline" {
    post "" create_tagline => 201;
    put "" update_tagline;
    post "/delete" delete_tagline;
    get "/list" list_taglines;
}}

routes! { ADMIN_INSTANCE = "/api/v3/admin/instance" {
    post "/block" admin_block_instance;
    post "/allow" admin_allow_instance;
}}

routes! { CUSTOM_EMOJI = "/api/v3/custom_emoji" {
    post "" create_custom_emoji => 201;
    put "" update_custom_emoji;
    post "/delete" delete_custom_emoji;
    get "/list" list_custom_emojis;
}}

// `/health` and `/proxy` before `/{filename}`: actix-web routes in order.
routes! { IMAGE = "/api/v3/image" {
    post "" upload_image => 201;
    delete "" delete_image => 204;
    get "/proxy" proxy_image;
    get "/health" pictrs_health;
    get "/delete/{token}/{filename}" delete_image_by_token;
    get "/{filename}" get_full_res_image;
}}

routes! { OAUTH_PROVIDER = "/api/v3/oauth_provider" {
    post "" create_oauth_provider => 201;
    put "" update_oauth_provider;
    post "/delete" delete_oauth_provider;
}}

routes! { OAUTH = "/api/v3/oauth" {
    post "/authenticate" authenticate_with_oauth;
}}

routes! { MULTI_COMMUNITY = "/api/v3/multi_community" {
    post "" create_multi_community => 201;
    put "" update_multi_community;
    get "" get_multi_community;
    get "/list" list_multi_communities;
    post "/follow" follow_multi_community;
}}

routes! { MULTI_COMMUNITY_ENTRY = "/api/v3/multi_community/entry" {
    post "" create_multi_community_entry => 201;
    delete "" delete_multi_community_entry;
}}

routes! { PERSON = "/api/v3/person" {
    get "" get_person_details;
    get "/content" list_person_content;
    post "/note" note_person;
}}

routes! { REPORT = "/api/v3/report" {
    get "/list" list_reports;
}}

// ------------------------------------------------------- beside the API

routes! { SITEMAP = "/sitemap.xml" {
    get "" get_sitemap;
}}

routes! { FEEDS = "/feeds" {
    get "/{type}.xml" get_all_feed;
    get "/u/{user_name}.xml" get_user_feed;
    get "/c/{community_name}.xml" get_community_feed;
    get "/front/{jwt}.xml" get_front_feed;
    get "/modlog/{jwt}.xml" get_modlog_feed;
    get "/inbox/{jwt}.xml" get_inbox_feed;
}}

routes! { NODEINFO = "/nodeinfo" {
    get "/2.1" node_info;
}}

routes! { WELL_KNOWN = "/.well-known" {
    get "/nodeinfo" node_info_well_known;
    get "/webfinger" get_webfinger;
}}

/// Every table, in the order the app mounts them.
const TABLES: &[&[Endpoint]] = &[
    API,
    SITE,
    COMMUNITY,
    COMMUNITY_PENDING,
    COMMUNITY_TAG,
    FEDERATED_INSTANCES,
    POST,
    POST_LIKE,
    POST_REPORT,
    COMMENT,
    COMMENT_LIKE,
    COMMENT_REPORT,
    PRIVATE_MESSAGE,
    PRIVATE_MESSAGE_REPORT,
    USER,
    USER_TOTP,
    ACCOUNT,
    ACCOUNT_BLOCK,
    ADMIN,
    ADMIN_REGISTRATION,
    ADMIN_PURGE,
    ADMIN_TAGLINE,
    ADMIN_INSTANCE,
    CUSTOM_EMOJI,
    IMAGE,
    OAUTH_PROVIDER,
    OAUTH,
    MULTI_COMMUNITY,
    MULTI_COMMUNITY_ENTRY,
    PERSON,
    REPORT,
    SITEMAP,
    FEEDS,
    NODEINFO,
    WELL_KNOWN,
];

fn endpoints() -> Vec<&'static Endpoint> {
    TABLES.iter().flat_map(|table| table.iter()).collect()
}

// ------------------------------------------------------------ middleware

type Answer = Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error>;

/// The API's rate limiter: `429` to a request marked `x-throttle`, without
/// calling the inner service.
async fn rate_limit(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    if req.headers().contains_key("x-throttle") {
        return Ok(req.into_response(HttpResponse::TooManyRequests().finish()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The image bucket's rate limiter (Lemmy's `rate_limit.image()`): `429`
/// to a request marked `x-throttle-image`. Inside the API's limiter, so a
/// request marked `x-throttle` never reaches it.
async fn image_rate_limit(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    if req.headers().contains_key("x-throttle-image") {
        return Ok(req.into_response(HttpResponse::TooManyRequests().finish()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The admin scope's check: `401` to a request without `authorization`.
async fn require_auth(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    if !req.headers().contains_key("authorization") {
        return Ok(req.into_response(HttpResponse::Unauthorized().finish()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A session middleware around the whole app: it reads the request's
/// cookie and passes everything on.
async fn session(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Answer {
    let _jwt = req.headers().get("cookie");
    Ok(next.call(req).await?.map_into_boxed_body())
}

// ------------------------------------------------------------ the app

/// As `api_routes_v3::config` is written, with registered handlers.
fn api_routes_v3(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v3")
            .wrap(from_fn(rate_limit))
            .service(get_mod_log)
            .service(search)
            .service(resolve_object)
            .service(image_proxy)
            // Site
            .service(
                web::scope("/site")
                    .service(get_site)
                    .service(create_site)
                    .service(update_site)
                    .service(block_instance)
                    .service(upload_site_icon)
                    .service(delete_site_icon)
                    .service(upload_site_banner)
                    .service(delete_site_banner),
            )
            // Community
            .service(
                web::scope("/community")
                    .service(create_community)
                    .service(get_community)
                    .service(update_community)
                    .service(hide_community)
                    .service(list_communities)
                    .service(follow_community)
                    .service(block_community)
                    .service(delete_community)
                    // Mod actions
                    .service(remove_community)
                    .service(transfer_community)
                    .service(ban_from_community)
                    .service(add_mod_to_community)
                    .service(upload_community_icon)
                    .service(delete_community_icon)
                    .service(upload_community_banner)
                    .service(delete_community_banner)
                    .service(
                        web::scope("/pending_follows")
                            .service(list_pending_follows)
                            .service(approve_pending_follow)
                            .service(count_pending_follows),
                    )
                    .service(
                        web::scope("/tag")
                            .service(create_community_tag)
                            .service(update_community_tag)
                            .service(delete_community_tag),
                    ),
            )
            .service(web::scope("/federated_instances").service(get_federated_instances))
            // Post
            .service(
                web::scope("/post")
                    .service(create_post)
                    .service(get_post)
                    .service(update_post)
                    .service(delete_post)
                    .service(remove_post)
                    .service(mark_post_as_read)
                    .service(hide_post)
                    .service(lock_post)
                    .service(feature_post)
                    .service(list_posts)
                    .service(
                        web::scope("/like")
                            .service(like_post)
                            .service(list_post_likes),
                    )
                    .service(save_post)
                    .service(
                        web::scope("/report")
                            .service(create_post_report)
                            .service(resolve_post_report)
                            .service(list_post_reports),
                    )
                    .service(get_link_metadata),
            )
            // Comment
            .service(
                web::scope("/comment")
                    .service(create_comment)
                    .service(get_comment)
                    .service(update_comment)
                    .service(delete_comment)
                    .service(remove_comment)
                    .service(mark_reply_as_read)
                    .service(distinguish_comment)
                    .service(
                        web::scope("/like")
                            .service(like_comment)
                            .service(list_comment_likes),
                    )
                    .service(save_comment)
                    .service(list_comments)
                    .service(
                        web::scope("/report")
                            .service(create_comment_report)
                            .service(resolve_comment_report)
                            .service(list_comment_reports),
                    ),
            )
            // Private Message
            .service(
                web::scope("/private_message")
                    .service(get_private_messages)
                    .service(create_private_message)
                    .service(update_private_message)
                    .service(delete_private_message)
                    .service(mark_pm_as_read)
                    .service(
                        web::scope("/report")
                            .service(create_pm_report)
                            .service(resolve_pm_report)
                            .service(list_pm_reports),
                    ),
            )
            // User
            .service(
                web::scope("/user")
                    .service(register)
                    .service(login)
                    .service(reset_password)
                    .service(get_captcha)
                    .service(export_settings)
                    .service(import_settings)
                    .service(read_person)
                    .service(list_mentions)
                    .service(mark_person_mention_as_read)
                    .service(list_replies)
                    // Admin action. I don't like that it's in /user
                    .service(ban_from_site)
                    .service(list_banned_users)
                    .service(block_person)
                    // Account actions. I don't like that they're in /user
                    .service(logout)
                    .service(delete_account)
                    .service(change_password_after_reset)
                    .service(mark_all_notifications_read)
                    .service(save_user_settings)
                    .service(change_password)
                    .service(report_count)
                    .service(unread_count)
                    .service(verify_email)
                    .service(leave_admin)
                    .service(
                        web::scope("/totp")
                            .service(generate_totp_secret)
                            .service(update_totp),
                    )
                    .service(list_logins)
                    .service(validate_auth)
                    .service(upload_user_avatar)
                    .service(delete_user_avatar),
            )
            .service(
                web::scope("/account")
                    .service(list_media)
                    .service(list_saved)
                    .service(list_hidden)
                    .service(list_read)
                    .service(list_liked)
                    .service(
                        web::scope("/block")
                            .service(account_block_person)
                            .service(account_block_community)
                            .service(account_block_instance),
                    ),
            )
            // Admin Actions
            .service(
                web::scope("/admin")
                    .wrap(from_fn(require_auth))
                    .service(add_admin)
                    .service(
                        web::scope("/registration_application")
                            .service(get_registration_application)
                            .service(get_unread_registration_application_count)
                            .service(list_registration_applications)
                            .service(approve_registration_application),
                    )
                    .service(list_all_media)
                    .service(list_users)
                    .service(
                        web::scope("/purge")
                            .service(purge_person)
                            .service(purge_community)
                            .service(purge_post)
                            .service(purge_comment),
                    )
                    .service(
                        web::scope("/tagline")
                            .service(create_tagline)
                            .service(update_tagline)
                            .service(delete_tagline)
                            .service(list_taglines),
                    )
                    .service(
                        web::scope("/instance")
                            .service(admin_block_instance)
                            .service(admin_allow_instance),
                    ),
            )
            .service(
                web::scope("/custom_emoji")
                    .service(create_custom_emoji)
                    .service(update_custom_emoji)
                    .service(delete_custom_emoji)
                    .service(list_custom_emojis),
            )
            .service(
                web::scope("/image")
                    .wrap(from_fn(image_rate_limit))
                    .service(upload_image)
                    .service(delete_image)
                    .service(proxy_image)
                    .service(pictrs_health)
                    .service(delete_image_by_token)
                    .service(get_full_res_image),
            )
            .service(
                web::scope("/oauth_provider")
                    .service(create_oauth_provider)
                    .service(update_oauth_provider)
                    .service(delete_oauth_provider),
            )
            .service(web::scope("/oauth").service(authenticate_with_oauth))
            .service(
                web::scope("/multi_community")
                    .service(create_multi_community)
                    .service(update_multi_community)
                    .service(get_multi_community)
                    .service(list_multi_communities)
                    .service(follow_multi_community)
                    .service(
                        web::scope("/entry")
                            .service(create_multi_community_entry)
                            .service(delete_multi_community_entry),
                    ),
            )
            .service(
                web::scope("/person")
                    .service(get_person_details)
                    .service(list_person_content)
                    .service(note_person),
            )
            .service(web::scope("/report").service(list_reports)),
    );
    cfg.service(web::scope("/sitemap.xml").service(get_sitemap));
}

/// As `feeds::config` is written.
fn feeds(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/feeds")
            .service(get_all_feed)
            .service(get_user_feed)
            .service(get_community_feed)
            .service(get_front_feed)
            .service(get_modlog_feed)
            .service(get_inbox_feed),
    );
}

/// As `nodeinfo::config` and the webfinger's are written.
fn nodeinfo(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/nodeinfo").service(node_info))
        .service(
            web::scope("/.well-known")
                .service(node_info_well_known)
                .service(get_webfinger),
        );
}

// ------------------------------------------------------------ traffic

type Expected = BTreeMap<(String, String, String), u64>;

const UNMATCHED: &str = "unmatched";
const AUTH: (&str, &str) = ("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x");
const THROTTLE: (&str, &str) = ("x-throttle", "1");
const THROTTLE_IMAGE: (&str, &str) = ("x-throttle-image", "1");

/// Sends one request, checks its status, reads its body to the end, and
/// records it as expected under `route`.
async fn send<S, B>(
    app: &S,
    expected: &mut Expected,
    (method, uri): (&str, &str),
    headers: &[(&str, &str)],
    (status, route): (u16, &str),
) where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = test::TestRequest::default()
        .method(Method::from_bytes(method.as_bytes()).expect("a method token"))
        .uri(uri)
        .insert_header(("user-agent", "lemmy-ui/0.19"));
    for &header in headers {
        req = req.insert_header(header);
    }
    if method == "POST" || method == "PUT" {
        req = req
            .insert_header(("content-type", "application/json"))
            .set_payload(r#"{"id":7,"reason":"spam"}"#);
    }
    let res = test::call_service(app, req.to_request()).await;
    assert_eq!(
        res.status().as_u16(),
        status,
        "{method} {uri} with {headers:?}"
    );
    let _ = test::read_body(res).await;
    *expected
        .entry((method.to_owned(), route.to_owned(), status.to_string()))
        .or_default() += 1;
}

/// A path the template matches: every `{param}` becomes `7`.
fn uri_for(template: &str) -> String {
    let mut uri = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_param = true;
                uri.push('7');
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => uri.push(c),
        }
    }
    uri
}

fn in_api(template: &str) -> bool {
    template == "/api/v3" || template.starts_with("/api/v3/")
}

fn in_scope(template: &str, scope: &str) -> bool {
    template == scope
        || template
            .strip_prefix(scope)
            .is_some_and(|r| r.starts_with('/'))
}

fn route_info(samples: &[common::Sample]) -> Vec<&common::Sample> {
    samples
        .iter()
        .filter(|s| s.name == "http_server_route_info")
        .collect()
}

fn exposition(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

#[actix_web::test]
async fn lemmy_api_counts_every_request_under_the_route_it_targeted() {
    let endpoints = endpoints();
    let templates: BTreeSet<&str> = endpoints.iter().map(|e| e.template).collect();
    let mut methods_of: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for e in &endpoints {
        assert!(
            methods_of.entry(e.template).or_default().insert(e.method()),
            "{} {} is declared twice",
            e.method(),
            e.template
        );
    }
    assert!(
        (150..=220).contains(&endpoints.len()),
        "{} routes",
        endpoints.len()
    );

    let mut registry = Registry::default();
    let metrics = route_labels::HttpMetrics::new(&mut registry).unwrap();
    let app = App::new()
        .wrap(middleware::Logger::default())
        .wrap(middleware::Compress::default())
        .wrap(from_fn(session))
        .configure(api_routes_v3)
        .configure(feeds)
        .configure(nodeinfo);
    let app = test::init_service(metrics.app(app)).await;

    // Built, before any request: the route info lists every mount under its
    // full template, and the bound is known.
    let bound = metrics.max_samples();
    let before = common::samples(&exposition(&registry));
    let info = route_info(&before);
    let listed: BTreeSet<&str> = info
        .iter()
        .map(|s| match s.labels.get("http_route") {
            Some(route) => route.as_str(),
            None => panic!("a mount is not resolved before any request: {:?}", s.labels),
        })
        .collect();
    assert_eq!(listed, templates, "the route info's full templates");
    let mounts: BTreeSet<(String, String, String)> = info
        .iter()
        .map(|s| {
            (
                s.labels["http_route"].clone(),
                s.labels["handler"].clone(),
                s.labels["http_request_methods"].clone(),
            )
        })
        .collect();
    let declared: BTreeSet<(String, String, String)> = endpoints
        .iter()
        .map(|e| (e.template.to_owned(), e.handler.to_owned(), e.method()))
        .collect();
    assert_eq!(mounts, declared, "one route info series per mount");
    assert_eq!(info.len(), endpoints.len());
    assert_eq!(
        common::total(&before),
        0.0,
        "nothing is counted before any request"
    );

    let mut expected = Expected::new();
    let mut requests = 0_usize;
    for (i, e) in endpoints.iter().enumerate() {
        let method = e.method();
        let method = method.as_str();
        let path = uri_for(e.template);
        let admin = in_scope(e.template, "/api/v3/admin");
        let image = in_scope(e.template, "/api/v3/image");
        let api = in_api(e.template);
        let auth: &[(&'static str, &'static str)] = if admin { &[AUTH] } else { &[] };
        let with = |extra: (&'static str, &'static str)| -> Vec<(&'static str, &'static str)> {
            auth.iter().copied().chain([extra]).collect()
        };

        // Served: 1 to 4 requests, every other one with a query string.
        for k in 0..1 + (i * 7) % 4 {
            let uri = if k % 2 == 1 {
                format!("{path}?id={i}&sort=Hot&page={k}&limit=20")
            } else {
                path.clone()
            };
            send(
                &app,
                &mut expected,
                (method, &uri),
                auth,
                (e.status, e.template),
            )
            .await;
            requests += 1;
        }
        // The handler's own error.
        if i % 3 == 0 {
            let uri = format!("{path}?id=0&fail=1");
            send(&app, &mut expected, (method, &uri), auth, (400, e.template)).await;
            requests += 1;
        }
        // The API's rate limiter; beside the API nothing limits.
        if i % 4 == 1 || e.template == "/api/v3/admin/purge/post" {
            let status = if api { 429 } else { e.status };
            for _ in 0..1 + i % 2 {
                let headers = with(THROTTLE);
                send(
                    &app,
                    &mut expected,
                    (method, &path),
                    &headers,
                    (status, e.template),
                )
                .await;
                requests += 1;
            }
        }
        // The image bucket: only the image scope's limiter reads it.
        if image || i % 7 == 2 {
            let status = if image { 429 } else { e.status };
            for _ in 0..1 + i % 2 {
                let headers = with(THROTTLE_IMAGE);
                send(
                    &app,
                    &mut expected,
                    (method, &path),
                    &headers,
                    (status, e.template),
                )
                .await;
                requests += 1;
            }
        }
        if admin {
            // Refused by the auth check, and, throttled, by the limiter
            // outside it first.
            for _ in 0..1 + i % 3 {
                send(&app, &mut expected, (method, &path), &[], (401, e.template)).await;
                requests += 1;
            }
            if i % 2 == 0 {
                let headers = [THROTTLE];
                send(
                    &app,
                    &mut expected,
                    (method, &path),
                    &headers,
                    (429, e.template),
                )
                .await;
                requests += 1;
            }
        }
        // A method the path is not registered with: actix-web's 404.
        if i % 6 == 0 {
            let wrong = ["DELETE", "PUT", "POST", "GET", "PATCH"]
                .into_iter()
                .cycle()
                .skip(i % 5)
                .find(|m| !methods_of[e.template].contains(*m))
                .expect("a method the template lacks");
            send(&app, &mut expected, (wrong, &path), auth, (404, UNMATCHED)).await;
            requests += 1;
        }
        // `HEAD` is not `GET` to actix-web's method guards.
        if i % 10 == 5 && method == "GET" && !methods_of[e.template].contains("HEAD") {
            send(&app, &mut expected, ("HEAD", &path), auth, (404, UNMATCHED)).await;
            requests += 1;
        }
    }

    // Paths no route matches, and refusals of requests that target no route.
    let strays: &[Stray] = &[
        ("GET", "/api/v3/nope", &[], 404),
        ("GET", "/api/v3/nope", &[], 404),
        ("POST", "/api/v3/nope?id=1", &[], 404),
        ("GET", "/api/v3/nope", &[THROTTLE], 429),
        ("GET", "/wp-login.php", &[], 404),
        ("GET", "/wp-login.php", &[], 404),
        ("POST", "/wp-login.php", &[], 404),
        ("GET", "/api/v4/post/list", &[], 404),
        ("GET", "/api/v3/post/list/extra", &[], 404),
        ("GET", "/api/v3/user/totp", &[], 404),
        ("GET", "/api/v3/admin/nope", &[], 401),
        ("GET", "/api/v3/admin/nope", &[AUTH], 404),
        ("GET", "/api/v3/image/a/b/c", &[], 404),
        ("GET", "/api/v3/image/a/b/c", &[THROTTLE_IMAGE], 429),
        ("DELETE", "/api/v3/post/list", &[THROTTLE], 429),
        ("PUT", "/api/v3/admin/users", &[], 401),
        ("PUT", "/api/v3/admin/users", &[AUTH], 404),
    ];
    for &(method, uri, headers, status) in strays {
        send(
            &app,
            &mut expected,
            (method, uri),
            headers,
            (status, UNMATCHED),
        )
        .await;
        requests += 1;
    }

    let text = exposition(&registry);
    let samples = common::samples(&text);
    let got = common::counts(&samples);
    let want: BTreeMap<(String, String, String), f64> = expected
        .iter()
        .map(|(key, &n)| (key.clone(), n as f64))
        .collect();
    let missing: Vec<_> = want
        .iter()
        .filter(|(key, n)| got.get(*key) != Some(n))
        .map(|(key, n)| (key, *n, got.get(key).copied().unwrap_or(0.0)))
        .collect();
    let extra: Vec<_> = got
        .iter()
        .filter(|(key, _)| !want.contains_key(*key))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "miscounted (key, sent, scraped): {missing:#?}\nscraped, never sent: {extra:#?}"
    );
    assert_eq!(got, want);
    assert_eq!(common::total(&samples), requests as f64);
    assert!(
        samples
            .iter()
            .all(|s| s.labels.get("http_route").map(String::as_str) != Some("unregistered")),
        "every route here is registered"
    );
    common::assert_histograms_consistent(&samples);

    // The route info did not change, and the bound held and did not move.
    let after: BTreeSet<&str> = route_info(&samples)
        .iter()
        .filter_map(|s| s.labels.get("http_route").map(String::as_str))
        .collect();
    assert_eq!(after, templates);
    assert_eq!(route_info(&samples).len(), endpoints.len());
    let lines = text
        .lines()
        .filter(|line| line.starts_with("http_server_"))
        .count() as u64;
    assert!(lines <= bound, "{lines} samples, bound {bound}");
    assert_eq!(
        metrics.max_samples(),
        bound,
        "the bound is final once built"
    );
}
