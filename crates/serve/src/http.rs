//! Just enough HTTP/1.1 for a search API on a trusted network: GET and HEAD, keep-alive,
//! Content-Length bodies, one thread per open connection.
//!
//! Why not a library: tiny_http 0.12's connection pool could leave a connection that
//! arrived in a burst with no thread to read it until another connection closed (0.4–1 s
//! first responses at 8 clients); async stacks are far more than a CPU-bound search needs.
//! Here every accepted connection gets its own thread at once, and a counting gate
//! bounds how many requests are *handled* at the same time, so a burst of connections
//! waits for a core, never for a thread.
//!
//! Limits, each answered with a status rather than a hang: request head 16 KiB (431),
//! request body 64 KiB (413; the API has no use for one), chunked request bodies (411),
//! open connections (503), a connection idle for 30 s is closed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const MAX_HEAD_BYTES: usize = 16 * 1024;
const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_CONNECTIONS: usize = 512;
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A parsed request: method, target (path and query string) and headers.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The first header of that name (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A complete response; it is written with one `write_all`, so no part of it waits
/// for a delayed ACK.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn encode(&self, head_only: bool, keep_alive: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        let _ = write!(
            out,
            "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
            self.status,
            reason(self.status),
            self.body.len(),
            if keep_alive { "keep-alive" } else { "close" }
        );
        for (name, value) in &self.headers {
            // Values are ours, but a CR or LF would split the response: drop such a header.
            if !value.contains(['\r', '\n']) && !name.contains(['\r', '\n', ':']) {
                let _ = write!(out, "{name}: {value}\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
        if !head_only {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

pub type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// Counts requests being handled and makes the next one wait when `limit` are.
struct Gate {
    busy: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

impl Gate {
    fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        {
            let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
            while *busy >= self.limit {
                busy = self.freed.wait(busy).unwrap_or_else(|p| p.into_inner());
            }
            *busy += 1;
        }
        // Released even if `work` panics, so a bug cannot shrink the gate.
        struct Release<'a>(&'a Gate);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                let mut busy = self.0.busy.lock().unwrap_or_else(|p| p.into_inner());
                *busy -= 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        work()
    }
}

struct Shared {
    handler: Arc<Handler>,
    gate: Gate,
    stopping: AtomicBool,
    /// Open connections, so that stopping can shut them down.
    open: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
}

/// A listening server; [`Server::stop`] ends it.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `listener` with `handler`, handling at most `concurrency` requests at once.
    pub fn start(
        listener: TcpListener,
        handler: Arc<Handler>,
        concurrency: usize,
    ) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            handler,
            gate: Gate {
                busy: Mutex::new(0),
                freed: Condvar::new(),
                limit: concurrency.max(1),
            },
            stopping: AtomicBool::new(false),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("voc-serve-accept".into())
                .spawn(move || accept_loop(listener, shared))?
        };
        Ok(Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks until the server stops (in practice, until the process ends).
    pub fn wait(mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }

    /// Stops accepting, closes idle connections; requests being handled finish.
    pub fn stop(mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor from accept() with a connection of our own.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let open = self.shared.open.lock().unwrap_or_else(|p| p.into_inner());
        for stream in open.values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // EMFILE and the like: back off instead of spinning.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut open = shared.open.lock().unwrap_or_else(|p| p.into_inner());
            if open.len() >= MAX_CONNECTIONS {
                drop(open);
                let mut stream = stream;
                let busy = Response::new(
                    503,
                    "application/json; charset=utf-8",
                    br#"{"error":{"message":"too many open connections; try again"}}"#.to_vec(),
                );
                let _ = stream.write_all(&busy.encode(false, false));
                continue;
            }
            if let Ok(clone) = stream.try_clone() {
                open.insert(id, clone);
            }
        }
        let worker = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("voc-serve-conn".into())
            .spawn(move || {
                serve_connection(stream, &worker);
                worker
                    .open
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
            });
        if spawned.is_err() {
            shared
                .open
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        }
    }
}

/// Why reading a request head stopped.
enum ReadOutcome {
    Request(Request, Framing),
    /// The peer closed, timed out or sent garbage we cannot answer sensibly.
    Closed,
    /// Answer this and close.
    Refuse(u16, &'static str),
}

struct Framing {
    keep_alive: bool,
    body_len: usize,
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        match read_request(&mut reader) {
            ReadOutcome::Closed => return,
            ReadOutcome::Refuse(status, message) => {
                let body = serde_json::json!({"error": {"message": message}}).to_string();
                let response =
                    Response::new(status, "application/json; charset=utf-8", body.into_bytes());
                let _ = writer.write_all(&response.encode(false, false));
                return;
            }
            ReadOutcome::Request(request, framing) => {
                // The API takes no bodies; read and drop one so the next request parses.
                if framing.body_len > 0
                    && std::io::copy(
                        &mut (&mut reader).take(framing.body_len as u64),
                        &mut std::io::sink(),
                    )
                    .ok()
                        != Some(framing.body_len as u64)
                {
                    return;
                }
                let handler = &shared.handler;
                let response = shared.gate.run(|| handler(&request));
                let keep_alive = framing.keep_alive && !shared.stopping.load(Ordering::SeqCst);
                let bytes = response.encode(request.method == "HEAD", keep_alive);
                if writer.write_all(&bytes).is_err() || !keep_alive {
                    let _ = writer.shutdown(Shutdown::Write);
                    return;
                }
            }
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> ReadOutcome {
    let mut head_bytes = 0usize;
    let mut line = Vec::new();
    // Request line; tolerate empty lines before it (RFC 9112 §2.2).
    let request_line = loop {
        line.clear();
        match read_line(reader, &mut line, MAX_HEAD_BYTES - head_bytes) {
            LineRead::Line => {}
            LineRead::Closed => return ReadOutcome::Closed,
            LineRead::TooLong => return ReadOutcome::Refuse(431, "request head too large"),
        }
        head_bytes += line.len();
        if !line.iter().all(|b| *b == b'\r' || *b == b'\n') {
            break String::from_utf8_lossy(&line).trim_end().to_string();
        }
        if head_bytes >= MAX_HEAD_BYTES {
            return ReadOutcome::Refuse(431, "request head too large");
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return ReadOutcome::Refuse(400, "malformed request line");
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        v if v.starts_with("HTTP/") => {
            return ReadOutcome::Refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
        }
        _ => return ReadOutcome::Refuse(400, "malformed request line"),
    };
    let mut headers = Vec::new();
    loop {
        line.clear();
        match read_line(reader, &mut line, MAX_HEAD_BYTES.saturating_sub(head_bytes)) {
            LineRead::Line => {}
            LineRead::Closed => return ReadOutcome::Closed,
            LineRead::TooLong => return ReadOutcome::Refuse(431, "request head too large"),
        }
        head_bytes += line.len();
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return ReadOutcome::Refuse(400, "malformed header line");
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let request = Request {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    };
    if request.header("Transfer-Encoding").is_some() {
        return ReadOutcome::Refuse(411, "request bodies must have a Content-Length");
    }
    let body_len = match request.header("Content-Length").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) if n <= MAX_BODY_BYTES => n,
        Some(Ok(_)) => return ReadOutcome::Refuse(413, "request body too large"),
        Some(Err(_)) => return ReadOutcome::Refuse(400, "malformed Content-Length"),
    };
    let connection = request
        .header("Connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    let keep_alive = if http10 {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    };
    ReadOutcome::Request(
        request,
        Framing {
            keep_alive,
            body_len,
        },
    )
}

enum LineRead {
    Line,
    Closed,
    TooLong,
}

/// Reads up to and including `\n`, at most `limit` bytes.
fn read_line(reader: &mut BufReader<TcpStream>, line: &mut Vec<u8>, limit: usize) -> LineRead {
    let mut limited = reader.take(limit as u64 + 1);
    match limited.read_until(b'\n', line) {
        Ok(0) | Err(_) => LineRead::Closed,
        Ok(n) if n > limit => LineRead::TooLong,
        Ok(_) if line.last() != Some(&b'\n') => LineRead::Closed,
        Ok(_) => LineRead::Line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let handler: Arc<Handler> = Arc::new(|r: &Request| {
            Response::new(
                200,
                "text/plain",
                format!("{} {}", r.method, r.target).into_bytes(),
            )
        });
        Server::start(listener, handler, 2).unwrap()
    }

    fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(raw).unwrap();
        let mut out = Vec::new();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn keep_alive_pipelined_requests_and_close() {
        let s = server();
        let out = exchange(
            s.addr(),
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\n\r\nGET /c?q=1 HTTP/1.1\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 3, "{out}");
        assert!(out.contains("GET /a"));
        assert!(!out.contains("HEAD /b"), "HEAD has no body: {out}");
        assert!(out.ends_with("GET /c?q=1"), "{out}");
        s.stop();
    }

    #[test]
    fn refusals_are_statuses_not_hangs() {
        let s = server();
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
        assert!(exchange(s.addr(), big.as_bytes()).starts_with("HTTP/1.1 431"));
        assert!(exchange(s.addr(), b"GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400"));
        assert!(exchange(s.addr(), b"GET / HTTP/2.0\r\n\r\n").starts_with("HTTP/1.1 505"));
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assert!(exchange(s.addr(), chunked).starts_with("HTTP/1.1 411"));
        let with_body = b"POST /p HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
        assert!(exchange(s.addr(), with_body).ends_with("POST /p"));
        // HTTP/1.0 without keep-alive closes after one answer.
        assert!(exchange(s.addr(), b"GET /x HTTP/1.0\r\n\r\n").ends_with("GET /x"));
        s.stop();
    }

    /// The stall this module replaces: a burst of kept-alive connections must all be
    /// answered while the others stay open.
    #[test]
    fn a_burst_of_open_connections_is_served_at_once() {
        let s = server();
        let mut streams: Vec<TcpStream> = (0..32)
            .map(|_| TcpStream::connect(s.addr()).unwrap())
            .collect();
        let started = std::time::Instant::now();
        for stream in &mut streams {
            stream.write_all(b"GET /burst HTTP/1.1\r\n\r\n").unwrap();
        }
        for stream in &mut streams {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 256];
            let n = stream.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        }
        // Generous: the old pool waited for a connection to close, i.e. forever here.
        assert!(started.elapsed() < Duration::from_secs(5));
        s.stop();
    }
}
