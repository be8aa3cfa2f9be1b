use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The index folder written by `voc run` (<output>/index)
    #[arg(long, default_value_os_t = super::demo_index())]
    index: PathBuf,
    /// Address to listen on; anything but a loopback address requires a token
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Access token clients must send as `Authorization: Bearer <token>` (at least 12
    /// characters); also read from the VOC_TOKEN environment variable
    #[arg(long)]
    token: Option<String>,
    /// Searches run at the same time (default: one per core). Searches are CPU-bound, so
    /// more than the cores only stretches every search; other searches queue briefly.
    /// Exports produce rows on at most half as many at once.
    #[arg(long)]
    threads: Option<usize>,
    /// A host name clients may use in the Host header besides the bound address (and
    /// `localhost` on loopback), e.g. the name of a reverse proxy: `voc.example.com`
    /// (any port) or `voc.example.com:8443`. Repeat for more. Other names are refused
    /// with 403, so a web page that points its own name at this server cannot read it.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    // The environment keeps the token out of `ps` output and shell history.
    let token = args
        .token
        .or_else(|| std::env::var("VOC_TOKEN").ok())
        .filter(|t| !t.is_empty());
    // Follows `<output>/index` to each new generation a run commits.
    let live = voc_index::LiveIndex::open(&args.index)?;
    let index: Arc<voc_index::ContactIndex> = live.get();
    let documents = index.num_docs();
    let index_for_warming = index.clone();
    let running = voc_serve::start(
        live,
        voc_serve::Config {
            bind: args.bind,
            token: token.clone(),
            threads: args
                .threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from)),
            allowed_hosts: args.allowed_hosts,
            ..Default::default()
        },
    )?;
    eprintln!(
        "voc serve: {documents} contacts from {} at http://{}/ ({})",
        args.index.display(),
        running.addr(),
        if token.is_some() {
            "token required on /api/"
        } else {
            "no token, loopback only"
        }
    );
    // Facet columns are decoded per segment on the first search with facets; do it
    // now, beside the workers, so the first searches do not wait for it. A failure
    // shows again (and is answered) on the search that meets it.
    let warm = index_for_warming;
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        match warm.warm_facets() {
            Ok(()) => {
                let (segments, bytes) = warm.facet_cache_stats();
                eprintln!(
                    "voc serve: facet columns of {segments} segments decoded in {} ms ({:.1} MB; {})",
                    started.elapsed().as_millis(),
                    bytes as f64 / 1e6,
                    warm.facet_cache_layout().join(" | ")
                );
            }
            Err(e) => eprintln!("voc serve: facet columns not decoded ahead: {e}"),
        }
    });
    running.wait();
    Ok(ExitCode::SUCCESS)
}
