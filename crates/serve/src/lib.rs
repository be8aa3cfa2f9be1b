//! `voc serve`: a JSON search API and a search page in Chinese over a contact index.
//!
//! A small synchronous server ([`http`]): a thread per open connection and a bound on
//! requests handled at once; search is CPU-bound and short, so threads beat an async
//! runtime on two cores and keep the binary small. The page, its script
//! and style are compiled into the binary (`include_str!`) and fetch nothing from
//! elsewhere.
//!
//! Access: it binds to 127.0.0.1 by default. Any other address needs a token; with a
//! token set, every `/api/` request must carry `Authorization: Bearer <token>` or gets
//! 401. The page itself holds no data and asks for the token.
//!
//! User input never causes a 500: a bad query is a 400 with the parse error and its
//! position, so are an oversized query or page and unknown parameters.

pub mod export;
pub mod http;

use serde::Serialize;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use voc_index::{ContactIndex, IndexError, MAX_QUERY_CHARS, SearchRequest, Sort};

/// Largest page of hits.
pub const MAX_PAGE_SIZE: usize = 200;
/// Deepest offset a page may start at; deeper paging is what exports are for.
pub const MAX_OFFSET: usize = 10_000;
/// Shortest token accepted, so a token is not guessable by trying a few.
pub const MIN_TOKEN_CHARS: usize = 12;

const PAGE_HTML: &str = include_str!("page/index.html");
const PAGE_JS: &str = include_str!("page/app.js");
const PAGE_CSS: &str = include_str!("page/app.css");

/// Filter parameters of `/api/search` and `/api/export`, each a field of the query
/// language; `from` and `to` are the two ends of a date range.
const FILTER_PARAMS: &[&str] = &[
    "channel",
    "region",
    "business",
    "category",
    "sentiment",
    "risk",
    "week",
    "last",
    "date",
];
const OTHER_PARAMS: &[&str] = &[
    "q", "offset", "page", "size", "sort", "facets", "from", "to", "format",
];

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub bind: String,
    /// Bearer token required on `/api/`; mandatory unless `bind` is a loopback address.
    pub token: Option<String>,
    /// Requests handled at the same time (open connections each have a thread).
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            token: None,
            threads: 8,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {bind}: {message}")]
    Bind { bind: String, message: String },
    #[error(
        "{0} is not a loopback address, so an access token is required: pass --token or set VOC_TOKEN"
    )]
    TokenRequired(String),
    #[error("the access token must be at least {MIN_TOKEN_CHARS} characters long")]
    TokenTooShort,
    #[error("{0} is not an address such as 127.0.0.1:8080")]
    BadAddress(String),
}

/// A running server; dropping it does not stop it, [`Running::stop`] does.
pub struct Running {
    server: http::Server,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Serves until the process ends.
    pub fn wait(self) {
        self.server.wait();
    }

    /// Stops accepting connections and closes idle ones; requests in hand finish.
    pub fn stop(self) {
        self.server.stop();
    }
}

/// Checks the bind address and token, then starts the workers.
pub fn start(index: Arc<ContactIndex>, config: Config) -> Result<Running, ServeError> {
    let addr: SocketAddr = config
        .bind
        .parse()
        .map_err(|_| ServeError::BadAddress(config.bind.clone()))?;
    let token = config.token.filter(|t| !t.is_empty());
    match &token {
        None if !is_loopback(addr.ip()) => return Err(ServeError::TokenRequired(config.bind)),
        Some(t) if t.chars().count() < MIN_TOKEN_CHARS => return Err(ServeError::TokenTooShort),
        _ => {}
    }
    let app = App { index, token };
    let handler: Arc<http::Handler> = Arc::new(move |request: &http::Request| app.handle(request));
    let server = listen(addr)
        .and_then(|listener| http::Server::start(listener, handler, config.threads))
        .map_err(|e| ServeError::Bind {
            bind: config.bind.clone(),
            message: e.to_string(),
        })?;
    Ok(Running { server })
}

/// The listening socket, with TCP_NODELAY set (Linux and the BSDs copy it to every
/// accepted socket): a response is one write, but a client's next request should not
/// wait on a delayed ACK either.
fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // As std's TcpListener::bind does on Unix: a restart may reuse a port in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

struct App {
    index: Arc<ContactIndex>,
    token: Option<String>,
}

type Reply = http::Response;

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    http::Response::new(status, content_type, body)
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("Cache-Control", "no-store")
}

fn json_reply(status: u16, value: &impl Serialize) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    reply(status, "application/json; charset=utf-8", body)
}

/// A 4xx answer: `{"error": {"message", "position"?, "query"?}}`.
fn client_error(status: u16, message: impl Into<String>) -> Reply {
    json_reply(status, &json!({"error": {"message": message.into()}}))
}

/// Why a request is refused, as the 4xx it becomes.
struct Refusal(Reply);

impl From<IndexError> for Refusal {
    fn from(e: IndexError) -> Self {
        Refusal(match e {
            IndexError::Query(q) => json_reply(
                400,
                &json!({"error": {
                    "message": q.to_string(),
                    "position": q.position,
                    "query": q.query,
                }}),
            ),
            other => json_reply(500, &json!({"error": {"message": other.to_string()}})),
        })
    }
}

impl App {
    fn handle(&self, request: &http::Request) -> Reply {
        // A bug must not take a connection down with it: answer 500 and keep serving.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.route(
                &request.method,
                &request.target,
                request.header("Authorization"),
            )
        }));
        match outcome {
            Ok(Ok(response)) | Ok(Err(Refusal(response))) => response,
            Err(_) => json_reply(500, &json!({"error": {"message": "internal error"}})),
        }
    }

    fn authorized(&self, authorization: Option<&str>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let Some(given) = authorization.and_then(|h| h.strip_prefix("Bearer ")) else {
            return false;
        };
        constant_time_eq(given.trim().as_bytes(), token.as_bytes())
    }

    fn route(
        &self,
        method: &str,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<Reply, Refusal> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        if method != "GET" && method != "HEAD" {
            return Ok(client_error(405, "only GET is supported"));
        }
        match path {
            "/" | "/index.html" => Ok(reply(200, "text/html; charset=utf-8", PAGE_HTML.into())
                .with_header(
                    "Content-Security-Policy",
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
                )),
            "/app.js" => Ok(reply(200, "text/javascript; charset=utf-8", PAGE_JS.into())),
            "/app.css" => Ok(reply(200, "text/css; charset=utf-8", PAGE_CSS.into())),
            p if p.starts_with("/api/") => {
                if !self.authorized(authorization) {
                    return Ok(client_error(401, "missing or wrong access token (Authorization: Bearer …)")
                        .with_header("WWW-Authenticate", "Bearer"));
                }
                let params = parse_params(query)?;
                match p {
                    "/api/search" => self.search(&params),
                    "/api/export" => self.export(&params),
                    "/api/health" => Ok(json_reply(
                        200,
                        &json!({"status": "ok", "documents": self.index.num_docs()}),
                    )),
                    "/api/fields" => Ok(json_reply(
                        200,
                        &json!({"fields": voc_index::KNOWN_FIELDS, "max_query_chars": MAX_QUERY_CHARS, "max_page_size": MAX_PAGE_SIZE}),
                    )),
                    _ => Ok(client_error(404, format!("no such API: {p}"))),
                }
            }
            _ => Ok(client_error(404, format!("not found: {path}"))),
        }
    }

    fn search(&self, params: &[(String, String)]) -> Result<Reply, Refusal> {
        let request = build_request(params, true)?;
        let started = std::time::Instant::now();
        let results = self.index.search_request(&request)?;
        let mut value = serde_json::to_value(&results).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("size".into(), json!(request.limit));
            map.insert(
                "took_ms".into(),
                json!(started.elapsed().as_secs_f64() * 1000.0),
            );
        }
        Ok(json_reply(200, &value))
    }

    fn export(&self, params: &[(String, String)]) -> Result<Reply, Refusal> {
        let name = param(params, "format").unwrap_or("csv");
        let format = export::Format::parse(name).ok_or_else(|| {
            Refusal(client_error(
                400,
                format!("unknown export format '{name}'; use csv or xlsx"),
            ))
        })?;
        let mut request = build_request(params, false)?;
        request.limit = 0;
        let (body, exported) = match format {
            export::Format::Csv => {
                let mut body = Vec::new();
                let exported =
                    export::write_csv(&self.index, &request, &mut body).map_err(export_refusal)?;
                (body, exported)
            }
            export::Format::Xlsx => {
                export::xlsx_bytes(&self.index, &request).map_err(export_refusal)?
            }
        };
        let name = format!("voc-search.{}", format.extension());
        Ok(reply(200, format.content_type(), body)
            .with_header(
                "Content-Disposition",
                &format!("attachment; filename=\"{name}\""),
            )
            .with_header("X-Voc-Total", &exported.total.to_string())
            .with_header("X-Voc-Rows", &exported.rows.to_string()))
    }
}

fn export_refusal(e: export::ExportError) -> Refusal {
    match e {
        export::ExportError::Index(e) => Refusal::from(e),
        other => Refusal(json_reply(
            500,
            &json!({"error": {"message": other.to_string()}}),
        )),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn number(
    params: &[(String, String)],
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, Refusal> {
    let Some(text) = param(params, name) else {
        return Ok(default);
    };
    let value: usize = text.trim().parse().map_err(|_| {
        Refusal(client_error(
            400,
            format!("parameter '{name}' must be a whole number, found '{text}'"),
        ))
    })?;
    if value > max {
        return Err(Refusal(client_error(
            400,
            format!("parameter '{name}' is {value}; at most {max} is allowed"),
        )));
    }
    Ok(value)
}

/// Turns query-string parameters into a search request, refusing what is too large
/// or unknown with a message that says which parameter and why.
fn build_request(params: &[(String, String)], paged: bool) -> Result<SearchRequest, Refusal> {
    for (key, _) in params {
        if !FILTER_PARAMS.contains(&key.as_str()) && !OTHER_PARAMS.contains(&key.as_str()) {
            let mut known: Vec<&str> = OTHER_PARAMS.to_vec();
            known.extend(FILTER_PARAMS);
            return Err(Refusal(client_error(
                400,
                format!(
                    "unknown parameter '{key}'; known parameters: {}",
                    known.join(", ")
                ),
            )));
        }
    }
    let query = param(params, "q").unwrap_or("");
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(Refusal(client_error(
            400,
            format!("the query is {chars} characters long; at most {MAX_QUERY_CHARS} are allowed"),
        )));
    }
    let mut request = SearchRequest::new(query);
    if paged {
        request.limit = number(params, "size", 20, MAX_PAGE_SIZE)?;
        request.offset = match param(params, "page") {
            Some(_) => number(params, "page", 1, MAX_OFFSET)?.saturating_sub(1) * request.limit,
            None => number(params, "offset", 0, MAX_OFFSET)?,
        };
        if request.offset > MAX_OFFSET {
            return Err(Refusal(client_error(
                400,
                format!(
                    "pages deeper than {MAX_OFFSET} hits are not served; narrow the query or export"
                ),
            )));
        }
        request.facets = !matches!(param(params, "facets"), Some("0" | "false" | "no"));
    }
    if let Some(sort) = param(params, "sort") {
        request.sort = sort
            .parse::<Sort>()
            .map_err(|e| Refusal(client_error(400, e)))?;
    }
    for (key, value) in params {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if FILTER_PARAMS.contains(&key.as_str()) {
            request.filters.push((key.clone(), value.to_string()));
        }
    }
    let from = param(params, "from")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let to = param(params, "to").map(str::trim).filter(|s| !s.is_empty());
    if from.is_some() || to.is_some() {
        let bound = |s: Option<&str>| s.unwrap_or("*").replace([' ', ']', '['], "");
        request
            .filters
            .push(("date".into(), format!("[{} TO {}]", bound(from), bound(to))));
    }
    Ok(request)
}

/// Decodes `a=1&b=%E5%B9%BF` (with `+` as space); invalid UTF-8 is a 400.
fn parse_params(query: &str) -> Result<Vec<(String, String)>, Refusal> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((percent_decode(key)?, percent_decode(value)?));
    }
    Ok(out)
}

fn percent_decode(text: &str) -> Result<String, Refusal> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        Refusal(client_error(
            400,
            "the request's parameters are not valid UTF-8",
        ))
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        let decoded = |s: &str| percent_decode(s).ok().unwrap_or_default();
        assert_eq!(decoded("%E5%B9%BF%E4%B8%9C"), "广东");
        assert_eq!(decoded("a+b%20c"), "a b c");
        assert_eq!(decoded("100%"), "100%");
        assert_eq!(decoded("%zz%4"), "%zz%4");
        assert!(percent_decode("%FF").is_err());
    }

    #[test]
    fn tokens_are_required_off_loopback() {
        assert!(is_loopback("127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(!is_loopback("0.0.0.0".parse().unwrap()));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    /// Without TCP_NODELAY every kept-alive response waits ~40 ms for a delayed ACK.
    #[test]
    #[cfg(target_os = "linux")]
    fn accepted_connections_have_nodelay() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
