//! How a stamp tells [`HttpMetrics`](crate::HttpMetrics) which mount serves
//! a request.
//!
//! One thread-local cell, set and read within one synchronous call, so that
//! nothing depends on what happens between two polls: actix-web runs a
//! request's futures on one worker thread, and while one of them is being
//! polled no other request's code runs on that thread.
//!
//! `HttpMetrics` runs its inner `call`, and every poll of the inner future,
//! inside a [`Watch`], which sets the cell to what is known of the request so
//! far. A stamp called in there (routing is synchronous, and a middleware
//! that defers its inner call makes it from one of those polls) writes its
//! mount with [`claim`], and [`Watch::end`] hands it back. Whatever a middleware
//! does after the response (awaiting a session store, an error handler's
//! future) happens after the claim was read, and requests interleaved on the
//! worker each claim inside their own polls. Code that runs for the request
//! inside a watch (the [`Route`](crate::Route) extractor, in a handler)
//! reads the claim with [`claimed`]; outside any watch the cell says
//! [`Claim::Unwatched`], and what it held for another request is not
//! mistaken for this one's.

use std::cell::Cell;

/// What the routing below [`HttpMetrics`](crate::HttpMetrics) said about a
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// No [`Watch`] is running: nothing here is about the current request.
    Unwatched,
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
    /// The claim made inside the current [`Watch`].
    static CLAIM: Cell<Claim> = const { Cell::new(Claim::Unwatched) };
}

/// A watch in progress: between [`Watch::start`] and [`Watch::end`], what a
/// stamp claims is kept for the request being watched. Watches nest (an
/// `HttpMetrics` inside another sees the same claims). A guard rather than a
/// closure, so that what the watched call returns (a whole response) is
/// written once where the caller wants it, not moved out of a closure.
#[must_use = "a watch is ended with `Watch::end`"]
#[derive(Debug)]
pub(crate) struct Watch {
    /// What the cell held when the watch started.
    outer: Claim,
}

impl Watch {
    /// Starts watching, with `known` what the routing said so far.
    #[inline]
    pub(crate) fn start(known: Claim) -> Self {
        Self {
            outer: CLAIM.replace(known),
        }
    }

    /// Ends the watch: the claim made since it started, or what it started
    /// with if none was.
    #[inline]
    pub(crate) fn end(self) -> Claim {
        let claim = CLAIM.get();
        // An enclosing watch keeps what this one learnt.
        if self.outer == Claim::Unwatched {
            CLAIM.set(Claim::Unwatched);
        }
        std::mem::forget(self);
        claim
    }
}

impl Drop for Watch {
    /// Only when the watched call unwinds ([`Watch::end`] forgets the
    /// guard): leaves the cell unwatched, so that nothing outside a watch
    /// mistakes what it holds for its own request's.
    #[cold]
    fn drop(&mut self) {
        CLAIM.set(Claim::Unwatched);
    }
}

/// Called by a stamp: its mount serves the request being watched.
#[inline]
pub(crate) fn claim(mount: u32) {
    CLAIM.with(|cell| {
        if cell.get() != Claim::Unwatched {
            cell.set(Claim::Mount(mount));
        }
    });
}

/// The claim made so far in the current [`Watch`]; `Unwatched` outside one.
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
    CLAIM.with(|cell| {
        if cell.get() == Claim::None {
            cell.set(Claim::Refused);
        }
    });
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

#[cfg(test)]
mod tests {
    use super::{Claim, Watch, claim, claimed, path_matched};

    #[test]
    fn a_watch_hands_back_what_was_claimed_inside_it() {
        assert_eq!(claimed(), Claim::Unwatched);
        let watch = Watch::start(Claim::None);
        assert_eq!(claimed(), Claim::None);
        path_matched();
        assert_eq!(claimed(), Claim::Refused);
        claim(7);
        assert_eq!(watch.end(), Claim::Mount(7));
        assert_eq!(claimed(), Claim::Unwatched);
    }

    #[test]
    fn outside_a_watch_nothing_is_kept() {
        claim(3);
        path_matched();
        assert_eq!(claimed(), Claim::Unwatched);
        // A watch started later does not see it.
        assert_eq!(Watch::start(Claim::None).end(), Claim::None);
    }

    #[test]
    fn a_watch_starts_from_what_is_known_and_nested_watches_share_claims() {
        let outer = Watch::start(Claim::Mount(1));
        let inner = Watch::start(Claim::None);
        claim(2);
        assert_eq!(inner.end(), Claim::Mount(2));
        // The enclosing watch keeps what the inner one learnt.
        assert_eq!(outer.end(), Claim::Mount(2));
        assert_eq!(Watch::start(Claim::Mount(5)).end(), Claim::Mount(5));
    }

    #[test]
    fn a_watched_call_that_unwinds_leaves_the_cell_unwatched() {
        let unwound = std::panic::catch_unwind(|| {
            let _watch = Watch::start(Claim::None);
            claim(4);
            panic!("the watched call panics");
        });
        assert!(unwound.is_err());
        assert_eq!(claimed(), Claim::Unwatched);
        claim(9);
        assert_eq!(claimed(), Claim::Unwatched);
    }
}
