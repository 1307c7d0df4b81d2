//! The Kommo API v4 client: auth, rate limit, retries, pagination, batching.
