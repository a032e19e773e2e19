//! Seeded synthetic data sets for tests and scale benchmarks.
