//! Recommendation algorithms, one module each.
