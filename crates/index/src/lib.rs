//! voc-index
