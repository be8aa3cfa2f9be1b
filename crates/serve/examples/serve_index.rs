//! Serves an index as `voc serve` does (same allocator, facet columns decoded ahead),
//! without the pipeline's dependencies, so that a release build for latency
//! comparisons takes minutes rather than a polars build. It takes `voc serve`'s
//! arguments, so benches/search_latency.sh can drive it as VOC or BASELINE_VOC:
//!
//!   cargo build --release -p voc-serve --example serve_index
//!   target/release/examples/serve_index serve --index DIR [--bind 127.0.0.1:0] [--threads N]

use std::sync::Arc;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(dir) = option("--index") else {
        eprintln!("usage: serve_index serve --index DIR [--bind ADDRESS] [--threads N]");
        std::process::exit(2);
    };
    let bind = option("--bind").unwrap_or_else(|| "127.0.0.1:0".into());
    let threads = option("--threads")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let index = match voc_index::ContactIndex::open(std::path::Path::new(&dir)) {
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
