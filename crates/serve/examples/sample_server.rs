//! Serves the fixed sample index of `voc_index::testing` on a loopback port, for working
//! on the search page without building a demo index:
//!
//!   cargo run -p voc-serve --example sample_server -- 127.0.0.1:8080

use std::sync::Arc;

fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let dir = std::env::temp_dir().join(format!("voc-sample-index-{}", std::process::id()));
    let index = match voc_index::testing::sample_index(&dir) {
        Ok(index) => Arc::new(index),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let config = voc_serve::Config {
        bind,
        ..Default::default()
    };
    match voc_serve::start(index, config) {
        Ok(running) => {
            eprintln!("sample index at http://{}/", running.addr());
            running.wait();
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
