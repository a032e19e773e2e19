//! Obtaining public data sets from packages.
