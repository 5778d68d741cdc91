//! What a request is, as the OpenTelemetry conventions count it, where the
//! HTTP exchange is not one request and one whole body: a websocket
//! upgrade (counted at its `101` head, with the real actix-ws), a server-sent
//! event stream (counted at its last byte), a `HEAD` (no body bytes sent).

mod common;

use std::time::Duration;

use actix_web::test::{self, TestRequest, init_service};
use actix_web::web::Bytes;
use actix_web::{App, HttpRequest, HttpResponse, get, routes, web};
use prometheus_client::registry::Registry;
use route_labels::{DEFAULT_BODY_SIZE_BUCKETS, HttpMetrics};

use common::{active_requests, count, exposition};

#[route_labels::register]
#[get("/ws")]
async fn ws(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, session, _messages) = actix_ws::handle(&req, body)?;
    // The session lives on after the handshake, as a chat session would.
    actix_web::rt::spawn(async move {
        actix_web::rt::time::sleep(Duration::from_secs(3600)).await;
        drop(session);
    });
    Ok(response)
}

/// The receiving half of the one event stream the test opens.
type Events = std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Bytes>>>;

#[route_labels::register]
#[get("/events")]
async fn events(source: web::Data<Events>) -> HttpResponse {
    let receiver = source.lock().unwrap().take().expect("one stream");
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .streaming(futures_util::stream::unfold(
            receiver,
            |mut receiver| async move {
                let event = receiver.recv().await?;
                Some((Ok::<_, actix_web::Error>(event), receiver))
            },
        ))
}

#[route_labels::register]
#[routes]
#[get("/blob")]
#[head("/blob")]
async fn blob() -> HttpResponse {
    HttpResponse::Ok().body(vec![b'x'; 1234])
}

#[actix_web::test]
async fn a_websocket_upgrade_is_counted_at_its_101_head() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).unwrap();
    let app = init_service(metrics.app(App::new().service(ws))).await;
    let req = TestRequest::get()
        .uri("/ws")
        .insert_header(("upgrade", "websocket"))
        .insert_header(("connection", "upgrade"))
        .insert_header(("sec-websocket-version", "13"))
        .insert_header(("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status().as_u16(), 101);

    // The session is open (its body, the frames, is still being sent).
    let samples = exposition(&registry);
    assert_eq!(count(&samples, "GET", "/ws", "101"), 1.0);
    assert_eq!(
        active_requests(&samples, "GET"),
        0.0,
        "not in flight for the session"
    );
    let fastest = samples
        .iter()
        .find(|s| {
            s.name == "http_server_request_duration_seconds_bucket"
                && s.labels["http_route"] == "/ws"
                && s.labels["le"] == "0.005"
        })
        .map(|s| s.value);
    assert_eq!(
        fastest,
        Some(1.0),
        "the handshake's duration, not the session's"
    );
    drop(res);
}

#[actix_web::test]
async fn a_server_sent_event_stream_is_counted_at_its_last_byte() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::builder()
        .body_sizes(DEFAULT_BODY_SIZE_BUCKETS)
        .build(&mut registry)
        .unwrap();
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let source = web::Data::new(Events::new(Some(receiver)));
    let app = init_service(metrics.app(App::new().app_data(source).service(events))).await;
    let res = test::call_service(&app, TestRequest::get().uri("/events").to_request()).await;
    assert_eq!(res.status().as_u16(), 200);
    sender.send(Bytes::from_static(b"data: one\n\n")).unwrap();
    let samples = exposition(&registry);
    assert_eq!(
        count(&samples, "GET", "/events", "200"),
        0.0,
        "still streaming"
    );
    assert_eq!(active_requests(&samples, "GET"), 1.0);

    sender.send(Bytes::from_static(b"data: two\n\n")).unwrap();
    drop(sender);
    let body = test::read_body(res).await;
    assert_eq!(body.len(), 22);
    let samples = exposition(&registry);
    assert_eq!(count(&samples, "GET", "/events", "200"), 1.0);
    assert_eq!(active_requests(&samples, "GET"), 0.0);
    let sent = samples
        .iter()
        .find(|s| s.name == "http_server_response_body_size_bytes_sum")
        .map(|s| s.value);
    assert_eq!(sent, Some(22.0));
}

#[actix_web::test]
async fn a_head_response_sends_no_body_bytes() {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::builder()
        .body_sizes(DEFAULT_BODY_SIZE_BUCKETS)
        .build(&mut registry)
        .unwrap();
    let app = init_service(metrics.app(App::new().service(blob))).await;
    for _ in 0..13 {
        let req = TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/blob")
            .to_request();
        test::call_and_read_body(&app, req).await;
    }
    test::call_and_read_body(&app, TestRequest::get().uri("/blob").to_request()).await;
    let samples = exposition(&registry);
    assert_eq!(count(&samples, "HEAD", "/blob", "200"), 13.0);
    let sent = |method: &str| {
        samples
            .iter()
            .find(|s| {
                s.name == "http_server_response_body_size_bytes_sum"
                    && s.labels["http_request_method"] == method
            })
            .map(|s| s.value)
    };
    assert_eq!(sent("HEAD"), Some(0.0), "the client receives no body");
    assert_eq!(sent("GET"), Some(1234.0));
}
