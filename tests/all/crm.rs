//! The CRM example plugin (`extensions/plugins/crm`), over HTTP: companies,
//! contacts, deals through the pipeline, the timeline, stats, and its hook on
//! content.

use crate::backend::Backend;
use crate::server_support::{Server, wait_until};
use crate::support::root;
use serde_json::{Value, json};
use std::time::Duration;

fn copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

crate::backend::on_both_backends!(the_crm_walkthrough);

fn the_crm_walkthrough(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    copy(
        &root().join("extensions/plugins/crm"),
        &tmp.path().join("plugins/crm"),
    );
    let server = Server::start_on(tmp.path(), &backend.database());
    assert!(
        server.output().contains("plugin loaded: com.raisfast.crm"),
        "{}",
        server.output()
    );
    let dana = server.user("dana");
    let call = |method: &str, path: &str, body: Option<Value>| {
        server.call(
            method,
            &format!("/api/v1/plugins/com.raisfast.crm{path}"),
            Some(&dana),
            body,
        )
    };

    let (status, acme) = call(
        "POST",
        "/companies",
        Some(json!({"name": "Acme", "domain": "acme.test"})),
    );
    assert_eq!(status, 201, "{acme}");
    let (status, ada) = call(
        "POST",
        "/contacts",
        Some(json!({"name": "Ada", "email": "ada@acme.test", "company_id": acme["id"]})),
    );
    assert_eq!(status, 201, "{ada}");
    let ada_id = ada["id"].as_str().unwrap().to_string();
    assert_eq!(
        call("POST", "/contacts", Some(json!({"email": "x"}))).0,
        400,
        "a name is required"
    );
    let (_, deal) = call(
        "POST",
        "/deals",
        Some(json!({"title": "Rockets", "amount": 1200, "contact_id": ada_id})),
    );
    assert_eq!(deal["stage"], "lead");
    assert_eq!(
        deal["company_id"], acme["id"],
        "the company comes from the contact"
    );
    let (_, small) = call(
        "POST",
        "/deals",
        Some(json!({"title": "Anvils", "amount": 300})),
    );
    let deal_id = deal["id"].as_str().unwrap();

    let (status, moved) = call(
        "POST",
        &format!("/deals/{deal_id}/stage"),
        Some(json!({"stage": "won"})),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["stage"], "won");
    let (status, bad) = call(
        "POST",
        &format!("/deals/{deal_id}/stage"),
        Some(json!({"stage": "teleported"})),
    );
    assert_eq!(status, 400);
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lead, qualified, proposal, won, lost"),
        "{bad}"
    );
    assert_eq!(
        call("POST", "/deals/nope/stage", Some(json!({"stage": "won"}))).0,
        404
    );

    let (_, pipeline) = call("GET", "/pipeline", None);
    let stage = |name: &str| {
        pipeline["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(stage("won")["count"], 1);
    assert_eq!(stage("lead")["deals"][0]["id"], small["id"]);

    let (_, stats) = call("GET", "/stats", None);
    assert_eq!(
        (
            stats["contacts"].clone(),
            stats["companies"].clone(),
            stats["deals"].clone()
        ),
        (json!(1), json!(1), json!(2))
    );
    assert_eq!(stats["won_value"], 1200.0);
    assert_eq!(stats["open_value"], 300.0);

    // Content that names a contact shows on the timeline (the CRM's on_content_created).
    let (status, _) = server.call(
        "POST",
        "/api/v1/content",
        Some(&dana),
        Some(json!({"title": "Met Ada", "type": "note", "data": {"contact_id": ada_id}})),
    );
    assert_eq!(status, 201);
    let timeline = || call("GET", &format!("/contacts/{ada_id}/timeline"), None).1;
    assert!(
        wait_until(
            Duration::from_secs(10),
            || timeline()["activities"][0]["kind"] == "content"
        ),
        "{}",
        timeline()
    );
    let t = timeline();
    let kinds: Vec<&str> = t["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["content", "stage", "deal", "created"]);
    assert_eq!(t["activities"][1]["note"], "deal \"Rockets\": lead -> won");
    assert_eq!(t["deals"][0]["stage"], "won");
    // Anonymous callers are refused: the CRM's routes default to auth = "user".
    assert_eq!(
        server
            .call("GET", "/api/v1/plugins/com.raisfast.crm/stats", None, None)
            .0,
        401
    );
}
