//! The Kommo action catalog: typed inputs with JSON Schemas, executed through the client, written through to the store.
