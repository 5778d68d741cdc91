//! How a stamp tells the code around it which mount serves a request.
//!
//! Two thread-local cells, each set and read within one synchronous call, so
//! that nothing depends on what happens between two polls: actix-web runs a
//! request's futures on one worker thread, and while one of them is being
//! polled no other request's code runs on that thread.
//!
//! - [`watch`]: [`HttpMetrics`](crate::HttpMetrics) runs its inner `call`,
//!   and every poll of the inner future, inside `watch`. A stamp called in
//!   there (routing is synchronous, and a middleware that defers its inner
//!   call makes it from one of those polls) writes its mount with
//!   [`claim`], and `watch` hands it back. Whatever a middleware does after
//!   the response (awaiting a session store, an error handler's future)
//!   happens after the claim was read, and requests interleaved on the
//!   worker each claim inside their own polls.
//! - [`within`]: a stamp runs its inner `call` and polls inside `within`, so
//!   code running for the request (the [`Route`](crate::Route) extractor)
//!   reads the request's route with [`current`].

use std::cell::Cell;

/// What the routing below [`HttpMetrics`](crate::HttpMetrics) said about a
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Nothing yet.
    None,
    /// The path of a registered route matched and its guards (its method)
    /// refused the request: the default service answers it, or a resource
    /// that is not registered, at the same path, takes it. actix-web keeps
    /// which one private; [`HttpMetrics`](crate::HttpMetrics) tells them
    /// apart by the default service's `404`.
    Refused,
    /// This mount serves it.
    Mount(u32),
}

thread_local! {
    /// The claim made inside the current [`watch`].
    static CLAIM: Cell<Claim> = const { Cell::new(Claim::None) };
    /// The label of the stamp whose `call` or poll is running.
    static CURRENT: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Runs `f`, returning what it returns and the claim made while it ran, or
/// `known` if none was.
#[inline]
pub(crate) fn watch<R>(known: Claim, f: impl FnOnce() -> R) -> (R, Claim) {
    CLAIM.set(known);
    let output = f();
    (output, CLAIM.get())
}

/// Called by a stamp: its mount serves the request being watched.
#[inline]
pub(crate) fn claim(mount: u32) {
    CLAIM.set(Claim::Mount(mount));
}

/// The claim made so far in the current [`watch`]; outside one, what the
/// last request on this thread left.
#[inline]
pub(crate) fn claimed() -> Claim {
    CLAIM.get()
}

/// Called by the guards that note a registered route's path matched: the
/// one a route builder puts before its method guard, and the resource
/// `#[register]` adds after a scope-root handler. If no stamp claims the
/// request after this, the route's guards refused it.
#[inline]
pub(crate) fn path_matched() {
    if CLAIM.get() == Claim::None {
        CLAIM.set(Claim::Refused);
    }
}

/// Whether a request no stamp claimed reached a resource, from what the
/// router left in it: part of the path left unprocessed means no resource
/// matched, which is free to tell; a fully consumed path, a resource that is
/// not registered, confirmed by `match_pattern()` (paid only by requests no
/// stamp claimed). A fully consumed path can also be a scope's root whose
/// routes all refused the request: for registered routes that case is
/// claimed as [`Claim::Refused`] before this runs.
pub(crate) fn unclaimed_resource_matched(req: &actix_web::HttpRequest) -> bool {
    req.match_info().unprocessed().is_empty() && req.match_pattern().is_some()
}

/// Runs `f` with `label` as the [`current`] route, then restores the
/// previous one, also when `f` panics.
#[inline]
pub(crate) fn within<R>(label: u32, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u32>);
    impl Drop for Restore {
        #[inline]
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }
    let _restore = Restore(CURRENT.replace(Some(label)));
    f()
}

/// The label of the stamp the current code runs within, if any.
#[inline]
pub(crate) fn current() -> Option<u32> {
    CURRENT.get()
}
