//! Property-based fuzzing (proptest) of the parsers and conversions that see
//! untrusted input: manifests, route patterns and paths, JSON crossing the WIT
//! boundary into SQLite and back, VFS paths, HTTP allow-list entries.
//!
//! Each property runs 256 cases in the test suite; `PROPTEST_CASES=100000
//! cargo test -p raisfast --test all fuzz` runs a longer campaign. (cargo-fuzz
//! needs a nightly toolchain, which these machines cannot install.)

use crate::support::Harness;
use proptest::prelude::*;
use raisfast::host_api::CallState;
use raisfast::host_api::vfs::normalize;
use raisfast::manifest::Manifest;
use raisfast::manifest::grants::HttpRule;
use raisfast::routes::RoutePattern;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any text: the parser answers, never panics, and every error has a place or says why not.
    #[test]
    fn manifest_parser_never_panics(text in "\\PC{0,400}") {
        if let Err(e) = Manifest::parse(Path::new("m.toml"), &text, None) {
            prop_assert!(!e.0.is_empty());
            for err in e.0 {
                prop_assert!(!err.message.is_empty());
            }
        }
    }

    /// TOML-shaped noise around a valid manifest: still no panic; a good one still parses.
    #[test]
    fn manifest_parser_on_near_valid_input(
        id in "[a-z][a-z0-9-]{0,10}\\.[a-z][a-z0-9-]{0,10}",
        version in "(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})",
        runtime in prop::sample::select(vec!["js", "lua", "rhai", "wasm", "python", ""]),
        key in "[a-z_]{1,12}",
        value in prop::sample::select(vec!["1", "\"x\"", "[1, 2]", "{ a = 1 }", "true", "\"read:t\""]),
        table in prop::sample::select(vec!["permissions", "hooks.on_load", "config", "dependencies", "plugin"]),
    ) {
        let base = format!("[plugin]\nid = \"{id}\"\nname = \"n\"\nversion = \"{version}\"\nruntime = \"{runtime}\"\n");
        let good = Manifest::parse(Path::new("m.toml"), &base, None);
        let valid_id = !id.split('.').any(|s| s.ends_with('-'));
        if ["js", "lua", "rhai", "wasm"].contains(&runtime) && valid_id {
            prop_assert!(good.is_ok(), "{base}: {:?}", good.err());
        }
        let noisy = format!("{base}\n[{table}]\n{key} = {value}\n");
        let _ = Manifest::parse(Path::new("m.toml"), &noisy, None);
    }

    /// Route patterns: parsing any text is safe; matching never panics.
    #[test]
    fn route_patterns_never_panic(pattern in "\\PC{0,60}", path in "\\PC{0,60}") {
        if let Ok(p) = RoutePattern::parse(&pattern) {
            let _ = p.matches(&path);
            let _ = p.shape();
        }
    }

    /// A path built from a pattern matches it, with the values in the parameters.
    #[test]
    fn route_paths_built_from_patterns_match(
        segs in prop::collection::vec(prop_oneof![
            "[a-z][a-z0-9_-]{0,8}".prop_map(|s| (s, false)),
            "[a-z][a-z0-9_]{0,8}".prop_map(|s| (s, true)),
        ], 0..6),
        values in prop::collection::vec("[A-Za-z0-9._~-]{1,12}", 6),
    ) {
        let mut names = std::collections::HashSet::new();
        let segs: Vec<(String, bool)> = segs.into_iter().filter(|(s, p)| !*p || names.insert(s.clone())).collect();
        let pattern: String = if segs.is_empty() { "/".into() } else {
            segs.iter().map(|(s, p)| if *p { format!("/:{s}") } else { format!("/{s}") }).collect()
        };
        let p = RoutePattern::parse(&pattern).unwrap();
        let mut expected = Vec::new();
        let path: String = if segs.is_empty() { "/".into() } else {
            segs.iter().enumerate().map(|(i, (s, param))| {
                if *param {
                    expected.push((s.clone(), values[i].clone()));
                    format!("/{}", values[i])
                } else {
                    format!("/{s}")
                }
            }).collect()
        };
        prop_assert_eq!(p.matches(&path), Some(expected));
    }

    /// VFS paths: nothing that comes out of the normaliser can leave the plugin's directory.
    #[test]
    fn vfs_paths_stay_inside(path in "(\\PC|/|\\.|\\.\\.|\\\\|\\x00){0,80}") {
        if let Ok(p) = normalize(&path) {
            prop_assert!(!p.starts_with('/'));
            prop_assert!(!p.split('/').any(|s| s == ".." || s == "." || s.is_empty() && !p.is_empty()));
            prop_assert!(!p.contains('\0') && !p.contains('\\'));
            prop_assert!(p.len() <= 1024);
            prop_assert_eq!(normalize(&p).unwrap(), p.clone());
        }
    }

    /// HTTP allow-list entries: parsing any text is safe; a parsed rule never
    /// allows another scheme, or a host that only ends like the allowed one.
    #[test]
    fn http_rules_are_strict(entry in "\\PC{0,60}", host in "[a-z0-9.-]{1,20}") {
        if let Ok(rule) = HttpRule::parse(&entry) {
            let other = if rule.scheme == "http" { "https" } else { "http" };
            prop_assert!(!rule.allows(other, &rule.host, rule.port, &rule.path_prefix));
            let lookalike = format!("{host}x{}", rule.host);
            prop_assert!(rule.wildcard || !rule.allows(&rule.scheme, &lookalike, rule.port, &rule.path_prefix));
        }
    }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::from),
    ]
}

/// JSON values crossing the WIT boundary into SQLite come back as they went in.
#[test]
fn json_values_round_trip_through_the_database() {
    let h = Harness::new();
    h.install_probe("fuzz.values", "");
    h.load_ok();
    let ctx = h.context("fuzz.values");
    let call = std::cell::RefCell::new(CallState::new("fuzz", Duration::from_secs(30), 0));
    raisfast::host_api::db::execute(
        &ctx,
        &mut call.borrow_mut(),
        "CREATE TABLE values_t (v)",
        "",
    )
    .unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(config());
    runner
        .run(&prop::collection::vec(scalar(), 1..8), |vals| {
            let params = Value::Array(vals.clone()).to_string();
            let placeholders = vec!["(?)"; vals.len()].join(", ");
            raisfast::host_api::db::execute(
                &ctx,
                &mut call.borrow_mut(),
                "DELETE FROM values_t",
                "",
            )
            .unwrap();
            raisfast::host_api::db::execute(
                &ctx,
                &mut call.borrow_mut(),
                &format!("INSERT INTO values_t (v) VALUES {placeholders}"),
                &params,
            )
            .unwrap();
            let rows = raisfast::host_api::db::query(
                &ctx,
                &mut call.borrow_mut(),
                "SELECT v FROM values_t ORDER BY rowid",
                "",
            )
            .unwrap();
            let rows: Vec<Value> = serde_json::from_str(&rows).unwrap();
            for (row, v) in rows.iter().zip(&vals) {
                match (v, &row["v"]) {
                    (Value::Number(a), Value::Number(b)) => prop_assert!(
                        (a.as_f64().unwrap() - b.as_f64().unwrap()).abs()
                            <= a.as_f64().unwrap().abs() * 1e-12
                    ),
                    (a, b) => prop_assert_eq!(a, b),
                }
            }
            Ok(())
        })
        .unwrap();
    // Malformed params are answered, never a panic.
    runner
        .run(&"\\PC{0,40}", |params| {
            let _ = raisfast::host_api::db::query(
                &ctx,
                &mut call.borrow_mut(),
                "SELECT ?1, :a",
                &params,
            );
            Ok(())
        })
        .unwrap();
}
