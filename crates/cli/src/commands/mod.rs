pub mod fixtures;
pub mod report;
pub mod retag;
pub mod run;
pub mod search;
pub mod sentiment;
pub mod serve;
pub mod taxonomy;
