//! A real `HttpServer` on a loopback port and a blocking HTTP/1.1 client for
//! it, for the tests that need sockets: concurrency, hostile input, faults
//! and the memory soak.
//!
//! The client writes any method token, target and headers as given, reads
//! `Content-Length` and chunked responses, and gives up after a timeout.
//! Every wait is bounded; nothing sleeps to synchronise.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle};
use actix_web::rt::System;

/// Where the test servers listen: a loopback port the OS picks.
pub const LOOPBACK: (&str, u16) = ("127.0.0.1", 0);

/// Worker threads of every test server.
pub const WORKERS: usize = 2;

/// How long a connect, read or write may wait before a test fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// A server running on a thread of its own; dropping it stops it at once
/// (in-flight requests are dropped, as when a process exits).
pub struct Live {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Live {
    /// Runs `server`, already bound to `addr`. Clients can connect at once:
    /// connections wait in the listen backlog until a worker accepts them.
    pub fn start(addr: SocketAddr, server: Server) -> Self {
        let handle = server.handle();
        let thread = std::thread::Builder::new()
            .name(format!("server {addr}"))
            .spawn(move || System::new().block_on(server))
            .expect("a server thread starts");
        Self {
            addr,
            handle,
            thread: Some(thread),
        }
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A new client of this server.
    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }

    /// Scrapes `/metrics` (OpenMetrics text) over a new connection.
    pub fn scrape(&self) -> String {
        self.client()
            .scrape(None)
            .unwrap_or_else(|err| panic!("scrape: {err}"))
            .1
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        System::new().block_on(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let stopped = thread.join();
            if !std::thread::panicking() {
                stopped
                    .expect("the server thread does not panic")
                    .expect("the server stops cleanly");
            }
        }
    }
}

/// A response: status, headers (names lowercased), body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One keep-alive connection, opened on first use and again after the
/// server closes it.
pub struct Client {
    addr: SocketAddr,
    timeout: Duration,
    stream: Option<BufReader<TcpStream>>,
    request: String,
}

impl Client {
    /// A client of `addr` with [`IO_TIMEOUT`].
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            timeout: IO_TIMEOUT,
            stream: None,
            request: String::new(),
        }
    }

    /// Sends `method target` with no body and reads the whole response.
    pub fn send(&mut self, method: &str, target: &str) -> io::Result<Response> {
        self.send_with(method, target, &[])
    }

    /// Like [`Client::send`], with extra headers. A `host` header among
    /// them replaces the default one.
    pub fn send_with(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> io::Result<Response> {
        let result = self.exchange(method, target, headers);
        if result.is_err() {
            // The connection's state is unknown: never reuse it.
            self.stream = None;
        }
        result.map_err(|err| {
            let shown: String = target.chars().take(80).collect();
            io::Error::new(
                err.kind(),
                format!("{method} {shown} to {}: {err}", self.addr),
            )
        })
    }

    /// Scrapes `/metrics` with an optional `Accept` header; returns the
    /// content type and the exposition.
    pub fn scrape(&mut self, accept: Option<&str>) -> io::Result<(String, String)> {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let response = self.send_with("GET", "/metrics", &headers)?;
        if response.status != 200 {
            return Err(io::Error::other(format!(
                "GET /metrics answered {}",
                response.status
            )));
        }
        let content_type = response.header("content-type").unwrap_or("").to_owned();
        let body = String::from_utf8(response.body).map_err(io::Error::other)?;
        Ok((content_type, body))
    }

    fn exchange(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> io::Result<Response> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => self.stream.insert(connect(self.addr, self.timeout)?),
        };
        self.request.clear();
        write!(self.request, "{method} {target} HTTP/1.1\r\n").expect("a String");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            write!(self.request, "host: {}\r\n", self.addr).expect("a String");
        }
        for (name, value) in headers {
            write!(self.request, "{name}: {value}\r\n").expect("a String");
        }
        self.request.push_str("content-length: 0\r\n\r\n");
        stream.get_mut().write_all(self.request.as_bytes())?;

        let (status, headers) = read_head(stream)?;
        let close = headers
            .iter()
            .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"));
        let body = if method == "HEAD" || status == 204 || status == 304 {
            Vec::new()
        } else {
            read_body(stream, &headers)?
        };
        if close {
            self.stream = None;
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A connection whose every connect, read and write gives up after `timeout`.
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.set_nodelay(true)?;
    Ok(BufReader::new(stream))
}

/// Writes a request with no body.
pub fn write_request(
    stream: &mut BufReader<TcpStream>,
    method: &str,
    target: &str,
) -> io::Result<()> {
    let addr = stream.get_ref().peer_addr()?;
    let request =
        format!("{method} {target} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\n\r\n");
    stream.get_mut().write_all(request.as_bytes())
}

/// Reads a status line and headers (names lowercased).
pub fn read_head(stream: &mut BufReader<TcpStream>) -> io::Result<(u16, Vec<(String, String)>)> {
    let line = read_line(stream)?;
    let mut parts = line.split(' ');
    let status = match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some("HTTP/1.1" | "HTTP/1.0"), Some(Ok(code))) => code,
        _ => return Err(invalid(&line)),
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(stream)?;
        if line.is_empty() {
            return Ok((status, headers));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid(&line))?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
}

/// Reads a `Content-Length` or chunked body.
fn read_body(
    stream: &mut BufReader<TcpStream>,
    headers: &[(String, String)],
) -> io::Result<Vec<u8>> {
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let line = read_line(stream)?;
            let size = line.split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size.trim(), 16).map_err(|_| invalid(&line))?;
            let start = body.len();
            body.resize(start + size, 0);
            stream.read_exact(&mut body[start..])?;
            if !read_line(stream)?.is_empty() {
                return Err(invalid("a chunk not followed by CRLF"));
            }
            if size == 0 {
                return Ok(body);
            }
        }
    }
    let length: usize = header("content-length")
        .ok_or_else(|| invalid("a response with neither content-length nor chunks"))?
        .parse()
        .map_err(|_| invalid("content-length"))?;
    body.resize(length, 0);
    stream.read_exact(&mut body)?;
    Ok(body)
}

/// One line without its CRLF; the end of the stream is an error.
fn read_line(stream: &mut BufReader<TcpStream>) -> io::Result<String> {
    let mut line = Vec::new();
    if stream.read_until(b'\n', &mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    let line = String::from_utf8(line).map_err(|_| invalid("a line that is not UTF-8"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected response: `{what}`"),
    )
}

/// Calls `check` until it returns `Some`, for at most `limit`; panics with
/// `what` when time runs out. For effects that happen on another thread
/// after the event the test can observe (a worker recording a request after
/// the connection closed).
pub fn poll_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "gave up after {limit:?} waiting for {what}"
        );
        // Polling, not synchronising: the bound above decides.
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The resident set size of this process (`VmRSS` in `/proc/self/status`).
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux procfs");
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("a VmRSS line in /proc/self/status");
    kib * 1024
}
