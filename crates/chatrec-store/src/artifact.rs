//! Checksums of model artifacts: taken when a version is put, checked on every read, so a
//! damaged blob fails loudly instead of loading a broken model.

use sha2::{Digest, Sha256};

use crate::error::{StoreError, StoreResult};
use crate::types::{ModelArtifact, ModelVersionInfo};

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The artifact if its bytes match the checksum and size recorded with it.
pub(crate) fn verified(info: ModelVersionInfo, artifact: Vec<u8>) -> StoreResult<ModelArtifact> {
    if artifact.len() as u64 != info.size_bytes || sha256_hex(&artifact) != info.sha256 {
        return Err(StoreError::CorruptArtifact {
            version: info.version.0,
        });
    }
    Ok(ModelArtifact { info, artifact })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ModelVersion;

    #[test]
    fn known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let info = ModelVersionInfo {
            version: ModelVersion(7),
            metadata: serde_json::Value::Null,
            size_bytes: 3,
            sha256: sha256_hex(b"abc"),
            created_at_ms: 0,
            active: false,
        };
        assert!(verified(info.clone(), b"abc".to_vec()).is_ok());
        assert!(matches!(
            verified(info, b"abd".to_vec()),
            Err(StoreError::CorruptArtifact { version: 7 })
        ));
    }
}
