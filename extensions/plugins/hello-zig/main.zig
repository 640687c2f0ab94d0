//! Hello Zig: the smallest useful RaisFast plugin written in Zig.
//!
//! - `on_content_created` (an action hook) logs the new item and counts it in KV;
//! - `GET /hello` greets with the configured greeting and both counters.
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
    return null; // an action's return is ignored; a filter's null = unchanged
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
    const body = std.json.Stringify.valueAlloc(a, .{
        .message = std.fmt.allocPrint(a, "{s}, {s}!", .{ greeting, req.queryValue("name") orelse "world" }) catch return rf.fail(error.Failed, "out of memory"),
        .visits = visits,
        .contents_created = try counter("created"),
        .request_id = rf.newId(),
    }, .{}) catch return rf.fail(error.Failed, "out of memory");
    return .{
        .status = 200,
        .headers = &.{.{ .name = "content-type", .value = "application/json" }},
        .body = body,
    };
}
