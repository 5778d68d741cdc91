//! `MetricsEndpoint` content negotiation: which format each `Accept` header
//! gets, and that each response is a whole exposition in that format.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{Accept, QualityItem, q};
use actix_web::{App, mime, test};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use route_labels::{MetricsEndpoint, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE};

/// What Prometheus 2.5 to 2.48 sends.
const PROMETHEUS_2: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// What Prometheus 2.49 and later 2.x send (`scrape_protocols`, weighted).
const PROMETHEUS_2_49: &str = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// What Prometheus 3 sends: escaping parameters, and text 1.0.0 offered.
const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

/// The registry below in `OpenMetrics` text: the family is named without
/// `_total`, and the exposition ends with `# EOF`.
const OPENMETRICS_BODY: &str = "\
# HELP requests Requests served.
# TYPE requests counter
requests_total 1
# EOF
";

/// The registry below in Prometheus text 0.0.4: the family is named with
/// `_total`, and there is no `# EOF`.
const PROMETHEUS_TEXT_BODY: &str = "\
# HELP requests_total Requests served.
# TYPE requests_total counter
requests_total 1
";

/// A response to `GET /metrics`.
#[derive(Debug)]
struct Scrape {
    status: StatusCode,
    content_type: Option<String>,
    vary: Vec<String>,
    body: String,
}

/// Sends `req` to `/metrics` of an app whose registry holds one counter.
async fn scrape(req: test::TestRequest) -> Scrape {
    let mut registry = Registry::default();
    let requests = Counter::<u64>::default();
    registry.register("requests", "Requests served", requests.clone());
    requests.inc();
    let app = test::init_service(
        App::new().service(MetricsEndpoint::new("/metrics", Arc::new(registry))),
    )
    .await;
    let res = test::call_service(&app, req.uri("/metrics").to_request()).await;
    let header = |name| {
        res.headers()
            .get_all(name)
            .map(|value| value.to_str().expect("a visible ASCII header").to_owned())
            .collect::<Vec<_>>()
    };
    let content_type = header("content-type").into_iter().next();
    let vary = header("vary");
    let status = res.status();
    let body = test::read_body(res).await;
    Scrape {
        status,
        content_type,
        vary,
        body: String::from_utf8(body.to_vec()).expect("a utf-8 body"),
    }
}

/// Scrapes with one `Accept` header.
async fn accepting(accept: &str) -> Scrape {
    scrape(test::TestRequest::get().insert_header(("accept", accept))).await
}

impl Scrape {
    #[track_caller]
    fn assert_openmetrics(&self, why: &str) {
        assert_eq!(self.status, StatusCode::OK, "{why}: {self:?}");
        assert_eq!(
            self.content_type.as_deref(),
            Some(OPENMETRICS_CONTENT_TYPE),
            "{why}"
        );
        assert_eq!(self.body, OPENMETRICS_BODY, "{why}");
        assert_eq!(self.vary, ["Accept"], "{why}");
    }

    #[track_caller]
    fn assert_prometheus_text(&self, why: &str) {
        assert_eq!(self.status, StatusCode::OK, "{why}: {self:?}");
        assert_eq!(
            self.content_type.as_deref(),
            Some(PROMETHEUS_TEXT_CONTENT_TYPE),
            "{why}"
        );
        assert_eq!(self.body, PROMETHEUS_TEXT_BODY, "{why}");
        assert!(!self.body.contains("# EOF"), "{why}");
        assert_eq!(self.vary, ["Accept"], "{why}");
    }

    #[track_caller]
    fn assert_not_acceptable(&self, why: &str) {
        assert_eq!(self.status, StatusCode::NOT_ACCEPTABLE, "{why}: {self:?}");
        assert_eq!(
            self.content_type.as_deref(),
            Some("text/plain; charset=utf-8"),
            "{why}"
        );
        assert!(
            self.body.contains(OPENMETRICS_CONTENT_TYPE),
            "{why}: {}",
            self.body
        );
        assert!(
            self.body.contains(PROMETHEUS_TEXT_CONTENT_TYPE),
            "{why}: {}",
            self.body
        );
        assert_eq!(self.vary, ["Accept"], "{why}");
    }
}

#[actix_web::test]
async fn prometheus_gets_openmetrics() {
    for (version, accept) in [
        ("2.5 to 2.48", PROMETHEUS_2),
        ("2.49 and later", PROMETHEUS_2_49),
        ("3", PROMETHEUS_3),
    ] {
        accepting(accept)
            .await
            .assert_openmetrics(&format!("Prometheus {version}"));
    }
}

#[actix_web::test]
async fn no_accept_header_gets_openmetrics() {
    scrape(test::TestRequest::get())
        .await
        .assert_openmetrics("no header");
    accepting("").await.assert_openmetrics("an empty header");
}

#[actix_web::test]
async fn any_type_gets_openmetrics() {
    accepting("*/*").await.assert_openmetrics("*/*");
    accepting("application/*")
        .await
        .assert_openmetrics("application/*");
}

#[actix_web::test]
async fn text_plain_alone_gets_prometheus_text() {
    for accept in [
        "text/plain",
        "text/plain;version=0.0.4",
        "text/plain; version=0.0.4; charset=utf-8",
        "TEXT/PLAIN",
        "text/*",
    ] {
        accepting(accept).await.assert_prometheus_text(accept);
    }
}

#[actix_web::test]
async fn the_highest_q_wins() {
    for accept in [
        "text/plain;version=0.0.4;q=0.5, application/openmetrics-text;q=0.4",
        "application/openmetrics-text;q=0.4, text/plain;q=0.5",
        "text/plain, */*;q=0.1",
    ] {
        accepting(accept).await.assert_prometheus_text(accept);
    }
    for accept in [
        "text/plain;q=0.4, application/openmetrics-text;q=0.5",
        "text/plain;q=0.1, */*",
    ] {
        accepting(accept).await.assert_openmetrics(accept);
    }
}

/// On equal q the more specific range wins, then `OpenMetrics`.
#[actix_web::test]
async fn a_tie_goes_to_the_more_specific_range_then_to_openmetrics() {
    for accept in [
        "text/plain, application/*",
        "text/plain, */*",
        "text/*, */*",
    ] {
        accepting(accept).await.assert_prometheus_text(accept);
    }
    for accept in [
        "application/openmetrics-text, text/*",
        "text/plain, application/openmetrics-text",
        "text/plain;version=0.0.4, application/openmetrics-text",
        "text/*, application/*",
        "text/plain;q=0.5, application/openmetrics-text;q=0.5",
    ] {
        accepting(accept).await.assert_openmetrics(accept);
    }
}

/// `q=0` refuses a format even where a wildcard would accept it: the most
/// specific range naming a format sets its q.
#[actix_web::test]
async fn q_zero_refuses_a_format() {
    for accept in [
        "application/openmetrics-text;q=0, */*",
        "application/openmetrics-text;version=1.0.0;q=0, text/plain;q=0.1",
        "application/*;q=0, text/plain;q=0.01",
    ] {
        accepting(accept).await.assert_prometheus_text(accept);
    }
    accepting("text/plain;q=0, */*")
        .await
        .assert_openmetrics("text/plain;q=0, */*");
}

#[actix_web::test]
async fn openmetrics_versions_other_than_1_0_0_and_0_0_1_are_not_served() {
    accepting("application/openmetrics-text;version=0.0.1")
        .await
        .assert_openmetrics("0.0.1");
    accepting("application/openmetrics-text;version=2.0.0, text/plain;q=0.1")
        .await
        .assert_prometheus_text("OpenMetrics 2.0.0, else text");
    accepting("application/openmetrics-text;version=2.0.0")
        .await
        .assert_not_acceptable("OpenMetrics 2.0.0 alone");
    accepting("text/plain;version=1.0.0")
        .await
        .assert_not_acceptable("Prometheus text 1.0.0 alone");
}

#[actix_web::test]
async fn nothing_acceptable_is_406() {
    for accept in [
        "application/json",
        "text/html, application/xhtml+xml",
        "*/*;q=0",
        "application/openmetrics-text;q=0, text/plain;q=0, */*;q=0",
        // The range that does not parse is skipped; the rest refuses both.
        "not a media type, application/json",
    ] {
        accepting(accept).await.assert_not_acceptable(accept);
    }
}

/// A header with no range that parses counts as no header: `OpenMetrics`,
/// not an error a scraper might not log.
#[actix_web::test]
async fn an_illegible_accept_header_gets_openmetrics() {
    for accept in [
        "garbage",
        "text/plain;q=2",
        ";;;,,,",
        "text/",
        "/plain",
        "*/plain",
    ] {
        accepting(accept).await.assert_openmetrics(accept);
    }
    let opaque = actix_web::http::header::HeaderValue::from_bytes(b"text/plain\xff")
        .expect("obs-text is a legal header value");
    scrape(test::TestRequest::get().insert_header(("accept", opaque)))
        .await
        .assert_openmetrics("a header that is not visible ASCII");
}

/// Several `Accept` lines are one list, and the typed header says the same
/// as its text.
#[actix_web::test]
async fn accept_lines_combine_and_typed_headers_agree() {
    scrape(
        test::TestRequest::get()
            .append_header(("accept", "application/json"))
            .append_header(("accept", "text/plain;q=0.2")),
    )
    .await
    .assert_prometheus_text("two lines");

    scrape(test::TestRequest::get().insert_header(Accept(vec![
        QualityItem::new(mime::TEXT_PLAIN, q(0.9)),
        QualityItem::new(mime::STAR_STAR, q(0.1)),
    ])))
    .await
    .assert_prometheus_text("typed text/plain, */*;q=0.1");
}
