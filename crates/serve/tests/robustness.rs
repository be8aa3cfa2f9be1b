//! The server keeps serving: ambiguous framing is refused, the Host must name this
//! server, a token nobody could send is refused at startup, slow or idle clients are
//! dropped before anyone else is refused, an unread export lets go, and a normal query
//! keeps its latency while hundreds of slow connections and four exports run.
//! Everything here talks raw HTTP/1.1 over loopback sockets, bounded in count and time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use voc_index::ContactIndex;
use voc_serve::{Config, Limits, Running, ServeError};

/// The sample index, built once for the tests of this file.
fn sample_index() -> Arc<ContactIndex> {
    static INDEX: OnceLock<Arc<ContactIndex>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("robustness-sample");
            let _ = std::fs::remove_dir_all(&dir);
            Arc::new(voc_index::testing::sample_index(&dir).unwrap())
        })
        .clone()
}

/// The sample contacts many times over, each with its turns repeated, so that an
/// export is megabytes (more than loopback sockets buffer) and takes a while.
fn load_index() -> Arc<ContactIndex> {
    static INDEX: OnceLock<Arc<ContactIndex>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("robustness-load");
            let _ = std::fs::remove_dir_all(&dir);
            let builder = voc_index::testing::sample_segmenter();
            let segmenter = Arc::new(builder.build().unwrap());
            let index = ContactIndex::open_or_create(&dir, segmenter, &builder).unwrap();
            let samples = voc_index::testing::sample_contacts();
            let contacts: Vec<_> = (0..LOAD_COPIES)
                .flat_map(|copy| {
                    samples.iter().map(move |sample| {
                        let mut contact = sample.clone();
                        contact.contact.id = format!("{}-{copy}", sample.contact.id);
                        for _ in 1..TURN_REPEATS {
                            contact
                                .contact
                                .turns
                                .extend_from_slice(&sample.contact.turns);
                            contact.tokens.extend_from_slice(&sample.tokens);
                        }
                        contact
                    })
                })
                .collect();
            index.upsert(&contacts).unwrap();
            drop(index);
            Arc::new(ContactIndex::open(&dir).unwrap())
        })
        .clone()
}
const LOAD_COPIES: usize = 1000;
const TURN_REPEATS: usize = 8;

fn serve(index: Arc<ContactIndex>, config: Config) -> Running {
    voc_serve::start(
        index,
        Config {
            bind: "127.0.0.1:0".into(),
            threads: 2,
            ..config
        },
    )
    .unwrap()
}

/// Sends `raw` and reads until the server closes (or 5 s pass).
fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(raw).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn status(answer: &str) -> u16 {
    answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn ambiguous_framing_is_refused() {
    let server = serve(sample_index(), Config::default());
    let addr = server.addr();
    let host = format!("Host: {addr}\r\n");
    for (what, head) in [
        (
            "two differing Content-Lengths",
            "Content-Length: 3\r\nContent-Length: 4\r\n",
        ),
        ("whitespace before the colon", "Content-Length : 3\r\n"),
        ("a signed length", "Content-Length: +3\r\n"),
        ("a listed length", "Content-Length: 3, 3\r\n"),
        (
            "a folded header",
            "X-Folded: a\r\n b\r\nContent-Length: 3\r\n",
        ),
        (
            "a bare LF inside a header",
            "X-A: a\nb\r\nContent-Length: 3\r\n",
        ),
        ("a space in a header name", "Content Length: 3\r\n"),
    ] {
        let raw = format!("GET /api/health HTTP/1.1\r\n{host}{head}\r\nabc");
        let answer = exchange(addr, raw.as_bytes());
        assert_eq!(status(&answer), 400, "{what}: {answer}");
    }
    let answer = exchange(addr, b"GARBAGE\r\n\r\n");
    assert_eq!(status(&answer), 400, "{answer}");
    let big = format!("GET / HTTP/1.1\r\n{host}X: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(status(&exchange(addr, big.as_bytes())), 431);
    let chunked = format!("POST / HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(status(&exchange(addr, chunked.as_bytes())), 405);
    let chunked = format!("GET / HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(status(&exchange(addr, chunked.as_bytes())), 411);
    let huge = format!("GET / HTTP/1.1\r\n{host}Content-Length: 100000\r\n\r\n");
    assert_eq!(status(&exchange(addr, huge.as_bytes())), 413);
    // Two equal lengths are one length (RFC 9110 §8.6); a small body is read and dropped.
    let equal = format!(
        "GET /api/health HTTP/1.1\r\n{host}Content-Length: 3\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    );
    assert_eq!(status(&exchange(addr, equal.as_bytes())), 200);
    server.stop();
}

#[test]
fn keep_alive_pipelining_and_head() {
    let server = serve(sample_index(), Config::default());
    let addr = server.addr();
    let raw = format!(
        "GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\nHEAD /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\nGET /api/fields HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let answer = exchange(addr, raw.as_bytes());
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 3, "{answer}");
    assert_eq!(
        answer.matches(r#""status":"ok""#).count(),
        1,
        "HEAD has no body: {answer}"
    );
    assert!(
        answer.ends_with('}') && answer.contains("max_page_size"),
        "{answer}"
    );
    // HTTP/1.0 without keep-alive closes after one answer, and may leave out the Host.
    let answer = exchange(addr, b"GET /api/health HTTP/1.0\r\n\r\n");
    assert_eq!(status(&answer), 200, "{answer}");
    server.stop();
}

#[test]
fn the_host_must_name_this_server() {
    let config = Config {
        allowed_hosts: vec!["voc.example.com".into(), "proxy.example.com:8443".into()],
        ..Config::default()
    };
    let server = serve(sample_index(), config);
    let addr = server.addr();
    let port = addr.port();
    let get = |host: &str| {
        let raw = format!("GET /api/health HTTP/1.1\r\n{host}Connection: close\r\n\r\n");
        exchange(addr, raw.as_bytes())
    };
    for allowed in [
        format!("Host: {addr}\r\n"),
        "Host: 127.0.0.1\r\n".to_string(),
        format!("Host: localhost:{port}\r\n"),
        "Host: LOCALHOST\r\n".to_string(),
        "Host: voc.example.com\r\n".to_string(),
        format!("Host: voc.example.com:{port}\r\n"),
        "Host: proxy.example.com:8443\r\n".to_string(),
    ] {
        assert_eq!(status(&get(&allowed)), 200, "{allowed}");
    }
    // A page of evil.example whose name now points at 127.0.0.1 still sends its name.
    for refused in [
        format!("Host: evil.example:{port}\r\n"),
        "Host: evil.example\r\n".to_string(),
        format!("Host: 127.0.0.2:{port}\r\n"),
        format!("Host: 127.0.0.1:{}\r\n", port.wrapping_add(1)),
        "Host: proxy.example.com\r\n".to_string(),
        format!("Host: localhost.evil.example:{port}\r\n"),
    ] {
        let answer = get(&refused);
        assert_eq!(status(&answer), 403, "{refused}: {answer}");
        assert!(answer.contains("--allowed-host"), "{answer}");
    }
    assert_eq!(status(&get("")), 400, "HTTP/1.1 needs a Host");
    assert_eq!(
        status(&get(&format!("Host: {addr}\r\nHost: {addr}\r\n"))),
        400
    );
    // The page is refused too: a rebound name gets nothing from this server.
    let raw = format!("GET / HTTP/1.1\r\nHost: evil.example:{port}\r\nConnection: close\r\n\r\n");
    assert_eq!(status(&exchange(addr, raw.as_bytes())), 403);
    server.stop();

    let bad = voc_serve::start(
        sample_index(),
        Config {
            bind: "127.0.0.1:0".into(),
            allowed_hosts: vec!["not a name".into()],
            ..Config::default()
        },
    );
    assert!(matches!(bad, Err(ServeError::BadAllowedHost(_))));
}

#[test]
fn a_token_nobody_could_send_is_refused_at_startup() {
    for token in [
        " ".repeat(16),
        "\t".repeat(12),
        " long-enough-token".into(),
        "long-enough-token\n".into(),
        "long-enough\u{7}token".into(),
    ] {
        let refused = voc_serve::start(
            sample_index(),
            Config {
                bind: "127.0.0.1:0".into(),
                token: Some(token.clone()),
                ..Config::default()
            },
        );
        assert!(
            matches!(refused, Err(ServeError::TokenUnsendable)),
            "{token:?}"
        );
    }
}

#[test]
fn a_head_must_arrive_in_time() {
    let limits = Limits {
        head_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let server = serve(
        sample_index(),
        Config {
            limits,
            ..Config::default()
        },
    );
    let mut slow = TcpStream::connect(server.addr()).unwrap();
    slow.write_all(b"GET /api/health HTTP/1.1\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400) && waited < Duration::from_secs(3),
        "closed after {waited:?}"
    );
    server.stop();
}

#[test]
fn stalled_clients_are_dropped_before_anyone_is_refused() {
    let limits = Limits {
        max_connections: 16,
        ..Limits::default()
    };
    let server = serve(
        sample_index(),
        Config {
            limits,
            ..Config::default()
        },
    );
    let addr = server.addr();
    let mut stalled: Vec<TcpStream> = (0..16)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /api/health HTTP/1.1\r\n").unwrap();
            std::thread::sleep(Duration::from_millis(5));
            s
        })
        .collect();
    for _ in 0..3 {
        let raw = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        let answer = exchange(addr, raw.as_bytes());
        assert_eq!(status(&answer), 200, "{answer}");
    }
    // The oldest stalled connections made the room: closed without an answer.
    let first = &mut stalled[0];
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = first.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    server.stop();
}

/// A kept-alive client that reads answers by Content-Length or chunks.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    addr: SocketAddr,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            addr,
        }
    }

    /// One GET; the status and the body.
    fn get(&mut self, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        write!(
            self.writer,
            "GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.addr
        )?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = status(&line);
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
            chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
        }
        let mut body = Vec::new();
        if !chunked {
            body.resize(length, 0);
            self.reader.read_exact(&mut body)?;
            return Ok((status, body));
        }
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16)
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
            let start = body.len();
            body.resize(start + size + 2, 0);
            self.reader.read_exact(&mut body[start..])?;
            body.truncate(start + size);
            if size == 0 {
                return Ok((status, body));
            }
        }
    }
}

fn p99(times: &mut [Duration]) -> Duration {
    times.sort();
    times[(times.len() - 1) * 99 / 100]
}

/// Open files this process may have (the soft limit), from /proc on Linux.
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}

const NORMAL_QUERY: &str = "/api/search?q=%E6%96%AD%E7%BD%91&size=20&facets=1";

/// Held by the tests that load the machine, so that they do not measure each other.
static HEAVY: Mutex<()> = Mutex::new(());

#[test]
fn a_normal_query_keeps_its_latency_under_slow_clients_and_exports() {
    let _alone = HEAVY.lock().unwrap_or_else(|p| p.into_inner());
    let index = load_index();
    // Fewer connection slots than slow clients, so that making room is exercised too.
    let limits = Limits {
        max_connections: 256,
        head_timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let server = serve(
        index,
        Config {
            limits,
            ..Config::default()
        },
    );
    let addr = server.addr();
    // Each slow connection takes a descriptor here and one in the server (same process).
    let slow_count = 500.min(open_file_limit().saturating_sub(256) / 2);
    println!(
        "slow connections: {slow_count} (open file limit {})",
        open_file_limit()
    );

    let mut normal = Client::connect(addr);
    let measure = |normal: &mut Client, n: usize| {
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let (status, body) = normal.get(NORMAL_QUERY).unwrap();
            times.push(t.elapsed());
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        }
        p99(&mut times)
    };
    measure(&mut normal, 20);
    let idle = measure(&mut normal, 200);

    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(60);
    // Slow clients: each sends a header line now and then and never finishes its head;
    // a dropped one comes back.
    let slow = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let connect = || {
                let mut s = TcpStream::connect(addr).ok()?;
                s.write_all(b"GET /api/search?q=x HTTP/1.1\r\n").ok()?;
                Some(s)
            };
            let mut streams: Vec<Option<TcpStream>> = (0..slow_count).map(|_| connect()).collect();
            let mut reconnected = 0usize;
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                for slot in &mut streams {
                    let alive = slot
                        .as_mut()
                        .is_some_and(|s| s.write_all(b"X-Slow: 1\r\n").is_ok());
                    if !alive {
                        *slot = connect();
                        reconnected += 1;
                    }
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            reconnected
        })
    };
    let exported = Arc::new(AtomicUsize::new(0));
    let exporters: Vec<_> = (0..4)
        .map(|i| {
            let (stop, exported) = (stop.clone(), exported.clone());
            std::thread::spawn(move || {
                let format = if i % 2 == 0 { "csv" } else { "xlsx" };
                let raw = format!(
                    "GET /api/export?q=&format={format} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                );
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    // Read whole by std (optimised even in a debug build), so that the
                    // test's own reading takes little of the cores being measured.
                    let mut stream = TcpStream::connect(addr).unwrap();
                    stream.write_all(raw.as_bytes()).unwrap();
                    let mut answer = Vec::new();
                    stream.read_to_end(&mut answer).unwrap();
                    let head = String::from_utf8_lossy(&answer[..answer.len().min(512)]);
                    assert_eq!(status(&head), 200, "{head}");
                    let complete = match format {
                        "csv" => answer.ends_with(b"\r\n0\r\n\r\n"),
                        _ => answer.len() > 100 << 10,
                    };
                    assert!(complete, "{format}: {} bytes", answer.len());
                    exported.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let loaded = measure(&mut normal, 200);
    stop.store(true, Ordering::SeqCst);
    let reconnected = slow.join().unwrap();
    for exporter in exporters {
        exporter.join().unwrap();
    }
    let exports = exported.load(Ordering::SeqCst);
    println!(
        "normal query p99: idle {idle:?}, under load {loaded:?}; {exports} exports done, {reconnected} slow connections dropped and reopened"
    );
    assert!(exports >= 4, "the exports ran: {exports}");
    // Floor for the idle figure: a debug build on a shared machine has millisecond jitter.
    let allowed = idle.max(Duration::from_millis(5)) * 5;
    assert!(
        loaded <= allowed,
        "p99 {loaded:?} under load, {idle:?} idle"
    );
    server.stop();
}

#[test]
fn an_unread_export_lets_go() {
    let _alone = HEAVY.lock().unwrap_or_else(|p| p.into_inner());
    let limits = Limits {
        write_timeout: Duration::from_millis(500),
        open_exports: 1,
        ..Limits::default()
    };
    let server = serve(
        load_index(),
        Config {
            limits,
            ..Config::default()
        },
    );
    let addr = server.addr();
    // A client that asks for an export and reads nothing: a small receive window, so
    // the server's writes stall at once.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut unread: TcpStream = socket.into();
    write!(
        unread,
        "GET /api/export?q=&format=csv HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    // Searches go on meanwhile.
    let mut normal = Client::connect(addr);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(normal.get(NORMAL_QUERY).unwrap().0, 200);
    // After the write timeout the export is dropped and its slot free again.
    let started = Instant::now();
    loop {
        let (status, body) = normal.get("/api/export?q=&format=csv").unwrap();
        if status == 200 {
            assert!(body.len() > 1 << 20);
            break;
        }
        assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the unread export kept its slot"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // What the unread client gets is a broken-off answer, never a complete-looking file.
    unread
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut got = Vec::new();
    let _ = unread.read_to_end(&mut got);
    assert!(
        !got.ends_with(b"\r\n0\r\n\r\n"),
        "{} bytes, ends complete",
        got.len()
    );
    server.stop();
}

/// Captures the access log: one line per request with method, path, status, ms.
struct AccessLog(Mutex<Vec<String>>);

impl tracing::Subscriber for AccessLog {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "voc::access"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Line(String);
        impl tracing::field::Visit for Line {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={value:?} ", field.name()));
            }
        }
        let mut line = Line(String::new());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn every_request_has_an_access_log_line() {
    let log = Arc::new(AccessLog(Mutex::new(Vec::new())));
    // Global, since requests are answered on the server's threads; other tests' lines
    // land here too.
    tracing::subscriber::set_global_default(log.clone()).unwrap();
    let server = serve(sample_index(), Config::default());
    let addr = server.addr();
    let raw = format!(
        "GET /no-such-page-for-the-log?q=13800138000 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(status(&exchange(addr, raw.as_bytes())), 404);
    server.stop();
    let lines = log.0.lock().unwrap();
    let line = lines
        .iter()
        .find(|l| l.contains("/no-such-page-for-the-log"))
        .unwrap_or_else(|| panic!("no line in {lines:?}"));
    assert!(
        line.contains("method=GET") && line.contains("status=404") && line.contains("ms="),
        "{line}"
    );
    assert!(
        !line.contains("13800138000"),
        "the query stays out of the log: {line}"
    );
}
