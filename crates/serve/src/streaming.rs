//! `/api/export` over HTTP: rows are produced on a blocking thread and stream to the
//! client through a small bounded queue, so an open export holds a few chunks in
//! memory, never its whole file, and a client that reads slowly slows only its own.
//!
//! Producing takes a turn (a permit of [`App::producing`]) and gives it back whenever
//! a chunk waits for room in the queue, so exports take turns on at most half the
//! cores, and a client that stops reading holds no turn. CSV is written as it is
//! produced; its rows are counted first so that the head can say how many follow and a
//! bad query is still a 400. XLSX is a zip that `voc_report::xlsx::write_streaming`
//! finishes in memory: it is spooled to an unnamed temporary file, the memory freed,
//! and the file streamed, so a slow client holds disk, not memory.

use crate::api::{App, Refusal, client_error, internal_error, reply};
use crate::export::{self, ExportError, Format, MAX_EXPORT_ROWS};
use axum::body::{Body, Bytes, HttpBody};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, HeaderValue};
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use std::io::{Read, Seek, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use voc_index::{SearchRequest, Sort};

/// Bytes per chunk handed to the client's queue.
const CHUNK_BYTES: usize = 64 << 10;
/// Chunks queued for a client before the producer waits: 256 KiB an export.
const QUEUE_CHUNKS: usize = 4;

/// What the head of an export answer says, sent once the export is known to go ahead.
struct ExportHead {
    total: usize,
    rows: usize,
    /// The file's length, when it is known before streaming (XLSX).
    length: Option<u64>,
}

enum Piece {
    Data(Bytes),
    /// The export is complete.
    End,
    /// The export broke off; the client must see an error, not a short file.
    Failed,
}

type Started = oneshot::Sender<Result<ExportHead, Refusal>>;

/// Answers an export: the head once the producer has checked the query, then the
/// body as it is produced.
pub(crate) async fn export(
    app: Arc<App>,
    request: SearchRequest,
    format: Format,
) -> Result<Response, Refusal> {
    let Ok(open) = app.open_exports.clone().try_acquire_owned() else {
        return Err(Refusal::new(client_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many exports in progress; try again shortly",
        )));
    };
    let (pieces, queue) = mpsc::channel(QUEUE_CHUNKS);
    let (started, head) = oneshot::channel();
    let producer = Producer {
        app,
        pieces,
        runtime: Handle::current(),
        turn: None,
        _open: open,
    };
    tokio::task::spawn_blocking(move || producer.run(&request, format, started));
    let head = match head.await {
        Ok(Ok(head)) => head,
        Ok(Err(refusal)) => return Err(refusal),
        // The producer ended without a word: it panicked or the server is stopping.
        Err(_) => return Err(Refusal::new(internal_error())),
    };
    let body = ExportBody {
        queue,
        remaining: head.length,
        ended: false,
    };
    let mut response = reply(StatusCode::OK, format.content_type(), Body::new(body));
    let headers = response.headers_mut();
    let disposition = format!("attachment; filename=\"voc-search.{}\"", format.extension());
    for (name, value) in [
        (CONTENT_DISPOSITION.as_str(), disposition),
        ("X-Voc-Total", head.total.to_string()),
        ("X-Voc-Rows", head.rows.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}

/// The blocking side of an export.
struct Producer {
    app: Arc<App>,
    pieces: mpsc::Sender<Piece>,
    runtime: Handle,
    /// Held while producing, given back while a chunk waits for the client.
    turn: Option<OwnedSemaphorePermit>,
    /// This export's place among the open ones, until the producer is done.
    _open: OwnedSemaphorePermit,
}

impl Producer {
    fn run(mut self, request: &SearchRequest, format: Format, started: Started) {
        let began = std::time::Instant::now();
        if self.take_turn().is_err() {
            return;
        }
        let outcome = match format {
            Format::Csv => self.csv(request, started),
            Format::Xlsx => self.xlsx(request, started),
        };
        self.turn = None;
        match outcome {
            Ok(()) => {
                let _ = self.pieces.blocking_send(Piece::End);
                tracing::debug!(target: "voc::serve", ms = began.elapsed().as_millis() as u64, "export produced");
            }
            Err(e) => {
                tracing::warn!(target: "voc::serve", "export stopped: {e}");
                let _ = self.pieces.blocking_send(Piece::Failed);
            }
        }
    }

    fn csv(&mut self, request: &SearchRequest, started: Started) -> Result<(), ExportError> {
        let counting = SearchRequest {
            sort: Sort::Time,
            offset: 0,
            limit: 0,
            facets: false,
            ..request.clone()
        };
        let total = match self.app.index.get().search_request(&counting) {
            Ok(results) => results.total,
            Err(e) => {
                let _ = started.send(Err(Refusal::from(e)));
                return Ok(());
            }
        };
        let head = ExportHead {
            total,
            rows: total.min(MAX_EXPORT_ROWS),
            length: None,
        };
        if started.send(Ok(head)).is_err() {
            return Ok(());
        }
        let index = self.app.index.get();
        export::write_csv(&index, request, self)?;
        Ok(())
    }

    fn xlsx(&mut self, request: &SearchRequest, started: Started) -> Result<(), ExportError> {
        let (workbook, exported) = match export::xlsx_bytes(&self.app.index.get(), request) {
            Ok(done) => done,
            Err(ExportError::Index(e)) => {
                let _ = started.send(Err(Refusal::from(e)));
                return Ok(());
            }
            Err(other) => return Err(other),
        };
        let mut file = tempfile::tempfile()?;
        file.write_all(&workbook)?;
        drop(workbook);
        file.rewind()?;
        let head = ExportHead {
            total: exported.total,
            rows: exported.rows,
            length: Some(file.metadata()?.len()),
        };
        self.turn = None;
        if started.send(Ok(head)).is_err() {
            return Ok(());
        }
        let mut chunk = vec![0; CHUNK_BYTES];
        loop {
            let n = file.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            self.send(Bytes::copy_from_slice(&chunk[..n]))?;
        }
    }

    fn take_turn(&mut self) -> std::io::Result<()> {
        if self.turn.is_none() {
            let turn = self
                .runtime
                .block_on(self.app.producing.clone().acquire_owned());
            self.turn = Some(turn.map_err(|_| std::io::Error::other("the server is stopping"))?);
        }
        Ok(())
    }

    /// Queues a chunk for the client, without a turn while it waits for room.
    fn send(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.turn = None;
        self.pieces.blocking_send(Piece::Data(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

/// `write_csv` writes its rows here, about 60 KiB at a time.
impl Write for Producer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.send(Bytes::copy_from_slice(buf))?;
        self.take_turn()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The response body: the producer's chunks, ending cleanly only on its `End`, so a
/// broken-off export breaks the connection instead of looking like a short file.
struct ExportBody {
    queue: mpsc::Receiver<Piece>,
    /// Bytes still to come, when the length is known (hyper then sends Content-Length).
    remaining: Option<u64>,
    ended: bool,
}

impl HttpBody for ExportBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match ready!(self.queue.poll_recv(cx)) {
            Some(Piece::Data(chunk)) => {
                if let Some(remaining) = &mut self.remaining {
                    *remaining = remaining.saturating_sub(chunk.len() as u64);
                }
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Some(Piece::End) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Some(Piece::Failed) | None => {
                self.ended = true;
                Poll::Ready(Some(Err(std::io::Error::other(
                    "the export broke off; the file is incomplete",
                ))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }

    fn size_hint(&self) -> SizeHint {
        self.remaining
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}
