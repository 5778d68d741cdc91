//! The app both flood servers run, and starting and stopping a server.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::thread::{self, JoinHandle};

use actix_web::dev::{Server, ServerHandle};
use actix_web::rt::System;
use actix_web::{HttpResponse, get, post, web};

#[route_labels::register]
#[get("/users/{id}")]
async fn get_user(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok().body(format!("user {id}"))
}

#[route_labels::register]
#[post("/users")]
async fn create_user() -> HttpResponse {
    HttpResponse::Created().finish()
}

#[route_labels::register]
#[get("/items/{id}")]
async fn get_item(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok().body(format!("item {id}"))
}

#[route_labels::register]
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Not registered: route-labels counts it as `unregistered`.
async fn version() -> HttpResponse {
    HttpResponse::Ok().body(env!("CARGO_PKG_VERSION"))
}

/// The routes of both servers: `GET /users/{id}`, `POST /users`,
/// `GET /health` and `GET /api/v1/items/{id}` (registered), and
/// `GET /version` (not registered).
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(get_user)
        .service(create_user)
        .service(health)
        .service(web::scope("/api/v1").service(get_item))
        .route("/version", web::get().to(version));
}

/// An actix-web server on a loopback port, running on a thread of its own.
/// Dropping it stops it.
pub(crate) struct Running {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Runs `server`, which listens on `addr`, on a thread of its own.
    ///
    /// The listener is bound before this is called, so clients can connect
    /// at once: connections wait in the backlog until the server accepts them.
    pub(crate) fn start(name: &str, addr: SocketAddr, server: Server) -> io::Result<Self> {
        let handle = server.handle();
        let thread = thread::Builder::new()
            .name(format!("{name} server"))
            .spawn(move || System::new().block_on(server))?;
        Ok(Self {
            addr,
            handle,
            thread: Some(thread),
        })
    }

    /// Where the server listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server gracefully and waits for its thread.
    pub(crate) fn stop(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        System::new().block_on(self.handle.stop(true));
        thread
            .join()
            .map_err(|_| io::Error::other(format!("the server at {} panicked", self.addr)))?
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Only reached unstopped when the flood failed; that error wins.
        let _ = self.stop_and_join();
    }
}
