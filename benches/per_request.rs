//! Per-request overhead, in process (issue 4, benchmark 1).
//!
//! Four apps with the same 5, 50 or 500 routes answer `GET` on the last
//! registered route through `actix_web::test` services (no network): bare
//! actix-web, route-labels' `HttpMetrics`, actix-web-prom 0.10 with default
//! settings, and the naive middleware (a prometheus-client `Family` labelled
//! by the raw path).
//!
//! Criterion times each app on its own. The overhead table then comes from
//! interleaved rounds: each round sends [`ROUND`] requests to every app in
//! turn, and an app's overhead is the median over rounds of its time minus
//! the bare app's time in the same round. Pairing within a round cancels the
//! drift that separate runs see.
//!
//! At 500 routes actix-web itself takes microseconds (it tries the routes in
//! order), and two instances of the very same bare app differ by up to 5%,
//! by where their 500 resources landed in memory: more than the overheads
//! measured. So the rounds rotate through [`INSTANCES`] instances of every
//! app (each set built in a different order), pairing each instance of an
//! app with each instance of bare, and a control column pairs bare instances
//! with each other: its spread is the measurement's floor. For a count free
//! of that noise, `scripts/bench-profile.sh` counts instructions per request
//! with callgrind (see [`ONLY`]).
//!
//! `cargo bench --bench per_request`; it prints the criterion estimates, then
//! the overhead table and the goals.

mod routes;

use std::hint::black_box;
use std::time::{Duration, Instant};

use actix_http::Request;
use actix_web::body::{MessageBody, to_bytes};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::rt::SystemRunner;
use actix_web::{App, test};
use actix_web_prom::PrometheusMetricsBuilder;
use criterion::{Criterion, criterion_group, criterion_main};
use prometheus_client::registry::Registry;
use route_labels::{Histograms, HttpMetrics};
use route_labels_suite::naive::NaiveMetrics;

const ROUTE_COUNTS: [usize; 3] = [5, 50, 500];

/// The apps, in table order; the first is the baseline.
const APPS: [&str; 4] = ["bare", "route-labels", "actix-web-prom", "naive"];

/// Requests are built before the clock starts, this many at a time.
const BATCH: u64 = 64;

/// Requests per app per interleaved round.
const ROUND: u64 = 4 * BATCH;

/// How long the interleaved rounds run, per route count.
const INTERLEAVED: Duration = Duration::from_secs(8);

/// Instances of every app in the interleaved rounds.
const INSTANCES: usize = 16;

/// The columns of the overhead table: the apps, then the control.
const COLUMNS: usize = APPS.len() + 1;

/// Sends `n` requests to one app; returns the time they took in the app.
type Run<'a> = Box<dyn Fn(u64) -> Duration + 'a>;

/// What is done with each response's body, inside the timed part.
#[derive(Debug, Clone, Copy)]
enum Body {
    /// Read to its end, as a server sends it: the default.
    Read,
    /// Dropped unread, as `actix_web::test::call_service` leaves it.
    Drop,
}

/// With `PER_REQUEST_ONLY=APP:ROUTES:REQUESTS[:drop]` in the environment, the
/// benchmark only sends REQUESTS requests to one app and exits (with `:drop`,
/// dropping each response's body unread, see [`Body`]): run it twice
/// under `valgrind --tool=callgrind` with two request counts, and the
/// difference in instructions divided by the difference in requests is the
/// app's instructions per request, free of timing noise
/// (`scripts/bench-profile.sh`).
const ONLY: &str = "PER_REQUEST_ONLY";

/// With `HISTOGRAMS=native` or `both` in the environment, route-labels
/// records native histograms (`scripts/instructions-native.sh`); classic
/// only otherwise.
const HISTOGRAMS: &str = "HISTOGRAMS";

fn histograms() -> Histograms {
    match std::env::var(HISTOGRAMS).as_deref() {
        Ok("native") => Histograms::Native,
        Ok("both") => Histograms::Both,
        Ok("classic") | Err(_) => Histograms::Classic,
        Ok(other) => panic!("{HISTOGRAMS}={other}: classic, native or both"),
    }
}

fn per_request(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    if let Ok(only) = std::env::var(ONLY) {
        let parse = || -> Option<(usize, usize, u64, Body)> {
            let mut parts = only.split(':');
            let name = parts.next()?;
            let app = APPS.iter().position(|app| *app == name)?;
            let count = parts.next()?.parse().ok()?;
            let requests = parts.next()?.parse().ok()?;
            let body = match parts.next() {
                None => Body::Read,
                Some("drop") => Body::Drop,
                Some(_) => return None,
            };
            Some((app, count, requests, body))
        };
        let (app, count, requests, body) = parse()
            .unwrap_or_else(|| panic!("{ONLY}=APP:ROUTES:REQUESTS[:drop], APP one of {APPS:?}"));
        let uri = routes::path(count - 1);
        app_run(&system, app, count, &uri, body)(requests);
        return;
    }
    let mut table = Vec::new();
    for count in ROUTE_COUNTS {
        let uri = routes::path(count - 1);
        let instances: Vec<[Run<'_>; 4]> = (0..INSTANCES)
            .map(|i| apps(&system, count, &uri, i))
            .collect();

        let mut group = c.benchmark_group(format!("per-request-{count}-routes"));
        for (name, run) in APPS.iter().zip(&instances[0]) {
            group.bench_function(*name, |b| b.iter_custom(run));
        }
        group.finish();

        // `cargo bench` passes `--bench`; `cargo test --benches` does not,
        // and only checks that each benchmark runs, as `--test` does.
        // `--profile-time` is for a profiler: criterion's loop only.
        let args: Vec<String> = std::env::args().collect();
        let has = |flag: &str| args.iter().any(|arg| arg == flag);
        if has("--bench") && !has("--test") && !has("--profile-time") {
            table.push((count, interleave(&instances)));
        }
    }
    if !table.is_empty() {
        print_table(&table);
    }
}

/// The four apps with the first `count` bench routes, in [`APPS`] order,
/// built starting with app `first` (so that no app is always built first,
/// on the emptiest heap), each checked to answer `GET uri` with 200.
fn apps<'a>(system: &'a SystemRunner, count: usize, uri: &'a str, first: usize) -> [Run<'a>; 4] {
    let mut apps: [Option<Run<'a>>; 4] = Default::default();
    for k in 0..APPS.len() {
        let app = (first + k) % APPS.len();
        apps[app] = Some(app_run(system, app, count, uri, Body::Read));
    }
    apps.map(|app| app.expect("every app is built"))
}

/// App `app` of [`APPS`] with the first `count` bench routes.
fn app_run<'a>(
    system: &'a SystemRunner,
    app: usize,
    count: usize,
    uri: &'a str,
    body: Body,
) -> Run<'a> {
    match app {
        0 => {
            let bare = App::new().configure(routes::mount_plain(count));
            run(
                system,
                APPS[0],
                system.block_on(test::init_service(bare)),
                uri,
                body,
            )
        }
        1 => {
            let mut registry = Registry::default();
            let metrics = HttpMetrics::builder()
                .histograms(histograms())
                .build(&mut registry)
                .expect("the bench routes are distinct");
            let app = App::new()
                .configure(routes::mount_registered(count))
                .wrap(metrics);
            let run = run(
                system,
                APPS[1],
                system.block_on(test::init_service(app)),
                uri,
                body,
            );
            let mut text = String::new();
            prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
            assert!(
                text.contains(&format!(
                    "http_server_request_duration_seconds_count{{http_request_method=\"GET\",\
                     http_response_status_code=\"200\",http_route=\"{}\"}}",
                    routes::template(count - 1)
                )),
                "route-labels counts the request under its template"
            );
            run
        }
        2 => {
            let prometheus = PrometheusMetricsBuilder::new("api")
                .endpoint("/metrics")
                .build()
                .expect("actix-web-prom builds with default settings");
            let app = App::new()
                .configure(routes::mount_plain(count))
                .wrap(prometheus);
            run(
                system,
                APPS[2],
                system.block_on(test::init_service(app)),
                uri,
                body,
            )
        }
        _ => {
            let naive = NaiveMetrics::new(&mut Registry::default());
            let app = App::new().configure(routes::mount_plain(count)).wrap(naive);
            run(
                system,
                APPS[3],
                system.block_on(test::init_service(app)),
                uri,
                body,
            )
        }
    }
}

/// Checks that `app` answers `GET uri` with 200, then wraps it as a [`Run`].
fn run<'a, S, B>(system: &'a SystemRunner, name: &str, app: S, uri: &'a str, body: Body) -> Run<'a>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error> + 'a,
    B: MessageBody,
{
    let status = system
        .block_on(app.call(test::TestRequest::get().uri(uri).to_request()))
        .expect("the app answers")
        .status();
    assert_eq!(status, 200, "{name} answers GET {uri}");
    Box::new(move |n| system.block_on(requests(&app, uri, n, body)))
}

/// Sends `n` requests to `app`; returns the time spent in the app.
async fn requests<S, B>(app: &S, uri: &str, n: u64, body: Body) -> Duration
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut elapsed = Duration::ZERO;
    let mut left = n;
    let mut batch = Vec::with_capacity(BATCH as usize);
    while left > 0 {
        let size = left.min(BATCH);
        batch.extend((0..size).map(|_| test::TestRequest::get().uri(uri).to_request()));
        let start = Instant::now();
        for req in batch.drain(..) {
            let res = app.call(req).await.expect("the app answers");
            // Reading or dropping the body is part of the request:
            // route-labels records when the last byte is read, or when an
            // unread body is dropped, actix-web-prom when the body is dropped.
            match body {
                Body::Read => {
                    let Ok(bytes) = to_bytes(res.into_body()).await else {
                        panic!("the body reads");
                    };
                    black_box(bytes);
                }
                Body::Drop => drop(black_box(res)),
            }
        }
        elapsed += start.elapsed();
        left -= size;
    }
    elapsed
}

/// What the interleaved rounds found for one app: the median time per
/// request, and the median, first and third quartile of the per-round
/// difference to bare, in nanoseconds.
#[derive(Clone, Copy)]
struct Interleaved {
    time: f64,
    overhead: [f64; 3],
}

/// The orders the columns run in, round after round: a Williams design, in
/// which every column runs right after every other one equally often. An
/// app runs a little slower after an app whose code differs more from its
/// own (the caches hold the other's), so a fixed rotation, where each
/// column always follows the same one, biases the differences: by a few
/// percent of bare's time, as much as the overheads measured at 50 routes.
fn orders() -> Vec<[usize; COLUMNS]> {
    // 0, 1, n - 1, 2, n - 2, ...; then each shifted by 1, 2, ...; then, as
    // COLUMNS is odd, each of those reversed.
    let first: [usize; COLUMNS] = std::array::from_fn(|i| match i {
        0 => 0,
        i if i % 2 == 1 => i.div_ceil(2),
        i => COLUMNS - i / 2,
    });
    let shifted = (0..COLUMNS).map(|shift| first.map(|column| (column + shift) % COLUMNS));
    let orders: Vec<[usize; COLUMNS]> = shifted
        .clone()
        .chain(shifted.map(|mut order| {
            order.reverse();
            order
        }))
        .collect();
    let mut follows = [[0; COLUMNS]; COLUMNS];
    for order in &orders {
        for pair in order.windows(2) {
            follows[pair[0]][pair[1]] += 1;
        }
    }
    for (a, row) in follows.iter().enumerate() {
        for (b, &times) in row.iter().enumerate() {
            assert_eq!(times, if a == b { 0 } else { 2 }, "{a} then {b}");
        }
    }
    orders
}

/// Runs rounds of [`ROUND`] requests to every app in turn for
/// [`INTERLEAVED`], in the [`orders`] one after the other. Round `r` uses
/// bare instance `b = r % n` and instance `(b + 1 + (r / n) % (n - 1)) % n`
/// of the others (the control column: of bare), so that every pair of two
/// instances meets, and both change every round: an instance run in many
/// rounds in a row finds its data in the caches, and would run faster than
/// the ones it is compared with.
fn interleave(instances: &[[Run<'_>; 4]]) -> [Interleaved; COLUMNS] {
    for apps in instances {
        for run in apps {
            run(ROUND); // warm up
        }
    }
    let n = instances.len();
    let orders = orders();
    let mut times: [Vec<f64>; COLUMNS] = Default::default();
    let start = Instant::now();
    let mut round = 0;
    while start.elapsed() < INTERLEAVED {
        let base = round % n;
        let other = (base + 1 + (round / n) % (n - 1)) % n;
        let (base, other) = (&instances[base], &instances[other]);
        let runs: [&Run<'_>; COLUMNS] = [&base[0], &other[1], &other[2], &other[3], &other[0]];
        for &column in &orders[round % orders.len()] {
            let elapsed = runs[column](ROUND);
            times[column].push(elapsed.as_nanos() as f64 / ROUND as f64);
        }
        round += 1;
    }
    std::array::from_fn(|column| {
        let mut differences: Vec<f64> = times[column]
            .iter()
            .zip(&times[0])
            .map(|(time, bare)| time - bare)
            .collect();
        Interleaved {
            time: quantile(&mut times[column].clone(), 0.5),
            overhead: [
                quantile(&mut differences, 0.5),
                quantile(&mut differences, 0.25),
                quantile(&mut differences, 0.75),
            ],
        }
    })
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    values[index]
}

fn print_table(table: &[(usize, [Interleaved; COLUMNS])]) {
    println!(
        "\nPer request, interleaved rounds of {ROUND} requests for {INTERLEAVED:?} per route \
         count, {INSTANCES} instances of each app:"
    );
    println!(
        "median time, and overhead = median of (app - bare) per round [first quartile, third quartile]"
    );
    println!(
        "| routes | bare | control: bare - bare | route-labels | actix-web-prom | naive | route-labels / actix-web-prom overhead |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let cell = |app: &Interleaved| {
        let [median, low, high] = app.overhead;
        format!("+{median:.0} ns [{low:.0}, {high:.0}]")
    };
    for (count, row) in table {
        let mut line = format!("| {count} | {:.0} ns | {}", row[0].time, cell(&row[4]));
        for app in &row[1..4] {
            line += &format!(" | {:.0} ns: {}", app.time, cell(app));
        }
        println!("{line} | {:.2} |", row[1].overhead[0] / row[2].overhead[0]);
    }
    let overhead = |count: usize, app: usize| {
        table
            .iter()
            .find(|(c, _)| *c == count)
            .map(|(_, row)| row[app].overhead[0])
    };
    if let (Some(rl), Some(prom)) = (overhead(50, 1), overhead(50, 2)) {
        println!(
            "goal: route-labels' overhead <= 1/4 of actix-web-prom's at 50 routes: \
             {rl:.0} ns vs {prom:.0} ns = {:.2} ({})",
            rl / prom,
            verdict(rl <= prom / 4.0)
        );
    }
    if let (Some(five), Some(five_hundred)) = (overhead(5, 1), overhead(500, 1)) {
        println!(
            "goal: route-labels' overhead at 500 routes within 1.3x of 5 routes: \
             {five_hundred:.0} ns vs {five:.0} ns = {:.2}x ({})",
            five_hundred / five,
            verdict(five_hundred <= 1.3 * five)
        );
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = per_request
}
criterion_main!(benches);
