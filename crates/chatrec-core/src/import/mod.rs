//! Importing data sets from files.
