//! The routes: the page and its assets, `/api/search`, `/api/export`, `/api/health`,
//! `/api/fields`; and the checks every request passes first ([`frontline`]: Host,
//! method, framing, token), which also writes the access log.

use crate::params::{MAX_PAGE_SIZE, build_request, param, parse_params};
use crate::server::LocalAddr;
use crate::{export, is_loopback, streaming};
use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST,
    TRANSFER_ENCODING, WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode, Uri, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;
use voc_index::{IndexError, LiveIndex, MAX_QUERY_CHARS};

const PAGE_HTML: &str = include_str!("page/index.html");
const PAGE_JS: &str = include_str!("page/app.js");
const PAGE_CSS: &str = include_str!("page/app.css");
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'";

/// Largest request body read (and dropped: the API takes none).
const MAX_BODY_BYTES: u64 = 64 * 1024;

/// What every request is answered from.
pub(crate) struct App {
    /// Reopened when the output folder's index moves to a new generation.
    pub(crate) index: LiveIndex,
    token: Option<String>,
    allowed_hosts: Vec<AllowedHost>,
    /// One permit per search running (a core each).
    searching: Semaphore,
    /// One permit per export producing rows at this moment: at most half the search
    /// permits, so searches keep cores while exports run.
    pub(crate) producing: Arc<Semaphore>,
    /// One permit per export open, producing or waiting for its client to read.
    pub(crate) open_exports: Arc<Semaphore>,
}

impl App {
    pub(crate) fn new(
        index: LiveIndex,
        token: Option<String>,
        allowed_hosts: Vec<AllowedHost>,
        searches: usize,
        open_exports: usize,
    ) -> Arc<App> {
        Arc::new(App {
            index,
            token,
            allowed_hosts,
            searching: Semaphore::new(searches.max(1)),
            producing: Arc::new(Semaphore::new((searches / 2).max(1))),
            open_exports: Arc::new(Semaphore::new(open_exports.max(1))),
        })
    }

    /// Runs CPU-bound index work once a search permit is free, in place: the thread
    /// becomes a blocking one for the while (tokio hands its other tasks to another
    /// worker) and goes on to write the answer itself, with no hand-off between threads
    /// (through spawn_blocking, p99 at 8 clients was ~15 % above the old server's). A
    /// panic in it is answered 500 by `frontline`.
    async fn on_a_core<T>(&self, work: impl FnOnce(&App) -> T) -> Result<T, Refusal> {
        let _permit = self
            .searching
            .acquire()
            .await
            .map_err(|_| Refusal::new(internal_error()))?;
        Ok(tokio::task::block_in_place(|| work(self)))
    }

    fn authorized(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let Some(given) = authorization
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
        else {
            return false;
        };
        constant_time_eq(given.trim().as_bytes(), token.as_bytes())
    }

    /// Whether a Host header names this server: the address the client connected to
    /// (with that port or none), `localhost` on a loopback connection, or an allowed
    /// name. A page whose own name was rebound to 127.0.0.1 still sends its own name.
    fn names_this_server(&self, host: &str, local: Option<SocketAddr>) -> bool {
        let Some((name, port)) = split_host(host) else {
            return false;
        };
        if let Some(local) = local {
            let local_ip = local.ip().to_canonical();
            let same_port = port.is_none_or(|p| p == local.port());
            let same_ip = name
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.to_canonical() == local_ip);
            if same_port && (same_ip || (name == "localhost" && is_loopback(local_ip))) {
                return true;
            }
        }
        self.allowed_hosts.iter().any(|a| a.matches(&name, port))
    }

    /// The checks before routing, in this order: the Host names this server, the
    /// method is GET or HEAD, no request body worth reading, the token on `/api/`.
    /// Returns the answer to a request that fails one.
    fn refusal(&self, request: &Request) -> Option<Response> {
        let headers = request.headers();
        // An absolute-form target's authority stands for the Host header (RFC 9112 §3.2.2).
        let host = match request.uri().authority() {
            Some(authority) => Some(authority.as_str()),
            None if headers.get_all(HOST).iter().count() > 1 => {
                return Some(client_error(
                    StatusCode::BAD_REQUEST,
                    "more than one Host header",
                ));
            }
            None => match headers.get(HOST) {
                Some(value) => Some(value.to_str().unwrap_or("")),
                None => None,
            },
        };
        match host {
            // HTTP/1.0 clients may leave it out; browsers always send it.
            None if request.version() == Version::HTTP_10 => {}
            None => return Some(client_error(StatusCode::BAD_REQUEST, "missing Host header")),
            Some(host) => {
                let local = request.extensions().get::<LocalAddr>().map(|l| l.0);
                if !self.names_this_server(host, local) {
                    return Some(client_error(
                        StatusCode::FORBIDDEN,
                        format!(
                            "this server does not answer to the host name '{host}'; to allow it, start voc serve with --allowed-host {host}"
                        ),
                    ));
                }
            }
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut refused = client_error(StatusCode::METHOD_NOT_ALLOWED, "only GET is supported");
            refused
                .headers_mut()
                .insert("Allow", HeaderValue::from_static("GET, HEAD"));
            return Some(refused);
        }
        if headers.contains_key(TRANSFER_ENCODING) {
            return Some(client_error(
                StatusCode::LENGTH_REQUIRED,
                "request bodies must have a Content-Length",
            ));
        }
        let body_len = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if body_len > MAX_BODY_BYTES {
            return Some(client_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ));
        }
        if request.uri().path().starts_with("/api/") && !self.authorized(headers.get(AUTHORIZATION))
        {
            let mut refused = client_error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong access token (Authorization: Bearer …)",
            );
            refused
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Some(refused);
        }
        None
    }
}

/// A name a Host header may give besides the bound address (`--allowed-host`): any
/// port, or only the one it names.
#[derive(Debug, Clone)]
pub(crate) struct AllowedHost {
    name: String,
    port: Option<u16>,
}

impl AllowedHost {
    pub(crate) fn parse(text: &str) -> Option<AllowedHost> {
        let (name, port) = split_host(text.trim())?;
        Some(AllowedHost { name, port })
    }

    fn matches(&self, name: &str, port: Option<u16>) -> bool {
        self.name == name && (self.port.is_none() || self.port == port)
    }
}

/// Splits `name`, `name:port`, `[v6]` or `[v6]:port` into a lowercase name and a port;
/// `None` for anything else.
fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = match host.strip_prefix('[') {
        Some(bracketed) => {
            let (v6, rest) = bracketed.split_once(']')?;
            let port = match rest {
                "" => None,
                _ => Some(rest.strip_prefix(':')?),
            };
            (v6, port)
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
    };
    let valid = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':');
    if name.is_empty() || !name.bytes().all(valid) || (name.contains(':') && !host.starts_with('['))
    {
        return None;
    }
    Some((name.to_ascii_lowercase(), port))
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route(
            "/app.js",
            get(|| async { reply(StatusCode::OK, "text/javascript; charset=utf-8", PAGE_JS) }),
        )
        .route(
            "/app.css",
            get(|| async { reply(StatusCode::OK, "text/css; charset=utf-8", PAGE_CSS) }),
        )
        .route("/api/search", get(search))
        .route("/api/export", get(export))
        .route("/api/health", get(health))
        .route("/api/fields", get(fields))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), frontline))
        .with_state(app)
}

/// Admission checks, the headers every answer carries, a 500 for a handler that
/// panics (the connection and the server carry on), and one access-log line per
/// request: method, path (never the query, which may hold customer data), status and
/// milliseconds until the response head (an export streams on after it).
async fn frontline(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = match app.refusal(&request) {
        Some(refused) => refused,
        None => AssertUnwindSafe(next.run(request))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| internal_error()),
    };
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    tracing::info!(
        target: "voc::access",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        ms,
    );
    response
}

async fn page() -> Response {
    let mut response = reply(StatusCode::OK, "text/html; charset=utf-8", PAGE_HTML);
    response
        .headers_mut()
        .insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    response
}

async fn search(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let params = parse_params(query.as_deref().unwrap_or(""))?;
    let request = build_request(&params, true)?;
    app.on_a_core(move |app| {
        let started = Instant::now();
        let index = app.index.get();
        let results = index.search_request(&request)?;
        let mut value = serde_json::to_value(&results).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("size".into(), json!(request.limit));
            // The page names values with these (a run may change them between searches).
            map.insert("labels".into(), export::labels(&index));
            map.insert(
                "took_ms".into(),
                json!(started.elapsed().as_secs_f64() * 1000.0),
            );
        }
        Ok(json_reply(StatusCode::OK, &value))
    })
    .await?
}

async fn export(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let params = parse_params(query.as_deref().unwrap_or(""))?;
    let name = param(&params, "format").unwrap_or("csv");
    let format = export::Format::parse(name).ok_or_else(|| {
        Refusal::new(client_error(
            StatusCode::BAD_REQUEST,
            format!("unknown export format '{name}'; use csv or xlsx"),
        ))
    })?;
    let mut request = build_request(&params, false)?;
    request.limit = 0;
    streaming::export(app, request, format).await
}

async fn health(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    parse_params(query.as_deref().unwrap_or(""))?;
    Ok(json_reply(
        StatusCode::OK,
        &json!({"status": "ok", "documents": app.index.get().num_docs()}),
    ))
}

async fn fields(RawQuery(query): RawQuery) -> Result<Response, Refusal> {
    parse_params(query.as_deref().unwrap_or(""))?;
    Ok(json_reply(
        StatusCode::OK,
        &json!({"fields": voc_index::KNOWN_FIELDS, "max_query_chars": MAX_QUERY_CHARS, "max_page_size": MAX_PAGE_SIZE}),
    ))
}

async fn not_found(uri: Uri) -> Result<Response, Refusal> {
    let path = uri.path();
    if path.starts_with("/api/") {
        parse_params(uri.query().unwrap_or(""))?;
        return Ok(client_error(
            StatusCode::NOT_FOUND,
            format!("no such API: {path}"),
        ));
    }
    Ok(client_error(
        StatusCode::NOT_FOUND,
        format!("not found: {path}"),
    ))
}

pub(crate) fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_reply(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    reply(status, "application/json; charset=utf-8", body)
}

/// A 4xx answer: `{"error": {"message", "position"?, "query"?}}`.
pub(crate) fn client_error(status: StatusCode, message: impl Into<String>) -> Response {
    json_reply(status, &json!({"error": {"message": message.into()}}))
}

pub(crate) fn internal_error() -> Response {
    json_reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"error": {"message": "internal error"}}),
    )
}

/// Why a request is refused, as the 4xx it becomes.
pub(crate) struct Refusal(Box<Response>);

impl Refusal {
    pub(crate) fn new(response: Response) -> Self {
        Refusal(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<IndexError> for Refusal {
    fn from(e: IndexError) -> Self {
        Refusal::new(match e {
            IndexError::Query(q) => json_reply(
                StatusCode::BAD_REQUEST,
                &json!({"error": {
                    "message": q.to_string(),
                    "position": q.position,
                    "query": q.query,
                }}),
            ),
            other => json_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": {"message": other.to_string()}}),
            ),
        })
    }
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
    fn tokens_compare_in_constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn host_headers_split_into_name_and_port() {
        let split = |h: &str| split_host(h);
        assert_eq!(
            split("127.0.0.1:8080"),
            Some(("127.0.0.1".into(), Some(8080)))
        );
        assert_eq!(split("LocalHost"), Some(("localhost".into(), None)));
        assert_eq!(split("[::1]:80"), Some(("::1".into(), Some(80))));
        assert_eq!(split("[::1]"), Some(("::1".into(), None)));
        for bad in [
            "", ":80", "a:+80", "a:", "a:99999", "::1", "a b", "a/b", "[::1", "[::1]x", "a@b",
        ] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }
}
