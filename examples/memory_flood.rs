//! Memory under flood (issue 4, benchmark 5): the flood demo's traffic
//! (ids in paths, scanner probes, query strings, made-up method tokens)
//! against route-labels, actix-web-prom 0.10 (default settings) and the
//! naive middleware, each in a process of its own, so that each resident set
//! is one server's.
//!
//! ```text
//! cargo build --release --example bench_server --example memory_flood
//! target/release/examples/memory_flood [--requests N] [--every N] [--clients N] [--svg PATH]
//! ```
//!
//! For each server it starts `bench_server MODE --workers 2` (found next to
//! this program), sends 1,000 `GET /health` to warm up, then the requests,
//! and every `--every` requests (50,000 by default) reads the server's
//! `VmRSS` and then scrapes `/metrics`, counting its sample lines (one per
//! series) as the body streams by. It prints a table and draws the curves to
//! `docs/memory-flood.svg`.

use std::error::Error;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use plotters::prelude::*;
use route_labels_suite::flood::{self, Connection, ExpositionStats, Options, Request};

const USAGE: &str = "usage: memory_flood [--requests N (default 1000000)] \
                     [--every N (default 50000)] [--clients N (default 4)] \
                     [--svg PATH (default docs/memory-flood.svg)] \
                     [--csv PATH (default target/bench/memory-flood.csv)] \
                     [--replot (draw the SVG from the CSV of an earlier run)]";

/// The servers, in the order they are flooded, with their plot colours.
const SERVERS: [(&str, RGBColor); 3] = [
    ("route-labels", RGBColor(0, 114, 178)),
    ("actix-web-prom", RGBColor(230, 159, 0)),
    ("naive", RGBColor(204, 51, 51)),
];

/// `GET /health` requests sent before the first sample.
const WARM_UP: u64 = 1_000;

const MIB: f64 = 1024.0 * 1024.0;

struct Settings {
    requests: u64,
    every: u64,
    clients: usize,
    svg: PathBuf,
    csv: PathBuf,
    replot: bool,
}

/// Every server's samples, in [`SERVERS`] order.
type Results = Vec<(&'static str, Vec<Sample>)>;

/// One checkpoint of one server.
#[derive(Debug, Clone, Copy)]
struct Sample {
    requests: u64,
    /// Sample lines in `/metrics`: one per series.
    series: u64,
    /// Size of `/metrics`.
    bytes: u64,
    /// The server's resident set, read before the scrape.
    rss: u64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let settings = match parse_args(args.into_iter()) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match run(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("memory_flood: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(settings: &Settings) -> Result<(), Box<dyn Error>> {
    let results = if settings.replot {
        read_csv(&settings.csv)?
    } else {
        println!(
            "{} requests per server from {} keep-alive clients, a sample every {}",
            settings.requests, settings.clients, settings.every
        );
        let mut results = Vec::new();
        for (name, _) in SERVERS {
            let start = Instant::now();
            let samples = flood_server(name, settings)?;
            println!("  {name}: {:.1?}", start.elapsed());
            results.push((name, samples));
        }
        write_csv(&settings.csv, &results)?;
        println!("wrote {}", settings.csv.display());
        results
    };
    println!("\n{}", table(&results));
    create_parent(&settings.svg)?;
    draw(&settings.svg, &results)?;
    println!("wrote {}", settings.svg.display());
    Ok(())
}

fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}

/// `server,requests,series,bytes,rss` lines, one per sample.
fn write_csv(path: &Path, results: &[(&str, Vec<Sample>)]) -> io::Result<()> {
    let mut text = String::from("server,requests,series,bytes,rss\n");
    for (name, samples) in results {
        for s in samples {
            writeln!(
                text,
                "{name},{},{},{},{}",
                s.requests, s.series, s.bytes, s.rss
            )
            .expect("a String");
        }
    }
    create_parent(path)?;
    std::fs::write(path, text)
}

/// What [`write_csv`] wrote, for the servers of [`SERVERS`].
fn read_csv(path: &Path) -> Result<Results, Box<dyn Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("{}: {err} (run without --replot first)", path.display()))?;
    let mut results: Vec<(&'static str, Vec<Sample>)> = SERVERS
        .iter()
        .map(|(name, _)| (*name, Vec::new()))
        .collect();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let [server, requests, series, bytes, rss] = fields[..] else {
            return Err(format!("{}: bad line `{line}`", path.display()).into());
        };
        let (_, samples) = results
            .iter_mut()
            .find(|(name, _)| *name == server)
            .ok_or_else(|| format!("{}: unknown server `{server}`", path.display()))?;
        samples.push(Sample {
            requests: requests.parse()?,
            series: series.parse()?,
            bytes: bytes.parse()?,
            rss: rss.parse()?,
        });
    }
    Ok(results)
}

/// A `bench_server` process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(mode: &str) -> io::Result<Self> {
        let program = std::env::current_exe()?.with_file_name("bench_server");
        let mut child = Command::new(&program)
            .args([mode, "--workers", "2"])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!(
                        "{}: {err} (build it: cargo build --release --example bench_server)",
                        program.display()
                    ),
                )
            })?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout).read_line(&mut line)?;
        let server = |addr| Self { child, addr };
        match line.trim().strip_prefix("listening on ") {
            Some(addr) => Ok(server(addr.parse().map_err(io::Error::other)?)),
            None => {
                let mut server = server(SocketAddr::from(([127, 0, 0, 1], 0)));
                server.stop();
                Err(io::Error::other(format!(
                    "bench_server {mode} did not start"
                )))
            }
        }
    }

    /// The resident set of the server process.
    fn rss(&self) -> io::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .ok_or_else(|| io::Error::other("no VmRSS in /proc/PID/status"))
    }

    fn stop(&mut self) {
        // The process is ours and still running, or already gone: either
        // way there is nothing more to do with an error here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn flood_server(mode: &str, settings: &Settings) -> io::Result<Vec<Sample>> {
    let server = Server::start(mode)?;
    let options = Options {
        requests: settings.requests,
        clients: settings.clients,
        // A naive /metrics of a million requests is gigabytes of text.
        timeout: Duration::from_secs(600),
    };
    flood::send(server.addr, 0..WARM_UP, &options, |_| Request {
        method: "GET".into(),
        target: "/health".to_owned(),
    })?;
    let mut samples = vec![sample(&server, 0, &options)?];
    let mut sent = 0;
    while sent < settings.requests {
        let end = (sent + settings.every).min(settings.requests);
        flood::send(server.addr, sent..end, &options, flood::request)?;
        sent = end;
        let sample = sample(&server, sent, &options)?;
        println!(
            "  {mode:<14} {:>9} requests: {:>10} series, /metrics {:>8.1} MiB, RSS {:>8.1} MiB",
            sample.requests,
            sample.series,
            sample.bytes as f64 / MIB,
            sample.rss as f64 / MIB
        );
        samples.push(sample);
    }
    Ok(samples)
}

fn sample(server: &Server, requests: u64, options: &Options) -> io::Result<Sample> {
    let rss = server.rss()?;
    let mut stats = ExpositionStats::default();
    // A new connection each time: a flood part can outlast keep-alive.
    let code = Connection::new(server.addr, options.timeout).send("GET", "/metrics", &mut stats)?;
    if code != 200 {
        return Err(io::Error::other(format!("GET /metrics answered {code}")));
    }
    Ok(Sample {
        requests,
        series: stats.samples,
        bytes: stats.bytes,
        rss,
    })
}

/// A Markdown table: series and RSS per server at every checkpoint, then
/// each server's growth.
fn table(results: &[(&str, Vec<Sample>)]) -> String {
    let mut text = String::from("| requests |");
    for (name, _) in results {
        write!(text, " {name} series | {name} RSS |").expect("a String");
    }
    text.push_str("\n|---:|");
    text.push_str(&"---:|---:|".repeat(results.len()));
    text.push('\n');
    let rows = results.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
    for row in 0..rows {
        let requests = results[0].1.get(row).map_or(0, |s| s.requests);
        write!(text, "| {requests} |").expect("a String");
        for (_, samples) in results {
            match samples.get(row) {
                Some(s) => write!(text, " {} | {:.1} MiB |", s.series, s.rss as f64 / MIB),
                None => write!(text, " | |"),
            }
            .expect("a String");
        }
        text.push('\n');
    }
    text.push_str(
        "\n| server | series before / after the flood | RSS growth | /metrics at the end |\n",
    );
    text.push_str("|---|---:|---:|---:|\n");
    for (name, samples) in results {
        let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
            continue;
        };
        writeln!(
            text,
            "| {name} | {} / {} | {:+.0} KiB | {} |",
            first.series,
            last.series,
            (last.rss as f64 - first.rss as f64) / 1024.0,
            size(last.bytes)
        )
        .expect("a String");
    }
    text
}

/// A size in KiB or MiB.
fn size(bytes: u64) -> String {
    if (bytes as f64) < MIB {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB)
    }
}

/// Two charts side by side: resident memory, and series on a log scale.
fn draw(path: &Path, results: &[(&str, Vec<Sample>)]) -> Result<(), Box<dyn Error>> {
    let all = || results.iter().flat_map(|(_, samples)| samples);
    let max_requests = all().map(|s| s.requests).max().unwrap_or(1).max(1) as f64;
    let max_rss = all().map(|s| s.rss as f64 / MIB).fold(1.0, f64::max);
    let max_series = all().map(|s| s.series).max().unwrap_or(1).max(10) as f64;
    let thousands = |x: &f64| format!("{:.0}k", x / 1e3);
    let colour = |name: &str| {
        SERVERS
            .iter()
            .find(|(server, _)| *server == name)
            .map_or(BLACK, |(_, colour)| *colour)
    };

    let root = SVGBackend::new(path, (1100, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(550);

    let mut chart = ChartBuilder::on(&left)
        .caption("Server resident memory", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..max_requests, 0.0..max_rss * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("requests")
        .y_desc("RSS (MiB)")
        .x_label_formatter(&thousands)
        .draw()?;
    for (name, samples) in results {
        let colour = colour(name);
        chart
            .draw_series(LineSeries::new(
                samples
                    .iter()
                    .map(|s| (s.requests as f64, s.rss as f64 / MIB)),
                colour.stroke_width(2),
            ))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;

    let mut chart = ChartBuilder::on(&right)
        .caption("Series in /metrics (log scale)", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..max_requests, (10.0..max_series * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("requests")
        .y_desc("series (sample lines)")
        .x_label_formatter(&thousands)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (name, samples) in results {
        let colour = colour(name);
        chart
            .draw_series(LineSeries::new(
                samples
                    .iter()
                    .map(|s| (s.requests as f64, (s.series as f64).max(10.0))),
                colour.stroke_width(2),
            ))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::MiddleRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Settings, String> {
    let mut settings = Settings {
        requests: 1_000_000,
        every: 50_000,
        clients: 4,
        svg: PathBuf::from("docs/memory-flood.svg"),
        csv: PathBuf::from("target/bench/memory-flood.csv"),
        replot: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let mut positive = |name: &str| -> Result<u64, String> {
            let text = value(name)?;
            text.parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{name}: expected 1 or more, found `{text}`"))
        };
        match arg.as_str() {
            "--requests" => settings.requests = positive("--requests")?,
            "--every" => settings.every = positive("--every")?,
            "--clients" => {
                settings.clients = usize::try_from(positive("--clients")?)
                    .map_err(|_| "--clients: too many".to_owned())?;
            }
            "--svg" => settings.svg = PathBuf::from(value("--svg")?),
            "--csv" => settings.csv = PathBuf::from(value("--csv")?),
            "--replot" => settings.replot = true,
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(settings)
}
