//! End to end on PostgreSQL: the real binary with `RAISFAST_DATABASE_URL`,
//! real plugins whose hooks, routes, SQL, KV and files all go to one
//! database, and three nodes on that database sharing users, sessions,
//! content, plugin state and cron, one of them killed under write load.

use crate::pg_support::PgCluster;
use crate::server_support::{Server, plugin, wait_until};
use crate::support::script_manifest;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

fn install(root: &Path) {
    plugin(
        root,
        "pg-cron",
        &script_manifest(
            "pg.ticker",
            "js",
            "[[cron]]\nname = \"tick\"\nschedule = \"* * * * * *\"\nhandler = \"tick\"\n",
        ),
        &[
            (
                "main.js",
                "import { dbExecute } from 'sdk';\n\
                 export function tick(input) {\n  dbExecute('INSERT INTO ticker_runs (at) VALUES (?)', [JSON.parse(input).body.scheduled_at]);\n}\n",
            ),
            (
                "migrations/001.sql",
                "CREATE TABLE ticker_runs (at BIGINT NOT NULL);",
            ),
        ],
    );
    plugin(
        root,
        "pg-lua",
        &script_manifest(
            "pg.lua",
            "lua",
            "[permissions]\ndatabase = [\"write:pg_log\"]\n\n[[routes]]\nmethod = \"GET\"\npath = \"/last\"\nhandler = \"last\"\nauth = \"public\"\n",
        ),
        &[(
            "init.lua",
            "local sdk = require('sdk')\nPlugin = {}\n\
             Plugin.on_content_created = function(input)\n  local c = sdk.extractJson(input, 'body')\n  sdk.kvSet('last_title', c.title)\n  sdk.dbExecute('INSERT INTO pg_log (source, title) VALUES (?, ?)', { 'lua', c.title })\nend\n\
             Plugin.last = function(req)\n  return sdk.ok({ title = sdk.kvGet('last_title') })\nend\n",
        )],
    );
    plugin(
        root,
        "pg-js",
        &script_manifest(
            "pg.notes",
            "js",
            "[permissions]\ndatabase = [\"read:content\"]\nfilesystem = [\"read\", \"write\"]\n\n[[routes]]\nmethod = \"POST\"\npath = \"/notes\"\nhandler = \"add\"\nauth = \"public\"\n\n[[routes]]\nmethod = \"POST\"\npath = \"/files\"\nhandler = \"files\"\nauth = \"public\"\n",
        ),
        &[
            (
                "main.js",
                "import { dbQuery, ok, vfsWrite, vfsRead, vfsList, vfsExists } from 'sdk';\n\
                 export function files(req) {\n  if (req.json.write) vfsWrite(req.json.path, req.json.write);\n  return ok({ text: vfsRead(req.json.path), list: vfsList('docs').map(e => e.name), exists: vfsExists('docs/none') });\n}\n\
                 export function add(req) {\n  const row = dbQuery('INSERT INTO notes_items (text) VALUES (?) RETURNING id', [req.json.text]);\n  const all = dbQuery('SELECT count(*) AS n FROM notes_items');\n  const titles = dbQuery('SELECT title FROM content ORDER BY created_at');\n  return ok({ id: row[0].id, count: all[0].n, titles: titles.map(t => t.title) });\n}\n",
            ),
            // The PostgreSQL dialect's migration wins over the common one.
            (
                "migrations/001.sql",
                "CREATE TABLE notes_items (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT);",
            ),
            (
                "migrations/postgres/001.sql",
                "CREATE TABLE notes_items (id SERIAL PRIMARY KEY, text TEXT NOT NULL);",
            ),
        ],
    );
}

#[test]
fn three_nodes_on_one_postgresql_serve_the_same_site() {
    let pg = PgCluster::start();
    let url = pg.database();
    // A table the operator made for plugins, in the shared database.
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .batch_execute("CREATE TABLE pg_log (source TEXT, title TEXT)")
        .unwrap();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    for d in &dirs {
        install(d.path());
    }
    let env = [("RAISFAST_DATABASE_URL", url.as_str())];
    let a = Server::start_with(dirs[0].path(), &env);
    let b = Server::start_with(dirs[1].path(), &env);
    let mut third = Server::start_with(dirs[2].path(), &env);

    // A user registered and signed in on A is signed in on B.
    let alice = a.user("alice");
    let (status, me) = b.call("GET", "/api/v1/auth/me", Some(&alice), None);
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "alice");

    // Content created on A: its hook's writes (SQL and KV) are seen from B.
    let (status, c) = a.call(
        "POST",
        "/api/v1/content",
        Some(&alice),
        Some(json!({"title": "Hello", "body": "hi", "status": "published"})),
    );
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        b.call("GET", &format!("/api/v1/content/{id}"), None, None)
            .0,
        200
    );
    assert!(
        wait_until(Duration::from_secs(10), || b
            .call("GET", "/api/v1/plugins/pg.lua/last", None, None)
            .1["title"]
            == "Hello"),
        "B reads the KV that A's hook wrote ({}):\n{}\n---B---\n{}",
        b.call("GET", "/api/v1/plugins/pg.lua/last", None, None).1,
        a.output(),
        b.output()
    );
    let rows: i64 = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .query_one("SELECT count(*) FROM pg_log WHERE title = 'Hello'", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "the hook ran once, on A");

    // The JS plugin's own table (its PostgreSQL migration) is shared too.
    let (status, r) = a.call(
        "POST",
        "/api/v1/plugins/pg.notes/notes",
        None,
        Some(json!({"text": "one"})),
    );
    assert_eq!(status, 200, "{r}");
    let (status, r) = b.call(
        "POST",
        "/api/v1/plugins/pg.notes/notes",
        None,
        Some(json!({"text": "two"})),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["id"], 2);
    assert_eq!(r["count"], 2);
    assert_eq!(r["titles"], json!(["Hello"]));

    // Files written on A are read on B.
    let (status, r) = a.call(
        "POST",
        "/api/v1/plugins/pg.notes/files",
        None,
        Some(json!({"path": "docs/a.txt", "write": "from A"})),
    );
    assert_eq!(status, 200, "{r}");
    let (status, r) = b.call(
        "POST",
        "/api/v1/plugins/pg.notes/files",
        None,
        Some(json!({"path": "docs/a.txt"})),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r,
        json!({"text": "from A", "list": ["a.txt"], "exists": false})
    );

    // An operator's change on A holds on B and C within two seconds.
    let admin = a.admin();
    let (status, r) = a.call(
        "POST",
        "/api/v1/admin/plugins/pg.lua/disable",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{r}");
    let route = |s: &Server| s.call("GET", "/api/v1/plugins/pg.lua/last", None, None).0;
    assert!(
        wait_until(Duration::from_secs(2), || route(&b) == 503
            && route(&third) == 503),
        "B or C still serves the plugin disabled on A:\n{}",
        b.output()
    );
    let (status, r) = a.call(
        "POST",
        "/api/v1/admin/plugins/pg.lua/enable",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{r}");
    assert!(
        wait_until(Duration::from_secs(10), || route(&b) == 200),
        "B did not enable the plugin again:\n{}",
        b.output()
    );

    // A job every second, on all three nodes: each tick runs once, on one of them.
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // The plugin's schema, as an operator finds it.
    let role: String = db
        .query_one(
            "SELECT role FROM raisfast_plugin_roles WHERE plugin_id = 'pg.ticker'",
            &[],
        )
        .unwrap()
        .get(0);
    let counts = |db: &mut postgres::Client| -> (i64, i64) {
        let r = db
            .query_one(
                &format!("SELECT count(*), count(DISTINCT at) FROM {role}.ticker_runs"),
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(
        wait_until(Duration::from_secs(30), || counts(&mut db).1 >= 10),
        "the job did not run:\n{}",
        a.output()
    );
    let (runs, ticks) = counts(&mut db);
    assert_eq!(runs, ticks, "a tick ran twice");
    let nodes: i64 = db
        .query_one(
            "SELECT count(DISTINCT node) FROM raisfast_cron_runs WHERE plugin_id = 'pg.ticker'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(nodes >= 1);

    // Writes acknowledged by C before it is killed are kept; A and B serve on.
    let token = third.login("alice", "password-123");
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (base, acked, stop) = (third.base.clone(), acked.clone(), stop.clone());
        std::thread::spawn(move || {
            let agent = ureq::Agent::new_with_defaults();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let sent = agent
                    .post(&format!("{base}/api/v1/content"))
                    .header("authorization", &format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .send(json!({"title": format!("w{n}"), "status": "published"}).to_string());
                match sent {
                    Ok(mut r) if r.status() == 201 => {
                        let text = r.body_mut().read_to_string().unwrap_or_default();
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                        acked
                            .lock()
                            .unwrap()
                            .push(v["id"].as_str().unwrap().to_string());
                    }
                    Ok(_) => {}
                    Err(_) => break, // the node is gone
                }
            }
        })
    };
    assert!(wait_until(Duration::from_secs(20), || acked
        .lock()
        .unwrap()
        .len()
        >= 20));
    third.kill_9();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    for id in &acked {
        assert_eq!(
            a.call("GET", &format!("/api/v1/content/{id}"), None, None)
                .0,
            200,
            "write {id}, acknowledged by the killed node, is lost"
        );
    }
    assert_eq!(b.call("GET", "/api/v1/content", None, None).0, 200);
    // Nothing the site keeps is in a node's data directory (the tests keep
    // the compile cache elsewhere, so it holds nothing at all).
    for d in &dirs {
        let data = d.path().join("data");
        let kept: Vec<_> = std::fs::read_dir(&data)
            .map(|r| r.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(kept.is_empty(), "{}: {kept:?}", data.display());
    }
}
