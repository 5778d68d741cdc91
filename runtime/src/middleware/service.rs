//! The middleware itself: [`HttpMetrics`]' `Transform`, the service it
//! wraps around an app (one per worker) and the future of each request.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;

use crate::middleware::HttpMetrics;
use crate::middleware::body::MeteredBody;
use crate::middleware::body_sizes;
use crate::middleware::clock;
use crate::middleware::in_flight::InFlight;
use crate::middleware::outcome::Failure;
use crate::middleware::shared::Target;
use crate::middleware::worker::Worker;
use crate::routing::claim::Claim;

impl<S, B> Transform<S, ServiceRequest> for HttpMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MeteredBody<B>>;
    type Error = actix_web::Error;
    type Transform = HttpMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(HttpMetricsService {
            service,
            worker: Rc::new(Worker::new(Arc::clone(&self.shared))),
        }))
    }
}

/// The service [`HttpMetrics`] wraps around an app; one per worker.
#[derive(Debug)]
pub struct HttpMetricsService<S> {
    service: S,
    worker: Rc<Worker>,
}

impl<S, B> Service<ServiceRequest> for HttpMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<MeteredBody<B>>;
    type Error = actix_web::Error;
    type Future = HttpMetricsFuture<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let start = clock::now();
        let shared = &self.worker.shared;
        let attributes = &shared.attributes;
        let method = attributes.method_of(req.method());
        let variant = attributes.variant_of(&req);
        let mut in_flight = InFlight::new(&self.worker, method, variant, start);
        if shared.shape.sizes.is_some() {
            in_flight.measure_bodies(body_sizes::measure(&mut req));
        }
        // actix-web routes synchronously: the stamp claims the request now,
        // unless a middleware in between defers its inner call to a poll.
        let watch = in_flight.routing();
        let inner = self.service.call(req);
        in_flight.routed(watch);
        HttpMetricsFuture {
            inner,
            in_flight: Some(in_flight),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`HttpMetricsService`]: the response head, with the
    /// body wrapped in a [`MeteredBody`].
    #[derive(Debug)]
    pub struct HttpMetricsFuture<F> {
        #[pin]
        inner: F,
        in_flight: Option<InFlight>,
    }
}

impl<F, B> Future for HttpMetricsFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<MeteredBody<B>>, actix_web::Error>;

    /// `#[inline]`: inlined into the code that awaits the app's future
    /// (actix-web's dispatcher, a test harness), the response the inner
    /// future returns and the one this returns are built where they are
    /// used, without the copies a call between them needs (measured in
    /// docs/benchmarks.md).
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let in_flight = this.in_flight.as_mut().expect("polled after completion");
        let watch = in_flight.routing();
        let poll = this.inner.poll(cx);
        in_flight.routed(watch);
        match poll {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(res)) => {
                let target = match in_flight.claim() {
                    Claim::Mount(id) => Target::Mount(id),
                    // Answered before it reached a mount, or by a resource
                    // that is not registered, or by a default service.
                    claim => in_flight.unclaimed(res.request(), claim, res.status()),
                };
                let mut in_flight = this.in_flight.take().expect("present until ready");
                in_flight.respond(target, res.status().as_u16());
                // Taken apart and put together again around the body,
                // rather than through `map_body`, which the compiler does
                // not inline: the response (over 128 bytes) is then not
                // copied into and out of it.
                let (req, res) = res.into_parts();
                let (head, body) = res.into_parts();
                if head.status() == StatusCode::SWITCHING_PROTOCOLS {
                    // The connection is another protocol's from here on (a
                    // websocket session): the HTTP request ended with the
                    // head, and what follows is neither its duration, nor
                    // its body, nor a request in flight.
                    in_flight.detach();
                } else if matches!(body.size(), BodySize::None | BodySize::Sized(0)) {
                    // The server sends no body: the head completes it.
                    in_flight.finish();
                }
                Poll::Ready(Ok(ServiceResponse::new(
                    req,
                    head.set_body(MeteredBody::new(body, in_flight)),
                )))
            }
            Poll::Ready(Err(err)) => {
                let status = err.as_response_error().status_code().as_u16();
                in_flight.record(Target::of_claim(in_flight.claim()), status, Failure::None);
                Poll::Ready(Err(err))
            }
        }
    }
}
