//! voc-aggregate
