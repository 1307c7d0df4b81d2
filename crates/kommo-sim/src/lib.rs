//! A Kommo-compatible API v4 server for tests, demos, benchmarks and development.
