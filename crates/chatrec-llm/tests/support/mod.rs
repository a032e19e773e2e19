//! Shared by the LLM tests: the dialogue's small film world, and where the real model is.

#![allow(dead_code)]

use std::path::PathBuf;

pub mod scripted;

#[path = "../../../chatrec-dialogue/tests/common/mod.rs"]
pub mod world;

/// The SmolLM2 GGUF: `CHATREC_TEST_GGUF`, else where `chatrec models fetch smollm2` puts
/// it. `None` when absent, unless `CHATREC_REQUIRE_LLM_TESTS=1` (CI), which makes a
/// missing model a failure rather than a skip.
pub fn smollm2() -> Option<PathBuf> {
    let path = std::env::var_os("CHATREC_TEST_GGUF")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        });
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CHATREC_REQUIRE_LLM_TESTS").as_deref() == Ok("1") {
        panic!(
            "CHATREC_REQUIRE_LLM_TESTS=1 but there is no model at {}",
            path.display()
        );
    }
    eprintln!(
        "skipped: no SmolLM2 at {} (run `chatrec models fetch smollm2`)",
        path.display()
    );
    None
}
