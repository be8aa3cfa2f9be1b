pub mod fixtures;
pub mod run;
pub mod search;
pub mod taxonomy;
