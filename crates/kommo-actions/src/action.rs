//! What every action declares: its name, its meaning, what kind of change it makes, and the
//! Rust type of its input (from which its JSON Schema is generated).

use std::future::Future;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::ActionContext;
use crate::failure::Failure;
use crate::input::CheckInput;

/// What an action does to the Kommo account, for callers that treat reads and writes
/// differently (MCP tool annotations, confirmation prompts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Reads only.
    Read,
    /// Adds new entities; changes nothing that exists.
    Create,
    /// Changes existing entities.
    Update,
    /// Removes entities.
    Delete,
}

impl ActionKind {
    pub fn is_read_only(self) -> bool {
        matches!(self, Self::Read)
    }

    /// Whether it may change or remove what exists (MCP's `destructiveHint`).
    pub fn is_destructive(self) -> bool {
        matches!(self, Self::Update | Self::Delete)
    }

    /// Whether repeating it with the same input has no further effect.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Self::Create)
    }
}

/// One action of the catalog. Each implementation lives in the file of its entity, next to
/// its input type and its `execute`.
pub(crate) trait Action {
    /// The catalog name, e.g. `KOMMO_CREATE_LEAD`.
    const NAME: &'static str;
    /// A short human title, e.g. `Create Kommo Lead`.
    const TITLE: &'static str;
    /// What it does, for the caller choosing an action.
    const DESCRIPTION: &'static str;
    const KIND: ActionKind;
    type Input: DeserializeOwned + JsonSchema + CheckInput + Send;

    /// Runs the action against Kommo (the input is already checked).
    fn execute(
        input: Self::Input,
        ctx: &ActionContext,
    ) -> impl Future<Output = Result<Done, Failure>> + Send;
}

/// What a successful action returns.
#[derive(Debug)]
pub(crate) struct Done {
    /// The envelope's `data`.
    pub(crate) data: Value,
    /// Set when the write reached Kommo but refreshing the local store did not succeed.
    pub(crate) warning: Option<String>,
}

impl Done {
    pub(crate) fn data(data: Value) -> Self {
        Self {
            data,
            warning: None,
        }
    }

    pub(crate) fn with_warning(data: Value, warning: Option<String>) -> Self {
        Self { data, warning }
    }
}
