//! Faults on a real socket: a client that leaves while its handler runs, a
//! handler that outlasts the client's timeout, a handler that panics, a
//! streaming response the client drops half way. Each request is counted
//! once, with the status value the README documents, and leaves the active
//! requests gauge.
//!
//! What actix-web does matters here. With its default
//! `h1_allow_half_closed(true)`, a client's FIN may be a half-close, so
//! actix-web lets the handler finish and writes its response into the void:
//! the request counts with the handler's status. With
//! `h1_allow_half_closed(false)`, actix-web drops the handler as soon as it
//! reads the FIN: the request counts as 499.

mod common;
mod live;

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpResponse, HttpServer, get};
use common::{SeriesKey, active_requests, count_changes, samples};
use live::{LOOPBACK, Live, WORKERS, connect, poll_until, read_head, write_request};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

/// What handlers and bodies tell the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// A handler started.
    Entered,
    /// A handler's future ended: `true` if it returned, `false` if it was
    /// dropped before.
    HandlerGone { returned: bool },
    /// A streaming body was dropped after `sent` bytes; `finished` if it had
    /// yielded its last chunk.
    BodyGone { sent: u64, finished: bool },
}

/// State the handlers share with the test.
struct Faults {
    events: Sender<Event>,
    gate: Gate,
    /// The worker thread that ran the panicking handler.
    panicked_on: Mutex<Option<String>>,
}

impl Faults {
    fn tell(&self, event: Event) {
        // The test may have finished and dropped its receiver.
        let _ = self.events.send(event);
    }
}

/// A gate the test opens; handlers wait at it without blocking the worker.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, Vec<Waker>)>,
}

impl Gate {
    fn open(&self) {
        let mut state = self.state.lock().expect("not poisoned");
        state.0 = true;
        for waker in state.1.drain(..) {
            waker.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            let mut state = self.state.lock().expect("not poisoned");
            if state.0 {
                Poll::Ready(())
            } else {
                state.1.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// Tells the test when a handler's future ends, however it ends.
struct HandlerGuard<'a> {
    faults: &'a Faults,
    returned: bool,
}

impl Drop for HandlerGuard<'_> {
    fn drop(&mut self) {
        self.faults.tell(Event::HandlerGone {
            returned: self.returned,
        });
    }
}

/// Waits at the gate.
#[route_labels::register]
#[get("/faults/wait")]
async fn wait(faults: web::Data<Faults>) -> HttpResponse {
    let mut guard = HandlerGuard {
        faults: &faults,
        returned: false,
    };
    faults.tell(Event::Entered);
    faults.gate.wait().await;
    guard.returned = true;
    HttpResponse::Ok().body("released")
}

/// Outlasts the client's timeout: the sleep is the fault, not a wait for
/// anything.
#[route_labels::register]
#[get("/faults/sleep")]
async fn sleep(faults: web::Data<Faults>) -> HttpResponse {
    let mut guard = HandlerGuard {
        faults: &faults,
        returned: false,
    };
    faults.tell(Event::Entered);
    actix_web::rt::time::sleep(HANDLER_SLEEP).await;
    guard.returned = true;
    HttpResponse::Ok().body("slept")
}

#[route_labels::register]
#[get("/faults/panic")]
async fn panics(faults: web::Data<Faults>) -> HttpResponse {
    *faults.panicked_on.lock().expect("not poisoned") = Some(worker());
    panic!("a handler bug")
}

#[route_labels::register]
#[get("/faults/whoami")]
async fn whoami() -> HttpResponse {
    HttpResponse::Ok().body(worker())
}

/// A chunked response of up to 1 GiB, far more than socket buffers hold.
#[route_labels::register]
#[get("/faults/stream")]
async fn stream(faults: web::Data<Faults>) -> HttpResponse {
    HttpResponse::Ok().body(Chunks {
        faults: faults.into_inner(),
        sent: 0,
    })
}

fn worker() -> String {
    format!("{:?}", std::thread::current().id())
}

const HANDLER_SLEEP: Duration = Duration::from_millis(600);
const CLIENT_TIMEOUT: Duration = Duration::from_millis(100);

/// Bound on waiting for the server to notice something.
const NOTICE: Duration = Duration::from_secs(10);

static CHUNK: [u8; 16 * 1024] = [b'x'; 16 * 1024];
const STREAM_LIMIT: u64 = 1 << 30;

struct Chunks {
    faults: Arc<Faults>,
    sent: u64,
}

impl MessageBody for Chunks {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if this.sent >= STREAM_LIMIT {
            return Poll::Ready(None);
        }
        this.sent += CHUNK.len() as u64;
        Poll::Ready(Some(Ok(Bytes::from_static(&CHUNK))))
    }
}

impl Drop for Chunks {
    fn drop(&mut self) {
        self.faults.tell(Event::BodyGone {
            sent: self.sent,
            finished: self.sent >= STREAM_LIMIT,
        });
    }
}

/// A server with the fault handlers, and what they tell the test.
struct Setup {
    live: Live,
    faults: Arc<Faults>,
    events: Receiver<Event>,
}

impl Setup {
    fn start(allow_half_closed: bool) -> Self {
        let (events, receiver) = channel();
        let faults = Arc::new(Faults {
            events,
            gate: Gate::default(),
            panicked_on: Mutex::new(None),
        });
        let mut registry = Registry::default();
        // With `error_type`: each fault also says how the request failed.
        let metrics = HttpMetrics::builder()
            .error_type(true)
            .build(&mut registry)
            .expect("valid options");
        let registry = Arc::new(registry);
        let data = web::Data::from(Arc::clone(&faults));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .service(wait)
                .service(sleep)
                .service(panics)
                .service(whoami)
                .service(stream)
                .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
                .wrap(metrics.clone())
        })
        .workers(WORKERS)
        .h1_allow_half_closed(allow_half_closed)
        .disable_signals()
        .bind(LOOPBACK)
        .expect("a loopback port");
        Self {
            live: Live::start(server.addrs()[0], server.run()),
            faults,
            events: receiver,
        }
    }

    fn next_event(&self) -> Event {
        self.events
            .recv_timeout(NOTICE)
            .expect("the server tells the test what happened")
    }

    fn samples(&self) -> Vec<common::Sample> {
        samples(&self.live.scrape())
    }

    /// Waits until the counts differ from `before` (scrapes aside), then
    /// returns the differences and the last scrape.
    fn changes_since(
        &self,
        before: &[common::Sample],
        what: &str,
    ) -> (Vec<(SeriesKey, f64)>, Vec<common::Sample>) {
        poll_until(what, NOTICE, || {
            let now = self.samples();
            let changes = count_changes(before, &now);
            (!changes.is_empty()).then(|| (changes.into_iter().collect(), now))
        })
    }

    /// Waits until only the scrape itself is in flight.
    fn wait_for_idle(&self) {
        poll_until("the active requests gauge back at 0", NOTICE, || {
            let now = self.samples();
            (active_requests(&now, "GET") == 1.0).then_some(())
        });
    }
}

fn key(route: &str, status: &str) -> SeriesKey {
    ("GET".into(), route.into(), status.into())
}

/// The `error_type` of the `GET` series of `route` with `status`: `None`
/// when the series carries none.
fn error_type(samples: &[common::Sample], route: &str, status: &str) -> Option<String> {
    let series: Vec<&common::Sample> = samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_count")
        .filter(|s| s.labels["http_route"] == route)
        .filter(|s| s.labels["http_response_status_code"] == status)
        .collect();
    assert_eq!(
        series.len(),
        1,
        "one series for {route} {status}: {series:?}"
    );
    series[0].labels.get("error_type").cloned()
}

#[test]
fn a_client_that_leaves_while_its_handler_runs_counts_with_the_handlers_status() {
    let setup = Setup::start(true);
    let before = setup.samples();

    let mut connection = connect(setup.live.addr(), NOTICE).expect("a connection");
    write_request(&mut connection, "GET", "/faults/wait").expect("the request is sent");
    assert_eq!(setup.next_event(), Event::Entered);
    assert_eq!(
        active_requests(&setup.samples(), "GET"),
        2.0,
        "the waiting request and this scrape"
    );
    drop(connection);

    // actix-web keeps running the handler after the client's FIN.
    setup.faults.gate.open();
    assert_eq!(setup.next_event(), Event::HandlerGone { returned: true });
    let (changes, after) = setup.changes_since(&before, "the request to be counted");
    assert_eq!(changes, [(key("/faults/wait", "200"), 1.0)]);
    assert_eq!(error_type(&after, "/faults/wait", "200"), None);
    setup.wait_for_idle();
}

#[test]
fn a_client_that_leaves_while_its_handler_runs_is_499_without_half_close() {
    let setup = Setup::start(false);
    let before = setup.samples();

    let mut connection = connect(setup.live.addr(), NOTICE).expect("a connection");
    write_request(&mut connection, "GET", "/faults/wait").expect("the request is sent");
    assert_eq!(setup.next_event(), Event::Entered);
    drop(connection);

    // The gate stays shut: actix-web drops the handler when the client goes.
    assert_eq!(setup.next_event(), Event::HandlerGone { returned: false });
    let (changes, after) = setup.changes_since(&before, "the request to be counted");
    assert_eq!(changes, [(key("/faults/wait", "499"), 1.0)]);
    assert_eq!(
        error_type(&after, "/faults/wait", "499").as_deref(),
        Some("client_closed")
    );
    setup.wait_for_idle();
}

/// The client gives up after [`CLIENT_TIMEOUT`] and closes its connection.
fn time_out(setup: &Setup) {
    let mut connection = connect(setup.live.addr(), CLIENT_TIMEOUT).expect("a connection");
    write_request(&mut connection, "GET", "/faults/sleep").expect("the request is sent");
    let err = read_head(&mut connection).expect_err("the handler outlasts the client");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert_eq!(setup.next_event(), Event::Entered);
}

#[test]
fn a_handler_that_outlasts_the_client_timeout_counts_with_its_status() {
    let setup = Setup::start(true);
    let before = setup.samples();
    time_out(&setup);
    assert_eq!(setup.next_event(), Event::HandlerGone { returned: true });
    let (changes, _) = setup.changes_since(&before, "the request to be counted");
    assert_eq!(changes, [(key("/faults/sleep", "200"), 1.0)]);
    setup.wait_for_idle();
}

#[test]
fn a_handler_that_outlasts_the_client_timeout_is_499_without_half_close() {
    let setup = Setup::start(false);
    let before = setup.samples();
    time_out(&setup);
    assert_eq!(setup.next_event(), Event::HandlerGone { returned: false });
    let (changes, after) = setup.changes_since(&before, "the request to be counted");
    assert_eq!(changes, [(key("/faults/sleep", "499"), 1.0)]);
    assert_eq!(
        error_type(&after, "/faults/sleep", "499").as_deref(),
        Some("client_closed")
    );
    setup.wait_for_idle();
}

#[test]
fn a_panicking_handler_is_a_500_and_its_worker_keeps_serving() {
    let setup = Setup::start(true);
    let before = setup.samples();

    // actix-web's runtime catches the panic and drops the connection: the
    // client gets no response at all.
    let mut connection = connect(setup.live.addr(), NOTICE).expect("a connection");
    write_request(&mut connection, "GET", "/faults/panic").expect("the request is sent");
    let err = read_head(&mut connection).expect_err("no response to a panic");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    let panicked_on = setup
        .faults
        .panicked_on
        .lock()
        .expect("not poisoned")
        .clone()
        .expect("the handler ran");

    // New connections go to the workers in turn; one lands on the worker
    // that panicked, and it answers.
    let mut asked = 0;
    poll_until(
        "a request served by the worker that panicked",
        NOTICE,
        || {
            asked += 1;
            let response = setup
                .live
                .client()
                .send("GET", "/faults/whoami")
                .expect("the server still answers");
            assert_eq!(response.status, 200);
            (response.body == panicked_on.as_bytes()).then_some(())
        },
    );

    setup.wait_for_idle();
    let after = setup.samples();
    let changes: Vec<_> = count_changes(&before, &after).into_iter().collect();
    assert_eq!(
        changes,
        [
            (key("/faults/panic", "500"), 1.0),
            (key("/faults/whoami", "200"), f64::from(asked)),
        ]
    );
    assert_eq!(
        error_type(&after, "/faults/panic", "500").as_deref(),
        Some("panic")
    );
}

#[test]
fn a_streaming_response_dropped_half_way_is_499() {
    let setup = Setup::start(true);
    let before = setup.samples();

    let mut connection = connect(setup.live.addr(), NOTICE).expect("a connection");
    write_request(&mut connection, "GET", "/faults/stream").expect("the request is sent");
    let (status, headers) = read_head(&mut connection).expect("a response head");
    assert_eq!(status, 200);
    assert!(headers.contains(&("transfer-encoding".into(), "chunked".into())));
    let mut part = vec![0; 256 * 1024];
    connection.read_exact(&mut part).expect("part of the body");
    // Unread data is waiting: closing now resets the connection.
    drop(connection);

    let Event::BodyGone { sent, finished } = setup.next_event() else {
        panic!("expected the body to be dropped");
    };
    assert!(
        !finished && sent < STREAM_LIMIT,
        "dropped after {sent} bytes"
    );
    let (changes, after) = setup.changes_since(&before, "the request to be counted");
    assert_eq!(
        changes,
        [(key("/faults/stream", "499"), 1.0)],
        "the client went away before the response was complete"
    );
    assert_eq!(
        error_type(&after, "/faults/stream", "499").as_deref(),
        Some("client_closed")
    );
    setup.wait_for_idle();
}
