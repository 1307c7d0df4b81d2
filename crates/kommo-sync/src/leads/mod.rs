//! Leads: flattening now; the fetch-and-write run lands with the client.

pub mod flatten;
