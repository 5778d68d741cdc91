//! A minimal HTTP/1.1 client over a blocking [`TcpStream`]: keep-alive, any
//! method token, `Content-Length` framed responses only (all that actix-web
//! sends for the demo's handlers and for `/metrics`).

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One keep-alive connection, opened on first use and again after the server
/// closes it.
#[derive(Debug)]
pub struct Connection {
    addr: SocketAddr,
    timeout: Duration,
    stream: Option<BufReader<TcpStream>>,
    request: String,
    line: String,
}

impl Connection {
    /// A connection to `addr` whose every connect, read and write gives up
    /// after `timeout`.
    #[must_use]
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Self {
            addr,
            timeout,
            stream: None,
            request: String::new(),
            line: String::new(),
        }
    }

    /// Sends `method target` and writes the response body to `body`; returns
    /// the status code.
    ///
    /// # Errors
    ///
    /// A connect, read or write that fails or times out, or a response this
    /// client cannot read.
    pub fn send(&mut self, method: &str, target: &str, body: &mut impl Write) -> io::Result<u16> {
        self.exchange(method, target, body).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("{method} {target} to {}: {err}", self.addr),
            )
        })
    }

    fn exchange(&mut self, method: &str, target: &str, body: &mut impl Write) -> io::Result<u16> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => self.stream.insert(connect(self.addr, self.timeout)?),
        };
        self.request.clear();
        write!(
            self.request,
            "{method} {target} HTTP/1.1\r\nhost: {}\r\ncontent-length: 0\r\n\r\n",
            self.addr
        )
        .expect("writing to a String cannot fail");
        stream.get_mut().write_all(self.request.as_bytes())?;

        read_line(stream, &mut self.line)?;
        let status = parse_status(&self.line)?;
        let mut length = None;
        let mut close = false;
        loop {
            read_line(stream, &mut self.line)?;
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').ok_or_else(|| invalid(header))?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<u64>().map_err(|_| invalid(header))?);
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("`{header}`: this client reads Content-Length framed responses only"),
                ));
            }
        }
        let length = length.ok_or_else(|| invalid("a response without content-length"))?;
        let copied = io::copy(&mut stream.take(length), body)?;
        if copied < length {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the body ended after {copied} of {length} bytes"),
            ));
        }
        if close {
            self.stream = None;
        }
        Ok(status)
    }
}

fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.set_nodelay(true)?;
    Ok(BufReader::new(stream))
}

/// Reads one line into `line`; the end of the stream is an error.
fn read_line(stream: &mut BufReader<TcpStream>, line: &mut String) -> io::Result<()> {
    line.clear();
    if stream.read_line(line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    Ok(())
}

/// The code of a status line: `HTTP/1.1 404 Not Found`.
fn parse_status(line: &str) -> io::Result<u16> {
    let mut parts = line.split(' ');
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some("HTTP/1.1" | "HTTP/1.0"), Some(Ok(code))) => Ok(code),
        _ => Err(invalid(line.trim_end())),
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected response: `{what}`"),
    )
}

/// What a scrape found: sample lines and bytes of an exposition, counted as
/// the body streams by (a naive exposition can be hundreds of megabytes).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpositionStats {
    /// Lines that are neither empty nor comments: one per series.
    pub samples: u64,
    /// Bytes of the exposition.
    pub bytes: u64,
    /// Within the current line: whether it has a byte yet, and whether that
    /// byte was `#`.
    line_started: bool,
    comment: bool,
}

impl Write for ExpositionStats {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len() as u64;
        for &byte in buf {
            if byte == b'\n' {
                if self.line_started && !self.comment {
                    self.samples += 1;
                }
                self.line_started = false;
            } else if !self.line_started {
                self.line_started = true;
                self.comment = byte == b'#';
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_lines_are_counted_across_writes() {
        let mut stats = ExpositionStats::default();
        let text = "# HELP a x\n# TYPE a counter\na_total 1\n\nb{x=\"#\"} 2\n# EOF\n";
        for chunk in text.as_bytes().chunks(3) {
            stats.write_all(chunk).unwrap();
        }
        assert_eq!((stats.samples, stats.bytes), (2, text.len() as u64));
    }

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status("HTTP/1.1 404 Not Found\r\n").unwrap(), 404);
        assert!(parse_status("HTTP/2 200\r\n").is_err());
        assert!(parse_status("garbage").is_err());
    }
}
