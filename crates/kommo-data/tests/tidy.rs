//! Repository hygiene and the architecture's invariants, checked as ordinary tests.
//!
//! ARCHITECTURE.md states which crate may know what; these tests make the statements that can
//! be checked mechanically fail the build when they stop being true.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == "fixtures")
            {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 10, "found only {} Rust files", files.len());
    files
}

#[test]
fn every_file_says_what_it_is_for() {
    let missing: Vec<_> = all_rust_files()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without an opening `//!` line: {missing:#?}"
    );
}

#[test]
fn no_stubs_or_skipped_tests() {
    // Spelled in pieces so this file does not flag itself.
    let banned = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[ig", "nore"),
    ];
    let mut found = Vec::new();
    for path in all_rust_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            if banned.iter().any(|b| line.contains(b)) {
                found.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "stubs or skipped tests: {found:#?}");
}

/// The names of a crate's normal (not dev) dependencies.
fn dependencies(krate: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(
        workspace_root()
            .join("crates")
            .join(krate)
            .join("Cargo.toml"),
    )
    .unwrap();
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if let Some((name, _)) = line.split_once(['=', '.']).filter(|_| in_dependencies)
            && !name.trim().is_empty()
            && !name.starts_with('#')
        {
            names.push(name.trim().to_owned());
        }
    }
    names
}

fn crates() -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(workspace_root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn only_the_store_knows_sql() {
    for krate in crates() {
        if krate == "kommo-store" {
            continue;
        }
        let deps = dependencies(&krate);
        for sql in ["sqlx", "sea-query", "sea-query-sqlx"] {
            assert!(
                !deps.iter().any(|d| d == sql),
                "{krate} depends on {sql}: only kommo-store may know SQL"
            );
        }
    }
}

#[test]
fn only_the_mcp_adapter_imports_the_mcp_sdk() {
    for krate in crates() {
        if krate == "kommo-mcp" {
            continue;
        }
        assert!(
            !dependencies(&krate).iter().any(|d| d == "rmcp"),
            "{krate} depends on rmcp: only kommo-mcp may"
        );
    }
}

#[test]
fn the_model_and_the_simulator_stand_alone() {
    let ours = |deps: Vec<String>| {
        deps.into_iter()
            .filter(|d| d.starts_with("kommo"))
            .collect::<Vec<_>>()
    };
    assert!(
        ours(dependencies("kommo-model")).is_empty(),
        "kommo-model must not depend on our other crates"
    );
    assert_eq!(
        ours(dependencies("kommo-sim")),
        vec!["kommo-model"],
        "kommo-sim may depend on kommo-model only"
    );
    for krate in [
        "kommo",
        "kommo-sim",
        "kommo-store",
        "kommo-sync",
        "kommo-actions",
    ] {
        let deps = dependencies(krate);
        assert!(
            !deps.iter().any(|d| d == "anyhow"),
            "{krate} uses anyhow: libraries return typed errors"
        );
    }
}

#[test]
fn only_the_api_and_the_simulator_serve_http() {
    for krate in crates() {
        if ["kommo-api", "kommo-sim", "kommo-mcp"].contains(&krate.as_str()) {
            continue;
        }
        assert!(
            !dependencies(&krate).iter().any(|d| d == "axum"),
            "{krate} depends on axum: only kommo-api (and the simulator, and the MCP adapter's transport) serve HTTP"
        );
    }
}
