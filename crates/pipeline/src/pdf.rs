//! The report as a PDF, printed by headless Chromium when it is installed.
//!
//! The HTML report is written for print (A4, page breaks between sections), so a PDF is
//! Chromium printing it: no second layout engine to keep in step. Chromium stamps the
//! PDF with its creation time, so unlike the other report files the PDF is not
//! byte-identical between runs (its content is).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Browsers tried in order when `VOC_CHROMIUM` is not set.
const CANDIDATES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The Chromium to print with: `VOC_CHROMIUM`, or the first candidate on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("VOC_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    CANDIDATES.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Prints `html` to `pdf` (A4, no browser header or footer), atomically.
pub fn print_to_pdf(html: &Path, pdf: &Path) -> Result<()> {
    let Some(chromium) = find_chromium() else {
        bail!(
            "a PDF needs headless Chromium, which was not found: install Debian's `chromium` \
             package, or set VOC_CHROMIUM to a Chromium or Chrome binary"
        );
    };
    let html = std::fs::canonicalize(html)
        .with_context(|| format!("cannot find the report {}", html.display()))?;
    let tmp = voc_core::fsutil::temp_sibling(pdf);
    let profile = tempfile::tempdir().context("cannot create a browser profile folder")?;
    let output = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            // The machine may have no network; do not let the browser try.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", tmp.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .with_context(|| format!("cannot start {}", chromium.display()))?;
    let printed = std::fs::metadata(&tmp).map(|m| m.len()).unwrap_or(0);
    if !output.status.success() || printed == 0 {
        let _ = std::fs::remove_file(&tmp);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        bail!(
            "{} could not print {} to PDF ({}): {last}",
            chromium.display(),
            html.display(),
            output.status
        );
    }
    std::fs::rename(&tmp, pdf).with_context(|| format!("cannot write {}", pdf.display()))?;
    Ok(())
}
