//! The plugin manager: dependency order, duplicates, one bad plugin never
//! stops the others, and enable/disable/unload/reload at runtime.

use crate::support::{Harness, guests, ok, settings};
use raisfast::manager::{PluginManager, PluginState};
use serde_json::json;

fn manifest(id: &str, version: &str, deps: &str) -> String {
    format!(
        "[plugin]\nid = \"{id}\"\nname = \"{id}\"\nversion = \"{version}\"\nruntime = \"wasm\"\n\n[dependencies]\n{deps}\n"
    )
}

#[test]
fn plugins_load_after_their_dependencies_and_bad_ones_stay_out() {
    let h = Harness::new();
    let probe = &guests().probe;
    h.install(
        "app",
        probe,
        &manifest("test.app", "1.0.0", "\"test.lib\" = \"^1.2\""),
    );
    h.install("lib", probe, &manifest("test.lib", "1.4.0", ""));
    h.install(
        "old",
        probe,
        &manifest("test.old", "1.0.0", "\"test.lib\" = \"^2\""),
    );
    h.install(
        "lonely",
        probe,
        &manifest("test.lonely", "1.0.0", "\"test.ghost\" = \"*\""),
    );
    h.install(
        "cyc-a",
        probe,
        &manifest("test.cyc-a", "1.0.0", "\"test.cyc-b\" = \"*\""),
    );
    h.install(
        "cyc-b",
        probe,
        &manifest("test.cyc-b", "1.0.0", "\"test.cyc-a\" = \"*\""),
    );
    h.install(
        "on-old",
        probe,
        &manifest("test.on-old", "1.0.0", "\"test.old\" = \"*\""),
    );
    h.install("zz-dup", probe, &manifest("test.lib", "9.0.0", ""));
    std::fs::create_dir_all(h.plugin_dir().join("broken")).unwrap();
    std::fs::write(h.plugin_dir().join("broken/manifest.toml"), "[plugin\n").unwrap();
    // test.lib was installed from `lib`: the later copy in `zz-dup` is refused.
    let lib = h.plugin_dir().join("lib").canonicalize().unwrap();
    h.manager
        .services()
        .db
        .bind_install("test.lib", &lib)
        .unwrap();
    let r = h.manager.load_all();
    assert_eq!(r.loaded, ["test.lib", "test.app"]);
    let why = |k: &str| {
        r.failed
            .iter()
            .find(|(id, _)| id == k || id.ends_with(k))
            .unwrap_or_else(|| panic!("{k} not in {:?}", r.failed))
            .1
            .clone()
    };
    assert!(
        why("test.old").contains("requires plugin test.lib ^2, but version 1.4.0 is installed")
    );
    assert!(why("test.lonely").contains("requires plugin test.ghost *, which is not installed"));
    assert!(why("test.cyc-a").contains("dependency cycle: test.cyc-a -> test.cyc-b -> test.cyc-a"));
    assert!(why("test.cyc-b").contains("dependency cycle"));
    assert!(why("test.on-old").contains("its dependency test.old cannot load"));
    assert!(
        why("/zz-dup").contains("plugin id test.lib is installed from")
            && why("/zz-dup").contains("declares it too"),
        "{}",
        why("/zz-dup")
    );
    assert!(
        why("/broken").contains("manifest.toml:1:"),
        "{}",
        why("/broken")
    );
    // The good ones serve calls.
    ok(&h.probe("test.app", json!({"op": "ids.new"})));
}

#[test]
fn disable_enable_unload_and_reload() {
    let h = Harness::new();
    h.install_probe("test.probe", "");
    h.load_ok();
    h.manager.disable("test.probe").unwrap();
    let e = h
        .manager
        .call_hook("test.probe", "probe", "{}")
        .unwrap_err();
    assert!(e.to_string().contains("is disabled"), "{e}");
    h.manager.enable("test.probe").unwrap();
    ok(&h.probe("test.probe", json!({"op": "ids.new"})));
    h.manager.unload("test.probe").unwrap();
    assert!(h.manager.state("test.probe").is_none());
    assert!(
        h.manager
            .call_hook("test.probe", "probe", "{}")
            .unwrap_err()
            .to_string()
            .contains("not installed")
    );
    assert!(h.manager.reload("test.nope").is_err());
}

#[test]
fn disabled_stays_disabled_across_restarts() {
    let h = Harness::new();
    h.install_probe("test.probe", "");
    h.load_ok();
    h.manager.disable("test.probe").unwrap();
    let again = PluginManager::new(settings(h.tmp.path())).unwrap();
    let r = again.load_all();
    assert_eq!(r.disabled, ["test.probe"]);
    assert!(matches!(
        again.state("test.probe"),
        Some(PluginState::Disabled(None))
    ));
    again.enable("test.probe").unwrap();
    let third = PluginManager::new(settings(h.tmp.path())).unwrap();
    assert_eq!(third.load_all().loaded, ["test.probe"]);
}

#[test]
fn a_broken_new_version_keeps_the_old_one_serving() {
    let h = Harness::new();
    let dir = h.install_probe("test.probe", "[config]\nv = 1\n");
    h.load_ok();
    let v =
        |h: &Harness| ok(&h.probe("test.probe", json!({"op": "config.get", "key": "v"}))).clone();
    assert_eq!(v(&h), json!(1));
    let good = std::fs::read_to_string(dir.join("manifest.toml")).unwrap();
    std::fs::write(dir.join("manifest.toml"), good.replace("v = 1", "v = 2")).unwrap();
    h.manager.reload("test.probe").unwrap();
    assert_eq!(v(&h), json!(2));
    std::fs::write(
        dir.join("manifest.toml"),
        good.replace("[config]", "[confg]"),
    )
    .unwrap();
    let e = h.manager.reload("test.probe").unwrap_err();
    assert!(e.to_string().contains("did you mean `config`?"), "{e}");
    assert_eq!(v(&h), json!(2), "old version still serving");
    std::fs::write(dir.join("manifest.toml"), good).unwrap();
    std::fs::write(dir.join("plugin.wasm"), b"not wasm").unwrap();
    let e = h.manager.reload("test.probe").unwrap_err();
    assert!(
        e.to_string().contains("not a valid WebAssembly component"),
        "{e}"
    );
    assert_eq!(v(&h), json!(2));
}

#[test]
fn a_component_that_does_not_fit_the_world_is_refused_clearly() {
    let h = Harness::new();
    // A core module, not a component.
    let wasm = wasmtime_core_module();
    let dir = h.plugin_dir().join("core");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("plugin.wasm"), wasm).unwrap();
    std::fs::write(
        dir.join("manifest.toml"),
        manifest("test.core", "1.0.0", ""),
    )
    .unwrap();
    let r = h.manager.load_all();
    assert!(
        r.failed[0]
            .1
            .contains("plugin test.core: plugin.wasm is not a valid WebAssembly component"),
        "{:?}",
        r.failed
    );
}

fn wasmtime_core_module() -> Vec<u8> {
    // (module) in binary form.
    vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
}

#[test]
fn a_table_prefix_has_one_owner() {
    let h = Harness::new();
    h.install_probe("com.a.crm", "");
    h.install_probe("com.b.crm", "");
    // Both load: neither has tables yet. The first CREATE TABLE claims `crm_`.
    assert_eq!(h.load_ok().loaded, ["com.a.crm", "com.b.crm"]);
    ok(&h.probe(
        "com.a.crm",
        json!({"op": "db.execute", "sql": "CREATE TABLE crm_deals (x)"}),
    ));
    let r = h.probe(
        "com.b.crm",
        json!({"op": "db.execute", "sql": "CREATE TABLE crm_notes (x)"}),
    );
    crate::support::err(
        &r,
        "denied",
        "the prefix `crm_` already belongs to plugin com.a.crm",
    );
    let r = h.probe(
        "com.b.crm",
        json!({"op": "db.query", "sql": "SELECT * FROM crm_deals"}),
    );
    crate::support::err(&r, "denied", "belongs to plugin com.a.crm");
    // A plugin with migrations claims its prefix when it loads.
    let dir = h.install_probe("org.c.crm", "");
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(dir.join("migrations/001.sql"), "CREATE TABLE crm_more (x);").unwrap();
    let r = h.manager.load_all();
    let why = &r.failed.iter().find(|(id, _)| id == "org.c.crm").unwrap().1;
    assert!(
        why.contains("table prefix `crm_` belongs to plugin com.a.crm"),
        "{why}"
    );
}

#[test]
fn a_plugin_failing_five_times_in_a_row_is_disabled_and_says_why() {
    let h = Harness::new();
    h.install_files(
        "flaky",
        &crate::support::script_manifest("test.flaky", "js", ""),
        &[("main.js", "export function on_content_created(input) { throw new Error('always broken'); }\nexport function fine() { return 1; }")],
    );
    h.load_ok();
    // A success in between resets the count.
    for _ in 0..4 {
        assert!(
            h.manager
                .call_hook("test.flaky", "on_content_created", "{}")
                .is_err()
        );
    }
    assert!(h.manager.call_hook("test.flaky", "fine", "{}").is_ok());
    for _ in 0..4 {
        assert!(
            h.manager
                .call_hook("test.flaky", "on_content_created", "{}")
                .is_err()
        );
    }
    assert!(matches!(
        h.manager.state("test.flaky"),
        Some(PluginState::Active(_))
    ));
    assert!(
        h.manager
            .call_hook("test.flaky", "on_content_created", "{}")
            .is_err()
    );
    let Some(PluginState::Disabled(Some(why))) = h.manager.state("test.flaky") else {
        panic!("not disabled");
    };
    assert!(
        why.contains("disabled after 5 consecutive failures") && why.contains("always broken"),
        "{why}"
    );
    // Vetoes of a filter are decisions, not failures.
    h.install_files(
        "veto",
        &crate::support::script_manifest("test.veto", "js", ""),
        &[(
            "main.js",
            "export function on_content_deleting(input) { throw new Error('no'); }",
        )],
    );
    h.manager.load_all();
    for _ in 0..10 {
        assert!(
            h.manager
                .call_hook_at(
                    "test.veto",
                    "on_content_deleting",
                    "{}",
                    0,
                    raisfast::manager::Cause::Filter
                )
                .is_err()
        );
    }
    assert!(matches!(
        h.manager.state("test.veto"),
        Some(PluginState::Active(_))
    ));
    // It stays disabled across a restart, with its reason.
    let again = PluginManager::new(settings(h.tmp.path())).unwrap();
    again.load_all();
    assert!(matches!(
        again.state("test.flaky"),
        Some(PluginState::Disabled(Some(_)))
    ));
}

/// Loads the same mixed set of plugins with `threads` compile threads.
fn load_mixed(threads: usize) -> (Vec<String>, Vec<String>, Vec<(String, u64)>) {
    let h = Harness::with(|s| s.runtime.load_threads = threads, Default::default());
    let probe = &guests().probe;
    h.install("lib", probe, &manifest("test.lib", "1.0.0", ""));
    h.install(
        "app",
        probe,
        &manifest("test.app", "1.0.0", "\"test.lib\" = \"*\""),
    );
    let script = |id: &str, runtime: &str, file: &str, source: &str, deps: &str| {
        h.install_files(
            id,
            &format!(
                "[plugin]\nid = \"{id}\"\nname = \"x\"\nversion = \"1.0.0\"\nruntime = \"{runtime}\"\n\n[dependencies]\n{deps}\n"
            ),
            &[(file, source)],
        );
    };
    script("par.js-bad", "js", "main.js", "export function f( {", "");
    script(
        "par.on-bad",
        "lua",
        "init.lua",
        "Plugin = {}",
        "\"par.js-bad\" = \"*\"",
    );
    script(
        "par.lua",
        "lua",
        "init.lua",
        "Plugin = {}",
        "\"test.app\" = \"*\"",
    );
    script("par.rhai", "rhai", "init.rhai", "fn f(x) { x }", "");
    // Two plugins whose ids end alike claim the same table prefix: the first in
    // load order wins, whatever the threads.
    for id in ["a.shared", "b.shared"] {
        let dir = h.plugin_dir().join(id);
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        std::fs::write(dir.join("migrations/001.sql"), "CREATE TABLE shared_t (x);").unwrap();
        std::fs::write(
            dir.join("manifest.toml"),
            format!(
                "[plugin]\nid = \"{id}\"\nname = \"x\"\nversion = \"1.0.0\"\nruntime = \"rhai\"\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("init.rhai"), "fn f(x) { x }").unwrap();
    }
    let r = h.manager.load_all();
    let failed = r.failed.iter().map(|(id, _)| id.clone()).collect();
    let mut order: Vec<(String, u64)> = h
        .manager
        .entries()
        .into_iter()
        .map(|(id, e)| (id, e.order))
        .collect();
    order.sort_by_key(|(_, o)| *o);
    let base = order.first().map_or(0, |(_, o)| *o);
    let order = order.into_iter().map(|(id, o)| (id, o - base)).collect();
    (r.loaded, failed, order)
}

#[test]
fn parallel_loading_gives_the_same_result_as_sequential() {
    let sequential = load_mixed(1);
    assert_eq!(
        sequential.0,
        ["a.shared", "test.lib", "test.app", "par.lua", "par.rhai"],
        "{sequential:?}"
    );
    assert_eq!(sequential.1, ["b.shared", "par.js-bad", "par.on-bad"]);
    assert_eq!(load_mixed(4), sequential);
}
