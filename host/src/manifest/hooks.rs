//! The hook contract: the hooks the server fires, their kinds, the rules for
//! event names, and the envelope every handler receives.
//!
//! Three kinds (see `docs/hooks.md`): a **filter** passes the payload through
//! each subscriber, a returned value replacing it; an **action** runs every
//! subscriber after the fact and never fails the request; a **render**
//! override lets the first subscriber that returns a value win.
//!
//! This is part of the manifest layer because a manifest is validated against
//! it; the dispatcher (the `dispatch` module) runs hooks by these rules.

use serde::Serialize;

/// How the dispatcher treats a hook's subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HookKind {
    /// Each subscriber may replace the payload's body; an error aborts the operation.
    Filter,
    /// Every subscriber runs; errors are logged, never returned to the caller.
    Action,
    /// The first subscriber returning a value wins.
    Render,
}

/// A hook the server fires.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CoreHook {
    /// The hook's name, as plugins export or declare it.
    pub name: &'static str,
    /// How its subscribers are run.
    pub kind: HookKind,
}

const fn hook(name: &'static str, kind: HookKind) -> CoreHook {
    CoreHook { name, kind }
}

/// Every hook the server fires. Any other name is a custom event.
pub const CORE_HOOKS: &[CoreHook] = &[
    hook("on_content_creating", HookKind::Filter),
    hook("on_content_created", HookKind::Action),
    hook("on_content_updating", HookKind::Filter),
    hook("on_content_updated", HookKind::Action),
    hook("on_content_deleting", HookKind::Filter),
    hook("on_content_deleted", HookKind::Action),
    hook("on_content_published", HookKind::Action),
    hook("on_content_viewed", HookKind::Action),
    hook("on_comment_creating", HookKind::Filter),
    hook("on_comment_created", HookKind::Action),
    hook("on_comment_deleted", HookKind::Action),
    hook("on_user_registered", HookKind::Action),
    hook("on_user_login", HookKind::Action),
    hook("on_user_logout", HookKind::Action),
    hook("render_content", HookKind::Render),
    hook("filter_html", HookKind::Filter),
    hook("on_cron_tick", HookKind::Action),
    hook("on_load", HookKind::Action),
    hook("on_unload", HookKind::Action),
];

/// The core hook of that name, if it is one.
pub fn core_hook(name: &str) -> Option<&'static CoreHook> {
    CORE_HOOKS.iter().find(|h| h.name == name)
}

/// A hook or event name that breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid hook or event name `{0}`: use 1 to 64 characters of a-z, 0-9, `_`, `.`, `:`, `-`, starting with a letter"
)]
pub struct InvalidName(pub String);

/// A hook or event name: 1 to 64 characters of `a-z 0-9 _ . : -`, starting
/// with a letter.
pub fn check_event_name(name: &str) -> Result<(), InvalidName> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_lowercase()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(InvalidName(name.to_string()))
    }
}

/// The handler a subscription to `hook` calls: the manifest's `handler`, or the
/// hook name with every character outside `A-Z a-z 0-9 _` read as `_`
/// (`crm.deal_won` is handled by `crm_deal_won`).
pub fn handler_name(hook: &str, options: Option<&super::HookOptions>) -> String {
    match options.and_then(|o| o.handler.clone()) {
        Some(h) => h,
        None => hook
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
    }
}

/// The payload every handler receives, serialised to JSON.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Envelope {
    /// The hook or event name.
    pub hook: String,
    /// Id of the record the hook is about, if any.
    pub id: Option<serde_json::Value>,
    /// Content type of that record, for content hooks.
    pub content_type: Option<String>,
    /// The record or value the hook is about.
    pub body: serde_json::Value,
    /// The user who caused it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<serde_json::Value>,
    /// The plugin that emitted a custom event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emitter: Option<String>,
    /// The personal data the payload carries: only plugins granted it get it.
    #[serde(skip)]
    pub personal: Option<super::grants::PersonalData>,
}

impl Envelope {
    /// An envelope for `hook` about `body`, with no record id.
    pub fn new(hook: &str, body: serde_json::Value) -> Self {
        Envelope {
            hook: hook.to_string(),
            body,
            ..Default::default()
        }
    }

    /// The envelope with only the record's metadata (`id`, `type`, `slug`,
    /// `status`, `author_id` and the times) in its body: what a plugin not
    /// granted `personal_data = ["drafts"]` sees of a draft in an action.
    pub fn redacted(&self) -> Envelope {
        const KEPT: &[&str] = &[
            "id",
            "type",
            "slug",
            "status",
            "author_id",
            "created_at",
            "updated_at",
            "published_at",
        ];
        let body = match &self.body {
            serde_json::Value::Object(m) => serde_json::Value::Object(
                m.iter()
                    .filter(|(k, _)| KEPT.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            _ => serde_json::Value::Null,
        };
        Envelope {
            body,
            ..self.clone()
        }
    }

    /// The envelope as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an envelope always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_event_name("crm.deal_moved").is_ok());
        assert!(check_event_name("Bad Name").is_err());
        assert!(check_event_name("").is_err());
        assert!(check_event_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn at_least_eighteen_core_hooks() {
        assert!(CORE_HOOKS.len() >= 18);
        assert_eq!(core_hook("filter_html").unwrap().kind, HookKind::Filter);
    }
}
