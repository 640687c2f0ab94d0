//! Manifest errors name the file, line, column and field, suggest the nearest
//! key for a typo, and every problem is reported, not just the first.

use raisfast::manifest::{Manifest, ManifestErrors};
use std::path::Path;

fn parse(src: &str) -> Result<Manifest, ManifestErrors> {
    Manifest::parse(Path::new("plugins/x/manifest.toml"), src, None).map(|(m, _)| m)
}

const MINIMAL: &str = r#"[plugin]
id = "com.example.my-plugin"
name = "My Plugin"
version = "0.1.0"
runtime = "js"
entry = "main.js"
"#;

#[test]
fn the_seeds_minimal_manifest_loads_as_is() {
    let m = parse(MINIMAL).unwrap();
    assert_eq!(m.id(), "com.example.my-plugin");
    assert_eq!(m.entry(), "main.js");
    assert_eq!(m.timeout_ms(), 5000);
    assert_eq!(m.max_memory_mb(), 32);
    assert!(
        m.permissions.database.is_empty(),
        "nothing granted by default"
    );
}

#[test]
fn entry_defaults_per_runtime() {
    for (rt, entry) in [
        ("js", "main.js"),
        ("lua", "init.lua"),
        ("rhai", "init.rhai"),
        ("wasm", "plugin.wasm"),
    ] {
        let src = format!(
            "[plugin]\nid = \"a.b\"\nname = \"n\"\nversion = \"1.0.0\"\nruntime = \"{rt}\"\n"
        );
        assert_eq!(parse(&src).unwrap().entry(), entry);
    }
}

#[test]
fn a_full_manifest_parses() {
    let src = r#"
[plugin]
id = "com.example.crm"
name = "CRM"
version = "1.2.3"
runtime = "js"
description = "Contacts and deals"
author = "Ada"

[permissions]
database = ["read:content", "crm_notes", "*"]
http = ["https://api.example.com/v1", "https://*.example.org"]
filesystem = ["read", "write"]
config = ["site.name"]
max_memory_mb = 64
timeout_ms = 2000

[hooks.on-content-created]
priority = 10
on_error = "continue"
content_types = ["post"]

[[routes]]
method = "POST"
path = "/deals/:id/stage"
handler = "moveDeal"
auth = "admin"

[[cron]]
name = "digest"
schedule = "0 8 * * 1-5"
handler = "sendDigest"

[dependencies]
"com.example.contacts" = ">=1.0, <2"

[config]
pipeline = ["lead", "won"]
"#;
    let m = parse(src).unwrap();
    assert!(
        m.hooks.contains_key("on_content_created"),
        "hyphens read as underscores"
    );
    assert_eq!(m.hooks["on_content_created"].priority, 10);
    assert_eq!(m.routes[0].auth, raisfast::manifest::RouteAuth::Admin);
    assert_eq!(m.timeout_ms(), 2000);
    assert_eq!(m.config["pipeline"].as_array().unwrap().len(), 2);
}

#[test]
fn a_typo_names_file_line_column_field_and_the_nearest_key() {
    let src = format!("{MINIMAL}\n[hooks.on_content_created]\npriorty = 5\n");
    let e = parse(&src).unwrap_err();
    let first = &e.0[0];
    assert_eq!((first.line, first.column), (9, 1));
    assert_eq!(first.field, "hooks.on_content_created.priorty");
    assert_eq!(first.help.as_deref(), Some("did you mean `priority`?"));
    let text = e.to_string();
    assert!(
        text.starts_with(
            "plugins/x/manifest.toml:9:1: `hooks.on_content_created.priorty`: unknown key `priorty`"
        ),
        "{text}"
    );
    let e = parse(&MINIMAL.replace("runtime = \"js\"", "runtime = \"jss\"")).unwrap_err();
    assert_eq!(e.0[0].help.as_deref(), Some("did you mean `js`?"));
    assert_eq!(e.0[0].line, 5);
    let e = parse(&MINIMAL.replace("[plugin]", "[plugin]\nnmae = \"x\"")).unwrap_err();
    assert_eq!(e.0[0].help.as_deref(), Some("did you mean `name`?"));
}

#[test]
fn wrong_types_and_missing_fields_are_located() {
    let e = parse(&format!("{MINIMAL}[permissions]\ntimeout_ms = \"fast\"\n")).unwrap_err();
    assert_eq!(e.0[0].line, 8);
    assert_eq!(e.0[0].field, "permissions.timeout_ms");
    let e = parse("[plugin]\nid = \"a.b\"\nname = \"n\"\nruntime = \"js\"\n").unwrap_err();
    assert!(e.to_string().contains("missing `version`"), "{e}");
}

#[test]
fn every_semantic_error_is_reported_with_its_line() {
    let src = std::fs::read_to_string(
        crate::support::root().join("tests/fixtures/broken/bad-values/manifest.toml"),
    )
    .unwrap();
    let e = parse(&src).unwrap_err();
    let text = e.to_string();
    for (line, needle) in [
        (4, "`plugin.version`: `1.0` is not a semantic version"),
        (8, "`permissions.database`: table `users` is a core table"),
        (9, "`permissions.http`: http grant `ftp://example.com`"),
        (
            10,
            "`permissions.filesystem`: unknown filesystem grant `wirte`",
        ),
        (11, "`permissions.timeout_ms`: 0 ms is out of range"),
        (14, "`dependencies.test.lib`: `^^1` is not a semver range"),
        (
            18,
            "`routes.path`: route path `no-slash` must start with `/`",
        ),
        (23, "`cron.schedule`: invalid cron expression `61 * * * *`"),
    ] {
        let hit = e.0.iter().find(|x| x.to_string().contains(needle));
        let hit = hit.unwrap_or_else(|| panic!("missing {needle:?} in\n{text}"));
        assert_eq!(hit.line, line, "{hit}");
    }
    assert!(text.contains("did you mean `write`?"));
}

#[test]
fn bad_ids_are_explained() {
    for id in [
        "My Plugin",
        "single",
        "com..x",
        "com.Example.x",
        "com.-x.y",
        "1com.x",
    ] {
        let e = parse(&MINIMAL.replace("com.example.my-plugin", id)).unwrap_err();
        assert!(e.to_string().contains("reverse-DNS"), "{id}: {e}");
        assert_eq!(e.0[0].line, 2);
    }
}

#[test]
fn a_misspelt_hook_name_warns_with_a_suggestion() {
    let src = format!("{MINIMAL}[hooks.on_content_create]\n");
    let (_, warnings) = Manifest::parse(Path::new("m.toml"), &src, None).unwrap();
    assert!(
        warnings[0]
            .to_string()
            .contains("did you mean `on_content_created`?"),
        "{}",
        warnings[0]
    );
}

#[test]
fn entry_paths_cannot_escape_the_plugin_directory() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("p");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::write(dir.path().join("outside.js"), "").unwrap();
    for entry in ["../outside.js", "/etc/passwd"] {
        std::fs::write(
            plugin.join("manifest.toml"),
            MINIMAL.replace("\"main.js\"", &format!("{entry:?}")),
        )
        .unwrap();
        let e = Manifest::load(&plugin).unwrap_err();
        assert!(
            e.to_string()
                .contains("must be a relative path inside the plugin directory"),
            "{e}"
        );
    }
    std::os::unix::fs::symlink(dir.path().join("outside.js"), plugin.join("main.js")).unwrap();
    std::fs::write(plugin.join("manifest.toml"), MINIMAL).unwrap();
    let e = Manifest::load(&plugin).unwrap_err();
    assert!(
        e.to_string().contains("leads outside the plugin directory"),
        "{e}"
    );
}

#[test]
fn a_gigantic_manifest_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{MINIMAL}\n# {}\n", "x".repeat(300 * 1024));
    std::fs::write(dir.path().join("manifest.toml"), text).unwrap();
    let e = Manifest::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("the limit is 262144"), "{e}");
}
