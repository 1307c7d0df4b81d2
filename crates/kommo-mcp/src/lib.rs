//! MCP adapter: one tool per action, over stdio and streamable HTTP.
