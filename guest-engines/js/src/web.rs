//! The web platform APIs of the JS engine (WinterTC's Minimum Common Web API,
//! where it applies to a sandboxed, per-call runtime).
//!
//! Most of them are JavaScript (`web/*.js`, evaluated once before the
//! plugin's module, so they are part of every snapshot and cost a call
//! nothing). What needs the host or a well-kept Rust implementation is native
//! and handed to that JavaScript as one object, never a global:
//! - randomness from the host (WASI random, fresh in every instance, never
//!   from the snapshot): `crypto.getRandomValues`, `crypto.randomUUID`;
//! - `crypto.subtle.digest` (SHA-1, SHA-256, SHA-384, SHA-512);
//! - `URL` parsing and its setters: the `url` crate, WHATWG's algorithm;
//! - UTF-8 for `TextEncoder` and `TextDecoder`;
//! - `fetch` over the host's HTTP capability, so the manifest's allow-list
//!   and the address guard apply as to every other request.
//!
//! QuickJS-ng itself provides `atob`, `btoa`, `queueMicrotask`,
//! `DOMException` and `performance`.

use raisfast_engine::bindings::raisfast::plugin::http;
use raisfast_engine::bindings::raisfast::plugin::types::Header;
use raisfast_engine::sdk;
use rquickjs::function::Opt;
use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, TypedArray, Value};

/// The JavaScript of the web APIs, in the order it is evaluated: one function
/// body taking the natives as `N` and returning the engine's hooks.
const SOURCES: [&str; 8] = [
    include_str!("web/console.js"),
    include_str!("web/encoding.js"),
    include_str!("web/events.js"),
    include_str!("web/url.js"),
    include_str!("web/clone.js"),
    include_str!("web/timers.js"),
    include_str!("web/crypto.js"),
    include_str!("web/fetch.js"),
];

/// Copies the bytes of a `Uint8Array`.
fn bytes(array: &TypedArray<'_, u8>) -> Vec<u8> {
    // SAFETY: copied at once, before any JavaScript can detach the buffer.
    unsafe { array.as_bytes() }.unwrap_or_default().to_vec()
}

fn type_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_type(ctx, message)
}

/// The parts of a parsed URL, as `URL`'s getters give them.
fn url_record<'js>(ctx: &Ctx<'js>, url: &url::Url) -> rquickjs::Result<Object<'js>> {
    use url::quirks as q;
    let o = Object::new(ctx.clone())?;
    o.set("href", q::href(url))?;
    o.set("origin", q::origin(url))?;
    o.set("protocol", q::protocol(url))?;
    o.set("username", q::username(url))?;
    o.set("password", q::password(url))?;
    o.set("host", q::host(url))?;
    o.set("hostname", q::hostname(url))?;
    o.set("port", q::port(url))?;
    o.set("pathname", q::pathname(url))?;
    o.set("search", q::search(url))?;
    o.set("hash", q::hash(url))?;
    Ok(o)
}

fn natives<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let n = Object::new(ctx.clone())?;
    n.set(
        "randomBytes",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, len: u32| {
            let mut b = vec![0u8; len.min(65_536) as usize];
            getrandom::fill(&mut b).map_err(|e| type_error(&ctx, &e.to_string()))?;
            ArrayBuffer::new(ctx, b)
        })?,
    )?;
    n.set(
        "digest",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, alg: String, data: TypedArray<'js, u8>| {
                use sha2::Digest;
                let data = bytes(&data);
                let out = match alg.as_str() {
                    "SHA-1" => sha1::Sha1::digest(&data).to_vec(),
                    "SHA-256" => sha2::Sha256::digest(&data).to_vec(),
                    "SHA-384" => sha2::Sha384::digest(&data).to_vec(),
                    "SHA-512" => sha2::Sha512::digest(&data).to_vec(),
                    other => return Err(type_error(&ctx, &format!("no digest {other}"))),
                };
                ArrayBuffer::new(ctx, out)
            },
        )?,
    )?;
    n.set(
        "utf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, s: String| {
            ArrayBuffer::new(ctx, s.into_bytes())
        })?,
    )?;
    n.set(
        "utf8Decode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, data: TypedArray<'js, u8>, fatal: bool| {
                let data = bytes(&data);
                if fatal {
                    String::from_utf8(data).map_err(|e| {
                        type_error(&ctx, &format!("The encoded data was not valid UTF-8: {e}"))
                    })
                } else {
                    Ok(String::from_utf8_lossy(&data).into_owned())
                }
            },
        )?,
    )?;
    n.set(
        "urlParse",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, input: String, base: Opt<String>| -> rquickjs::Result<Value<'js>> {
                let parsed = match base.0 {
                    Some(b) => url::Url::parse(&b).and_then(|b| b.join(&input)),
                    None => url::Url::parse(&input),
                };
                match parsed {
                    Ok(u) => Ok(url_record(&ctx, &u)?.into_value()),
                    Err(_) => Ok(Value::new_null(ctx)),
                }
            },
        )?,
    )?;
    n.set(
        "urlSet",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, href: String, part: String, value: String| {
                use url::quirks as q;
                let mut u = url::Url::parse(&href).map_err(|e| type_error(&ctx, &e.to_string()))?;
                // Setters that cannot apply leave the URL as it was (WHATWG).
                match part.as_str() {
                    "protocol" => drop(q::set_protocol(&mut u, &value)),
                    "username" => drop(q::set_username(&mut u, &value)),
                    "password" => drop(q::set_password(&mut u, &value)),
                    "host" => drop(q::set_host(&mut u, &value)),
                    "hostname" => drop(q::set_hostname(&mut u, &value)),
                    "port" => drop(q::set_port(&mut u, &value)),
                    "pathname" => q::set_pathname(&mut u, &value),
                    "search" => q::set_search(&mut u, &value),
                    "hash" => q::set_hash(&mut u, &value),
                    other => return Err(type_error(&ctx, &format!("no URL part {other}"))),
                }
                url_record(&ctx, &u)
            },
        )?,
    )?;
    n.set("fetch", Function::new(ctx.clone(), fetch)?)?;
    Ok(n)
}

/// One request over the host's HTTP capability: `{status, headers, body}`,
/// or an error whose `kind` is the host's (`denied`, `limit`...).
fn fetch<'js>(
    ctx: Ctx<'js>,
    method: String,
    url: String,
    headers: Vec<Vec<String>>,
    body: Opt<TypedArray<'js, u8>>,
) -> rquickjs::Result<Object<'js>> {
    let request = http::Request {
        method,
        url,
        headers: headers
            .into_iter()
            .filter_map(|h| match <[String; 2]>::try_from(h) {
                Ok([name, value]) => Some(Header { name, value }),
                Err(_) => None,
            })
            .collect(),
        body: body.0.as_ref().map(bytes),
        timeout_ms: None,
    };
    match http::fetch(&request) {
        Ok(r) => {
            let o = Object::new(ctx.clone())?;
            o.set("status", r.status)?;
            let pairs: Vec<Vec<String>> = r
                .headers
                .into_iter()
                .map(|h| vec![h.name, h.value])
                .collect();
            o.set("headers", pairs)?;
            o.set("body", ArrayBuffer::new(ctx, r.body)?)?;
            Ok(o)
        }
        Err(e) => {
            let ex = Exception::from_message(ctx.clone(), &sdk::error_text(&e))?;
            ex.set("kind", sdk::error_kind(&e))?;
            Err(ctx.throw(ex.into_value()))
        }
    }
}

/// The engine's hooks into the web APIs.
pub struct Web<'js> {
    /// Runs the next due timer; returns the milliseconds until the one after
    /// (0: run again now), or -1 when no timer is left.
    pub run_timers: Function<'js>,
    /// Drops every pending timer (those set by top-level code at load).
    pub clear_timers: Function<'js>,
}

/// Evaluates the web APIs into the context's globals.
pub fn install<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Web<'js>> {
    let mut body = String::from("\"use strict\";\n");
    for src in SOURCES {
        body.push_str(src);
        body.push('\n');
    }
    body.push_str("return timerHooks;\n");
    let make: Function = ctx.eval(format!("(function (N) {{\n{body}\n}})"))?;
    let hooks: Object = make.call((natives(ctx)?,))?;
    Ok(Web {
        run_timers: hooks.get("runTimers")?,
        clear_timers: hooks.get("clearTimers")?,
    })
}
