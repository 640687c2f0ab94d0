//! `raisfast plugin call`: run one hook or route handler of a plugin.

use super::GlobalArgs;
use crate::host_api::bindings::raisfast::plugin::types::{Header, RouteRequest};
use crate::manager::PluginManager;
use crate::manifest::hooks::Envelope;
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::routes::RoutePattern;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `plugin call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// A plugin directory, or the id of a plugin in the plugin directory.
    plugin: String,
    /// The hook (e.g. `on_content_created`), or with `--route` the route handler.
    hook: String,
    /// JSON body of the hook's envelope (its `id` is taken from the body's `id`).
    #[arg(long, default_value = "null")]
    payload: String,
    /// Pass `--payload` as the whole envelope instead of its body.
    #[arg(long)]
    envelope: bool,
    /// Call a route handler instead of a hook.
    #[arg(long)]
    route: bool,
    /// HTTP method of the route request.
    #[arg(long, default_value = "GET")]
    method: String,
    /// Path of the route request, below the plugin's mount point, with its
    /// query string (`/items/7?full=1`): `:params` are matched against the
    /// handler's `[[routes]]` path.
    #[arg(long, default_value = "/")]
    path: String,
    /// Body of the route request.
    #[arg(long, default_value = "")]
    body: String,
}

/// Runs the call and prints the plugin's log lines and its result.
pub fn call(global: &GlobalArgs, args: CallArgs) -> anyhow::Result<ExitCode> {
    let mut settings = global.settings()?;
    let as_dir = PathBuf::from(&args.plugin);
    let _tmp;
    if global.data_dir.is_none() {
        // A scratch data directory: trying a hook leaves no trace but compiled
        // code in the usual cache.
        let t = tempfile::tempdir()?;
        settings.runtime.cache_dir = Some(settings.cache_dir());
        settings.data_dir = t.path().to_path_buf();
        _tmp = t;
    }
    let id = if as_dir.join(MANIFEST_FILE).is_file() {
        let m = Manifest::load(&as_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
        m.manifest.id().to_string()
    } else {
        args.plugin.clone()
    };
    let manager = PluginManager::new(settings)?;
    let report = if as_dir.join(MANIFEST_FILE).is_file() {
        manager.load_from(&as_dir)
    } else {
        manager.load_all()
    };
    if let Some((_, why)) = report
        .failed
        .iter()
        .find(|(k, _)| *k == id || as_dir.display().to_string() == *k)
    {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(1));
    }
    let plugin = match manager.plugin(&id) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let result = if args.route {
        // As the server does: the query string decoded, the `:params` of the
        // handler's route pattern matched.
        let (path, query) = match args.path.split_once('?') {
            Some((p, q)) => (
                p.to_string(),
                serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default(),
            ),
            None => (args.path.clone(), Vec::new()),
        };
        let params = manager
            .entry(&id)
            .and_then(|e| {
                e.manifest
                    .routes
                    .iter()
                    .filter(|r| r.handler == args.hook)
                    .filter_map(|r| RoutePattern::parse(r.path.get_ref()).ok())
                    .find_map(|pattern| pattern.matches(&path))
            })
            .unwrap_or_default();
        let request = RouteRequest {
            handler: args.hook.clone(),
            method: args.method.to_ascii_uppercase(),
            path,
            params,
            query,
            headers: vec![Header {
                name: "content-type".into(),
                value: "application/json".into(),
            }],
            body: args.body.clone().into_bytes(),
            caller: None,
        };
        plugin.call_route(&request).map(|o| {
            let body = String::from_utf8_lossy(&o.value.body).into_owned();
            let value = serde_json::json!({
                "status": o.value.status,
                "headers": o.value.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect::<Vec<_>>(),
                "body": serde_json::from_str::<serde_json::Value>(&body).unwrap_or(serde_json::Value::String(body)),
            });
            (o.logs, o.events, Some(value.to_string()))
        })
    } else {
        let payload = if args.envelope {
            args.payload.clone()
        } else {
            let body: serde_json::Value = serde_json::from_str(&args.payload)
                .map_err(|e| anyhow::anyhow!("--payload is not valid JSON: {e}"))?;
            let mut env = Envelope::new(&args.hook, body.clone());
            env.id = body.get("id").cloned();
            env.to_json()
        };
        plugin
            .call_hook(&args.hook, &payload, 0)
            .map(|o| (o.logs, o.events, o.value))
    };
    match result {
        Ok((logs, events, value)) => {
            print_logs(&logs);
            for e in &events {
                eprintln!("[event] {} {}", e.name, e.payload);
            }
            match value {
                Some(v) => match serde_json::from_str::<serde_json::Value>(&v) {
                    Ok(j) => println!("{}", serde_json::to_string_pretty(&j)?),
                    Err(_) => println!("{v}"),
                },
                None => println!("null"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            print_logs(&failure.logs);
            eprintln!("error: {}", failure.error);
            Ok(ExitCode::from(1))
        }
    }
}

fn print_logs(logs: &[crate::host_api::LogLine]) {
    for l in logs {
        let fields: Vec<String> = l.fields.iter().map(|(k, v)| format!(" {k}={v}")).collect();
        eprintln!("[{}] {}{}", l.level, l.message, fields.concat());
    }
}
