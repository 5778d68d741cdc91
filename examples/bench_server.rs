//! The server of the loopback benchmarks: the flood demo's routes
//! (`GET /users/{id}`, `POST /users`, `GET /health`, `GET /api/v1/items/{id}`,
//! `GET /version`) with one of four metrics set-ups.
//!
//! ```text
//! cargo run --release --example bench_server -- MODE [--port N] [--workers N]
//! ```
//!
//! MODE is `bare` (no metrics), `route-labels` (`HttpMetrics`, `/metrics`
//! served by `MetricsEndpoint`), `actix-web-prom` (actix-web-prom 0.10 with
//! default settings and its own `/metrics`) or `naive` (labels by raw path,
//! `/metrics` served by `MetricsEndpoint`). It listens on 127.0.0.1 (port 0,
//! the default, lets the OS pick), prints `listening on ADDRESS` once it
//! accepts connections, and runs until interrupted. `scripts/bench-wrk.sh`
//! and `examples/memory_flood.rs` start it, one process per server.

use std::io::{self, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{App, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use prometheus_client::registry::Registry;
use route_labels::{HttpMetrics, MetricsEndpoint};
use route_labels_suite::flood;
use route_labels_suite::naive::NaiveMetrics;

const USAGE: &str = "usage: bench_server bare|route-labels|actix-web-prom|naive \
                     [--port N (default 0: any)] [--workers N (default 1)]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match Options::parse(args.into_iter()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match actix_web::rt::System::new().block_on(serve(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench_server: {err}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    mode: String,
    port: u16,
    workers: usize,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mode = args.next().ok_or("which server?")?;
        let mut options = Self {
            mode,
            port: 0,
            workers: 1,
        };
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--port" => {
                    let port = value("--port")?;
                    options.port = port
                        .parse()
                        .map_err(|_| format!("--port: expected a port, found `{port}`"))?;
                }
                "--workers" => {
                    let workers = value("--workers")?;
                    options.workers = workers.parse().ok().filter(|&w| w > 0).ok_or_else(|| {
                        format!("--workers: expected 1 or more, found `{workers}`")
                    })?;
                }
                other => return Err(format!("unexpected argument `{other}`")),
            }
        }
        Ok(options)
    }
}

/// Binds `$server` per `$options`, prints where it listens, and runs it.
macro_rules! run {
    ($options:expr, $server:expr) => {{
        let server = $server
            .workers($options.workers)
            .bind(("127.0.0.1", $options.port))?;
        let addr = server.addrs()[0];
        let running = server.run();
        // The listener is bound: connections wait in its backlog until the
        // workers accept them.
        println!("listening on {addr}");
        io::stdout().flush()?;
        running.await
    }};
}

async fn serve(options: &Options) -> io::Result<()> {
    match options.mode.as_str() {
        "bare" => run!(
            options,
            HttpServer::new(|| App::new().configure(flood::routes))
        ),
        "route-labels" => {
            let mut registry = Registry::default();
            let metrics = HttpMetrics::new(&mut registry).map_err(io::Error::other)?;
            let registry = Arc::new(registry);
            run!(
                options,
                HttpServer::new(move || {
                    metrics.app(
                        App::new()
                            .configure(flood::routes)
                            .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry))),
                    )
                })
            )
        }
        "actix-web-prom" => {
            let prometheus = PrometheusMetricsBuilder::new("api")
                .endpoint("/metrics")
                .build()
                .map_err(io::Error::other)?;
            run!(
                options,
                HttpServer::new(move || {
                    App::new().wrap(prometheus.clone()).configure(flood::routes)
                })
            )
        }
        "naive" => {
            let mut registry = Registry::default();
            let naive = NaiveMetrics::new(&mut registry);
            let registry = Arc::new(registry);
            run!(
                options,
                HttpServer::new(move || {
                    App::new()
                        .configure(flood::routes)
                        .service(MetricsEndpoint::new("/metrics", Arc::clone(&registry)))
                        .wrap(naive.clone())
                })
            )
        }
        other => Err(io::Error::other(format!("unknown server `{other}`"))),
    }
}
