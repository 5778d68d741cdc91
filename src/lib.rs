//! Shared pieces of route-labels' examples and integration tests. Not published.
