//! Hello Zig: the smallest useful RaisFast plugin written in Zig.
//!
//! - `on_content_created` (an action hook) logs the new item, counts it in KV,
//!   records its id in the plugin's table and emits `hello.created`;
//! - `GET /hello` greets with the configured greeting, both counters and the
//!   number of rows in the table.
//!
//! `raisfast plugin build` writes `sdk/raisfast.zig` (the SDK) and compiles
//! this file for wasm32-wasi.
const std = @import("std");
const rf = @import("sdk/raisfast.zig");

// Panics are logged at error level, then the instance is discarded.
pub const panic = rf.panic;

comptime {
    rf.exportPlugin(@This());
}

/// The names `handle` and `route` answer to: `plugin check` compares them with
/// the manifest.
pub const handlers = .{ "on_content_created", "hello" };

/// A counter stored in KV as a JSON number; 0 when absent.
fn counter(key: []const u8) rf.Error!u64 {
    const text = try rf.kvGet(key) orelse return 0;
    return std.fmt.parseInt(u64, text, 10) catch 0;
}

fn setCounter(key: []const u8, n: u64) rf.Error!void {
    const text = std.fmt.allocPrint(rf.arena(), "{d}", .{n}) catch return rf.fail(error.Failed, "out of memory");
    try rf.kvSet(key, text, null);
}

pub fn handle(hook: []const u8, payload: []const u8) rf.Error!?[]const u8 {
    if (!std.mem.eql(u8, hook, "on_content_created")) return null;
    const line = std.fmt.allocPrint(rf.arena(), "new content ({d} bytes of JSON)", .{payload.len}) catch return rf.fail(error.Failed, "out of memory");
    rf.log(.info, line);
    try setCounter("created", try counter("created") + 1);
    // The item's id, into the table of migrations/001_seen.sql.
    const Envelope = struct { id: []const u8 = "" };
    const event = std.json.parseFromSliceLeaky(Envelope, rf.arena(), payload, .{ .ignore_unknown_fields = true }) catch
        return rf.fail(error.Invalid, "the payload is not a content envelope");
    const params = std.json.Stringify.valueAlloc(rf.arena(), .{event.id}, .{}) catch return rf.fail(error.Failed, "out of memory");
    _ = try rf.dbExecute("INSERT OR IGNORE INTO hello_zig_seen (id) VALUES (?)", params);
    try rf.emit("hello.created", params);
    return null; // an action's return is ignored; a filter's null = unchanged
}

/// Rows in the plugin's table.
fn seen() rf.Error!u64 {
    const rows = try rf.dbQuery("SELECT COUNT(*) AS n FROM hello_zig_seen", "[]");
    const Row = struct { n: u64 };
    const parsed = std.json.parseFromSliceLeaky([]const Row, rf.arena(), rows, .{}) catch
        return rf.fail(error.Failed, "unexpected rows");
    return if (parsed.len == 1) parsed[0].n else 0;
}

pub fn route(req: rf.Request) rf.Error!rf.Response {
    if (!std.mem.eql(u8, req.handler, "hello")) return error.NotFound;
    const a = rf.arena();
    // The greeting is a JSON string in config: parse it.
    var greeting: []const u8 = "Hello";
    if (try rf.configGet("greeting")) |json| {
        const parsed = std.json.parseFromSliceLeaky([]const u8, a, json, .{}) catch null;
        if (parsed) |g| greeting = g;
    }
    const visits = try counter("visits") + 1;
    try setCounter("visits", visits);
    // The plugin's own files and KV keys.
    const who = req.queryValue("name") orelse "world";
    const previous = if (try rf.vfsExists("visits/last.txt")) try rf.vfsRead("visits/last.txt") else "";
    try rf.vfsWrite("visits/last.txt", who);
    _ = try rf.kvDelete("never-set");
    try rf.vfsWrite("tmp/scratch", "x");
    try rf.vfsDelete("tmp/scratch");
    const scratch_left = try rf.vfsExists("tmp/scratch");
    const body = std.json.Stringify.valueAlloc(a, .{
        .message = std.fmt.allocPrint(a, "{s}, {s}!", .{ greeting, req.queryValue("name") orelse "world" }) catch return rf.fail(error.Failed, "out of memory"),
        .visits = visits,
        .contents_created = try counter("created"),
        .seen = try seen(),
        .previous_visitor = previous,
        .kv_keys = try rf.kvList(""),
        .scratch_left = scratch_left,
        .request_id = rf.newId(),
    }, .{}) catch return rf.fail(error.Failed, "out of memory");
    return .{
        .status = 200,
        .headers = &.{.{ .name = "content-type", .value = "application/json" }},
        .body = body,
    };
}
