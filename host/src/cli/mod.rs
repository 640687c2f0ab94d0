//! The `raisfast` command line.
//!
//! Exit codes: 0 success; 1 the command ran and found errors (a plugin that
//! fails `check`, a call that failed); 2 bad usage or an unusable setup.

mod build;
mod call;
mod check;
mod new;
mod output;
mod package;

use crate::settings::Settings;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// RaisFast: a CMS server extended by sandboxed plugins in JS, Lua, Rhai and WebAssembly.
#[derive(Debug, Parser)]
#[command(name = "raisfast", version, about)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Settings file.
    #[arg(
        long,
        global = true,
        default_value = "raisfast.toml",
        env = "RAISFAST_CONFIG"
    )]
    config: PathBuf,
    /// Data directory (database, plugin files, compile cache); overrides the settings.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Plugin directory; overrides the settings.
    #[arg(long, global = true)]
    plugin_dir: Option<PathBuf>,
    /// Log filter (`info`, `debug`, `raisfast=debug,plugin=trace`, ...); default:
    /// the settings' `[server] log` for `serve`, warnings only otherwise.
    #[arg(long, global = true, env = "RAISFAST_LOG")]
    log: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server: the CMS API, the plugins, their routes, cron jobs and
    /// hot reload, on the embedded SQLite database.
    Serve(ServeArgs),
    /// Create, check, build, list and try plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port); overrides the settings.
    #[arg(long)]
    bind: Option<String>,
    /// Do not reload plugins when their files change.
    #[arg(long)]
    no_hot_reload: bool,
    /// Keep everything in this PostgreSQL database (`postgres://...`);
    /// overrides `[database] url` and `RAISFAST_DATABASE_URL`.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Validate plugins: manifest, entry file, dependencies, and for wasm
    /// plugins that the component fits the WIT world. Exit code 1 on errors.
    Check(check::CheckArgs),
    /// Load every plugin of the plugin directory and show its state.
    List(check::ListArgs),
    /// Create a plugin from a template.
    New(new::NewArgs),
    /// Build Rust, C, Zig and Go plugins into their `plugin.wasm`.
    ///
    /// Building runs the plugin author's toolchain (cargo and its build
    /// scripts, clang, Zig, Go) with your rights, outside the sandbox: build
    /// only plugins whose sources you trust, or build them elsewhere and
    /// install the `plugin.wasm`. The server never builds anything.
    Build(build::BuildArgs),
    /// Run one hook or route handler of a plugin through the real runtime and
    /// host API, and print its result and log lines.
    Call(call::CallArgs),
    /// Pack a plugin directory into one file (`.rfp`) to hand over or upload.
    Pack(package::PackArgs),
    /// Install a package into the plugin directory, after showing what the
    /// plugin may do (and, for an upgrade, what it asks for in addition).
    Install(package::InstallArgs),
}

impl GlobalArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = Settings::load(&self.config)?;
        if let Some(d) = &self.data_dir {
            s.data_dir = d.clone();
        }
        if let Some(d) = &self.plugin_dir {
            s.plugin_dir = d.clone();
        }
        Ok(s)
    }
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => serve(&cli.global, a),
        Command::Plugin(p) => {
            init_tracing(cli.global.log.as_deref().unwrap_or("warn,plugin=off"), None);
            plugin(&cli.global, p)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn serve(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut settings = global.settings()?;
    if let Some(b) = args.bind {
        settings.server.bind = b;
    }
    if let Some(url) = args.database_url {
        settings.database.url = Some(url);
    }
    if args.no_hot_reload {
        settings.server.hot_reload = false;
    }
    let traces = crate::telemetry::otlp::Traces::from_env()?;
    init_tracing(
        global.log.as_deref().unwrap_or(&settings.server.log),
        traces.as_ref(),
    );
    let served = crate::server::serve(settings);
    if let Some(t) = traces {
        t.shutdown();
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

fn plugin(global: &GlobalArgs, command: PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Check(a) => check::check(global, a),
        PluginCommand::List(a) => check::list(global, a),
        PluginCommand::New(a) => new::new(global, a),
        PluginCommand::Build(a) => build::build(global, a),
        PluginCommand::Call(a) => call::call(global, a),
        PluginCommand::Pack(a) => package::pack(a),
        PluginCommand::Install(a) => package::install(global, a),
    }
}

/// Logs to stderr through `filter`; with `traces`, the server's spans also
/// go to OpenTelemetry (each layer with its own filter).
fn init_tracing(filter: &str, traces: Option<&crate::telemetry::otlp::Traces>) {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .with_filter(filter);
    let registry = tracing_subscriber::registry().with(fmt);
    let _ = match traces {
        Some(t) => registry.with(t.layer()).try_init(),
        None => registry.try_init(),
    };
}
