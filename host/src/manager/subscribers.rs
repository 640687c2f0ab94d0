//! Who handles a hook: every active plugin that exports a handler of that name
//! (scripts), or names the hook in its manifest (wasm components, which export
//! a single `handle` function), ordered by priority, then load order.

use super::{PluginManager, PluginState};
use crate::hooks::handler_name;
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
    let subscribed = match plugin.handlers() {
        Some(exported) => exported.contains(&handler),
        None => options.is_some(),
    };
    subscribed.then(|| (handler, options.cloned().unwrap_or_default()))
}

impl PluginManager {
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
