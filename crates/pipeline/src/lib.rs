//! voc-pipeline
