//! What several subcommands share: which database, which secret key, how to log.

use std::path::PathBuf;

use anyhow::Context as _;
use kommo_store::{Keys, Store};

/// Where the data lives.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DatabaseArgs {
    /// SQLite file path or URL (`sqlite://...`), or a PostgreSQL URL (`postgres://...`).
    #[arg(
        long = "database",
        env = "KOMMO_DATA_DATABASE_URL",
        default_value = "kommo-data.sqlite"
    )]
    pub(crate) database: String,
    /// The master key (base64, 32 bytes) that encrypts Kommo tokens and keys credential hashes.
    /// Without it, the key is read from `--secret-key-file`, which is created on first use.
    #[arg(long, env = "KOMMO_DATA_SECRET_KEY", hide_env_values = true)]
    pub(crate) secret_key: Option<String>,
    /// Where the master key is kept when `KOMMO_DATA_SECRET_KEY` is not set.
    #[arg(
        long,
        env = "KOMMO_DATA_SECRET_KEY_FILE",
        default_value = "kommo-data.key"
    )]
    pub(crate) secret_key_file: PathBuf,
}

impl DatabaseArgs {
    /// Opens the store (creating a SQLite file and running migrations as needed).
    pub(crate) async fn open(&self) -> anyhow::Result<Store> {
        let keys = self.keys()?;
        Store::connect(&self.database, keys)
            .await
            .with_context(|| format!("could not open the database {}", redact_url(&self.database)))
    }

    fn keys(&self) -> anyhow::Result<Keys> {
        if let Some(encoded) = &self.secret_key {
            return Keys::from_base64(encoded)
                .context("KOMMO_DATA_SECRET_KEY is not a base64-encoded 32-byte key");
        }
        let path = &self.secret_key_file;
        match std::fs::read_to_string(path) {
            Ok(text) => Keys::from_base64(text.trim()).with_context(|| {
                format!(
                    "{} does not hold a base64-encoded 32-byte key",
                    path.display()
                )
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let keys = Keys::generate();
                write_private_file(path, &keys.to_base64())
                    .with_context(|| format!("could not create the key file {}", path.display()))?;
                tracing::info!(path = %path.display(), "created a new master key; keep it with the database");
                Ok(keys)
            }
            Err(error) => Err(error)
                .with_context(|| format!("could not read the key file {}", path.display())),
        }
    }
}

fn write_private_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// A database URL without its password, for messages.
pub(crate) fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Logs to stderr: human-readable on a terminal, JSON lines otherwise (`--log-format`),
/// filtered by `RUST_LOG` (default `info`).
pub(crate) fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second initialisation (tests, nested commands) keeps the first subscriber.
    drop(result);
}

/// How often a sync re-reads everything (`sync` and `serve` take the same flag).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct FullPassArgs {
    /// Hours between full passes of an integration (everything read again, catching what
    /// incremental runs cannot see, such as a link change that stamps neither side); 0 =
    /// only the first.
    #[arg(long, default_value_t = 24, env = "KOMMO_DATA_FULL_EVERY_HOURS")]
    full_every_hours: u64,
}

impl FullPassArgs {
    /// As the sync engine takes it: `None` is never again after the first pass.
    pub(crate) fn full_every(&self) -> Option<std::time::Duration> {
        (self.full_every_hours > 0)
            .then(|| std::time::Duration::from_secs(self.full_every_hours.saturating_mul(3600)))
    }
}

/// Resolves at the first SIGINT (Ctrl-C) or SIGTERM, the signals every long-running command
/// stops on.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Cancels `token` at the first SIGINT or SIGTERM, saying in the log what stopping means for
/// this command.
pub(crate) async fn cancel_on_signal(
    token: tokio_util::sync::CancellationToken,
    stopping: &'static str,
) {
    shutdown_signal().await;
    tracing::info!("{stopping}");
    token.cancel();
}
