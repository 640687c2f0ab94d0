//! `[server]`: the HTTP server, its administrator, its bounds.

use serde::{Deserialize, Serialize};

/// `[server]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on (`0` as port: any free port).
    pub bind: String,
    /// Reload plugins when their files change.
    pub hot_reload: bool,
    /// Debounce of hot reload in milliseconds: a plugin reloads once its files
    /// have been quiet this long.
    pub reload_debounce_ms: u64,
    /// Log filter (`info`, `raisfast=debug,plugin=info`, ...).
    pub log: String,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Name of the administrator created on first start.
    pub admin_username: String,
    /// Password of that administrator; when unset, one is generated and printed once.
    pub admin_password: Option<String>,
    /// Lifetime of a login session in hours.
    pub session_hours: u64,
    /// Consecutive failed calls after which a plugin is disabled (0: never).
    pub auto_disable_after: u64,
    /// Open registration: anyone may create a `user` account.
    pub registration: bool,
    /// Requests running plugin code or CMS work at once (the CMS API and plugin
    /// routes; the admin API is not counted, so operators can act under load).
    /// 0: 8 per core. Further requests wait in line, first come first served.
    pub max_inflight: usize,
    /// Longest wait in that line, in milliseconds; past it the request gets
    /// 503 with `Retry-After` instead of adding to everyone's latency.
    pub queue_timeout_ms: u64,
    /// The bearer token Prometheus sends to read `GET /metrics`
    /// (`Authorization: Bearer <token>`); unset, only administrators can.
    pub metrics_token: Option<String>,
}

impl ServerSettings {
    /// [`ServerSettings::max_inflight`] with 0 resolved from the core count.
    pub fn inflight_limit(&self) -> usize {
        match self.max_inflight {
            0 => 8 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: "127.0.0.1:8080".into(),
            hot_reload: true,
            reload_debounce_ms: 1000,
            log: "info,plugin=info".into(),
            max_body_bytes: 1024 * 1024,
            admin_username: "admin".into(),
            admin_password: None,
            session_hours: 24 * 30,
            auto_disable_after: 5,
            registration: true,
            max_inflight: 0,
            queue_timeout_ms: 2000,
            metrics_token: None,
        }
    }
}
