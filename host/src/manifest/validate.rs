//! Checks on a manifest that TOML's types cannot express: ids, versions,
//! ranges, grants, routes, cron expressions, the entry path.

use super::error::{ManifestError, enclosing_table, nearest, parse_unknown};
use super::{Manifest, RuntimeKind};
use crate::manifest::grants;
use crate::manifest::hooks::CORE_HOOKS;
use std::ops::Range;
use std::path::{Component, Path};
use toml::Spanned;

/// Errors and warnings found in one manifest.
#[derive(Default)]
pub(super) struct Report {
    pub errors: Vec<ManifestError>,
    pub warnings: Vec<ManifestError>,
}

/// Turns a TOML or serde error into a located error, with a suggestion for a
/// misspelt key or value.
pub(super) fn from_toml_error(file: &Path, source: &str, e: &toml::de::Error) -> ManifestError {
    let span = e.span();
    let message = e.message().trim().to_string();
    let table = span
        .clone()
        .and_then(|s| enclosing_table(source, s.start))
        .unwrap_or_default();
    let key_at_span = span.clone().map(|s| key_of(source, s)).unwrap_or_default();
    if let Some((word, expected)) = parse_unknown(&message) {
        let field = join(&table, &word);
        let kind = if message.starts_with("unknown field") {
            "unknown key"
        } else {
            "unknown value"
        };
        let mut err = ManifestError::at(
            file,
            source,
            span,
            field,
            format!("{kind} `{word}`; expected one of: {}", expected.join(", ")),
        );
        if let Some(best) = nearest(&word, expected.iter().map(String::as_str)) {
            err = err.with_help(format!("did you mean `{best}`?"));
        }
        return err;
    }
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        let field = join(&table, missing);
        return ManifestError::at(file, source, span, field, format!("missing `{missing}`"));
    }
    let field = if key_at_span.is_empty() || key_at_span.contains(['\n', '=', '[']) {
        table
    } else {
        join(&table, &key_at_span)
    };
    ManifestError::at(file, source, span, field, message)
}

/// The key an error's span points at: the span itself when it is a key, or
/// the key before `=` on the span's line when it is a value.
fn key_of(source: &str, span: Range<usize>) -> String {
    let line_start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let before = &source[line_start..span.start];
    match before.find('=') {
        Some(eq) => before[..eq].trim().trim_matches('"').to_string(),
        None => source[span].trim().trim_matches('"').to_string(),
    }
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// Validates what types cannot; `dir`, when given, is the plugin directory.
pub(super) fn check(m: &Manifest, file: &Path, source: &str, dir: Option<&Path>) -> Report {
    let mut r = Report::default();
    let mut err = |span: Range<usize>, field: &str, msg: String| {
        ManifestError::at(file, source, Some(span), field, msg)
    };

    let id = &m.plugin.id;
    if let Err(e) = check_id(id.get_ref()) {
        r.errors.push(err(id.span(), "plugin.id", e.to_string()));
    }
    let version = &m.plugin.version;
    if let Err(e) = semver::Version::parse(version.get_ref()) {
        r.errors.push(
            err(
                version.span(),
                "plugin.version",
                format!("`{}` is not a semantic version: {e}", version.get_ref()),
            )
            .with_help("write MAJOR.MINOR.PATCH, e.g. \"0.1.0\""),
        );
    }
    if m.plugin.name.trim().is_empty() {
        r.errors.push(ManifestError::at(
            file,
            source,
            None,
            "plugin.name",
            "the name is empty",
        ));
    }
    check_entry(m, dir, &mut r, &mut err);

    for (dep, range) in &m.dependencies {
        if let Err(e) = check_id(dep) {
            let field = format!("dependencies.{dep}");
            r.errors.push(err(range.span(), &field, e.to_string()));
        }
        if let Err(e) = semver::VersionReq::parse(range.get_ref()) {
            r.errors.push(
                err(
                    range.span(),
                    &format!("dependencies.{dep}"),
                    format!("`{}` is not a semver range: {e}", range.get_ref()),
                )
                .with_help("write a range such as \"^1.2\", \">=0.3, <0.5\" or \"*\""),
            );
        }
        if dep == id.get_ref() {
            r.errors.push(err(
                range.span(),
                &format!("dependencies.{dep}"),
                "a plugin cannot depend on itself".into(),
            ));
        }
    }

    check_permissions(m, &mut r, &mut err);
    check_hooks(m, file, source, &mut r);
    super::entry_points::check_routes(m, &mut r, &mut err);
    super::entry_points::check_cron(m, &mut r, &mut err);
    r
}

/// A plugin id that is not reverse-DNS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid plugin id `{0}`: expected a reverse-DNS id such as `com.example.my-plugin` (lowercase letters, digits and hyphens, at least two dot-separated segments)"
)]
pub struct InvalidId(pub String);

/// A plugin id: reverse-DNS, at least two dot-separated segments of lowercase
/// letters, digits and inner hyphens; at most 128 characters.
pub fn check_id(id: &str) -> Result<(), InvalidId> {
    let segments: Vec<&str> = id.split('.').collect();
    let ok = id.len() <= 128
        && segments.len() >= 2
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !s.starts_with('-')
                && !s.ends_with('-')
                && s.as_bytes()[0].is_ascii_lowercase()
        });
    if ok {
        Ok(())
    } else {
        Err(InvalidId(id.to_string()))
    }
}

pub(super) type ErrAt<'a> = dyn FnMut(Range<usize>, &str, String) -> ManifestError + 'a;

fn check_entry(m: &Manifest, dir: Option<&Path>, r: &mut Report, err: &mut ErrAt<'_>) {
    let entry = m.entry();
    let span = m
        .plugin
        .entry
        .as_ref()
        .map(Spanned::span)
        .unwrap_or_else(|| m.plugin.runtime.span());
    let path = Path::new(entry);
    let escapes = path.is_absolute()
        || entry.contains('\\')
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if entry.is_empty() || escapes {
        r.errors.push(err(
            span,
            "plugin.entry",
            format!("entry `{entry}` must be a relative path inside the plugin directory"),
        ));
        return;
    }
    let expected_ext = match m.runtime() {
        RuntimeKind::Js => &["js", "mjs"][..],
        RuntimeKind::Lua => &["lua"],
        RuntimeKind::Rhai => &["rhai"],
        RuntimeKind::Wasm => &["wasm"],
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !expected_ext.contains(&ext) {
        r.warnings.push(err(
            span.clone(),
            "plugin.entry",
            format!(
                "entry `{entry}` does not look like a {} file (expected .{})",
                m.runtime().as_str(),
                expected_ext.join(" or .")
            ),
        ));
    }
    let Some(dir) = dir else { return };
    let full = dir.join(path);
    match (full.canonicalize(), dir.canonicalize()) {
        (Ok(f), Ok(d)) if f.starts_with(&d) && f.is_file() => {}
        (Ok(f), Ok(d)) if !f.starts_with(&d) => r.errors.push(err(
            span,
            "plugin.entry",
            format!("entry `{entry}` leads outside the plugin directory (a symbolic link?)"),
        )),
        _ => {
            let mut e = err(
                span,
                "plugin.entry",
                format!("entry file `{}` does not exist", full.display()),
            );
            if m.runtime() == RuntimeKind::Wasm && dir.join("Cargo.toml").is_file() {
                e = e.with_help("build it first: `raisfast plugin build` in the plugin directory");
            }
            r.errors.push(e);
        }
    }
}

fn check_permissions(m: &Manifest, r: &mut Report, err: &mut ErrAt<'_>) {
    let p = &m.permissions;
    for g in &p.database {
        if let Err(msg) = grants::parse_db_grant(g.get_ref()) {
            r.errors.push(err(g.span(), "permissions.database", msg));
        }
    }
    for g in &p.http {
        if let Err(msg) = grants::HttpRule::parse(g.get_ref()) {
            r.errors.push(err(g.span(), "permissions.http", msg));
        }
    }
    for g in &p.filesystem {
        if !matches!(g.get_ref().as_str(), "read" | "write") {
            let mut e = err(
                g.span(),
                "permissions.filesystem",
                format!(
                    "unknown filesystem grant `{}`; expected `read` or `write`",
                    g.get_ref()
                ),
            );
            if let Some(best) = nearest(g.get_ref(), ["read", "write"]) {
                e = e.with_help(format!("did you mean `{best}`?"));
            }
            r.errors.push(e);
        }
    }
    for g in &p.personal_data {
        if !grants::PERSONAL_DATA.contains(&g.get_ref().as_str()) {
            let mut e = err(
                g.span(),
                "permissions.personal_data",
                format!(
                    "unknown personal data `{}`; expected one of: {}",
                    g.get_ref(),
                    grants::PERSONAL_DATA.join(", ")
                ),
            );
            if let Some(best) = nearest(g.get_ref(), grants::PERSONAL_DATA.iter().copied()) {
                e = e.with_help(format!("did you mean `{best}`?"));
            }
            r.errors.push(e);
        }
    }
    for g in &p.config {
        if !grants::SERVER_SETTINGS.contains(&g.get_ref().as_str()) {
            let mut e = err(
                g.span(),
                "permissions.config",
                format!(
                    "unknown server setting `{}`; readable settings are: {}",
                    g.get_ref(),
                    grants::SERVER_SETTINGS.join(", ")
                ),
            );
            if let Some(best) = nearest(g.get_ref(), grants::SERVER_SETTINGS.iter().copied()) {
                e = e.with_help(format!("did you mean `{best}`?"));
            }
            r.errors.push(e);
        }
    }
    if let Some(mb) = &p.max_memory_mb
        && !(1..=4096).contains(mb.get_ref())
    {
        r.errors.push(err(
            mb.span(),
            "permissions.max_memory_mb",
            format!("{} MiB is out of range 1..=4096", mb.get_ref()),
        ));
    }
    if let Some(ms) = &p.timeout_ms
        && !(1..=600_000).contains(ms.get_ref())
    {
        r.errors.push(err(
            ms.span(),
            "permissions.timeout_ms",
            format!("{} ms is out of range 1..=600000", ms.get_ref()),
        ));
    }
}

fn check_hooks(m: &Manifest, file: &Path, source: &str, r: &mut Report) {
    let core: Vec<&str> = CORE_HOOKS.iter().map(|h| h.name).collect();
    for name in m.hooks.keys() {
        let at = source
            .find(&format!("hooks.{name}"))
            .or_else(|| source.find(&format!("hooks.{}", name.replace('_', "-"))));
        let span = at.map(|a| a..a + name.len());
        if let Some(h) = m.hooks[name].handler.as_deref()
            && let Err(msg) = check_handler(h)
        {
            r.errors.push(ManifestError::at(
                file,
                source,
                span.clone(),
                format!("hooks.{name}.handler"),
                msg,
            ));
        }
        if let Err(e) = crate::manifest::hooks::check_event_name(name) {
            r.errors.push(ManifestError::at(
                file,
                source,
                span,
                format!("hooks.{name}"),
                e.to_string(),
            ));
            continue;
        }
        if !core.contains(&name.as_str())
            && let Some(best) = nearest(name, core.iter().copied())
        {
            r.warnings.push(
                ManifestError::at(
                    file,
                    source,
                    span,
                    format!("hooks.{name}"),
                    format!("`{name}` is not a server hook; it will only receive custom events of that name"),
                )
                .with_help(format!("did you mean `{best}`?")),
            );
        }
    }
}

/// A handler name: an identifier a script or component can export.
pub(super) fn check_handler(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "handler `{name}` must be an identifier (letters, digits, `_`, `-`; not starting with a digit)"
        ))
    }
}
