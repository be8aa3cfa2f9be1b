//! voc-classify
