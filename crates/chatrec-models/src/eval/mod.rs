//! Offline evaluation: splits, metrics, runs, reports and tuning.

pub mod metrics;
pub mod report;
pub mod runner;
pub mod split;
pub mod tune;
