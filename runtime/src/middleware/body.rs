//! [`MeteredBody`]: the response body of a request [`HttpMetrics`] timed,
//! which counts the request when its last byte is sent.
//!
//! [`HttpMetrics`]: crate::HttpMetrics

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;

use crate::middleware::in_flight::InFlight;

pin_project_lite::pin_project! {
    /// The body of a response [`HttpMetrics`](crate::HttpMetrics) timed: the request is counted
    /// when the last chunk has been sent, so the duration runs to the last
    /// byte; a body the server began to send and dropped unfinished (the
    /// client went away) counts as [`CLIENT_CLOSED_REQUEST`](crate::CLIENT_CLOSED_REQUEST); a body that
    /// yields an error is a server failure and counts as `500`, whatever
    /// status its head carried. A body nobody polled (a `HEAD` response, a
    /// test that did not read it) counts with its status when dropped. It is the app's body type once wrapped:
    ///
    /// ```
    /// use actix_web::{body::MessageBody, dev::ServiceResponse, test, App, HttpResponse};
    /// use route_labels::{HttpMetrics, dev::MeteredBody};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let metrics = HttpMetrics::new(&mut prometheus_client::registry::Registry::default()).unwrap();
    /// let app = test::init_service(
    ///     App::new().default_service(actix_web::web::to(HttpResponse::NotFound)).wrap(metrics),
    /// )
    /// .await;
    /// let res: ServiceResponse<MeteredBody<_>> =
    ///     test::call_service(&app, test::TestRequest::get().to_request()).await;
    /// assert_eq!(res.status(), 404);
    /// assert!(res.into_body().size().is_eof());
    /// # });
    /// ```
    #[derive(Debug)]
    pub struct MeteredBody<B> {
        #[pin]
        body: B,
        in_flight: InFlight,
    }
}

impl<B> MeteredBody<B> {
    pub(crate) fn new(body: B, in_flight: InFlight) -> Self {
        Self { body, in_flight }
    }
}

impl<B: MessageBody> MessageBody for MeteredBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.project();
        this.in_flight.body_polled();
        let next = this.body.poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => this.in_flight.sent(chunk.len()),
            Poll::Ready(None) => this.in_flight.finish(),
            // The server failed to produce the body it began to send: a
            // server error, whatever status the head carried.
            Poll::Ready(Some(Err(_))) => this.in_flight.fail(),
            Poll::Pending => {}
        }
        next
    }

    /// A body that is all in memory is complete: the request is counted
    /// now, and whoever takes the bytes (actix-web's `Compress`, `BoxBody`)
    /// does not have to stream or box this wrapper.
    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let Self {
            body,
            mut in_flight,
        } = self;
        match body.try_into_bytes() {
            Ok(bytes) => {
                in_flight.sent(bytes.len());
                in_flight.finish();
                Ok(bytes)
            }
            Err(body) => Err(Self { body, in_flight }),
        }
    }
}
