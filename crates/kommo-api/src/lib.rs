//! The data API v1 and the actions over HTTP: routing, auth, problem documents, OpenAPI.
