//! Who handles a hook: every active plugin that exports a handler of that name
//! (scripts), or names the hook in its manifest (wasm components, which export
//! a single `handle` function), ordered by priority, then load order.
//!
//! A handler that serves one of the plugin's `[[routes]]` or `[[cron]]` jobs
//! is never subscribed by its name alone: an event named like it (or a hook)
//! reaches it only if the manifest says so with `[hooks.NAME]`. Otherwise any
//! plugin could run another plugin's admin-only route handler by emitting an
//! event with that function's name.

use super::{PluginManager, PluginState};
use crate::manifest::grants::PersonalData;
use crate::manifest::hooks::handler_name;
use crate::manifest::{HookOptions, Manifest};
use crate::runtime::LoadedPlugin;
use std::sync::Arc;

/// One plugin subscribed to a hook.
#[derive(Clone)]
pub struct Subscriber {
    /// The plugin id.
    pub id: String,
    /// The loaded plugin.
    pub plugin: Arc<LoadedPlugin>,
    /// The handler to call.
    pub handler: String,
    /// The subscription's options (defaults when the manifest has no `[hooks.NAME]`).
    pub options: HookOptions,
}

/// The handler through which `plugin` handles `hook`, if it does.
pub fn subscription(
    plugin: &LoadedPlugin,
    manifest: &Manifest,
    hook: &str,
) -> Option<(String, HookOptions)> {
    let options = manifest.hooks.get(hook);
    let handler = handler_name(hook, options);
    let entry_point = manifest.routes.iter().any(|r| r.handler == handler)
        || manifest.cron.iter().any(|c| c.handler == handler);
    let subscribed = match plugin.handlers() {
        Some(exported) => exported.contains(&handler) && (options.is_some() || !entry_point),
        None => options.is_some(),
    };
    subscribed.then(|| (handler, options.cloned().unwrap_or_default()))
}

impl Subscriber {
    /// Whether this subscriber may see `env` whole: it carries no personal
    /// data, or data the plugin is granted. Otherwise an action or event gets
    /// [`crate::manifest::hooks::Envelope::redacted`], and a render hook is skipped.
    pub fn sees_in_full(&self, env: &crate::manifest::hooks::Envelope) -> bool {
        env.personal
            .is_none_or(|d| self.plugin.context().grants.may_receive(d))
    }
}

impl PluginManager {
    /// The subscribers that may receive `env`: [`PluginManager::subscribers`]
    /// of its hook and content type, less those not granted the user accounts
    /// it carries (a draft is handled per subscriber: [`Subscriber::sees_in_full`]).
    pub fn subscribers_of(&self, env: &crate::manifest::hooks::Envelope) -> Vec<Subscriber> {
        let mut subs = self.subscribers(&env.hook, env.content_type.as_deref());
        if env.personal == Some(PersonalData::Users) {
            subs.retain(|s| s.plugin.context().grants.may_receive(PersonalData::Users));
        }
        subs
    }

    /// The subscribers of `hook`, in call order. With a `content_type`, plugins
    /// whose subscription lists other content types are left out.
    pub fn subscribers(&self, hook: &str, content_type: Option<&str>) -> Vec<Subscriber> {
        let plugins = self.plugins.read().expect("plugins lock");
        let mut subs: Vec<(i32, u64, Subscriber)> = plugins
            .iter()
            .filter_map(|(id, e)| {
                let PluginState::Active(p) = &e.state else {
                    return None;
                };
                let (handler, options) = subscription(p, &e.manifest, hook)?;
                if let Some(ct) = content_type
                    && !options.content_types.is_empty()
                    && !options.content_types.iter().any(|c| c == ct)
                {
                    return None;
                }
                Some((
                    options.priority,
                    e.order,
                    Subscriber {
                        id: id.clone(),
                        plugin: Arc::clone(p),
                        handler,
                        options,
                    },
                ))
            })
            .collect();
        subs.sort_by_key(|(priority, order, _)| (*priority, *order));
        subs.into_iter().map(|(_, _, s)| s).collect()
    }
}
