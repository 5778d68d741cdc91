//! [`InFlight`]: one request from [`HttpMetrics`](crate::HttpMetrics)'
//! `call` to the last byte of its response, as a state machine whose phases
//! say how it is counted if it ends there.

use std::rc::Rc;

use crate::cells::Observation;
use crate::labels::CLIENT_CLOSED_REQUEST;
use crate::middleware::body_sizes::BodySizes;
use crate::middleware::clock;
use crate::middleware::outcome::Failure;
use crate::middleware::shared::Target;
use crate::middleware::worker::Worker;
use crate::routing::claim::{Claim, Watch};

/// The status a request that failed without a response of its own is
/// counted with: a panicking handler, a body that yields an error.
pub(crate) const SERVER_ERROR: u16 = 500;

/// Where a request is in its life.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for the response head, between two polls; what the routing
    /// said so far. Dropped here: the client went away (`499`).
    Routing(Claim),
    /// The inner future is being polled. Still here when dropped: the poll
    /// panicked, and the runtime dropped the request after catching it
    /// (`500`).
    Polling(Claim),
    /// The response head is out, the body not polled yet. Dropped here: a
    /// body nobody reads (a `HEAD` response), counted with its status.
    Responded { target: Target, status: u16 },
    /// The server began sending the body. Dropped here: the client went
    /// away half way (`499`).
    Streaming { target: Target, status: u16 },
    /// Counted.
    Recorded,
    /// Counted, and no longer in flight although its response lives on: the
    /// connection switched protocols (`101`), and what it carries now is
    /// not this request.
    Detached,
}

/// One request between its call and its end. Dropping it before it was
/// counted (the client went away, or a handler panicked) still counts it.
#[derive(Debug)]
pub(crate) struct InFlight {
    worker: Rc<Worker>,
    /// When the request arrived, a [`clock::now`] reading.
    start: u64,
    /// The method label index.
    method: u8,
    /// The scheme and protocol version, see
    /// [`Attributes::variant_of`](crate::middleware::attributes::Attributes::variant_of).
    variant: u8,
    /// The `http_server_active_requests` gauge it counts in.
    active: u16,
    phase: Phase,
    /// The bodies' bytes, when body sizes are on.
    sizes: Option<Rc<BodySizes>>,
}

impl InFlight {
    /// Where the response is counted when no mount claimed the request:
    /// see [`Shared::unclaimed`](crate::middleware::shared::Shared::unclaimed).
    #[cold]
    pub(crate) fn unclaimed(
        &self,
        req: &actix_web::HttpRequest,
        claim: Claim,
        status: actix_web::http::StatusCode,
    ) -> Target {
        self.worker
            .shared
            .unclaimed(req, self.method, claim, status)
    }

    /// A request that has just arrived: counts it as active.
    #[inline]
    pub(crate) fn new(worker: &Rc<Worker>, method: u8, variant: u8, start: u64) -> Self {
        let active = worker.shared.attributes.active_index(method, variant);
        worker.active.started(active);
        Self {
            worker: Rc::clone(worker),
            start,
            method,
            variant,
            active: active as u16,
            phase: Phase::Routing(Claim::None),
            sizes: None,
        }
    }

    /// Counts the bodies' bytes in `sizes`.
    pub(crate) fn measure_bodies(&mut self, sizes: Rc<BodySizes>) {
        self.sizes = Some(sizes);
    }

    /// `bytes` more of the response body are on their way.
    #[inline]
    pub(crate) fn sent(&self, bytes: usize) {
        if let Some(sizes) = &self.sizes {
            sizes.sent(bytes);
        }
    }

    /// What the routing has said about the request so far.
    pub(crate) fn claim(&self) -> Claim {
        match self.phase {
            Phase::Routing(claim) | Phase::Polling(claim) => claim,
            Phase::Responded { .. }
            | Phase::Streaming { .. }
            | Phase::Recorded
            | Phase::Detached => Claim::None,
        }
    }

    /// Before the inner `call`, or a poll of the inner future: the request
    /// is being routed, inside a [`Watch`] that keeps what a stamp claims.
    /// Hand the watch back to [`InFlight::routed`] after the call.
    #[inline]
    pub(crate) fn routing(&mut self) -> Watch {
        let known = self.claim();
        self.phase = Phase::Polling(known);
        Watch::start(known)
    }

    /// After the inner `call`, or a poll: what the routing claimed.
    #[inline]
    pub(crate) fn routed(&mut self, watch: Watch) {
        self.phase = Phase::Routing(watch.end());
    }

    /// The response head is ready, to be counted under `target`.
    pub(crate) fn respond(&mut self, target: Target, status: u16) {
        self.phase = Phase::Responded { target, status };
    }

    /// The server is sending the body.
    pub(crate) fn body_polled(&mut self) {
        if let Phase::Responded { target, status } = self.phase {
            self.phase = Phase::Streaming { target, status };
        }
    }

    /// The response is complete: count it with its status.
    pub(crate) fn finish(&mut self) {
        if let Phase::Responded { target, status } | Phase::Streaming { target, status } =
            self.phase
        {
            self.record(target, status, Failure::None);
        }
    }

    /// The connection switched protocols with this response's head: count
    /// the request now, and no longer as one in flight.
    pub(crate) fn detach(&mut self) {
        self.finish();
        if matches!(self.phase, Phase::Recorded) {
            self.phase = Phase::Detached;
            self.worker.active.ended(usize::from(self.active));
        }
    }

    /// The response body failed: count it as a server error.
    pub(crate) fn fail(&mut self) {
        if let Phase::Responded { target, .. } | Phase::Streaming { target, .. } = self.phase {
            self.record(target, SERVER_ERROR, Failure::BodyError);
        }
    }

    /// Counts the request now, under `target` with `status`, and why it
    /// failed if it failed without a status.
    pub(crate) fn record(&mut self, target: Target, status: u16, failure: Failure) {
        let shared = &self.worker.shared;
        let observation = Observation {
            variant: self.variant,
            outcome: shared.shape.outcome(status, failure),
            nanos: clock::since(self.start),
            request_bytes: self.sizes.as_ref().map_or(0, |s| s.request_bytes()),
            response_bytes: self.sizes.as_ref().map_or(0, |s| s.response_bytes()),
        };
        shared.record(target, self.method, &observation);
        self.phase = Phase::Recorded;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let ending = match self.phase {
            Phase::Routing(claim) if !std::thread::panicking() => Some((
                Target::of_claim(claim),
                CLIENT_CLOSED_REQUEST,
                Failure::ClientClosed,
            )),
            Phase::Routing(claim) | Phase::Polling(claim) => {
                Some((Target::of_claim(claim), SERVER_ERROR, Failure::Panic))
            }
            Phase::Responded { target, status } => Some((target, status, Failure::None)),
            Phase::Streaming { target, .. } => {
                Some((target, CLIENT_CLOSED_REQUEST, Failure::ClientClosed))
            }
            Phase::Recorded => None,
            Phase::Detached => return,
        };
        if let Some((target, status, failure)) = ending {
            self.record(target, status, failure);
        }
        self.worker.active.ended(usize::from(self.active));
    }
}
