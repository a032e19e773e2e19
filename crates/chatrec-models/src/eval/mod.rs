//! Offline evaluation: splits, metrics, runs, reports and tuning.
