//! Floods two servers with the same 200,000 requests and compares their
//! metrics: one labels by the raw path and method (the usual mistake), the
//! other uses route-labels.
//!
//! ```text
//! cargo run --release --example flood [-- --requests N] [--clients N]
//! ```
//!
//! The requests carry ids in paths, scanner probes, query strings and
//! made-up method tokens. The naive server's series, `/metrics` size and
//! memory grow with every one of them; route-labels' stay flat.

use std::process::ExitCode;
use std::time::Instant;

use route_labels_suite::flood::{self, Options};

const USAGE: &str = "usage: flood [--requests N (default 200000)] [--clients N (default 6)]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse_args(args.into_iter()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Sending the same {} requests to each of two servers, {} keep-alive connections each:",
        options.requests, options.clients
    );
    println!("  route-labels: HttpMetrics, labels by route template (flooded first)");
    println!("  naive:        labels by raw path (with query string) and method (flooded second)");
    println!();

    let start = Instant::now();
    let report = flood::run(&options, |server, checkpoint| {
        println!("  {server:<12} {checkpoint}");
    });
    match report {
        Ok(report) => {
            println!();
            println!("{report}");
            println!();
            println!("wall time: {:.1?}", start.elapsed());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("flood failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            value
                .parse()
                .map_err(|_| format!("{name}: expected a number, found `{value}`"))
        };
        match arg.as_str() {
            "--requests" => options.requests = number("--requests")?,
            "--clients" => {
                let clients = number("--clients")?;
                options.clients = usize::try_from(clients)
                    .ok()
                    .filter(|&c| c > 0)
                    .ok_or_else(|| format!("--clients: expected 1 or more, found {clients}"))?;
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(options)
}
