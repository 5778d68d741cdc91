//! [`BodySizes`]: the bytes of a request's bodies, counted as they pass, for
//! `http_server_request_body_size` and `http_server_response_body_size`
//! (when body sizes are on).
//!
//! actix-web hands the request body to the handler as a stream; [`measure`]
//! puts a counting stream in its place. The response body is counted by
//! [`MeteredBody`](crate::middleware::body::MeteredBody) as it is sent. Both counts
//! live out of line, behind one pointer in the request's
//! [`InFlight`](crate::middleware::in_flight::InFlight): the state that moves with
//! every response stays as small as it is without body sizes. A request
//! costs one allocation (the counts), and one more when it has a body (the
//! boxed stream that counts it).

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::Bytes;
use futures_core::Stream;

/// The bytes of one request's bodies so far.
#[derive(Debug, Default)]
pub(crate) struct BodySizes {
    /// Response body bytes sent.
    response: Cell<u64>,
    /// Request body bytes the app read.
    request: Cell<u64>,
    /// The request body stream said it had no more.
    request_ended: Cell<bool>,
    /// The `Content-Length` the client declared.
    declared: Option<u64>,
    /// A `HEAD` request: actix-http polls the response body and drops it,
    /// the client receives none of it.
    head: bool,
}

impl BodySizes {
    /// `bytes` more of the response body are on their way.
    pub(crate) fn sent(&self, bytes: usize) {
        if !self.head {
            self.response.set(self.response.get() + bytes as u64);
        }
    }

    pub(crate) fn response_bytes(&self) -> u64 {
        self.response.get()
    }

    /// The request body bytes read, once the app read the body to its end.
    /// A body the app did not read to the end (actix-web drains or drops the
    /// rest) is its declared length when the client declared one: those
    /// bytes were sent all the same.
    pub(crate) fn request_bytes(&self) -> u64 {
        let read = self.request.get();
        match self.declared {
            Some(declared) if !self.request_ended.get() => declared.max(read),
            _ => read,
        }
    }
}

/// The counts of `req`'s bodies, with a counting stream put in place of its
/// request body if it has one.
pub(crate) fn measure(req: &mut ServiceRequest) -> Rc<BodySizes> {
    let (head, payload) = req.parts_mut();
    let head_request = head.method() == Method::HEAD;
    if matches!(payload, Payload::None) {
        return Rc::new(BodySizes {
            head: head_request,
            ..BodySizes::default()
        });
    }
    let declared = head
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let sizes = Rc::new(BodySizes {
        declared,
        head: head_request,
        ..BodySizes::default()
    });
    let inner = payload.take();
    *payload = Payload::Stream {
        payload: Box::pin(Counting {
            inner,
            sizes: Rc::clone(&sizes),
        }),
    };
    sizes
}

/// The request body, counted as it passes.
struct Counting {
    inner: Payload,
    sizes: Rc<BodySizes>,
}

impl Stream for Counting {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = Pin::new(&mut self.inner).poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => {
                let read = &self.sizes.request;
                read.set(read.get() + chunk.len() as u64);
            }
            Poll::Ready(None) => self.sizes.request_ended.set(true),
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
