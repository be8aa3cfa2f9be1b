//! `floor INPUT.jsonl [DICTIONARY…]`: the segmentation floor for the bench harness.
//! Prints one JSON object with contacts, text bytes, tokens and seconds.

/// The same allocator as `voc`, so the ratio compares the work, not the allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: floor INPUT.jsonl [DICTIONARY…]"))?;
    let mut builder = voc_text::Segmenter::builder();
    for dict in args {
        builder = builder.dictionary(dict)?;
    }
    let segmenter = builder.build()?;
    let r = voc_benches::segmentation_floor(std::path::Path::new(&input), &segmenter)?;
    println!(
        "{}",
        serde_json::json!({
            "contacts": r.contacts,
            "text_bytes": r.text_bytes,
            "tokens": r.tokens,
            "seconds": r.seconds,
            "threads": rayon::current_num_threads(),
        })
    );
    Ok(())
}
