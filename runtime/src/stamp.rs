//! The per-mount stamp that `#[register]` installs with actix-web's `wrap`.
//!
//! actix-web builds one stamp service per resource per worker. On its first
//! request the stamp resolves the mount's full template (scope prefixes
//! included) with `match_pattern()` and interns it in the process-wide mount
//! table, which gives the mount a small integer id. From then on, every
//! request through the stamp *claims* that id: it writes `(request, id)` into
//! a thread-local cell that the app-level [`HttpMetrics`](crate::HttpMetrics)
//! service reads back. actix-web runs a worker's requests on one thread, so
//! the cell needs no lock, and the claim costs two plain stores.
//!
//! A request is identified by the address of its `RequestHead`, which is
//! stable while the request lives (it sits behind an `Rc`). The stamp claims
//! once when it is called and once when its response is ready: the first is
//! read when every middleware between `HttpMetrics` and the router calls its
//! inner service synchronously (actix-web's own do), the second when one
//! defers the call into its future.

use std::cell::{Cell, RefCell};
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};

use crate::inventory::RouteInfo;

/// A mount: a registered route at the full template it was mounted under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mount {
    pub(crate) route: &'static RouteInfo,
    pub(crate) template: &'static str,
}

/// Every mount any stamp in the process has resolved; an id is an index.
/// Locked only on a stamp's first request and at scrape time.
static MOUNTS: Mutex<Vec<Mount>> = Mutex::new(Vec::new());

/// Locks one of this module's tables. They are only ever appended to or
/// raised, each in one step, so a panic elsewhere cannot leave one
/// half-written: a poisoned lock still guards a consistent table.
fn lock<T>(table: &'static Mutex<T>) -> MutexGuard<'static, T> {
    table
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn mounts() -> MutexGuard<'static, Vec<Mount>> {
    lock(&MOUNTS)
}

/// The id of `route` mounted under `template`, interned on first use. The
/// same handler mounted under two scopes gets two ids; every worker's stamp of
/// one mount gets the same id.
pub(crate) fn intern(route: &'static RouteInfo, template: &str) -> u32 {
    let mut table = mounts();
    if let Some(id) = table
        .iter()
        .position(|m| std::ptr::eq(m.route, route) && m.template == template)
    {
        return id as u32;
    }
    // Leaked once per distinct mount: the set is fixed by the program's
    // `.service(..)` calls, not by requests.
    let template: &'static str = Box::leak(template.into());
    table.push(Mount { route, template });
    u32::try_from(table.len() - 1).expect("fewer than 2^32 mounts")
}

/// The mount with id `id`, which [`intern`] returned.
pub(crate) fn mount(id: u32) -> Mount {
    mounts()[id as usize]
}

/// A copy of the mount table, for a scrape.
pub(crate) fn all_mounts() -> Vec<Mount> {
    mounts().clone()
}

/// The most stamps any one thread has built for each route, by inventory
/// index. actix-web builds the app once per worker thread, so this is the
/// number of places a route is mounted, known as soon as the server has
/// started, before any request. A thread that builds several apps (tests)
/// only makes it larger, which keeps it an upper bound.
static MOST_BUILT: Mutex<Vec<u32>> = Mutex::new(Vec::new());

thread_local! {
    /// Stamps built on this thread, by inventory index.
    static BUILT: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

fn note_built(route: &'static RouteInfo) {
    let index = crate::inventory::index_of(route);
    let built = BUILT.with(|built| {
        let mut built = built.borrow_mut();
        if built.len() <= index {
            built.resize(index + 1, 0);
        }
        built[index] += 1;
        built[index]
    });
    let mut most = lock(&MOST_BUILT);
    if most.len() <= index {
        most.resize(index + 1, 0);
    }
    most[index] = most[index].max(built);
}

/// How many times `route` is mounted, as far as this process has seen: the
/// most stamps one thread built for it, or the mounts its requests resolved.
pub(crate) fn times_mounted(route: &'static RouteInfo, mounts: &[Mount]) -> usize {
    let built = lock(&MOST_BUILT)
        .get(crate::inventory::index_of(route))
        .copied()
        .unwrap_or(0) as usize;
    let resolved = mounts
        .iter()
        .filter(|m| std::ptr::eq(m.route, route))
        .count();
    built.max(resolved)
}

/// Identifies a request while it lives: the address of its head.
#[inline]
pub(crate) fn request_key(req: &actix_web::HttpRequest) -> usize {
    std::ptr::from_ref(req.head()) as usize
}

thread_local! {
    /// The last claim made on this thread: `(request key, mount id)`.
    static CLAIM: Cell<(usize, u32)> = const { Cell::new((0, 0)) };
}

#[inline]
fn claim(key: usize, mount: u32) {
    CLAIM.with(|c| c.set((key, mount)));
}

/// The mount that claimed the request `key`, if the last claim was its.
#[inline]
pub(crate) fn claimed(key: usize) -> Option<u32> {
    let (claimant, mount) = CLAIM.with(Cell::get);
    (claimant == key).then_some(mount)
}

/// Forgets a claim left by an earlier request whose head had the same address
/// (actix-web pools request heads).
#[inline]
pub(crate) fn forget(key: usize) {
    CLAIM.with(|c| {
        if c.get().0 == key {
            c.set((0, 0));
        }
    });
}

/// Not public API: `#[register]` passes it to actix-web's `wrap`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    route: &'static RouteInfo,
}

impl Stamp {
    /// Not public API: `#[register]` passes it to actix-web's `wrap`.
    #[doc(hidden)]
    #[must_use]
    pub const fn new(route: &'static RouteInfo) -> Self {
        Self { route }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Stamp
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = StampService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        note_built(self.route);
        ready(Ok(StampService {
            service,
            route: self.route,
            mount: Cell::new(None),
        }))
    }
}

/// Not public API: the service a [`Stamp`] wraps around a resource.
#[doc(hidden)]
#[derive(Debug)]
pub struct StampService<S> {
    service: S,
    route: &'static RouteInfo,
    /// Resolved on the first request.
    mount: Cell<Option<u32>>,
}

impl<S> StampService<S> {
    fn mount_of(&self, req: &ServiceRequest) -> u32 {
        if let Some(id) = self.mount.get() {
            return id;
        }
        // Once per mount per worker: `match_pattern` allocates and walks the
        // route tree. It includes every scope prefix.
        let id = match req.match_pattern() {
            Some(template) => intern(self.route, &template),
            None => intern(self.route, self.route.template()),
        };
        self.mount.set(Some(id));
        id
    }
}

impl<S, B> Service<ServiceRequest> for StampService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = StampFuture<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let mount = self.mount_of(&req);
        let key = request_key(req.request());
        claim(key, mount);
        StampFuture {
            inner: self.service.call(req),
            key,
            mount,
        }
    }
}

pin_project_lite::pin_project! {
    /// Not public API: the future of a [`StampService`].
    #[doc(hidden)]
    #[derive(Debug)]
    pub struct StampFuture<F> {
        #[pin]
        inner: F,
        key: usize,
        mount: u32,
    }
}

impl<F: Future> Future for StampFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        claim(*this.key, *this.mount);
        Poll::Ready(output)
    }
}
