//! Native histograms as Prometheus scrapes them: the format each `Accept`
//! header gets in each mode, and the native buckets of the protobuf scrape
//! against the traffic that filled them, read by the decoder and the bucket
//! index of `common/protobuf.rs`, written apart from prometheus-client.

mod common;
#[path = "common/protobuf.rs"]
mod protobuf;

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest, init_service};
use actix_web::{App, HttpResponse, get, post, web};
use prometheus_client::registry::Registry;
use protobuf::{Histogram, MetricFamily, index_of};
use route_labels::{
    DEFAULT_BODY_SIZE_BUCKETS, DEFAULT_BUCKETS, Histograms, HttpMetrics, MetricsEndpoint,
    NativeBuckets, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_PROTOBUF_CONTENT_TYPE,
    PROMETHEUS_TEXT_CONTENT_TYPE,
};

const DURATION: &str = "http_server_request_duration_seconds";
const REQUEST_SIZE: &str = "http_server_request_body_size_bytes";
const RESPONSE_SIZE: &str = "http_server_response_body_size_bytes";
const FAMILIES: [&str; 3] = [DURATION, REQUEST_SIZE, RESPONSE_SIZE];

/// What Prometheus 2.42 sends with `--enable-feature=native-histograms`.
const PROMETHEUS_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// What Prometheus 2.42 sends without it.
const PROMETHEUS_CLASSIC: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// The media range that names Prometheus' protobuf format.
const PROTOBUF: &str =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

/// Durations' zero threshold and top (seconds), body sizes' (bytes).
const DURATION_WINDOW: (f64, f64) = (1.0 / 1_048_576.0, 4096.0);
const SIZE_WINDOW: (f64, f64) = (0.5, 68_719_476_736.0);

/// Response body sizes and how many times each is sent.
const SIZES: [(u64, u64); 7] = [
    (0, 2),
    (1, 3),
    (3, 1),
    (100, 2),
    (1000, 1),
    (4096, 2),
    (70_000, 1),
];

#[route_labels::register]
#[get("/bytes/{n}")]
async fn sized(n: web::Path<usize>) -> HttpResponse {
    HttpResponse::Ok().body(vec![b'x'; n.into_inner()])
}

#[route_labels::register]
#[get("/status/{code}")]
async fn with_status(code: web::Path<u16>) -> HttpResponse {
    HttpResponse::new(StatusCode::from_u16(code.into_inner()).expect("a status code"))
}

/// Never reads the body: it counts as its declared `Content-Length`.
#[route_labels::register]
#[post("/upload")]
async fn upload() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

async fn start(
    mode: Histograms,
    native: NativeBuckets,
) -> (
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
    HttpMetrics,
) {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::builder()
        .histograms(mode)
        .native_buckets(native)
        .body_sizes(DEFAULT_BODY_SIZE_BUCKETS)
        .build(&mut registry)
        .unwrap();
    let endpoint = MetricsEndpoint::new("/metrics", Arc::new(registry));
    let app = init_service(
        metrics.app(
            App::new()
                .service(
                    web::scope("/api")
                        .service(sized)
                        .service(with_status)
                        .service(upload),
                )
                .service(endpoint),
        ),
    )
    .await;
    (app, metrics)
}

/// Sends `req`, reads the whole response body (so that it is counted);
/// returns the status.
async fn call<S, B>(app: &S, req: TestRequest) -> u16
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    match app.call(req.to_request()).await {
        Ok(res) => {
            let status = res.status().as_u16();
            test::read_body(res).await;
            status
        }
        Err(err) => err.as_response_error().status_code().as_u16(),
    }
}

async fn send_sizes<S, B>(app: &S)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    for (size, times) in SIZES {
        for _ in 0..times {
            let req = TestRequest::get().uri(&format!("/api/bytes/{size}"));
            assert_eq!(call(app, req).await, 200);
        }
    }
}

/// Scrapes in Prometheus' protobuf format and decodes it.
async fn scrape_protobuf<S, B>(app: &S) -> Vec<MetricFamily>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (content_type, body) = common::scrape_bytes(app, Some(PROMETHEUS_NATIVE)).await;
    assert_protobuf_content_type(&content_type);
    protobuf::decode(&body)
}

/// The content type, as Prometheus 2.42 checks it: the media type, then
/// `proto` and `encoding` among its parameters.
fn assert_protobuf_content_type(content_type: &str) {
    assert_eq!(content_type, PROMETHEUS_PROTOBUF_CONTENT_TYPE);
    let mut parts: Vec<&str> = content_type.split(';').map(str::trim).collect();
    assert_eq!(parts.remove(0), "application/vnd.google.protobuf");
    parts.sort_unstable();
    assert_eq!(
        parts,
        [
            "encoding=delimited",
            "proto=io.prometheus.client.MetricFamily"
        ]
    );
}

/// Every histogram of family `name`, with its metric.
fn histograms<'a>(
    families: &'a [MetricFamily],
    name: &str,
) -> Vec<(&'a protobuf::Metric, &'a Histogram)> {
    let family = families
        .iter()
        .find(|family| family.name == name)
        .unwrap_or_else(|| panic!("no family {name}"));
    assert_eq!(family.r#type, protobuf::HISTOGRAM, "{name}");
    family
        .metric
        .iter()
        .map(|metric| (metric, metric.histogram.as_ref().expect("a histogram")))
        .collect()
}

/// The one histogram of family `name` for `method` and `route`.
fn series<'a>(
    families: &'a [MetricFamily],
    name: &str,
    method: &str,
    route: &str,
) -> &'a Histogram {
    let found: Vec<_> = histograms(families, name)
        .into_iter()
        .filter(|(m, _)| {
            m.label("http_request_method") == Some(method) && m.label("http_route") == Some(route)
        })
        .collect();
    assert_eq!(found.len(), 1, "{name} {method} {route}");
    found[0].1
}

/// The configured classic bounds of family `name`, `+Inf` added.
fn classic_bounds(name: &str) -> Vec<f64> {
    let bounds: &[f64] = if name == DURATION {
        &DEFAULT_BUCKETS
    } else {
        &DEFAULT_BODY_SIZE_BUCKETS
    };
    bounds.iter().copied().chain([f64::INFINITY]).collect()
}

/// A protobuf histogram has what `mode` promises: classic buckets
/// (Classic, Both) or only `+Inf` (Native), native fields (Native, Both)
/// or none (Classic), and counts that agree.
fn assert_protobuf_shape(mode: Histograms, name: &str, h: &Histogram) {
    let bounds: Vec<f64> = h.bucket.iter().map(|b| b.upper_bound).collect();
    let expected = match mode {
        Histograms::Native => vec![f64::INFINITY],
        _ => classic_bounds(name),
    };
    assert_eq!(bounds, expected, "{mode:?} {name} classic bounds");
    let last = h.bucket.last().expect("a +Inf bucket");
    assert_eq!(last.cumulative_count, h.sample_count, "{mode:?} {name}");
    if mode == Histograms::Classic {
        assert!(!h.is_native(), "{name} has native fields: {h:?}");
        assert!(h.positive_span.is_empty() && h.schema == 0, "{name}: {h:?}");
    } else {
        assert!(h.is_native(), "Prometheus reads {name} as classic: {h:?}");
        assert!(h.negative_span.is_empty(), "{name}: no value is negative");
        let native: u64 = h.zero_count + h.positive_buckets().values().sum::<u64>();
        assert_eq!(native, h.sample_count, "{mode:?} {name} native count");
    }
}

/// A text histogram has what `mode` promises: every classic bucket, or
/// only `+Inf`; the `+Inf` bucket is the count, and a `_sum` is there.
fn assert_text_shape(mode: Histograms, samples: &[common::Sample]) {
    for name in FAMILIES {
        let counts: Vec<_> = samples
            .iter()
            .filter(|s| s.name == format!("{name}_count"))
            .collect();
        assert!(!counts.is_empty(), "{mode:?}: no {name}");
        for count in counts {
            let same = |s: &&common::Sample| {
                let mut labels = s.labels.clone();
                labels.remove("le");
                labels == count.labels
            };
            let buckets: Vec<_> = samples
                .iter()
                .filter(|s| s.name == format!("{name}_bucket"))
                .filter(same)
                .collect();
            let expected = if mode == Histograms::Native {
                1
            } else {
                classic_bounds(name).len()
            };
            assert_eq!(
                buckets.len(),
                expected,
                "{mode:?} {name} {:?}",
                count.labels
            );
            let last = buckets.last().unwrap();
            assert_eq!(last.labels["le"], "+Inf");
            assert_eq!(
                last.value, count.value,
                "{mode:?} {name} {:?}",
                count.labels
            );
            let sums = samples.iter().filter(|s| s.name == format!("{name}_sum"));
            assert_eq!(sums.filter(same).count(), 1, "{mode:?} {name} _sum");
        }
    }
}

/// The text sample of `name` for the `/api/bytes/{n}` route.
fn bytes_route_value(samples: &[common::Sample], name: &str) -> f64 {
    let sample = samples
        .iter()
        .find(|s| s.name == name && s.labels["http_route"] == "/api/bytes/{n}")
        .unwrap_or_else(|| panic!("no {name} for /api/bytes/{{n}}"));
    sample.value
}

/// The bucket indices a histogram laid out from `window` (zero threshold,
/// top) spans at `schema`: from the first above the threshold to the top's.
fn window(schema: i32, (zero_threshold, top): (f64, f64)) -> (i32, i32) {
    let above = f64::from_bits(zero_threshold.to_bits() + 1);
    (index_of(schema, above), index_of(schema, top))
}

/// The highest schema up to `schema` whose window fits in `max` buckets,
/// with its bucket count.
fn fitting(schema: i32, max: u32, bounds: (f64, f64)) -> (i32, u32) {
    (-4..=schema)
        .rev()
        .map(|s| {
            let (first, last) = window(s, bounds);
            (s, (last - first + 1) as u32)
        })
        .find(|&(_, buckets)| buckets <= max)
        .expect("a schema fits")
}

/// The zero count and native buckets `values` (value, times) fill at
/// `schema` for body sizes, values past the top in the top's bucket.
fn predicted(schema: i32, values: &[(u64, u64)]) -> (u64, BTreeMap<i32, u64>) {
    let (zero_threshold, _) = SIZE_WINDOW;
    let (_, top) = window(schema, SIZE_WINDOW);
    let mut zero = 0;
    let mut buckets = BTreeMap::new();
    for &(value, times) in values {
        if value as f64 <= zero_threshold {
            zero += times;
        } else {
            *buckets
                .entry(index_of(schema, value as f64).min(top))
                .or_insert(0) += times;
        }
    }
    (zero, buckets)
}

/// Prometheus' own `Accept` header, native histograms on, gets the protobuf
/// format in every mode, and off gets OpenMetrics; `text/plain;version=0.0.4`
/// gets Prometheus text. Each decodes or parses and has what its mode
/// promises: classic buckets only (Classic), native fields and a single
/// `+Inf` bucket (Native), both (Both); a Native text scrape is a `200`
/// whose histograms carry count and sum as `+Inf`, `_count` and `_sum`.
/// Catches: protobuf served as text or text as protobuf, native fields
/// Prometheus would not see as native (no zero threshold), classic buckets
/// leaking into Native mode or missing from Both, a Native text scrape
/// failing to encode (prometheus-client rejects native-only histograms in
/// OpenMetrics), count and sum lost from the text.
#[actix_web::test]
async fn each_mode_serves_prometheus_the_format_it_asks_for() {
    for mode in [Histograms::Classic, Histograms::Native, Histograms::Both] {
        let (app, _) = start(mode, NativeBuckets::default()).await;
        for n in [10, 10, 5000] {
            let req = TestRequest::get().uri(&format!("/api/bytes/{n}"));
            assert_eq!(call(&app, req).await, 200);
        }

        let families = scrape_protobuf(&app).await;
        for name in FAMILIES {
            for (_, h) in histograms(&families, name) {
                assert_protobuf_shape(mode, name, h);
            }
        }
        let sent = series(&families, RESPONSE_SIZE, "GET", "/api/bytes/{n}");
        assert_eq!(
            (sent.sample_count, sent.sample_sum),
            (3, 5020.0),
            "{mode:?}"
        );

        for (accept, content_type) in [
            (PROMETHEUS_CLASSIC, OPENMETRICS_CONTENT_TYPE),
            ("text/plain;version=0.0.4", PROMETHEUS_TEXT_CONTENT_TYPE),
        ] {
            let (got, body) = common::scrape_bytes(&app, Some(accept)).await;
            assert_eq!(got, content_type, "{mode:?} {accept}");
            let text = String::from_utf8(body).expect("a text format");
            assert_eq!(
                text.ends_with("# EOF\n"),
                content_type == OPENMETRICS_CONTENT_TYPE
            );
            let samples = common::samples(&text);
            assert_text_shape(mode, &samples);
            let count = bytes_route_value(&samples, &format!("{RESPONSE_SIZE}_count"));
            let sum = bytes_route_value(&samples, &format!("{RESPONSE_SIZE}_sum"));
            assert_eq!((count, sum), (3.0, 5020.0), "{mode:?} {accept}");
        }
    }
}

/// The protobuf format only when the `Accept` header names it, with its
/// `proto` and `encoding=delimited`, at a q above zero and above the text
/// formats' (a tie goes to OpenMetrics, then protobuf, then Prometheus
/// text); a wildcard never gets it. Catches: `*/*` or a missing header
/// answered in binary (a browser or `curl` gets protobuf), `q=0` ignored,
/// q-values ignored in favour of order, another protobuf encoding taken for
/// the delimited one.
#[actix_web::test]
async fn q_values_decide_between_protobuf_and_text() {
    let (app, _) = start(Histograms::Both, NativeBuckets::default()).await;
    let (om, pb, text) = (
        OPENMETRICS_CONTENT_TYPE,
        PROMETHEUS_PROTOBUF_CONTENT_TYPE,
        PROMETHEUS_TEXT_CONTENT_TYPE,
    );
    let named = |accept: &str| Some(accept.to_owned());
    let delimited = |params: &str| Some(format!("{PROTOBUF}{params}"));
    let cases = [
        (om, None),
        (om, named("*/*")),
        (om, named("application/*")),
        (pb, named(PROTOBUF)),
        (pb, named(PROMETHEUS_PROTOBUF_CONTENT_TYPE)),
        (om, delimited(";q=0,application/openmetrics-text;q=0.2")),
        (om, delimited(";q=0, */*")),
        // Listed after text, preferred by q.
        (pb, named(&format!("text/plain;q=0.5,{PROTOBUF};q=0.9"))),
        (text, delimited(";q=0.3,text/plain;version=0.0.4;q=0.5")),
        (pb, delimited(";q=0.5,text/plain;version=0.0.4;q=0.5")),
        (om, delimited(";q=0.5,application/openmetrics-text;q=0.5")),
        // The protobuf text encoding, not the delimited one.
        (om, named(&PROTOBUF.replace("delimited", "text,*/*"))),
    ];
    for (expected, accept) in cases {
        let (content_type, body) = common::scrape_bytes(&app, accept.as_deref()).await;
        assert_eq!(content_type, expected, "Accept: {accept:?}");
        if expected == pb {
            assert!(!protobuf::decode(&body).is_empty(), "Accept: {accept:?}");
        } else {
            let text = String::from_utf8(body).expect("a text format");
            assert!(!common::samples(&text).is_empty(), "Accept: {accept:?}");
        }
    }
}

/// Response bodies of 0 to 70000 bytes, each sent a known number of times,
/// are in the native buckets Prometheus' index rule gives at the decoded
/// schema (the default, 2), a 0 in the zero bucket (threshold 0.5); the
/// count and the buckets add up to the requests, the sum to the bytes; the
/// body-less requests are all in the request size's zero bucket. In Both
/// mode the classic buckets count the same responses. Catches: an
/// off-by-one at a power of two (1 and 4096 are bucket bounds), a 0-byte
/// body indexed as log2(0), spans or deltas mis-encoded (a wrong first
/// offset shifts every bucket), a size recorded in the wrong unit.
#[actix_web::test]
async fn body_sizes_are_in_the_native_buckets_prometheus_expects() {
    for mode in [Histograms::Native, Histograms::Both] {
        let (app, _) = start(mode, NativeBuckets::default()).await;
        send_sizes(&app).await;
        let families = scrape_protobuf(&app).await;

        let sent = series(&families, RESPONSE_SIZE, "GET", "/api/bytes/{n}");
        assert_eq!((sent.schema, sent.zero_threshold), (2, 0.5), "{mode:?}");
        let (zero, buckets) = predicted(sent.schema, &SIZES);
        assert_eq!(sent.zero_count, zero, "{mode:?} zero bucket");
        assert_eq!(sent.positive_buckets(), buckets, "{mode:?}");
        let requests: u64 = SIZES.iter().map(|(_, times)| times).sum();
        let bytes: u64 = SIZES.iter().map(|(size, times)| size * times).sum();
        assert_eq!(sent.sample_count, requests, "{mode:?}");
        assert_eq!(sent.sample_sum, bytes as f64, "{mode:?}");
        assert_protobuf_shape(mode, RESPONSE_SIZE, sent);
        if mode == Histograms::Both {
            for bucket in &sent.bucket {
                let at_most: u64 = SIZES
                    .iter()
                    .filter(|&&(size, _)| size as f64 <= bucket.upper_bound)
                    .map(|(_, times)| times)
                    .sum();
                assert_eq!(
                    bucket.cumulative_count, at_most,
                    "le {}",
                    bucket.upper_bound
                );
            }
        }

        let received = series(&families, REQUEST_SIZE, "GET", "/api/bytes/{n}");
        assert_eq!(received.zero_count, requests, "{mode:?}: GETs have no body");
        assert!(received.positive_buckets().is_empty(), "{mode:?}");
        assert_eq!(
            (received.sample_count, received.sample_sum),
            (requests, 0.0)
        );
    }
}

/// Every request is counted once in the native duration buckets: zero
/// count plus buckets equal `sample_count`, which equals the request count
/// sent, the `+Inf` bucket and the text scrape's `_count`; `sample_sum`
/// equals the text's `_sum`. The layout is the default one (schema 2, zero
/// threshold 2^-20 s) and every bucket is inside it. Catches: a duration
/// recorded in native buckets but not in the count (or twice), nanoseconds
/// exported as seconds (buckets 30 powers of two off, out of the window),
/// native and classic fed from different observations.
#[actix_web::test]
async fn native_durations_count_every_request_once() {
    for mode in [Histograms::Native, Histograms::Both] {
        let (app, _) = start(mode, NativeBuckets::default()).await;
        for _ in 0..5 {
            assert_eq!(
                call(&app, TestRequest::get().uri("/api/bytes/1")).await,
                200
            );
        }
        for _ in 0..3 {
            assert_eq!(
                call(&app, TestRequest::get().uri("/api/status/404")).await,
                404
            );
        }
        for path in ["/nope", "/nope/again"] {
            assert_eq!(call(&app, TestRequest::get().uri(path)).await, 404);
        }
        let families = scrape_protobuf(&app).await;
        // Between the two scrapes, only the scrapes' own series changes.
        let (_, text) = common::scrape_bytes(&app, None).await;
        let samples = common::samples(&String::from_utf8(text).unwrap());

        let (first, last) = window(2, DURATION_WINDOW);
        let mut checked = 0;
        for (metric, h) in histograms(&families, DURATION) {
            let route = metric.label("http_route").unwrap();
            if route == "/metrics" {
                continue;
            }
            assert_eq!((h.schema, h.zero_threshold), (2, DURATION_WINDOW.0));
            assert_protobuf_shape(mode, DURATION, h);
            let buckets = h.positive_buckets();
            assert!(
                buckets.keys().all(|i| (first..=last).contains(i)),
                "{route}: buckets {buckets:?} outside {first}..={last}"
            );
            let method = metric.label("http_request_method").unwrap();
            let code = metric.label("http_response_status_code").unwrap();
            let text = |suffix: &str| {
                samples
                    .iter()
                    .find(|s| {
                        s.name == format!("{DURATION}_{suffix}")
                            && s.labels["http_route"] == route
                            && s.labels["http_response_status_code"] == code
                    })
                    .unwrap_or_else(|| panic!("no text {suffix} for {route}"))
                    .value
            };
            assert_eq!(h.sample_count as f64, text("count"), "{mode:?} {route}");
            assert_eq!(h.sample_sum, text("sum"), "{mode:?} {route}");
            assert_eq!(
                h.sample_count as f64,
                common::count(&samples, method, route, code)
            );
            checked += h.sample_count;
        }
        assert_eq!(checked, 10, "{mode:?}: every request, once");
        let expected = [
            ("/api/bytes/{n}", 5),
            ("/api/status/{code}", 3),
            ("unmatched", 2),
        ];
        for (route, n) in expected {
            assert_eq!(series(&families, DURATION, "GET", route).sample_count, n);
        }
    }
}

/// Asked for more resolution than fits, each histogram is laid out at the
/// highest schema whose buckets, from the zero threshold to the top, fit in
/// `max_buckets`: durations and body sizes each their own (8 with 128:
/// durations fit exactly at 2, sizes need 1). The sizes are in the buckets
/// of that schema, no series carries more than `max_native_buckets()`,
/// which is the larger layout's count and at most `max_buckets`. Catches:
/// the maximum ignored (schema 8 exported), the schema lowered one step
/// too far or not far enough, buckets indexed at the requested schema but
/// exported at the lowered one, rounding toward zero at negative schemas.
#[actix_web::test]
async fn the_schema_is_lowered_until_the_buckets_fit() {
    for (schema, max) in [(8, 160), (8, 128), (3, 300), (2, 100), (8, 40), (-4, 160)] {
        let native = NativeBuckets::default().schema(schema).max_buckets(max);
        let (app, metrics) = start(Histograms::Native, native).await;
        send_sizes(&app).await;
        let families = scrape_protobuf(&app).await;

        let case = format!("schema({schema}).max_buckets({max})");
        let (durations, duration_buckets) = fitting(schema.into(), max.into(), DURATION_WINDOW);
        let (sizes, size_buckets) = fitting(schema.into(), max.into(), SIZE_WINDOW);
        let bound = metrics.max_native_buckets();
        assert_eq!(bound, duration_buckets.max(size_buckets), "{case}");
        assert!(bound <= u32::from(max), "{case}: {bound}");
        for name in FAMILIES {
            let expected = if name == DURATION { durations } else { sizes };
            for (_, h) in histograms(&families, name) {
                assert_eq!(h.schema, expected, "{case} {name}");
                assert!(h.native_bucket_count() <= bound, "{case} {name}: {h:?}");
            }
        }
        let sent = series(&families, RESPONSE_SIZE, "GET", "/api/bytes/{n}");
        let (zero, buckets) = predicted(sizes, &SIZES);
        assert_eq!(
            (sent.zero_count, sent.positive_buckets()),
            (zero, buckets),
            "{case}"
        );
    }
}

/// Request bodies declared larger than the top (2^36 bytes), unread, count
/// in the last bucket, the top itself too, and the sum keeps their sizes.
/// Catches: a value past the top indexed past the layout (a bucket beyond
/// `max_native_buckets()`) or dropped from the buckets but kept in the count.
#[actix_web::test]
async fn sizes_past_the_top_count_in_the_last_bucket() {
    let (app, metrics) = start(Histograms::Native, NativeBuckets::default()).await;
    let declared: [u64; 3] = [1 << 36, (1 << 36) + 1, 1 << 40];
    for length in declared {
        let req = TestRequest::post()
            .uri("/api/upload")
            .set_payload("x")
            .insert_header(("content-length", length.to_string()));
        assert_eq!(call(&app, req).await, 204);
    }
    let families = scrape_protobuf(&app).await;
    let received = series(&families, REQUEST_SIZE, "POST", "/api/upload");
    let (_, top) = window(received.schema, SIZE_WINDOW);
    assert_eq!(received.positive_buckets(), BTreeMap::from([(top, 3)]));
    assert_eq!(received.sample_count, 3);
    assert_eq!(received.sample_sum, declared.iter().sum::<u64>() as f64);
    assert!(received.native_bucket_count() <= metrics.max_native_buckets());
}

/// A flood of distinct paths, methods and status codes, and request bodies
/// of every size the layout has (and past it): no histogram of the protobuf
/// scrape carries more native buckets than `max_native_buckets()` (the
/// flood brings one near it), and neither text scrape has more samples
/// than `max_samples()`, read before the flood. Catches: native buckets
/// growing with the values seen, a text sample per native bucket, the
/// bound not counting the mode's samples.
#[actix_web::test]
async fn the_bounds_hold_under_a_flood() {
    for mode in [Histograms::Native, Histograms::Both] {
        let (app, metrics) = start(mode, NativeBuckets::default()).await;
        let samples_bound = metrics.max_samples();
        let buckets_bound = metrics.max_native_buckets();
        for j in 0..=160 {
            let length = 2f64.powf(f64::from(j) / 4.0).round() as u64;
            let req = TestRequest::post()
                .uri("/api/upload")
                .set_payload("x")
                .insert_header(("content-length", length.to_string()));
            assert_eq!(call(&app, req).await, 204);
        }
        for k in 0..17 {
            for size in [1 << k, 3 << k] {
                let req = TestRequest::get().uri(&format!("/api/bytes/{size}"));
                assert_eq!(call(&app, req).await, 200);
            }
        }
        for code in (200..=230).chain(400..=430).chain(500..=510) {
            let req = TestRequest::get().uri(&format!("/api/status/{code}"));
            assert_eq!(call(&app, req).await, code);
        }
        let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"];
        for i in 0..300 {
            let method = match methods.get(i % 9) {
                Some(method) => (*method).to_owned(),
                None => format!("FLOOD{i}"),
            };
            let req = TestRequest::default()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&format!("/junk/{i}/{}", i * 7));
            call(&app, req).await;
        }

        let families = scrape_protobuf(&app).await;
        let mut most = 0;
        for name in FAMILIES {
            for (metric, h) in histograms(&families, name) {
                let carried = h.native_bucket_count();
                assert!(
                    carried <= buckets_bound,
                    "{mode:?} {name} {:?}: {carried} > {buckets_bound}",
                    metric.label
                );
                most = most.max(carried);
            }
        }
        assert!(
            most > buckets_bound / 2,
            "{mode:?}: the flood reached {most} buckets"
        );

        for accept in [None, Some("text/plain;version=0.0.4")] {
            let (_, body) = common::scrape_bytes(&app, accept).await;
            let text = String::from_utf8(body).unwrap();
            let exposed = text
                .lines()
                .filter(|line| line.starts_with("http_server"))
                .count() as u64;
            assert!(
                exposed <= samples_bound,
                "{mode:?} {accept:?}: {exposed} samples > max_samples() {samples_bound}"
            );
        }
        assert_eq!(metrics.max_samples(), samples_bound, "{mode:?}");
    }
}
