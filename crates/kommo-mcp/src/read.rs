//! Read tools: read-only tools over the service's local copy of the data, which the host
//! describes and runs through a [`ReadTools`] implementation (the API crate implements it
//! from the data API's parameter tables), so this crate knows no resource, parameter or
//! query; it lists the tools, finds the caller's [`ReadAccess`] and renders the outcome.

use std::future::Future;
use std::pin::Pin;

use kommo_store::query::Grant;
use serde::Serialize;
use serde_json::{Map, Value};

/// One read tool as it is listed to clients.
#[derive(Debug, Clone)]
pub struct ReadTool {
    /// The name to call it by, e.g. `KOMMO_DATA_LEADS`.
    pub name: String,
    pub title: String,
    /// What the data is, how fresh, and when to prefer it over a live action.
    pub description: String,
    /// The JSON Schema of the tool's arguments (an object schema).
    pub input_schema: Map<String, Value>,
}

/// What a read runs as: resolved by the host before a call reaches a tool (over HTTP from
/// the request's credentials and headers, for stdio from the integration it serves).
#[derive(Debug, Clone)]
pub struct ReadAccess {
    /// The caller's grant; every read of rows is checked against it by the store.
    pub grant: Grant,
    /// The workspace the session reads.
    pub workspace_id: String,
    /// The integration (Kommo account) of the session: only its rows are read.
    pub integration_id: String,
}

/// One argument that was wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidArgument {
    /// The argument as the tool's schema names it.
    pub name: String,
    /// What was expected and what was received.
    pub reason: String,
}

/// Why a read tool call has no result. Every variant is answered as a tool error the model
/// can read (`isError: true`), never as a protocol error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    /// The arguments are wrong: the model must change them.
    #[error("{}", describe(.0))]
    InvalidInput(Vec<InvalidArgument>),
    /// The caller may not read this.
    #[error("{0}")]
    Refused(String),
    /// Something the arguments name does not exist (the funnel's pipeline).
    #[error("{0}")]
    NotFound(String),
    /// The local copy could not be read; the detail is an opaque error id for the logs.
    #[error("the local copy could not be read ({0}); try again later")]
    Unavailable(String),
}

fn describe(invalid: &[InvalidArgument]) -> String {
    match invalid {
        [one] => format!("invalid argument `{}`: {}", one.name, one.reason),
        many => format!(
            "{} arguments are invalid: {}",
            many.len(),
            many.iter()
                .map(|a| format!("`{}`: {}", a.name, a.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

impl ReadError {
    /// The tool error's structured content: `{"error": ..., "invalid_params": [...]}`.
    pub fn to_value(&self) -> Value {
        let mut out = Map::new();
        out.insert("error".to_owned(), Value::String(self.to_string()));
        if let Self::InvalidInput(invalid) = self {
            let params = invalid
                .iter()
                .map(|a| {
                    let mut p = Map::new();
                    p.insert("name".to_owned(), Value::String(a.name.clone()));
                    p.insert("reason".to_owned(), Value::String(a.reason.clone()));
                    Value::Object(p)
                })
                .collect();
            out.insert("invalid_params".to_owned(), Value::Array(params));
        }
        Value::Object(out)
    }
}

/// What a read tool call answers: the result object as JSON text, or why not.
pub type ReadFuture<'a> = Pin<Box<dyn Future<Output = Result<String, ReadError>> + Send + 'a>>;

/// The host's read tools.
pub trait ReadTools: Send + Sync + std::fmt::Debug + 'static {
    /// Every read tool, in listing order.
    fn tools(&self) -> &[ReadTool];

    /// Runs tool `name` with `args` as `access`. The answer is the text of a JSON object,
    /// passed to the client as is (and parsed, as the call's structured content).
    fn call<'a>(
        &'a self,
        name: &'a str,
        args: Map<String, Value>,
        access: &'a ReadAccess,
    ) -> ReadFuture<'a>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_names_every_argument() {
        let one = ReadError::InvalidInput(vec![InvalidArgument {
            name: "statusId".into(),
            reason: "expected a Kommo id".into(),
        }]);
        assert_eq!(
            one.to_string(),
            "invalid argument `statusId`: expected a Kommo id"
        );
        let value = one.to_value();
        assert_eq!(value["invalid_params"][0]["name"], "statusId");
        let two = ReadError::InvalidInput(vec![
            InvalidArgument {
                name: "a".into(),
                reason: "x".into(),
            },
            InvalidArgument {
                name: "b".into(),
                reason: "y".into(),
            },
        ]);
        assert_eq!(two.to_string(), "2 arguments are invalid: `a`: x; `b`: y");
        assert!(
            ReadError::Refused("no".into())
                .to_value()
                .get("invalid_params")
                .is_none()
        );
    }
}
