//! The storage interface behaves the same on both backends: the same calls,
//! the same answers, on SQLite and on a real PostgreSQL started by the test.
//! On PostgreSQL, two servers on one database see each other's writes and
//! claim each cron tick once between them.

use crate::pg_support::PgCluster;
use raisfast::storage::{
    Comment, CommentStore, Content, ContentFilter, ContentStore, CronClaim, CronStore, PgStorage,
    PluginStore, SqliteStorage, StorageError, StoredState, User, UserStore, Visibility,
};
use serde_json::json;
use std::path::Path;

fn user(id: &str, name: &str, role: &str) -> User {
    User {
        id: id.into(),
        username: name.into(),
        email: None,
        role: role.into(),
        created_at: 1,
    }
}

fn item(id: &str, slug: &str, status: &str, author: &str, at: i64) -> Content {
    Content {
        id: id.into(),
        content_type: "post".into(),
        title: format!("Title {id}"),
        slug: slug.into(),
        body: "body".into(),
        status: status.into(),
        data: json!({"n": at}),
        author_id: Some(author.into()),
        created_at: at,
        updated_at: at,
        published_at: (status == "published").then_some(at),
    }
}

fn filter(visibility: Visibility) -> ContentFilter {
    ContentFilter {
        content_type: None,
        status: None,
        author: None,
        title_contains: None,
        visibility,
        limit: 20,
        offset: 0,
    }
}

/// Everything the core asks of a backend, with the answers it relies on.
fn contract(s: &(impl UserStore + ContentStore + CommentStore + PluginStore + CronStore)) {
    // Users and sessions.
    assert!(!s.admin_exists().unwrap());
    s.insert_user(&user("u1", "alice", "admin"), "hash-a")
        .unwrap();
    s.insert_user(&user("u2", "bob", "user"), "hash-b").unwrap();
    assert!(s.admin_exists().unwrap());
    let taken = s
        .insert_user(&user("u3", "alice", "user"), "x")
        .unwrap_err();
    assert!(matches!(taken, StorageError::Taken(_)), "{taken}");
    assert_eq!(taken.to_string(), "the username `alice` is taken");
    let (found, hash) = s.user_by_name("alice").unwrap().unwrap();
    assert_eq!((found.id.as_str(), hash.as_str()), ("u1", "hash-a"));
    assert!(s.user_by_name("nobody").unwrap().is_none());
    assert_eq!(s.user_by_id("u2").unwrap().unwrap().username, "bob");
    s.insert_session("tok", "u2", 10, 100).unwrap();
    assert_eq!(s.session_user("tok", 50).unwrap().unwrap().username, "bob");
    assert!(s.session_user("tok", 100).unwrap().is_none(), "expired");
    s.delete_session("tok").unwrap();
    assert!(s.session_user("tok", 50).unwrap().is_none());

    // Content: slugs, visibility, filters, pages.
    s.save_content(&item("c1", "one", "published", "u1", 1), true)
        .unwrap();
    s.save_content(&item("c2", "two", "draft", "u2", 2), true)
        .unwrap();
    s.save_content(&item("c3", "three", "draft", "u1", 3), true)
        .unwrap();
    let dup = s
        .save_content(&item("c4", "one", "draft", "u1", 4), true)
        .unwrap_err();
    assert_eq!(dup.to_string(), "the slug `one` is taken");
    assert!(s.slug_taken("one", None).unwrap());
    assert!(!s.slug_taken("one", Some("c1")).unwrap());
    assert_eq!(s.content("two").unwrap().unwrap().id, "c2");
    assert_eq!(s.content("c2").unwrap().unwrap().data, json!({"n": 2}));
    let ids = |f: &ContentFilter| -> (u64, Vec<String>) {
        let (total, items) = s.list_content(f).unwrap();
        (total, items.into_iter().map(|c| c.id).collect())
    };
    assert_eq!(ids(&filter(Visibility::Published)), (1, vec!["c1".into()]));
    assert_eq!(
        ids(&filter(Visibility::PublishedOr("u2".into()))),
        (2, vec!["c2".into(), "c1".into()])
    );
    assert_eq!(ids(&filter(Visibility::All)).0, 3);
    let mut f = filter(Visibility::All);
    f.title_contains = Some("TITLE C3".into());
    assert_eq!(ids(&f), (1, vec!["c3".into()]));
    let mut f = filter(Visibility::All);
    f.limit = 1;
    f.offset = 1;
    assert_eq!(ids(&f), (3, vec!["c2".into()]));
    let mut c2 = s.content("c2").unwrap().unwrap();
    c2.slug = "two-b".into();
    s.save_content(&c2, false).unwrap();
    assert!(s.content("two").unwrap().is_none());

    // Comments go with their content.
    let comment = Comment {
        id: "k1".into(),
        content_id: "c1".into(),
        author_id: Some("u2".into()),
        body: "hi".into(),
        created_at: 5,
    };
    s.insert_comment(&comment).unwrap();
    assert_eq!(s.comments("c1").unwrap(), vec![comment.clone()]);
    assert_eq!(s.comment("k1").unwrap(), Some(comment));
    s.delete_content("c1").unwrap();
    assert!(s.comment("k1").unwrap().is_none());

    // Plugins: state, installs, prefixes, purge.
    assert_eq!(s.plugin_state("a.b").unwrap(), StoredState::default());
    let off = StoredState {
        disabled: true,
        reason: Some("why".into()),
        uninstalled: false,
    };
    s.set_plugin_state("a.b", &off).unwrap();
    assert_eq!(s.plugin_state("a.b").unwrap(), off);
    s.bind_install("a.b", Path::new("/srv/p/b")).unwrap();
    assert_eq!(
        s.install_dir("a.b").unwrap().as_deref(),
        Some(Path::new("/srv/p/b"))
    );
    s.claim_prefix("crm_", "a.crm").unwrap();
    s.claim_prefix("crm_", "a.crm").unwrap();
    let e = s.claim_prefix("crm_x_", "b.crm-x").unwrap_err();
    assert!(matches!(e, StorageError::PrefixTaken { .. }), "{e}");
    assert_eq!(s.table_owner("CRM_deals").as_deref(), Some("a.crm"));
    s.purge_plugin("a.b").unwrap();
    assert_eq!(s.plugin_state("a.b").unwrap(), StoredState::default());
    assert!(s.install_dir("a.b").unwrap().is_none());

    // Cron: a tick is claimed once; a job does not overlap itself on any
    // node; a run whose lease ran out is failed and stops nothing.
    let lease = 60_000;
    assert_eq!(s.claim_tick("p", "j", 1, "n1", lease), CronClaim::Claimed);
    assert_eq!(s.claim_tick("p", "j", 1, "n2", lease), CronClaim::Taken);
    assert_eq!(s.claim_tick("p", "j", 0, "n2", lease), CronClaim::Overlap);
    s.finish_tick("p", "j", 1, 7, "ok", None);
    let runs = s.recent_runs("p", 10).unwrap();
    let one = runs
        .iter()
        .find(|r| r.job == "j" && r.scheduled_at == 1)
        .unwrap();
    assert_eq!((one.outcome.as_str(), one.duration_ms), ("ok", Some(7)));
    assert_eq!(s.claim_tick("p", "d", 1, "dead", -1), CronClaim::Claimed);
    assert_eq!(s.claim_tick("p", "d", 2, "n2", lease), CronClaim::Claimed);
    let runs = s.recent_runs("p", 10).unwrap();
    let lost = runs
        .iter()
        .find(|r| r.job == "d" && r.scheduled_at == 1)
        .unwrap();
    assert_eq!(lost.outcome, "error");
    assert!(
        lost.error.as_deref().unwrap().contains("node dead stopped"),
        "{lost:?}"
    );
    let history = raisfast::storage::CRON_HISTORY as i64;
    for at in 2..=history + 5 {
        s.claim_tick("p", "j", at, "n1", lease);
        s.finish_tick("p", "j", at, 1, "ok", None);
    }
    let kept = s.recent_runs("p", 1000).unwrap();
    assert_eq!(kept.iter().filter(|r| r.job == "j").count() as i64, history);
    assert_eq!(s.last_tick("p", "j"), Some(history + 5));
}

#[test]
fn sqlite_keeps_the_storage_contract() {
    let tmp = tempfile::tempdir().unwrap();
    contract(&*SqliteStorage::open(&tmp.path().join("t.db")).unwrap());
}

#[test]
fn postgresql_keeps_the_storage_contract() {
    let pg = PgCluster::start();
    contract(&PgStorage::open(&pg.database()).unwrap());
}

#[test]
fn two_servers_on_one_postgresql_share_sessions_and_claim_each_tick_once() {
    let pg = PgCluster::start();
    let url = pg.database();
    let (a, b) = std::thread::scope(|s| {
        // Both start (and migrate) at once.
        let a = s.spawn(|| PgStorage::open(&url).unwrap());
        let b = s.spawn(|| PgStorage::open(&url).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    a.insert_user(&user("u1", "alice", "user"), "h").unwrap();
    a.insert_session("tok", "u1", 1, i64::MAX).unwrap();
    assert_eq!(b.session_user("tok", 2).unwrap().unwrap().id, "u1");
    a.save_content(&item("c1", "one", "published", "u1", 1), true)
        .unwrap();
    assert!(b.content("one").unwrap().is_some());
    // Each of 50 ticks goes to exactly one of the two, racing.
    let claims: Vec<(CronClaim, CronClaim)> = std::thread::scope(|s| {
        (0..50)
            .map(|at| {
                let (a, b) = (&a, &b);
                let ta = s.spawn(move || a.claim_tick("p", "j", at, "a", -1));
                let tb = s.spawn(move || b.claim_tick("p", "j", at, "b", -1));
                (ta.join().unwrap(), tb.join().unwrap())
            })
            .collect()
    });
    for (at, (x, y)) in claims.iter().enumerate() {
        assert!(
            (*x == CronClaim::Claimed) != (*y == CronClaim::Claimed),
            "tick {at}: {x:?} {y:?}"
        );
    }
    // Prefix claims are ordered across servers too.
    let (x, y) = std::thread::scope(|s| {
        let x = s.spawn(|| a.claim_prefix("shop_", "a.shop"));
        let y = s.spawn(|| b.claim_prefix("shop_x_", "b.shop-x"));
        (x.join().unwrap(), y.join().unwrap())
    });
    assert!(x.is_ok() != y.is_ok(), "{x:?} {y:?}");
}
