//! Progress reporting for long work, without tying models to a terminal library.

/// Receives progress from long-running work (fitting, evaluation). Implementations must be
/// cheap to call from several threads.
pub trait Progress: Sync {
    /// Starts a new phase with `len` steps.
    fn start(&self, phase: &str, len: u64);
    /// Advances the current phase by `n` steps.
    fn advance(&self, n: u64);
    /// Ends the current phase.
    fn finish(&self) {}
}

/// Discards all progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _phase: &str, _len: u64) {}
    fn advance(&self, _n: u64) {}
}
