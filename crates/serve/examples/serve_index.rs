//! Serves an index as `voc serve` does (same allocator, facet columns decoded ahead),
//! without the pipeline's dependencies, so that a release build for latency
//! comparisons takes minutes rather than a polars build:
//!
//!   cargo build --release -p voc-serve --example serve_index
//!   target/release/examples/serve_index INDEX_DIR [127.0.0.1:0] [THREADS]
//!
//! Prints `voc serve: … at http://ADDRESS/` as `voc serve` does, so
//! benches/search_latency.sh can drive it (SERVE_BIN).

use std::sync::Arc;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: serve_index INDEX_DIR [ADDRESS] [THREADS]");
        std::process::exit(2);
    };
    let bind = args.get(2).cloned().unwrap_or_else(|| "127.0.0.1:0".into());
    let threads = args
        .get(3)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let index = match voc_index::ContactIndex::open(std::path::Path::new(dir)) {
        Ok(index) => Arc::new(index),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = index.warm_facets() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    let config = voc_serve::Config {
        bind,
        threads,
        ..Default::default()
    };
    match voc_serve::start(index.clone(), config) {
        Ok(running) => {
            eprintln!(
                "voc serve: {} contacts from {dir} at http://{}/",
                index.num_docs(),
                running.addr()
            );
            running.wait();
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
