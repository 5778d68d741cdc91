//! The flood demo: the same traffic against a naive middleware and against
//! route-labels, and what it does to each server's metrics.
//!
//! [`run`] starts two actix-web servers on loopback ports, each with its own
//! prometheus-client registry and the same handlers: one wrapped in
//! [`NaiveMetrics`], which labels by the raw path and method, the other in
//! [`HttpMetrics`]. It sends each the same requests (ids in paths, scanner
//! probes, query strings, made-up method tokens) over keep-alive
//! connections, and scrapes `/metrics` at fixed checkpoints.
//!
//! Both servers live in one process, so memory is measured per phase: after
//! a warm-up of [`WARM_UP`] identical requests to each server, the
//! route-labels server is flooded first, then the naive one, and each
//! checkpoint records how much the process' resident set grew since its
//! phase began.
//!
//! ```
//! use route_labels_suite::flood::{self, Options};
//!
//! let report = flood::run(&Options { requests: 200, ..Options::default() }, |_, _| {})?;
//! let naive = report.naive.last();
//! let bounded = report.route_labels.last();
//! assert!(naive.series > bounded.series);
//! # Ok::<(), std::io::Error>(())
//! ```

mod app;
mod client;
mod traffic;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};

use crate::naive::NaiveMetrics;
use app::Running;

// The pieces of the demo, for other drivers: `examples/bench_server.rs` and
// `examples/memory_flood.rs` run each server in a process of its own.
pub use app::routes;
pub use client::{Connection, ExpositionStats};
pub use traffic::{Request, request};

/// Where both servers listen: a loopback port the OS picks.
const LOOPBACK: (&str, u16) = ("127.0.0.1", 0);

/// `GET /health` requests sent to each server before the phases begin, not
/// counted in the report.
pub const WARM_UP: u64 = 1_000;

/// Worker threads per server.
const WORKERS: usize = 2;

/// How many times each phase scrapes `/metrics` after its first scrape: the
/// requests are sent in this many equal parts.
pub const PARTS: u64 = 4;

/// What to send.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests sent to each server.
    pub requests: u64,
    /// Client threads per server, each with its own keep-alive connection.
    pub clients: usize,
    /// How long any connect, read or write may wait before the flood fails.
    pub timeout: Duration,
}

impl Default for Options {
    /// 200,000 requests, 6 clients, 60 s timeout (a naive `/metrics` of a
    /// few hundred megabytes takes seconds to encode).
    fn default() -> Self {
        Self {
            requests: 200_000,
            clients: 6,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Which server a phase flooded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// [`NaiveMetrics`]: labels by the raw path and method.
    Naive,
    /// [`HttpMetrics`]: labels by route template.
    RouteLabels,
}

impl Server {
    /// A short name for tables.
    ///
    /// ```
    /// assert_eq!(route_labels_suite::flood::Server::Naive.name(), "naive");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Naive => "naive",
            Self::RouteLabels => "route-labels",
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// One scrape of a server's `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Requests sent to this server before the scrape (scrapes not counted).
    pub requests: u64,
    /// Sample lines in the exposition: each is one series to Prometheus.
    pub series: u64,
    /// Size of the exposition.
    pub bytes: u64,
    /// How much the process' resident set grew since this server's phase
    /// began, measured before the scrape; `None` without `/proc`.
    pub rss_growth: Option<i64>,
}

/// The flood of one server.
#[derive(Debug, Clone)]
pub struct Phase {
    /// The server.
    pub server: Server,
    /// A scrape before the first request, then one after each part.
    pub checkpoints: Vec<Checkpoint>,
    /// Responses by status code (scrapes not counted).
    pub statuses: BTreeMap<u16, u64>,
    /// How long sending the requests and scraping took.
    pub elapsed: Duration,
}

impl Phase {
    /// The last checkpoint.
    ///
    /// # Panics
    ///
    /// If `checkpoints` is empty, which it never is in a phase from [`run`].
    #[must_use]
    pub fn last(&self) -> &Checkpoint {
        self.checkpoints
            .last()
            .expect("a phase has at least its first scrape")
    }
}

/// What [`run`] measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Requests sent to each server.
    pub requests: u64,
    /// The route-labels server, flooded first.
    pub route_labels: Phase,
    /// The naive server, flooded second.
    pub naive: Phase,
    /// [`HttpMetrics::max_samples`] after the flood: the most sample lines
    /// route-labels' HTTP metrics can ever expose.
    pub max_samples: u64,
}

/// Runs the demo: starts both servers, floods route-labels then naive, calls
/// `on_checkpoint` after every scrape, and stops both servers.
///
/// Blocks until done; call it outside any async runtime.
///
/// # Errors
///
/// A request that fails or times out, a server that does not start or stop.
pub fn run(
    options: &Options,
    mut on_checkpoint: impl FnMut(Server, &Checkpoint),
) -> io::Result<Report> {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::new(&mut registry).map_err(io::Error::other)?;
    let registry = Arc::new(registry);
    let server = {
        let metrics = metrics.clone();
        HttpServer::new(move || {
            metrics.app(
                App::new()
                    .configure(app::routes)
                    .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry))),
            )
        })
    };
    let server = server.workers(WORKERS).disable_signals().bind(LOOPBACK)?;
    let bounded = Running::start(Server::RouteLabels.name(), server.addrs()[0], server.run())?;

    let mut registry = Registry::default();
    let naive = NaiveMetrics::new(&mut registry);
    let registry = Arc::new(registry);
    let server = HttpServer::new(move || {
        App::new()
            .configure(app::routes)
            .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
            .wrap(naive.clone())
    });
    let server = server.workers(WORKERS).disable_signals().bind(LOOPBACK)?;
    let unbounded = Running::start(Server::Naive.name(), server.addrs()[0], server.run())?;

    // One-time costs (worker buffers, malloc arenas of client threads) would
    // otherwise land in whichever phase runs first.
    for addr in [bounded.addr(), unbounded.addr()] {
        send(addr, 0..WARM_UP, options, traffic::warm_up)?;
    }
    let route_labels = flood(
        Server::RouteLabels,
        bounded.addr(),
        options,
        &mut on_checkpoint,
    )?;
    let naive = flood(Server::Naive, unbounded.addr(), options, &mut on_checkpoint)?;
    bounded.stop()?;
    unbounded.stop()?;
    Ok(Report {
        requests: options.requests,
        route_labels,
        naive,
        max_samples: metrics.max_samples(),
    })
}

/// Sends `options.requests` requests to `addr` in [`PARTS`] parts, scraping
/// before the first and after each.
fn flood(
    server: Server,
    addr: SocketAddr,
    options: &Options,
    on_checkpoint: &mut impl FnMut(Server, &Checkpoint),
) -> io::Result<Phase> {
    let start = Instant::now();
    let rss_at_start = resident_bytes();
    let mut statuses = BTreeMap::new();
    let mut checkpoints = Vec::new();
    let mut sent = 0;
    for part in 0..=PARTS {
        if part > 0 {
            let end = options.requests * part / PARTS;
            for (status, count) in send(addr, sent..end, options, traffic::request)? {
                *statuses.entry(status).or_insert(0) += count;
            }
            sent = end;
        }
        let rss_growth = growth(rss_at_start, resident_bytes());
        let mut stats = ExpositionStats::default();
        // A new connection each time: a part can outlast the server's
        // keep-alive timeout.
        let code = Connection::new(addr, options.timeout).send("GET", "/metrics", &mut stats)?;
        if code != 200 {
            return Err(io::Error::other(format!(
                "{server}: GET /metrics answered {code}"
            )));
        }
        let checkpoint = Checkpoint {
            requests: sent,
            series: stats.samples,
            bytes: stats.bytes,
            rss_growth,
        };
        on_checkpoint(server, &checkpoint);
        checkpoints.push(checkpoint);
    }
    Ok(Phase {
        server,
        checkpoints,
        statuses,
        elapsed: start.elapsed(),
    })
}

/// Sends `request(i)` for every `i` in `range` from `options.clients`
/// threads, each over its own keep-alive connection; returns the responses by
/// status code.
///
/// # Errors
///
/// The first request that fails or times out.
pub fn send(
    addr: SocketAddr,
    range: Range<u64>,
    options: &Options,
    request: impl Fn(u64) -> Request + Sync,
) -> io::Result<BTreeMap<u16, u64>> {
    let request = &request;
    let clients = options.clients.max(1);
    thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|client| {
                let range = range.clone();
                scope.spawn(move || -> io::Result<BTreeMap<u16, u64>> {
                    let mut connection = Connection::new(addr, options.timeout);
                    let mut statuses = BTreeMap::new();
                    for i in range.skip(client).step_by(clients) {
                        let request = request(i);
                        let status =
                            connection.send(&request.method, &request.target, &mut io::sink())?;
                        *statuses.entry(status).or_insert(0) += 1;
                    }
                    Ok(statuses)
                })
            })
            .collect();
        let mut statuses = BTreeMap::new();
        for worker in workers {
            let worker = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (status, count) in worker? {
                *statuses.entry(status).or_insert(0) += count;
            }
        }
        Ok(statuses)
    })
}

/// `now - before`, if both are known.
fn growth(before: Option<u64>, now: Option<u64>) -> Option<i64> {
    let (before, now) = (i64::try_from(before?).ok()?, i64::try_from(now?).ok()?);
    now.checked_sub(before)
}

/// The resident set size of this process (`VmRSS` in `/proc/self/status`);
/// `None` where there is no procfs.
///
/// ```
/// if cfg!(target_os = "linux") {
///     assert!(route_labels_suite::flood::resident_bytes().unwrap() > 0);
/// }
/// ```
#[must_use]
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

impl fmt::Display for Report {
    /// The side-by-side table and the summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (naive, bounded) = (&self.naive, &self.route_labels);
        let title = format!(
            "{:>9} | {:^37} | {:^37}",
            "", "naive (raw path and method)", "route-labels (HttpMetrics)"
        );
        writeln!(f, "{}", title.trim_end())?;
        writeln!(
            f,
            "{:>9} | {:>10} {:>12} {:>13} | {:>10} {:>12} {:>13}",
            "requests", "series", "/metrics", "RSS growth", "series", "/metrics", "RSS growth"
        )?;
        writeln!(f, "{:-<10}+{:-<39}+{:-<39}", "", "", "")?;
        for (n, b) in naive.checkpoints.iter().zip(&bounded.checkpoints) {
            writeln!(
                f,
                "{:>9} | {:>10} {:>12} {:>13} | {:>10} {:>12} {:>13}",
                Count(n.requests),
                Count(n.series),
                Bytes(n.bytes),
                Growth(n.rss_growth),
                Count(b.series),
                Bytes(b.bytes),
                Growth(b.rss_growth),
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "RSS growth is the whole process' resident set, measured per phase (after {WARM_UP} \
             `GET /health` to each server to warm up): the route-labels server was flooded \
             first ({:.1?}), then the naive one ({:.1?}).",
            bounded.elapsed, naive.elapsed
        )?;
        let statuses = |phase: &Phase| {
            phase
                .statuses
                .iter()
                .map(|(code, count)| format!("{code} x{}", Count(*count)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if naive.statuses == bounded.statuses {
            writeln!(f, "Both servers answered alike: {}.", statuses(naive))?;
        } else {
            writeln!(
                f,
                "The servers answered differently! naive: {}; route-labels: {}.",
                statuses(naive),
                statuses(bounded)
            )?;
        }
        writeln!(f)?;
        let (first, last) = (&naive.checkpoints[0], naive.last());
        writeln!(
            f,
            "naive:        {} series after {} requests ({:.1} new series per request), \
             /metrics {}, RSS {} in its phase. It keeps growing with every new path, \
             query string and method token.",
            Count(last.series),
            Count(last.requests),
            last.series.saturating_sub(first.series) as f64 / last.requests.max(1) as f64,
            Bytes(last.bytes),
            Growth(last.rss_growth),
        )?;
        let warm = bounded.checkpoints.get(1).unwrap_or(bounded.last());
        let flat = bounded.checkpoints[1..]
            .iter()
            .all(|c| c.series == warm.series);
        write!(
            f,
            "route-labels: {} series {} (bound: max_samples() = {}), /metrics {}, RSS {} in its phase.",
            Count(bounded.last().series),
            if flat {
                "at every checkpoint after the first requests"
            } else {
                "at the end, but NOT flat across checkpoints"
            },
            Count(self.max_samples),
            Bytes(bounded.last().bytes),
            Growth(bounded.last().rss_growth),
        )
    }
}

impl fmt::Display for Checkpoint {
    /// `50,000 requests: 680,051 series, /metrics 95.7 MiB`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>9} requests: {:>11} series, /metrics {:>10}",
            Count(self.requests),
            Count(self.series),
            Bytes(self.bytes),
        )
    }
}

/// A count with thousands separators.
struct Count(u64);

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        let mut text = String::with_capacity(digits.len() * 4 / 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                text.push(',');
            }
            text.push(digit);
        }
        f.pad(&text)
    }
}

/// A byte count, in binary units.
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KIB: f64 = 1024.0;
        let bytes = self.0 as f64;
        f.pad(&if self.0 < 1024 {
            format!("{} B", self.0)
        } else if bytes < KIB * KIB {
            format!("{:.1} KiB", bytes / KIB)
        } else {
            format!("{:.1} MiB", bytes / (KIB * KIB))
        })
    }
}

/// A change in resident memory, signed, in MiB.
struct Growth(Option<i64>);

impl fmt::Display for Growth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(bytes) => f.pad(&format!("{:+.1} MiB", bytes as f64 / (1024.0 * 1024.0))),
            None => f.pad("n/a"),
        }
    }
}
