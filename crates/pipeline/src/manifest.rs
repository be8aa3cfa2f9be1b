//! `run.json`: what a run read, what it wrote, how long each stage took.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileFingerprint {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Counts {
    pub read: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub duplicates: u64,
    pub indexed: u64,
    pub index_documents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageTiming {
    pub stage: String,
    pub ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub pipeline: String,
    /// Wall-clock start of the run: the only value that differs between identical runs.
    pub run_started_at: String,
    pub period: String,
    /// One fingerprint over every configuration file (pipeline, taxonomy, dictionaries).
    pub config_fingerprint: String,
    pub config_files: Vec<FileFingerprint>,
    /// One fingerprint over every input file, in order.
    pub data_fingerprint: String,
    pub inputs: Vec<FileFingerprint>,
    pub counts: Counts,
    pub pii_masked: BTreeMap<String, u64>,
    /// Customer and contact ids replaced by keyed pseudonyms (absent when none were).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pseudonymized: u64,
    /// Channel values no channel code or map knows, with how many accepted records had
    /// each (absent when there were none): SLA and staffing leave them out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_channels: BTreeMap<String, u64>,
    /// Rows of message-per-row inputs (absent when there were none): `rows =
    /// in_contacts + refused + system`; each contact grouped from them and each row
    /// refused on its own is one record of `counts.read`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_rows: Option<voc_ingest::MessageRowStats>,
    pub outputs: Vec<FileFingerprint>,
    pub timings: Vec<StageTiming>,
    pub total_ms: u64,
    /// Peak resident memory of the run in KiB (`VmHWM`; Linux only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
