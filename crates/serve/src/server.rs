//! Connections: tokio accepts, hyper reads and writes HTTP/1.1 (and refuses ambiguous
//! framing with 400: differing Content-Lengths, a signed or listed length, whitespace
//! before a colon, folded headers), and this module decides who keeps a connection,
//! so that slow or idle clients cannot starve the others:
//!
//! - a request head must be complete within `head_timeout` of the connection opening
//!   or its previous response going out (hyper's header read timeout), which also
//!   closes idle keep-alive connections;
//! - a client that takes nothing of a response for `write_timeout` is dropped;
//! - at `max_connections`, or when accepting runs out of file descriptors, a
//!   connection with no request in hand is closed to make room: first the one that
//!   has been sending a request head the longest (a stalled client), else the one
//!   idle the longest; only when every connection has a request in hand is a newcomer
//!   answered 503.

use crate::Limits;
use axum::Router;
use axum::body::{Body, HttpBody};
use hyper::Request;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Sleep;
use tower_service::Service;

/// Largest request head (request line and headers); more is answered 431.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long stopping waits for requests in hand.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The address a request came in on, for the Host check (a wildcard bind has no
/// single address of its own).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalAddr(pub(crate) SocketAddr);

/// A listening server on its own tokio runtime; stopped when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    runtime: Option<Runtime>,
    acceptor: Option<JoinHandle<()>>,
    connections: Arc<Connections>,
}

struct Shared {
    router: Router,
    http: http1::Builder,
    connections: Arc<Connections>,
    write_timeout: Duration,
}

impl Server {
    /// Serves `listener` (non-blocking) with `router`.
    pub(crate) fn start(
        listener: std::net::TcpListener,
        router: Router,
        limits: &Limits,
        blocking_threads: usize,
    ) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        // Accepting, parsing and writing are light; a search blocks its worker only
        // after handing the worker's other tasks on (block_in_place).
        let workers = std::thread::available_parallelism().map_or(2, usize::from);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.min(4))
            .max_blocking_threads(blocking_threads.max(1))
            .thread_name("voc-serve")
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.head_timeout)
            .max_header_size(MAX_HEAD_BYTES)
            // As the server before it wrote them; clients should not care, some tests do.
            .title_case_headers(true);
        let connections = Arc::new(Connections::new(limits.max_connections));
        let shared = Arc::new(Shared {
            router,
            http,
            connections: connections.clone(),
            write_timeout: limits.write_timeout,
        });
        let acceptor = runtime.spawn(accept_loop(listener, shared));
        Ok(Server {
            addr,
            runtime: Some(runtime),
            acceptor: Some(acceptor),
            connections,
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks while the server runs (in practice, until the process ends).
    pub(crate) fn wait(mut self) {
        if let (Some(runtime), Some(acceptor)) = (&self.runtime, self.acceptor.take()) {
            let _ = runtime.block_on(acceptor);
        }
    }

    pub(crate) fn stop(self) {
        drop(self);
    }
}

impl Drop for Server {
    /// Stops accepting, closes idle connections at once and the others after their
    /// response, waits for those up to [`STOP_GRACE`], then ends the runtime.
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
            let _ = runtime.block_on(acceptor);
        }
        self.connections.close_all();
        let deadline = Instant::now() + STOP_GRACE;
        while !self.connections.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => match shared.connections.admit() {
                Some(slot) => {
                    tokio::spawn(serve_connection(stream, slot, shared.clone()));
                }
                None => {
                    tokio::spawn(refuse_busy(stream));
                }
            },
            Err(e) => {
                tracing::warn!(target: "voc::serve", "accepting a connection failed: {e}");
                // EMFILE or ENFILE (Linux and macOS numbers): out of file descriptors,
                // so make room as at the connection limit.
                if matches!(e.raw_os_error(), Some(23 | 24)) {
                    shared.connections.close_idlest();
                }
                // Back off rather than spin on an error that persists.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, slot: Slot, shared: Arc<Shared>) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(ClientStream::new(
        stream,
        slot.state.clone(),
        shared.write_timeout,
    ));
    let service = {
        let shared = shared.clone();
        let state = slot.state.clone();
        service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(LocalAddr(local));
            let in_hand = InHand::new(state.clone(), &shared.connections);
            let answer = shared.router.clone().call(request);
            async move {
                let response = match answer.await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| Tracked {
                    body,
                    _in_hand: in_hand,
                }))
            }
        })
    };
    let connection = shared.http.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        outcome = connection.as_mut() => {
            if let Err(e) = outcome {
                tracing::debug!(target: "voc::serve", "connection ended: {e}");
            }
        }
        () = slot.state.close.notified() => {
            // Closed to make room, or the server is stopping: an idle connection (a
            // stalled head included) goes now, one with a request in hand after it.
            if slot.state.in_hand.load(Ordering::SeqCst) > 0 {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

/// Every connection has a request in hand: say so and close.
async fn refuse_busy(stream: TcpStream) {
    let body = r#"{"error":{"message":"too many open connections; try again"}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // One small write into a fresh socket's buffer; a client that cannot take it is
    // simply closed.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.writable().await?;
        stream.try_write(answer.as_bytes())
    })
    .await;
}

/// The open connections and, for each, whether it has a request in hand and since
/// when it has been idle.
struct Connections {
    open: Mutex<HashMap<u64, Arc<ConnectionState>>>,
    next_id: AtomicU64,
    limit: usize,
    epoch: Instant,
}

struct ConnectionState {
    in_hand: AtomicUsize,
    /// Microseconds from `Connections::epoch` to when the last request was answered
    /// (or the connection opened).
    idle_since: AtomicU64,
    /// Whether bytes of a request head have come in since then: a connection stalled
    /// inside a head is closed before one that is merely idle.
    head_begun: AtomicBool,
    close: Notify,
}

/// A connection's place among the open ones, given up when its task ends.
struct Slot {
    id: u64,
    state: Arc<ConnectionState>,
    connections: Arc<Connections>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.connections.lock().remove(&self.id);
    }
}

impl Connections {
    fn new(limit: usize) -> Self {
        Connections {
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            limit: limit.max(1),
            epoch: Instant::now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnectionState>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// A slot for a new connection, closing the idlest one at the limit; `None` if
    /// every connection has a request in hand.
    fn admit(self: &Arc<Self>) -> Option<Slot> {
        let mut open = self.lock();
        if open.len() >= self.limit && !Self::close_idlest_of(&mut open) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnectionState {
            in_hand: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.now()),
            head_begun: AtomicBool::new(false),
            close: Notify::new(),
        });
        open.insert(id, state.clone());
        Some(Slot {
            id,
            state,
            connections: self.clone(),
        })
    }

    fn close_idlest(&self) {
        Self::close_idlest_of(&mut self.lock());
    }

    /// Closes a connection with no request in hand, if there is one: stalled inside a
    /// request head before merely idle, the longest waiting first. Its slot is free at
    /// once.
    fn close_idlest_of(open: &mut HashMap<u64, Arc<ConnectionState>>) -> bool {
        let idlest = open
            .iter()
            .filter(|(_, c)| c.in_hand.load(Ordering::SeqCst) == 0)
            .min_by_key(|(_, c)| {
                (
                    !c.head_begun.load(Ordering::SeqCst),
                    c.idle_since.load(Ordering::SeqCst),
                )
            })
            .map(|(id, _)| *id);
        let Some(state) = idlest.and_then(|id| open.remove(&id)) else {
            return false;
        };
        tracing::debug!(target: "voc::serve", "closing the idlest connection to make room");
        state.close.notify_one();
        true
    }

    fn close_all(&self) {
        for state in self.lock().values() {
            state.close.notify_one();
        }
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// A request in hand on a connection, from its head until its response body is done
/// (or dropped): such a connection is not closed to make room.
struct InHand {
    state: Arc<ConnectionState>,
    connections: Arc<Connections>,
}

impl InHand {
    fn new(state: Arc<ConnectionState>, connections: &Arc<Connections>) -> Self {
        state.in_hand.fetch_add(1, Ordering::SeqCst);
        state.head_begun.store(false, Ordering::SeqCst);
        InHand {
            state,
            connections: connections.clone(),
        }
    }
}

impl Drop for InHand {
    fn drop(&mut self) {
        if self.state.in_hand.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.state
                .idle_since
                .store(self.connections.now(), Ordering::SeqCst);
        }
    }
}

/// A response body that keeps its request in hand until it is sent.
struct Tracked {
    body: Body,
    _in_hand: InHand,
}

impl HttpBody for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// An accepted socket, with a deadline on writes: a client that takes nothing of a
/// response for `timeout` gets an error instead of holding its connection (and an
/// export behind it) forever. Reads note when a request head begins to arrive.
struct ClientStream {
    stream: TcpStream,
    state: Arc<ConnectionState>,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl ClientStream {
    fn new(stream: TcpStream, state: Arc<ConnectionState>, timeout: Duration) -> Self {
        ClientStream {
            stream,
            state,
            timeout,
            stalled: None,
        }
    }

    /// Passes a write's outcome on, turning "pending for `timeout`" into an error.
    fn deadline<T>(
        &mut self,
        cx: &mut Context<'_>,
        attempt: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if attempt.is_ready() {
            self.stalled = None;
            return attempt;
        }
        let timeout = self.timeout;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for ClientStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let outcome = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before && this.state.in_hand.load(Ordering::SeqCst) == 0 {
            this.state.head_begun.store(true, Ordering::SeqCst);
        }
        outcome
    }
}

impl AsyncWrite for ClientStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let attempt = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.deadline(cx, attempt)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let attempt = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.deadline(cx, attempt)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
