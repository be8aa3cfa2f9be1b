//! `voc serve`: a JSON search API and a search page in Chinese over a contact index.
//!
//! HTTP is axum's router on hyper's HTTP/1.1 server, on a tokio runtime that the server
//! owns ([`server`] accepts and keeps connections, [`api`] answers). Searches are
//! CPU-bound and short: one per core at a time, each on a thread that tokio counts as
//! blocking for the while (`block_in_place`).
//! Exports stream as they are produced. The page, its script and style are compiled
//! into the binary (`include_str!`) and fetch nothing from elsewhere.
//!
//! Access: it binds to 127.0.0.1 by default. Any other address needs a token; with a
//! token set, every `/api/` request must carry `Authorization: Bearer <token>` or gets
//! 401. The page itself holds no data and asks for the token. Every request must name
//! this server in its Host header (the address it connected to, `localhost` on
//! loopback, or a name given with `--allowed-host`), so a web page that rebinds its own
//! name to 127.0.0.1 cannot read a token-less loopback server.
//!
//! User input never causes a 500: a bad query is a 400 with the parse error and its
//! position, so are an oversized query or page and unknown parameters.

mod api;
pub mod export;
mod params;
mod server;
mod streaming;

pub use params::{MAX_OFFSET, MAX_PAGE_SIZE};

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Shortest token accepted, so a token is not guessable by trying a few.
pub const MIN_TOKEN_CHARS: usize = 12;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub bind: String,
    /// Bearer token required on `/api/`; mandatory unless `bind` is a loopback address.
    pub token: Option<String>,
    /// Searches run at the same time (each on a thread that is blocking for the while).
    pub threads: usize,
    /// Host names, besides the bound address (and `localhost` on loopback), that
    /// requests may name in their Host header: `voc.example.com` (any port) or
    /// `voc.example.com:8443`.
    pub allowed_hosts: Vec<String>,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            token: None,
            threads: 8,
            allowed_hosts: Vec::new(),
            limits: Limits::default(),
        }
    }
}

/// What one client may hold, so that slow or idle clients cannot starve the others.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once. A new connection at the limit closes the one idle the
    /// longest (no request in hand); only when every connection has a request in hand
    /// is the newcomer answered 503.
    pub max_connections: usize,
    /// Deadline for a complete request head, counted from when the connection opens
    /// or its previous response is sent; also how long an idle connection is kept.
    pub head_timeout: Duration,
    /// A response whose client reads nothing for this long drops the connection.
    pub write_timeout: Duration,
    /// Exports open at once (producing, or waiting for their client to read); more
    /// are answered 503.
    pub open_exports: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            head_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            open_exports: 16,
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
    #[error(
        "the access token is blank, starts or ends with whitespace, or holds a control character; no client could send it"
    )]
    TokenUnsendable,
    #[error("{0} is not an address such as 127.0.0.1:8080")]
    BadAddress(String),
    #[error(
        "--allowed-host '{0}' is not a host name such as voc.example.com or voc.example.com:8443"
    )]
    BadAllowedHost(String),
}

/// A running server; [`Running::stop`] (or dropping it) stops it.
pub struct Running {
    server: server::Server,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Serves until the process ends.
    pub fn wait(self) {
        self.server.wait();
    }

    /// Stops accepting connections and closes idle ones; requests in hand finish
    /// (for up to a few seconds).
    pub fn stop(self) {
        self.server.stop();
    }
}

/// Checks the bind address, token and allowed hosts, then starts serving.
/// `index` is an `Arc<ContactIndex>` (served as it is) or a [`voc_index::LiveIndex`]
/// (reopened when a run commits a new generation of its output folder).
pub fn start(
    index: impl Into<voc_index::LiveIndex>,
    config: Config,
) -> Result<Running, ServeError> {
    let index = index.into();
    let addr: SocketAddr = config
        .bind
        .parse()
        .map_err(|_| ServeError::BadAddress(config.bind.clone()))?;
    let token = config.token.filter(|t| !t.is_empty());
    match &token {
        None if !is_loopback(addr.ip()) => return Err(ServeError::TokenRequired(config.bind)),
        // A header value loses its outer whitespace on the way and cannot carry
        // control characters, so such a token would lock every client out.
        Some(t) if t.trim() != t || t.chars().any(char::is_control) => {
            return Err(ServeError::TokenUnsendable);
        }
        Some(t) if t.chars().count() < MIN_TOKEN_CHARS => return Err(ServeError::TokenTooShort),
        _ => {}
    }
    let allowed_hosts = config
        .allowed_hosts
        .iter()
        .map(|name| {
            api::AllowedHost::parse(name).ok_or_else(|| ServeError::BadAllowedHost(name.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let searches = config.threads.max(1);
    let app = api::App::new(
        index,
        token,
        allowed_hosts,
        searches,
        config.limits.open_exports,
    );
    let bind_error = |e: std::io::Error| ServeError::Bind {
        bind: config.bind.clone(),
        message: e.to_string(),
    };
    let listener = listen(addr).map_err(bind_error)?;
    // Every search (its worker's stand-in) and every open export holds a blocking thread.
    let blocking_threads = searches + config.limits.open_exports.max(1) + 2;
    let server =
        server::Server::start(listener, api::router(app), &config.limits, blocking_threads)
            .map_err(bind_error)?;
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
    socket.set_nonblocking(true)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_required_off_loopback() {
        assert!(is_loopback("127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(!is_loopback("0.0.0.0".parse().unwrap()));
    }

    /// Without TCP_NODELAY every kept-alive response waits ~40 ms for a delayed ACK.
    #[test]
    #[cfg(target_os = "linux")]
    fn accepted_connections_have_nodelay() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        listener.set_nonblocking(false).unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
