//! Plugin packages: `plugin pack` and `plugin install` round-trip every
//! example; installing shows what a plugin may do and waits for approval;
//! the admin API stages an upload, shows an upgrade's permission diff, and
//! refuses a broken package leaving nothing behind.

use crate::cli::{raisfast, text};
use crate::server_support::{Server, plugin};
use crate::support::{guests, root};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn left_behind(plugins: &Path) -> Vec<PathBuf> {
    let staging = plugins.join(".staging");
    if !staging.exists() {
        return Vec::new();
    }
    std::fs::read_dir(staging)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn every_example_round_trips_through_pack_and_install() {
    let _ = guests(); // the compiled examples' plugin.wasm, built in place
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("installed");
    let examples = root().join("extensions/plugins");
    for e in std::fs::read_dir(&examples).unwrap() {
        let src = e.unwrap().path();
        let name = src.file_name().unwrap().to_string_lossy().to_string();
        let file = tmp.path().join(format!("{name}.rfp"));
        let o = raisfast(
            &[
                "plugin",
                "pack",
                src.to_str().unwrap(),
                "-o",
                file.to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert!(o.status.success(), "{name}: {}", text(&o));
        assert!(text(&o).contains("packed "), "{}", text(&o));
        let o = raisfast(
            &[
                "--plugin-dir",
                plugins.to_str().unwrap(),
                "plugin",
                "install",
                file.to_str().unwrap(),
                "--yes",
            ],
            tmp.path(),
        );
        assert!(o.status.success(), "{name}: {}", text(&o));
        let out = text(&o);
        assert!(
            out.contains("It may:") && out.contains("Create, read and change its own tables"),
            "{out}"
        );
        let id = out.split_whitespace().next().unwrap().to_string();
        let installed = plugins.join(&id);
        // The same files, byte for byte, less what a build leaves behind.
        let compiled = src.join("plugin.wasm").exists() && !src.join("main.js").exists();
        let want: BTreeMap<_, _> = tree(&src)
            .into_iter()
            .filter(|(p, _)| {
                let first = p
                    .components()
                    .next()
                    .unwrap()
                    .as_os_str()
                    .to_string_lossy()
                    .to_string();
                first != "target" && !(compiled && first == "sdk") && !first.starts_with('.')
            })
            .collect();
        let got = tree(&installed);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{name}"
        );
        assert!(got == want, "{name}: contents differ");
    }
    let o = raisfast(
        &["--plugin-dir", plugins.to_str().unwrap(), "plugin", "check"],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("8 plugin(s) checked: 8 ok"),
        "{}",
        text(&o)
    );
    assert!(left_behind(&plugins).is_empty());
}

const V1: &str = "[plugin]\nid = \"com.example.greet\"\nname = \"Greet\"\nversion = \"1.0.0\"\nruntime = \"js\"\n\n\
    [[routes]]\nmethod = \"GET\"\npath = \"/hi\"\nhandler = \"hi\"\nauth = \"public\"\n";

fn version(n: &str, extra: &str) -> String {
    V1.replace("1.0.0", n) + extra
}

/// Writes a JS plugin under `tmp/src/name` and packs it into `tmp/name.rfp`.
pub fn pack(tmp: &Path, name: &str, manifest: &str, js: &str) -> PathBuf {
    let dir = tmp.join("src").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("manifest.toml"), manifest).unwrap();
    std::fs::write(dir.join("main.js"), js).unwrap();
    let file = tmp.join(format!("{name}.rfp"));
    let o = raisfast(
        &[
            "plugin",
            "pack",
            dir.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ],
        tmp,
    );
    assert!(o.status.success(), "{}", text(&o));
    file
}

#[test]
fn installing_asks_first_and_an_upgrade_names_what_it_adds() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    let dir = plugins.to_str().unwrap().to_string();
    let v1 = pack(
        tmp.path(),
        "v1",
        V1,
        "export function hi() { return 'v1'; }\n",
    );
    let install = |file: &Path, extra: &[&str]| {
        let mut args = vec![
            "--plugin-dir",
            &dir,
            "plugin",
            "install",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        raisfast(&args, tmp.path())
    };
    // No terminal and no --yes: shown, not installed.
    let o = install(&v1, &[]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("Answer GET /api/v1/plugins/com.example.greet/hi for anyone"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("not installed"), "{}", text(&o));
    assert!(!plugins.join("com.example.greet").exists());
    assert!(left_behind(&plugins).is_empty());
    assert!(install(&v1, &["--yes"]).status.success());

    let v2 = pack(
        tmp.path(),
        "v2",
        &version(
            "2.0.0",
            "\n[permissions]\nhttp = [\"https://api.example.com\"]\n",
        ),
        "export function hi() { return 'v2'; }\n",
    );
    let o = install(&v2, &["--yes"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("replaces version 1.0.0"), "{out}");
    assert!(
        out.contains("  + Send requests to https://api.example.com"),
        "{out}"
    );
    assert!(
        out.contains("upgraded com.example.greet 1.0.0 -> 2.0.0"),
        "{out}"
    );
    let js = std::fs::read_to_string(plugins.join("com.example.greet/main.js")).unwrap();
    assert!(js.contains("v2"));

    // An older version does not replace a newer one unless forced.
    let o = install(&v1, &["--yes"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("pass --force to downgrade"),
        "{}",
        text(&o)
    );
    assert!(
        std::fs::read_to_string(plugins.join("com.example.greet/main.js"))
            .unwrap()
            .contains("v2")
    );
    assert!(install(&v1, &["--yes", "--force"]).status.success());
    assert!(
        std::fs::read_to_string(plugins.join("com.example.greet/main.js"))
            .unwrap()
            .contains("v1")
    );
    assert!(
        left_behind(&plugins).is_empty(),
        "{:?}",
        left_behind(&plugins)
    );
}

/// A gzip-compressed tar with `entries` (path, bytes), as an attacker would make one.
fn forged(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, bytes) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Written raw, so that `..` survives (the tar crate would refuse it).
        let name = h.as_old_mut().name.as_mut();
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        tar.append(&h, *bytes).unwrap();
    }
    let mut gz = tar.into_inner().unwrap();
    gz.flush().unwrap();
    gz.finish().unwrap()
}

#[test]
fn the_admin_api_stages_shows_the_diff_and_refuses_broken_packages() {
    let tmp = tempfile::tempdir().unwrap();
    plugin(
        tmp.path(),
        "placeholder",
        &V1.replace("com.example.greet", "test.placeholder"),
        &[("main.js", "export function hi() { return 'x'; }\n")],
    );
    let server = Server::start(tmp.path());
    let admin = server.admin();
    let auth = format!("Bearer {admin}");
    let upload = |bytes: Vec<u8>, auth: &str| {
        let (status, _, body) = server.raw(
            "POST",
            "/api/v1/admin/plugins",
            &[
                ("authorization", auth),
                ("content-type", "application/octet-stream"),
            ],
            bytes,
        );
        (
            status,
            serde_json::from_str::<Value>(&body).unwrap_or(Value::String(body)),
        )
    };
    let post = |path: &str| server.call("POST", path, Some(&admin), None);

    let v1 = std::fs::read(pack(
        tmp.path(),
        "v1",
        V1,
        "export function hi() { return 'v1'; }\n",
    ))
    .unwrap();
    assert_eq!(upload(v1.clone(), "Bearer nope").0, 401);
    let user = server.user("someone");
    assert_eq!(upload(v1.clone(), &format!("Bearer {user}")).0, 403);

    let (status, staged) = upload(v1.clone(), &auth);
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["id"], "com.example.greet");
    assert_eq!(staged["replaces"], Value::Null);
    let texts: Vec<&str> = staged["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(
            &"Answer GET /api/v1/plugins/com.example.greet/hi for anyone, signed in or not"
        ),
        "{texts:?}"
    );
    // Staged, not installed.
    assert_eq!(
        server
            .call("GET", "/api/v1/plugins/com.example.greet/hi", None, None)
            .0,
        404
    );
    let token = staged["token"].as_str().unwrap().to_string();
    let (status, shown) = server.call(
        "GET",
        &format!("/api/v1/admin/packages/{token}"),
        Some(&admin),
        None,
    );
    assert_eq!((status, &shown["version"]), (200, &json!("1.0.0")));
    let (status, summary) = post(&format!("/api/v1/admin/packages/{token}/approve"));
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["state"], "active");
    assert_eq!(
        server.call("GET", "/api/v1/plugins/com.example.greet/hi", None, None),
        (200, json!("v1"))
    );

    // An upgrade that asks for more says so before it is approved.
    let v2 = pack(
        tmp.path(),
        "v2",
        &version(
            "1.1.0",
            "\n[permissions]\nhttp = [\"https://api.example.com\"]\n",
        ),
        "export function hi() { return 'v2'; }\n",
    );
    let (status, staged) = upload(std::fs::read(v2).unwrap(), &auth);
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["replaces"], "1.0.0");
    assert_eq!(
        staged["added"],
        json!([{"capability": "http", "grant": "https://api.example.com", "text": "Send requests to https://api.example.com (and the paths below it)"}])
    );
    assert_eq!(
        server.call("GET", "/api/v1/plugins/com.example.greet/hi", None, None),
        (200, json!("v1"))
    );
    let token = staged["token"].as_str().unwrap();
    assert_eq!(
        post(&format!("/api/v1/admin/packages/{token}/approve")).0,
        200
    );
    assert_eq!(
        server.call("GET", "/api/v1/plugins/com.example.greet/hi", None, None),
        (200, json!("v2"))
    );

    // A downgrade waits for force; a dropped package is gone.
    let (_, staged) = upload(v1.clone(), &auth);
    assert_eq!(staged["downgrade"], true);
    let token = staged["token"].as_str().unwrap();
    let (status, body) = post(&format!("/api/v1/admin/packages/{token}/approve"));
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("downgrade")),
        "{body}"
    );
    let (status, _) = server.call(
        "DELETE",
        &format!("/api/v1/admin/packages/{token}"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 204);
    assert_eq!(
        post(&format!("/api/v1/admin/packages/{token}/approve")).0,
        404
    );
    assert_eq!(post("/api/v1/admin/packages/..%2F..%2Fetc/approve").0, 404);

    // Broken packages are refused with a clear error and leave nothing.
    let before = tree(&tmp.path().join("plugins"));
    let meta = |files: &str| {
        format!(
            "{{\"format\":1,\"id\":\"com.example.evil\",\"version\":\"1.0.0\",\"files\":{{{files}}}}}"
        )
    };
    let manifest = V1.replace("com.example.greet", "com.example.evil");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not a package at all".to_vec(), "not a RaisFast package"),
        (
            forged(&[
                ("raisfast-package.json", meta("").as_bytes()),
                ("plugin/../../escape.js", b"x"),
            ]),
            "`plugin/../../escape.js`",
        ),
        (
            forged(&[
                (
                    "raisfast-package.json",
                    meta("\"manifest.toml\":\"00\"").as_bytes(),
                ),
                ("plugin/manifest.toml", manifest.as_bytes()),
            ]),
            "does not match its checksum",
        ),
        (
            forged(&[("plugin/manifest.toml", manifest.as_bytes())]),
            "does not start with raisfast-package.json",
        ),
    ];
    for (bytes, needle) in cases {
        let (status, body) = upload(bytes, &auth);
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "invalid_package", "{body}");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{msg} should contain {needle}");
    }
    assert!(
        !tmp.path().join("escape.js").exists() && !tmp.path().join("plugins/escape.js").exists()
    );
    let after = tree(&tmp.path().join("plugins"));
    assert!(
        before == after,
        "a refused package changed the plugin directory"
    );
    assert!(
        left_behind(&tmp.path().join("plugins")).is_empty(),
        "{:?}",
        left_behind(&tmp.path().join("plugins"))
    );
}
