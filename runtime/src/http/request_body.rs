//! The request body size, counted as the app reads the body, for
//! `http_server_request_body_size` (when body sizes are on).
//!
//! actix-web hands the body to the handler as a stream; [`measure`] puts a
//! counting stream in its place. The count is shared with the request's
//! [`InFlight`](crate::http::in_flight::InFlight), which reads it when the
//! request is recorded. A request without a body is left alone: no
//! allocation. A body with one costs two (the count and the boxed stream).

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::Bytes;
use futures_core::Stream;

/// What the app has read of a request body.
#[derive(Debug)]
struct Read {
    bytes: Cell<u64>,
    /// The stream said it had no more.
    ended: Cell<bool>,
    /// The `Content-Length` the client declared.
    declared: Option<u64>,
}

/// A request's body size, as far as it is known: one pointer, so that the
/// request's state, which moves with its response, stays small.
#[derive(Debug)]
pub(crate) struct RequestBodySize {
    read: Rc<Read>,
}

impl RequestBodySize {
    /// The bytes read, once the app read the body to its end. A body the
    /// app did not read to the end (actix-web drains or drops the rest) is
    /// its declared length when the client declared one: those bytes were
    /// sent all the same.
    pub(crate) fn bytes(&self) -> u64 {
        let read = self.read.bytes.get();
        match self.read.declared {
            Some(declared) if !self.read.ended.get() => declared.max(read),
            _ => read,
        }
    }
}

/// Puts a counting stream in place of `req`'s body, if it has one.
pub(crate) fn measure(req: &mut ServiceRequest) -> Option<RequestBodySize> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let (_, payload) = req.parts_mut();
    if matches!(payload, Payload::None) {
        return None;
    }
    let read = Rc::new(Read {
        bytes: Cell::new(0),
        ended: Cell::new(false),
        declared,
    });
    let inner = payload.take();
    *payload = Payload::Stream {
        payload: Box::pin(Counting {
            inner,
            read: Rc::clone(&read),
        }),
    };
    Some(RequestBodySize { read })
}

/// The request body, counted as it passes.
struct Counting {
    inner: Payload,
    read: Rc<Read>,
}

impl Stream for Counting {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = Pin::new(&mut self.inner).poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => {
                let read = &self.read.bytes;
                read.set(read.get() + chunk.len() as u64);
            }
            Poll::Ready(None) => self.read.ended.set(true),
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
