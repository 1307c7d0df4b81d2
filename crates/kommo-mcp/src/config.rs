//! MCP client configurations (the `mcpServers` block of Claude Desktop and similar agents) for
//! both transports, so the demo and the docs print one that works as pasted.

use serde_json::{Value, json};

/// The header that names the workspace of the integration an HTTP MCP session acts on.
pub const WORKSPACE_HEADER: &str = "x-workspace-id";
/// The header that names the integration an HTTP MCP session acts on.
pub const INTEGRATION_HEADER: &str = "x-integration-id";

/// The name the server is registered under in the client's `mcpServers`.
const SERVER_NAME: &str = "kommo";

/// A stdio server the client launches: `<binary> mcp --integration ID --database URL`.
#[derive(Debug, Clone, Copy)]
pub struct StdioClientConfig<'a> {
    /// The `kommo-data` executable, as an absolute path: clients launch it from anywhere.
    pub binary: &'a str,
    /// The database URL or SQLite file path (absolute, for the same reason).
    pub database: &'a str,
    pub integration_id: &'a str,
    /// The master key file, when the client will not find it through the environment.
    pub secret_key_file: Option<&'a str>,
}

/// `{"mcpServers": {"kommo": {"command", "args"[, "env"]}}}` for a stdio server.
pub fn stdio_client_config(config: &StdioClientConfig<'_>) -> Value {
    let mut server = json!({
        "command": config.binary,
        "args": ["mcp", "--integration", config.integration_id, "--database", config.database],
    });
    if let Some(key_file) = config.secret_key_file {
        server["env"] = json!({ "KOMMO_DATA_SECRET_KEY_FILE": key_file });
    }
    json!({ "mcpServers": { SERVER_NAME: server } })
}

/// The stdio configuration as pretty JSON text, ready to paste.
pub fn client_config_json(binary: &str, database: &str, integration_id: &str) -> String {
    let value = stdio_client_config(&StdioClientConfig {
        binary,
        database,
        integration_id,
        secret_key_file: None,
    });
    serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
}

/// `{"mcpServers": {"kommo": {"type": "http", "url", "headers"}}}` for the server's `/mcp`
/// endpoint: the data API's credentials plus the workspace and integration to act on.
pub fn http_client_config(
    url: &str,
    client_id: &str,
    client_secret: &str,
    workspace_id: &str,
    integration_id: &str,
) -> Value {
    json!({ "mcpServers": { SERVER_NAME: {
        "type": "http",
        "url": url,
        "headers": {
            "x-client-id": client_id,
            "x-client-secret": client_secret,
            WORKSPACE_HEADER: workspace_id,
            INTEGRATION_HEADER: integration_id,
        },
    }}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdio_config_launches_the_mcp_command() {
        let text = client_config_json(
            "/usr/local/bin/kommo-data",
            "/srv/kommo.sqlite",
            "acme-kommo",
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        let server = &value["mcpServers"]["kommo"];
        assert_eq!(server["command"], "/usr/local/bin/kommo-data");
        assert_eq!(
            server["args"],
            json!([
                "mcp",
                "--integration",
                "acme-kommo",
                "--database",
                "/srv/kommo.sqlite"
            ])
        );
        assert!(server.get("env").is_none());
        let with_key = stdio_client_config(&StdioClientConfig {
            binary: "k",
            database: "d",
            integration_id: "i",
            secret_key_file: Some("/srv/kommo.key"),
        });
        assert_eq!(
            with_key["mcpServers"]["kommo"]["env"]["KOMMO_DATA_SECRET_KEY_FILE"],
            "/srv/kommo.key"
        );
    }

    #[test]
    fn http_config_carries_credentials_and_the_integration() {
        let value = http_client_config("http://127.0.0.1:8080/mcp", "id", "secret", "ws", "int");
        let server = &value["mcpServers"]["kommo"];
        assert_eq!(server["url"], "http://127.0.0.1:8080/mcp");
        assert_eq!(server["headers"]["x-client-secret"], "secret");
        assert_eq!(server["headers"][INTEGRATION_HEADER], "int");
        assert_eq!(server["headers"][WORKSPACE_HEADER], "ws");
    }
}
