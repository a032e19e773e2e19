//! Descriptive statistics of a data set.
