//! A session middleware in the shape of actix-session's: after the inner
//! service has produced the response it writes the session to a store (here
//! simulated: it yields to the executor, as real I/O would, so other requests
//! on the worker run in between), then sets the cookie.

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;
use actix_web::{Error, rt};

/// The session cookie's name.
pub const COOKIE: &str = "session";

/// For `middleware::from_fn`.
pub async fn session(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let id = store_session().await;
    let cookie = format!("{COOKIE}={id:016x}; Path=/; HttpOnly; SameSite=Lax");
    let cookie = HeaderValue::from_str(&cookie).expect("hex digits are a valid header value");
    res.headers_mut().insert(SET_COOKIE, cookie);
    Ok(res)
}

/// The simulated store write; returns the session id.
async fn store_session() -> u64 {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    rt::task::yield_now().await;
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}
