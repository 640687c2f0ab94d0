//! The web console in a real headless Chromium (Debian's `chromium`, driven
//! over the DevTools protocol by `headless_chrome`): sign in, see the example
//! plugins, a plugin's metrics after a few calls, disable it and see its
//! route refuse, enable it, install a package through the consent screen;
//! the same pages at phone width. Screenshots go to
//! `target/test-output/console/` (not committed).

use crate::server_support::{ADMIN_PASSWORD, Server, wait_until};
use crate::support::{copy_tree, root};
use headless_chrome::protocol::cdp::Emulation;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn browser() -> Browser {
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from("/usr/bin/chromium")))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1280, 900)))
        .idle_browser_timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    Browser::new(options).expect("Chromium starts (scripts/setup.sh installs Debian's chromium)")
}

/// The page's `expr` (a JS expression), as a string.
fn js(tab: &Tab, expr: &str) -> String {
    let v = tab.evaluate(&format!("String({expr})"), false).unwrap();
    v.value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Waits until the text of the first `selector` contains `needle`.
fn wait_text(tab: &Tab, selector: &str, needle: &str) {
    let expr = format!("document.querySelector({selector:?})?.innerText ?? ''");
    let ok = wait_until(WAIT, || js(tab, &expr).contains(needle));
    assert!(
        ok,
        "{selector} never showed {needle:?}; it shows {:?}",
        js(tab, &expr)
    );
}

fn shot(tab: &Tab, name: &str) {
    let dir = root().join("target/test-output/console");
    std::fs::create_dir_all(&dir).unwrap();
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(dir.join(name), png).unwrap();
}

fn click_button(tab: &Tab, label: &str) {
    tab.wait_for_xpath_with_custom_timeout(&format!("//button[normalize-space()='{label}']"), WAIT)
        .unwrap()
        .click()
        .unwrap();
}

/// Clicks `label`, then confirms in the dialog.
fn act(tab: &Tab, label: &str) {
    click_button(tab, label);
    tab.wait_until_visible_with_custom_timeout("#confirm-ok", WAIT)
        .unwrap()
        .click()
        .unwrap();
}

fn package(tmp: &Path, version: &str, more: &str) -> PathBuf {
    let manifest = format!(
        "[plugin]\nid = \"com.example.greet\"\nname = \"Greeter\"\nversion = \"{version}\"\nruntime = \"js\"\n\n\
         [permissions]\nhttp = [\"https://api.example.com\"]\n{more}\n\
         [[routes]]\nmethod = \"GET\"\npath = \"/hi\"\nhandler = \"hi\"\nauth = \"public\"\n"
    );
    let js = format!("export function hi() {{ return 'hello {version}'; }}\n");
    crate::packages::pack(tmp, &format!("greet-{version}"), &manifest, &js)
}

#[test]
fn the_console_signs_in_manages_plugins_and_installs_with_consent() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["hello-js", "hello-lua", "hello-rhai", "crm"] {
        copy_tree(
            &root().join("extensions/plugins").join(name),
            &tmp.path().join("plugins").join(name),
        );
    }
    // A plugin whose name and log line are markup: the console shows them as text.
    crate::server_support::plugin(
        tmp.path(),
        "xss",
        "[plugin]\nid = \"test.xss\"\nname = \"<img src=x onerror=\\\"document.title='pwned'\\\">\"\nversion = \"0.1.0\"\nruntime = \"js\"\n\n\
         [[routes]]\nmethod = \"GET\"\npath = \"/x\"\nhandler = \"x\"\nauth = \"public\"\n",
        &[(
            "main.js",
            "import { logInfo } from 'sdk';\nexport function x() { logInfo('<script>document.title=\"pwned\"</script>'); return 1; }\n",
        )],
    );
    let rfp = package(tmp.path(), "1.0.0", "");
    let upgrade = package(tmp.path(), "1.1.0", "personal_data = [\"drafts\"]\n");
    let server = Server::start(tmp.path());
    let browser = browser();
    let tab: Arc<Tab> = browser.new_tab().unwrap();
    tab.set_default_timeout(WAIT);

    // Sign in.
    tab.navigate_to(&server.url("/admin/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("#username").unwrap().click().unwrap();
    tab.type_str("admin").unwrap();
    tab.wait_for_element("#password").unwrap().click().unwrap();
    tab.type_str(ADMIN_PASSWORD).unwrap();
    tab.press_key("Enter").unwrap();
    wait_text(&tab, "main h1", "Plugins");
    for name in ["Hello JS", "Hello Lua", "Hello Rhai", "CRM"] {
        wait_text(&tab, ".plugins", name);
    }
    wait_text(&tab, ".plugins", "active");
    wait_text(&tab, ".plugins", "<img src=x onerror=");
    assert_eq!(
        server
            .call("GET", "/api/v1/plugins/test.xss/x", None, None)
            .0,
        200
    );
    tab.navigate_to(&server.url("/admin/#/plugins/test.xss"))
        .unwrap();
    wait_text(&tab, ".logs", "<script>document.title=\"pwned\"</script>");
    // The name is the page's title, as text; the handler never ran.
    assert!(
        js(&tab, "document.title").starts_with("<img src=x onerror="),
        "{}",
        js(&tab, "document.title")
    );
    assert_eq!(
        js(
            &tab,
            "document.querySelectorAll('main img, main script').length"
        ),
        "0"
    );
    tab.navigate_to(&server.url("/admin/#/plugins")).unwrap();
    wait_text(&tab, ".plugins", "Hello JS");
    shot(&tab, "plugins.png");

    // A plugin's page: its calls, what it may do, its logs.
    let hello = "/api/v1/plugins/com.raisfast.hello-js/hello";
    for _ in 0..3 {
        assert_eq!(server.call("GET", hello, None, None).0, 200);
    }
    tab.navigate_to(&server.url("/admin/#/plugins/com.raisfast.hello-js"))
        .unwrap();
    wait_text(&tab, "main h1", "Hello JS");
    wait_text(&tab, ".metrics", "hello");
    let calls = js(
        &tab,
        "[...document.querySelectorAll('.metrics tbody tr')].find(r => r.cells[0].innerText === 'hello').cells[1].innerText",
    );
    assert_eq!(calls, "3", "calls of `hello` shown");
    wait_text(&tab, "main", "What it may do");
    wait_text(
        &tab,
        "main",
        "Answer GET /api/v1/plugins/com.raisfast.hello-js/hello for anyone",
    );
    shot(&tab, "plugin.png");

    // Disable: the route refuses; enable: it answers again.
    act(&tab, "Disable");
    wait_text(&tab, "#plugin-state", "disabled");
    let (status, body) = server.call("GET", hello, None, None);
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["error"]["message"],
        "plugin com.raisfast.hello-js is disabled"
    );
    act(&tab, "Enable");
    wait_text(&tab, "#plugin-state", "active");
    assert_eq!(server.call("GET", hello, None, None).0, 200);

    // Install a package: the consent screen first.
    tab.navigate_to(&server.url("/admin/#/install")).unwrap();
    tab.wait_for_element("#package")
        .unwrap()
        .set_input_files(&[rfp.to_str().unwrap()])
        .unwrap();
    click_button(&tab, "Upload");
    wait_text(&tab, "main h1", "Review Greeter 1.0.0");
    wait_text(
        &tab,
        "main",
        "Send requests to https://api.example.com (and the paths below it)",
    );
    assert_eq!(
        server
            .call("GET", "/api/v1/plugins/com.example.greet/hi", None, None)
            .0,
        404,
        "not before approval"
    );
    shot(&tab, "consent.png");
    click_button(&tab, "Install");
    wait_text(&tab, "main h1", "Greeter");
    wait_text(&tab, "#plugin-state", "active");
    assert_eq!(
        server.call("GET", "/api/v1/plugins/com.example.greet/hi", None, None),
        (200, json!("hello 1.0.0"))
    );

    // An upgrade shows what it asks for in addition, and waits for approval.
    tab.navigate_to(&server.url("/admin/#/install")).unwrap();
    tab.wait_for_element("#package")
        .unwrap()
        .set_input_files(&[upgrade.to_str().unwrap()])
        .unwrap();
    click_button(&tab, "Upload");
    wait_text(&tab, "main h1", "Review Greeter 1.1.0");
    wait_text(
        &tab,
        "main",
        "upgrades com.example.greet from version 1.0.0 to 1.1.0",
    );
    wait_text(&tab, "main", "It asks for more");
    assert_eq!(
        js(&tab, "document.querySelector('li.added').innerText"),
        "See content that is not published yet"
    );
    assert_eq!(
        server.call("GET", "/api/v1/plugins/com.example.greet/hi", None, None),
        (200, json!("hello 1.0.0"))
    );
    shot(&tab, "upgrade.png");
    click_button(&tab, "Approve the upgrade");
    wait_text(&tab, "main", "1.1.0");
    wait_text(&tab, "#plugin-state", "active");
    assert_eq!(
        server.call("GET", "/api/v1/plugins/com.example.greet/hi", None, None),
        (200, json!("hello 1.1.0"))
    );

    // Phone width: nothing wider than the screen; tables scroll in place.
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width: 390,
        height: 844,
        device_scale_factor: 2.0,
        mobile: true,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
    tab.navigate_to(&server.url("/admin/#/plugins")).unwrap();
    wait_text(&tab, ".plugins", "Greeter");
    assert_eq!(
        js(
            &tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ),
        "true"
    );
    shot(&tab, "plugins-phone.png");
    tab.navigate_to(&server.url("/admin/#/plugins/com.raisfast.crm"))
        .unwrap();
    wait_text(&tab, "main h1", "CRM");
    assert_eq!(
        js(
            &tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ),
        "true"
    );
    shot(&tab, "plugin-phone.png");
}

#[test]
fn the_console_is_served_offline_with_a_strict_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path());
    let (status, headers, page) = server.raw("GET", "/admin/", &[], Vec::new());
    assert_eq!(status, 200);
    let csp = headers
        .iter()
        .find(|(k, _)| k == "content-security-policy")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from elsewhere: {page}"
    );
    for file in ["/admin/app.js", "/admin/app.css"] {
        let (status, _, body) = server.raw("GET", file, &[], Vec::new());
        assert_eq!(status, 200, "{file}");
        assert!(
            !body.contains("https://"),
            "{file} loads nothing from elsewhere"
        );
    }
    assert_eq!(server.raw("GET", "/admin/nope.js", &[], Vec::new()).0, 404);
    let (status, headers, _) = server.raw("GET", "/admin", &[], Vec::new());
    assert!(status == 301 || status == 200, "{status} {headers:?}");
}
