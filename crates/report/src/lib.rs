//! voc-report
