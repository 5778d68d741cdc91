//! Plumbing for `tests/prometheus_e2e.rs`, `tests/replicas_e2e.rs` and
//! `tests/prometheus_native.rs`: the external tools, a temporary directory,
//! child processes that die with their guard, two tiny HTTP clients, a
//! Prometheus server on a loopback port (native histograms on when asked),
//! and readers of what it answers: native histogram samples, and the metric
//! names a dashboard's or a rule's PromQL reads.
//!
//! Every wait is a loop bounded by a deadline; nothing sleeps to synchronise.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// How often Prometheus scrapes the app.
pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(1);

/// The `job` label Prometheus gives the app's series.
pub const JOB: &str = "app";

/// How long Prometheus may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long any single HTTP exchange may take.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Between two polls of a bounded wait.
const POLL: Duration = Duration::from_millis(50);

/// The path of an external tool, or a failure that says how to install it.
/// The tests never skip: CI installs the tools (`.ci/run`, step "install").
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not on PATH: these tests need Prometheus' `prometheus` and \
                 `promtool` (Debian: `apt-get install prometheus`; `.ci/run` installs it)"
            )
        })
}

#[allow(unused_imports, reason = "each test binary uses a subset")]
pub use crate::common::promtool;

/// A directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new, empty directory whose name no other test or process uses.
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!(
            "route-labels-{label}-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&path).expect("a new temporary directory");
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A child process, killed and reaped when the guard drops (the test ended,
/// or failed).
#[derive(Debug)]
pub struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `command` with its output (stdout and stderr) in `log`.
    pub fn spawn(mut command: Command, log: PathBuf) -> io::Result<Self> {
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()?;
        Ok(Self { child, log })
    }

    /// The exit status, if the process has already exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("an ephemeral loopback port")
        .port()
}

/// Polls `attempt` until it returns `Some`, for at most `timeout`.
///
/// # Panics
///
/// When the time is up, with `what` and the last attempt's explanation.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut attempt: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match attempt() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("gave up after {timeout:?} waiting for {what}; last: {last}")
            }
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

/// `GET target` over a fresh HTTP/1.0 connection (so the body ends with the
/// connection, never chunked): the status and the body.
pub fn http_get(addr: SocketAddr, target: &str) -> io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    write!(stream, "GET {target} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid(&response))?;
    Ok((status_of(head)?, body.to_owned()))
}

fn status_of(head: &str) -> io::Result<u16> {
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(head))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected response: {what:.200}"),
    )
}

/// A keep-alive HTTP/1.1 connection for sending an app its traffic; reads
/// `Content-Length` framed responses, which is what actix-web sends for the
/// test handlers' bodies.
#[derive(Debug)]
pub struct Connection {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

impl Connection {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, stream: None }
    }

    /// Sends `method target` with an empty body; returns the status code.
    pub fn send(&mut self, method: &str, target: &str) -> io::Result<u16> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => {
                let stream = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)?;
                stream.set_read_timeout(Some(IO_TIMEOUT))?;
                stream.set_write_timeout(Some(IO_TIMEOUT))?;
                stream.set_nodelay(true)?;
                self.stream.insert(BufReader::new(stream))
            }
        };
        write!(
            stream.get_mut(),
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
            self.addr
        )?;
        let mut line = String::new();
        stream.read_line(&mut line)?;
        let status = status_of(&line)?;
        let (mut length, mut close) = (0, false);
        loop {
            line.clear();
            if stream.read_line(&mut line)? == 0 {
                return Err(invalid("the connection closed inside the headers"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').ok_or_else(|| invalid(header))?;
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(|_| invalid(header))?;
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.trim().eq_ignore_ascii_case("close");
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(invalid(header));
            }
        }
        io::copy(&mut stream.take(length), &mut io::sink())?;
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            write!(out, "%{byte:02X}").expect("writing to a String cannot fail");
        }
    }
    out
}

/// An error answer of Prometheus' HTTP API.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// `bad_data`, `execution`, ... or `http` when the answer was no JSON.
    pub kind: String,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// One scrape job of [`Prometheus::start_with`]: its name (the `job` label
/// of its series), the apps it scrapes, each at `/metrics`, and the
/// `sample_limit` of each of them.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub name: &'a str,
    pub targets: &'a [SocketAddr],
    pub sample_limit: u64,
}

/// A Prometheus server on a loopback port, with its data in a temporary
/// directory, scraping the targets of its jobs. Stopped on drop.
#[derive(Debug)]
pub struct Prometheus {
    addr: SocketAddr,
    /// How many targets the jobs have, all together.
    targets: usize,
    /// The selector of every job's `up` series.
    up: String,
    // Dropped in this order: the process first, then its directory.
    process: Process,
    _dir: TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `target`'s `/metrics` every
    /// [`SCRAPE_INTERVAL`] with `sample_limit`, evaluating `rule_files` as
    /// often, and waits until it is ready.
    pub fn start(target: SocketAddr, sample_limit: u64, rule_files: &[&Path]) -> Self {
        Self::start_job(&[target], sample_limit, rule_files)
    }

    /// Starts Prometheus scraping the `/metrics` of every one of `targets`
    /// in the one job [`JOB`] (each target its own `instance`), every
    /// [`SCRAPE_INTERVAL`], with `sample_limit` per target; evaluating
    /// `rule_files` as often. Waits until it is ready.
    pub fn start_job(targets: &[SocketAddr], sample_limit: u64, rule_files: &[&Path]) -> Self {
        let job = Job {
            name: JOB,
            targets,
            sample_limit,
        };
        Self::start_with(&[job], rule_files, &[])
    }

    /// Starts Prometheus scraping the targets of every one of `jobs`, every
    /// [`SCRAPE_INTERVAL`], with each job's `sample_limit` per target;
    /// evaluating `rule_files` as often; with `--enable-feature` set to
    /// `features` when there are any (`native-histograms`: Prometheus then
    /// asks for the protobuf format first). Waits until it is ready.
    pub fn start_with(jobs: &[Job<'_>], rule_files: &[&Path], features: &[&str]) -> Self {
        assert!(!jobs.is_empty(), "Prometheus needs at least one job");
        for job in jobs {
            assert!(!job.targets.is_empty(), "a job needs at least one target");
        }
        let binary = tool("prometheus");
        let dir = TempDir::new("prometheus");
        let config = dir.path().join("prometheus.yml");
        // scrape_timeout must not exceed the interval; a scrape that times out
        // counts as `up == 0`, which the tests would report.
        let interval = SCRAPE_INTERVAL.as_secs();
        let mut yaml = format!(
            "global:\n  scrape_interval: {interval}s\n  scrape_timeout: {interval}s\n  \
             evaluation_interval: {interval}s\nrule_files:\n"
        );
        for file in rule_files {
            writeln!(yaml, "  - '{}'", file.display()).expect("writing to a String cannot fail");
        }
        yaml.push_str("scrape_configs:\n");
        for job in jobs {
            let targets: Vec<String> = job.targets.iter().map(|t| format!("'{t}'")).collect();
            write!(
                yaml,
                "  - job_name: {}\n    sample_limit: {}\n    \
                 static_configs:\n      - targets: [{}]\n",
                job.name,
                job.sample_limit,
                targets.join(", ")
            )
            .expect("writing to a String cannot fail");
        }
        std::fs::write(&config, yaml).expect("the config is written");
        // The port is picked free, then handed over: another process could take
        // it in between, so a Prometheus that cannot bind is retried.
        let mut failures = String::new();
        for attempt in 0..3 {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let mut command = Command::new(&binary);
            command
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join(format!("data-{attempt}")).display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .arg("--log.level=warn");
            if !features.is_empty() {
                command.arg(format!("--enable-feature={}", features.join(",")));
            }
            let log = dir.path().join(format!("prometheus-{attempt}.log"));
            let mut process = Process::spawn(command, log).expect("prometheus starts");
            let deadline = Instant::now() + READY_TIMEOUT;
            loop {
                if let Some(status) = process.exited() {
                    writeln!(
                        failures,
                        "attempt {attempt}: exited {status}: {}",
                        process.log()
                    )
                    .expect("writing to a String cannot fail");
                    break;
                }
                if matches!(http_get(addr, "/-/ready"), Ok((200, _))) {
                    return Self {
                        addr,
                        targets: jobs.iter().map(|job| job.targets.len()).sum(),
                        up: up_selector(jobs),
                        process,
                        _dir: dir,
                    };
                }
                assert!(
                    Instant::now() < deadline,
                    "prometheus was not ready on {addr} after {READY_TIMEOUT:?}: {}",
                    process.log()
                );
                std::thread::sleep(POLL);
            }
        }
        panic!("prometheus did not start:\n{failures}")
    }

    /// What Prometheus logged (warnings and errors).
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// `GET /api/v1/<endpoint>?<params>`: the `data` of a success, or the error.
    pub fn api(&self, endpoint: &str, params: &[(&str, &str)]) -> Result<Value, ApiError> {
        let query: Vec<String> = params
            .iter()
            .map(|(name, value)| format!("{name}={}", encode(value)))
            .collect();
        let target = format!("/api/v1/{endpoint}?{}", query.join("&"));
        let http_error = |message: String| ApiError {
            kind: "http".to_owned(),
            message,
        };
        let (status, body) = http_get(self.addr, &target).map_err(|e| http_error(e.to_string()))?;
        let json: Value = serde_json::from_str(&body)
            .map_err(|e| http_error(format!("{status}: {e}: {body:.200}")))?;
        if json["status"] == "success" {
            Ok(json["data"].clone())
        } else {
            Err(ApiError {
                kind: json["errorType"].as_str().unwrap_or("unknown").to_owned(),
                message: json["error"].as_str().unwrap_or_default().to_owned(),
            })
        }
    }

    /// The recording rules as this Prometheus loaded them, of the group
    /// named `group`, or of every group: each as the rules API describes it
    /// (`name`, `health`, `lastError`, ...).
    pub fn recording_rules(&self, group: Option<&str>) -> Vec<Value> {
        let rules = self
            .api("rules", &[("type", "record")])
            .expect("the rules API answers");
        rules["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| group.is_none_or(|name| g["name"] == name))
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// An instant query at `time` (Unix seconds as Prometheus prints them),
    /// or now: the `result` array.
    pub fn query(&self, expr: &str, time: Option<&str>) -> Result<Vec<Value>, ApiError> {
        let mut params = vec![("query", expr)];
        if let Some(time) = time {
            params.push(("time", time));
        }
        let data = self.api("query", &params)?;
        Ok(data["result"].as_array().cloned().unwrap_or_default())
    }

    /// Waits until every target of every job has been scraped by a scrape
    /// that started after `after` (Unix seconds): everything sent before
    /// `after` is in it. Returns the timestamp of the latest of those
    /// scrapes, as Prometheus prints it: an instant query at that time reads
    /// each target's post-`after` scrape.
    pub fn wait_for_scrape_after(&self, after: f64) -> String {
        wait_until(
            "a scrape of every target after the traffic",
            10 * SCRAPE_INTERVAL,
            || -> Result<String, String> {
                let result = self
                    .query(&format!("timestamp({})", self.up), None)
                    .map_err(|e| e.to_string())?;
                if result.len() != self.targets {
                    return Err(format!(
                        "{} of {} targets scraped so far: {result:?}",
                        result.len(),
                        self.targets
                    ));
                }
                let mut latest: Option<(f64, &str)> = None;
                for sample in &result {
                    let printed = sample["value"][1]
                        .as_str()
                        .ok_or_else(|| format!("no timestamp in {sample}"))?;
                    let seconds: f64 = printed.parse().map_err(|_| printed.to_owned())?;
                    if seconds <= after {
                        return Err(format!(
                            "{} last scraped at {printed}, not after {after}",
                            sample["metric"]["instance"]
                        ));
                    }
                    if latest.is_none_or(|(most, _)| seconds > most) {
                        latest = Some((seconds, printed));
                    }
                }
                latest
                    .map(|(_, printed)| printed.to_owned())
                    .ok_or_else(|| "no target".to_owned())
            },
        )
    }
}

/// Now, in Unix seconds.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs_f64()
}

/// The selector of the `up` series of `jobs`.
fn up_selector(jobs: &[Job<'_>]) -> String {
    match jobs {
        [job] => format!("up{{job=\"{}\"}}", job.name),
        _ => {
            let names: Vec<&str> = jobs.iter().map(|job| job.name).collect();
            format!("up{{job=~\"{}\"}}", names.join("|"))
        }
    }
}

/// A native histogram as the query API prints one (`"histogram": [time,
/// {count, sum, buckets}]` in place of `"value"`).
#[derive(Debug, Clone, PartialEq)]
pub struct NativeSample {
    pub count: f64,
    pub sum: f64,
    /// The buckets that hold observations, in increasing order; Prometheus
    /// leaves the empty ones out.
    pub buckets: Vec<NativeBucket>,
}

/// One bucket of a [`NativeSample`]: `(lower, upper]` for a positive bucket
/// (`boundaries` 0), `[lower, upper]` for the zero bucket (3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeBucket {
    pub boundaries: u64,
    pub lower: f64,
    pub upper: f64,
    pub count: f64,
}

/// The native histogram of one sample of a query result, or why there is
/// none (a float sample has `"value"` instead).
pub fn native_histogram(sample: &Value) -> Result<NativeSample, String> {
    let histogram = &sample["histogram"][1];
    if histogram.is_null() {
        return Err(format!("not a native histogram sample: {sample}"));
    }
    let number = |value: &Value| -> Result<f64, String> {
        value
            .as_str()
            .and_then(|printed| printed.parse().ok())
            .ok_or_else(|| format!("not a number: {value} in {sample}"))
    };
    let buckets = histogram["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|bucket| {
            Ok(NativeBucket {
                boundaries: bucket[0]
                    .as_u64()
                    .ok_or_else(|| format!("no boundary rule in {bucket}"))?,
                lower: number(&bucket[1])?,
                upper: number(&bucket[2])?,
                count: number(&bucket[3])?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(NativeSample {
        count: number(&histogram["count"])?,
        sum: number(&histogram["sum"])?,
        buckets,
    })
}

/// Every PromQL expression of the dashboard (panel targets, nested panels,
/// query variables), each with where it was found.
pub fn dashboard_expressions(dashboard: &Value) -> Vec<(String, String)> {
    fn panels(list: &Value, out: &mut Vec<(String, String)>) {
        for panel in list.as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or("untitled");
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    let id = target["refId"].as_str().unwrap_or("?");
                    out.push((format!("panel {title:?} target {id}"), expr.to_owned()));
                }
            }
            panels(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    panels(&dashboard["panels"], &mut out);
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if variable["type"] != "query" {
            continue;
        }
        let name = variable["name"].as_str().unwrap_or("?");
        let query = variable["query"]["query"]
            .as_str()
            .or_else(|| variable["query"].as_str());
        // Grafana's `label_values(<selector>, <label>)` is not PromQL; its
        // selector is.
        if let Some(query) = query {
            let selector = query
                .strip_prefix("label_values(")
                .and_then(|rest| rest.rsplit_once(','))
                .map_or(query, |(selector, _)| selector.trim());
            out.push((format!("variable {name}"), selector.to_owned()));
        }
    }
    out
}

/// The metric names an expression reads, from the canonical text Prometheus
/// prints for it (`/api/v1/format_query`: Prometheus parses the expression,
/// the test only reads Prometheus' rendering of the syntax tree).
///
/// Prometheus 2.42 has no API that returns the syntax tree itself. In its
/// rendering a metric name is an identifier outside string literals, `{...}`
/// matchers and `[...]` ranges, not followed by `(` (functions and
/// aggregations), not a keyword, and not in the label list after `by`,
/// `without`, `on`, `ignoring`, `group_left` or `group_right`. A name given
/// as a `__name__` matcher is refused rather than read.
pub fn metric_names(canonical: &str) -> Result<BTreeSet<String>, String> {
    const CLAUSES: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    const KEYWORDS: [&str; 8] = [
        "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
    ];
    let chars: Vec<char> = canonical.chars().collect();
    let skip_to = |from: usize, close: char| -> usize {
        let mut i = from + 1;
        let mut quote = None;
        while i < chars.len() {
            match (quote, chars[i]) {
                (Some(_), '\\') => i += 1,
                (Some(q), c) if c == q => quote = None,
                (None, c) if c == close => return i + 1,
                (None, c @ ('"' | '\'' | '`')) => quote = Some(c),
                _ => {}
            }
            i += 1;
        }
        chars.len()
    };
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '"' | '\'' | '`') {
            i = skip_to(i, c);
        } else if c == '{' {
            let end = skip_to(i, '}');
            let matchers: String = chars[i..end].iter().collect();
            if matchers.contains("__name__") {
                return Err(format!("a `__name__` matcher in `{matchers}`"));
            }
            i = end;
        } else if c == '[' {
            i = skip_to(i, ']');
        } else if c.is_ascii_digit() || c == '.' {
            // Numbers and durations: 0.95, 1e3, 0x1f, 5m.
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let rest: String = chars[i..].iter().collect();
            let rest = rest.trim_start();
            // `sum(`, `rate(`, and `sum by (`: functions and aggregations.
            let before_paren = rest.starts_with('(')
                || ["by", "without"].iter().any(|clause| {
                    rest.strip_prefix(clause)
                        .is_some_and(|after| after.trim_start().starts_with('('))
                });
            if CLAUSES.contains(&word.as_str()) {
                if before_paren {
                    let open = i + chars[i..].iter().position(|&c| c == '(').unwrap_or(0);
                    i = skip_to(open, ')');
                }
            } else if !before_paren && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    Ok(names)
}

/// What is wrong with the metric names `expr` reads: none, or one that
/// `exported` does not hold.
pub fn unexported_names(
    prometheus: &Prometheus,
    exported: &BTreeSet<String>,
    place: &str,
    expr: &str,
) -> Vec<String> {
    let names = prometheus
        .api("format_query", &[("query", expr)])
        .map_err(|e| e.to_string())
        .and_then(|canonical| metric_names(canonical.as_str().unwrap_or_default()));
    match names {
        Ok(names) if names.is_empty() => vec![format!("{place}: reads no metric: `{expr}`")],
        Ok(names) => names
            .difference(exported)
            .map(|name| format!("{place}: `{name}` is not a metric route-labels exports: `{expr}`"))
            .collect(),
        Err(e) => vec![format!("{place}: {e}: `{expr}`")],
    }
}
