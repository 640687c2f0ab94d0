//! The RaisFast SDK for Zig: a thin, idiomatic layer over the C bindings that
//! wit-bindgen generates for the WIT world `raisfast:plugin/plugin@0.1.0`
//! (`sdk/plugin.h`, `sdk/plugin.c`), made Zig by `zig translate-c`
//! (`sdk/plugin.zig`, reachable as `raisfast.c`). `raisfast plugin build`
//! writes all four into a Zig plugin's `sdk/`; this file's source is
//! `sdk-zig/raisfast.zig` in the RaisFast repository.
//!
//! Usage, in the plugin's root file:
//!
//!     const rf = @import("sdk/raisfast.zig");
//!     pub const panic = rf.panic;              // optional: panics log + trap
//!     comptime { rf.exportPlugin(@This()); }   // the `guest` exports
//!     pub fn handle(hook: []const u8, payload: []const u8) rf.Error!?[]const u8 { ... }
//!     pub fn route(req: rf.Request) rf.Error!rf.Response { ... }
//!
//! Memory: everything a host call returns is copied into `arena()` (and the
//! bindings' copy freed at once); the arena is reset when the call ends,
//! after the handler's result has been copied for the host. Results may
//! therefore live in the arena, in the arguments, or be static.
const std = @import("std");

/// The generated bindings (`zig translate-c` of wit-bindgen's `plugin.h`).
pub const c = @import("plugin.zig");

var arena_state = std.heap.ArenaAllocator.init(std.heap.c_allocator);

/// Per-call scratch allocator: freed after the host has the call's result.
pub fn arena() std.mem.Allocator {
    return arena_state.allocator();
}

// ---------------------------------------------------------------------------
// Errors

/// WIT `types.error`: the kind is the Zig error, the message is kept aside.
pub const Error = error{ Denied, Invalid, NotFound, Limit, Failed };

var err_msg: []const u8 = "";

/// The message of the last `Error` (from a host call or set by `fail`).
pub fn errorMessage() []const u8 {
    return err_msg;
}

/// Returns `kind` with `msg` as its message (ignored for `NotFound`). `msg` must
/// outlive the call (static or from `arena()`).
pub fn fail(kind: Error, msg: []const u8) Error {
    err_msg = msg;
    return kind;
}

/// The WIT name of an error kind (`not-found`, ...).
pub fn kindName(e: Error) []const u8 {
    return switch (e) {
        error.Denied => "denied",
        error.Invalid => "invalid",
        error.NotFound => "not-found",
        error.Limit => "limit",
        error.Failed => "failed",
    };
}

/// A host error: its kind, its message kept for `errorMessage`.
fn lift(e: *c.raisfast_plugin_types_error_t) Error {
    const kind: Error = switch (e.tag) {
        0 => error.Denied,
        1 => error.Invalid,
        2 => error.NotFound,
        3 => error.Limit,
        else => error.Failed,
    };
    // Every case but not-found carries a string, at the same place.
    err_msg = if (kind == error.NotFound) "" else take(&e.val.denied);
    return kind;
}

/// Stores a handler's error for the host.
fn lower(e: Error, out: *c.raisfast_plugin_types_error_t) void {
    out.tag = switch (e) {
        error.Denied => 0,
        error.Invalid => 1,
        error.NotFound => 2,
        error.Limit => 3,
        error.Failed => 4,
    };
    if (e != error.NotFound) out.val.denied = dup(err_msg);
}

// ---------------------------------------------------------------------------
// Strings between Zig and the bindings

/// The address of a slice for the host: Zig gives empty slices an address
/// past the end of memory, which the host would refuse; empty is null.
fn addr(comptime T: type, s: []const T) [*c]T {
    return if (s.len == 0) null else @constCast(s.ptr);
}

/// Borrows a Zig slice as a binding string (host calls do not keep it).
fn str(s: []const u8) c.plugin_string_t {
    return .{ .ptr = addr(u8, s), .len = s.len };
}

/// A binding string, viewed (no copy).
fn view(s: c.plugin_string_t) []const u8 {
    return if (s.len == 0) "" else s.ptr[0..s.len];
}

/// Copies a binding string into the arena and frees the bindings' copy.
fn take(s: *c.plugin_string_t) []const u8 {
    const out = arena().dupe(u8, view(s.*)) catch @trap();
    c.plugin_string_free(s);
    return out;
}

/// A copy the bindings own (freed by their post-return).
fn dup(s: []const u8) c.plugin_string_t {
    var out: c.plugin_string_t = .{};
    if (s.len > 0) c.plugin_string_dup_n(&out, s.ptr, s.len);
    return out;
}

// ---------------------------------------------------------------------------
// log, ids, config

/// Severity of a log line.
pub const Level = enum(u8) { trace, debug, info, warn, @"error" };

/// A name/value pair: HTTP header, route param, query pair, log field.
pub const Header = struct { name: []const u8, value: []const u8 };

/// Writes a log line with fields.
pub fn logFields(level: Level, msg: []const u8, fields: []const Header) void {
    const pairs = arena().alloc(c.plugin_tuple2_string_string_t, fields.len) catch @trap();
    for (fields, pairs) |f, *p| p.* = .{ .f0 = str(f.name), .f1 = str(f.value) };
    var m = str(msg);
    var list: c.plugin_list_tuple2_string_string_t = .{ .ptr = addr(c.plugin_tuple2_string_string_t, pairs), .len = pairs.len };
    c.raisfast_plugin_log_log(@intFromEnum(level), &m, &list);
}

/// Writes a log line.
pub fn log(level: Level, msg: []const u8) void {
    logFields(level, msg, &.{});
}

/// A new UUIDv7.
pub fn newId() []const u8 {
    var out: c.plugin_string_t = .{};
    c.raisfast_plugin_ids_new_id(&out);
    return take(&out);
}

/// A config value (JSON text), or null.
pub fn configGet(key: []const u8) Error!?[]const u8 {
    var k = str(key);
    var ret: c.raisfast_plugin_config_option_json_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_config_get(&k, &ret, &err)) return lift(&err);
    return if (ret.is_some) take(&ret.val) else null;
}

/// The plugin's whole config, a JSON object.
pub fn configAll() []const u8 {
    var out: c.plugin_string_t = .{};
    c.raisfast_plugin_config_all(&out);
    return take(&out);
}

// ---------------------------------------------------------------------------
// kv

/// A value (JSON text) of the plugin's key-value store, or null.
pub fn kvGet(key: []const u8) Error!?[]const u8 {
    var k = str(key);
    var ret: c.raisfast_plugin_kv_option_json_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_kv_get(&k, &ret, &err)) return lift(&err);
    return if (ret.is_some) take(&ret.val) else null;
}

/// Stores a value (JSON text), kept `ttl_seconds` or until deleted (null).
pub fn kvSet(key: []const u8, value: []const u8, ttl_seconds: ?u32) Error!void {
    var k = str(key);
    var v = str(value);
    var ttl: u32 = ttl_seconds orelse 0;
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_kv_set(&k, &v, if (ttl_seconds != null) &ttl else null, &err)) return lift(&err);
}

/// Removes a key; whether it existed.
pub fn kvDelete(key: []const u8) Error!bool {
    var k = str(key);
    var ret: bool = false;
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_kv_delete(&k, &ret, &err)) return lift(&err);
    return ret;
}

/// The keys starting with `prefix`.
pub fn kvList(prefix: []const u8) Error![]const []const u8 {
    var p = str(prefix);
    var ret: c.plugin_list_string_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_kv_list(&p, &ret, &err)) return lift(&err);
    const out = arena().alloc([]const u8, ret.len) catch @trap();
    for (out, 0..) |*o, i| o.* = arena().dupe(u8, view(ret.ptr[i])) catch @trap();
    c.plugin_list_string_free(&ret);
    return out;
}

// ---------------------------------------------------------------------------
// db

/// What a statement that changes data did.
pub const ExecResult = struct { rows_affected: u64, last_insert_id: i64 };

/// Runs a SELECT; `params` is a JSON array or object. Rows come back as a JSON array.
pub fn dbQuery(sql: []const u8, params: []const u8) Error![]const u8 {
    var s = str(sql);
    var p = str(params);
    var ret: c.plugin_string_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_db_query(&s, &p, &ret, &err)) return lift(&err);
    return take(&ret);
}

/// Runs a statement that changes data.
pub fn dbExecute(sql: []const u8, params: []const u8) Error!ExecResult {
    var s = str(sql);
    var p = str(params);
    var ret: c.raisfast_plugin_db_exec_result_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_db_execute(&s, &p, &ret, &err)) return lift(&err);
    return .{ .rows_affected = ret.rows_affected, .last_insert_id = ret.last_insert_id };
}

/// Starts a transaction (the host rolls back one left open when the call ends).
pub fn dbBegin() Error!void {
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_db_begin(&err)) return lift(&err);
}

/// Commits the open transaction.
pub fn dbCommit() Error!void {
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_db_commit(&err)) return lift(&err);
}

/// Rolls the open transaction back.
pub fn dbRollback() Error!void {
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_db_rollback(&err)) return lift(&err);
}

// ---------------------------------------------------------------------------
// events

/// Publishes a custom event with a JSON payload.
pub fn emit(name: []const u8, payload: []const u8) Error!void {
    var n = str(name);
    var p = str(payload);
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_events_emit(&n, &p, &err)) return lift(&err);
}

// ---------------------------------------------------------------------------
// vfs

/// A file or directory of the plugin's VFS.
pub const Entry = struct { name: []const u8, is_dir: bool, size: u64, modified_ms: u64 };

fn entry(e: c.raisfast_plugin_vfs_entry_t) Entry {
    return .{
        .name = arena().dupe(u8, view(e.name)) catch @trap(),
        .is_dir = e.is_dir,
        .size = e.size,
        .modified_ms = e.modified_ms,
    };
}

/// A file's bytes.
pub fn vfsRead(path: []const u8) Error![]const u8 {
    var p = str(path);
    var ret: c.plugin_list_u8_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_vfs_read(&p, &ret, &err)) return lift(&err);
    const out = arena().dupe(u8, if (ret.len == 0) "" else ret.ptr[0..ret.len]) catch @trap();
    c.plugin_list_u8_free(&ret);
    return out;
}

/// Creates or replaces a file.
pub fn vfsWrite(path: []const u8, data: []const u8) Error!void {
    var p = str(path);
    var d: c.plugin_list_u8_t = .{ .ptr = addr(u8, data), .len = data.len };
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_vfs_write(&p, &d, &err)) return lift(&err);
}

/// Removes a file or an empty directory.
pub fn vfsDelete(path: []const u8) Error!void {
    var p = str(path);
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_vfs_delete(&p, &err)) return lift(&err);
}

/// Whether a file or directory exists.
pub fn vfsExists(path: []const u8) Error!bool {
    var p = str(path);
    var ret: bool = false;
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_vfs_exists(&p, &ret, &err)) return lift(&err);
    return ret;
}

/// A directory's entries.
pub fn vfsList(path: []const u8) Error![]const Entry {
    var p = str(path);
    var ret: c.raisfast_plugin_vfs_list_entry_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_vfs_list(&p, &ret, &err)) return lift(&err);
    const out = arena().alloc(Entry, ret.len) catch @trap();
    for (out, 0..) |*o, i| o.* = entry(ret.ptr[i]);
    c.raisfast_plugin_vfs_list_entry_free(&ret);
    return out;
}

/// One file or directory.
pub fn vfsStat(path: []const u8) Error!Entry {
    var p = str(path);
    var ret: c.raisfast_plugin_vfs_entry_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_vfs_stat(&p, &ret, &err)) return lift(&err);
    const out = entry(ret);
    c.raisfast_plugin_vfs_entry_free(&ret);
    return out;
}

// ---------------------------------------------------------------------------
// http

/// An outbound request; `timeout_ms` null leaves the operator's limit.
pub const FetchRequest = struct {
    method: []const u8 = "GET",
    url: []const u8,
    headers: []const Header = &.{},
    body: ?[]const u8 = null,
    timeout_ms: ?u32 = null,
};

/// The answer to `fetch`: a 4xx or 5xx is a response, not an error.
pub const FetchResponse = struct { status: u16, headers: []const Header, body: []const u8 };

fn lowerHeaders(hs: []const Header) []c.raisfast_plugin_types_header_t {
    const out = arena().alloc(c.raisfast_plugin_types_header_t, hs.len) catch @trap();
    for (hs, out) |h, *o| o.* = .{ .name = str(h.name), .value = str(h.value) };
    return out;
}

fn liftHeaders(ptr: [*c]c.raisfast_plugin_types_header_t, len: usize) []const Header {
    const out = arena().alloc(Header, len) catch @trap();
    for (out, 0..) |*o, i| o.* = .{
        .name = arena().dupe(u8, view(ptr[i].name)) catch @trap(),
        .value = arena().dupe(u8, view(ptr[i].value)) catch @trap(),
    };
    return out;
}

/// Sends an outbound request through the host (its allow-list and address
/// guard apply).
pub fn fetch(req: FetchRequest) Error!FetchResponse {
    const headers = lowerHeaders(req.headers);
    var in: c.raisfast_plugin_http_request_t = .{
        .method = str(req.method),
        .url = str(req.url),
        .headers = .{ .ptr = addr(c.raisfast_plugin_types_header_t, headers), .len = headers.len },
    };
    if (req.body) |b| in.body = .{ .is_some = true, .val = .{ .ptr = addr(u8, b), .len = b.len } };
    if (req.timeout_ms) |t| in.timeout_ms = .{ .is_some = true, .val = t };
    var ret: c.raisfast_plugin_http_response_t = .{};
    var err: c.raisfast_plugin_types_error_t = .{};
    if (!c.raisfast_plugin_http_fetch(&in, &ret, &err)) return lift(&err);
    const out: FetchResponse = .{
        .status = ret.status,
        .headers = liftHeaders(ret.headers.ptr, ret.headers.len),
        .body = arena().dupe(u8, if (ret.body.len == 0) "" else ret.body.ptr[0..ret.body.len]) catch @trap(),
    };
    c.raisfast_plugin_http_response_free(&ret);
    return out;
}

// ---------------------------------------------------------------------------
// The guest: handle and route

/// The authenticated caller of a route.
pub const Principal = struct { user_id: []const u8, username: []const u8, role: []const u8 };

/// A request to one of the plugin's `[[routes]]`.
pub const Request = struct {
    handler: []const u8,
    method: []const u8,
    path: []const u8,
    params: []const Header,
    query: []const Header,
    headers: []const Header,
    body: []const u8,
    caller: ?Principal,

    /// The first query value named `name`.
    pub fn queryValue(r: Request, name: []const u8) ?[]const u8 {
        for (r.query) |q| if (std.mem.eql(u8, q.name, name)) return q.value;
        return null;
    }

    /// The route parameter named `name`.
    pub fn param(r: Request, name: []const u8) ?[]const u8 {
        for (r.params) |p| if (std.mem.eql(u8, p.name, name)) return p.value;
        return null;
    }
};

/// What a route handler answers.
pub const Response = struct {
    status: u16 = 200,
    headers: []const Header = &.{},
    body: []const u8 = "",
};

fn viewPairs(l: c.plugin_list_tuple2_string_string_t) []const Header {
    const out = arena().alloc(Header, l.len) catch @trap();
    for (out, 0..) |*o, i| o.* = .{ .name = view(l.ptr[i].f0), .value = view(l.ptr[i].f1) };
    return out;
}

/// Ends an export call: the arena and the last error message go.
fn endCall() void {
    _ = arena_state.reset(.retain_capacity);
    err_msg = "";
}

/// The reserved hook through which the host asks for the plugin's handlers.
const handlers_hook = "raisfast:handlers";

/// `names` as a JSON array, at compile time.
fn handlersJson(comptime names: anytype) []const u8 {
    comptime var out: []const u8 = "[";
    inline for (names, 0..) |name, i| {
        out = out ++ (if (i == 0) "" else ",") ++ "\"" ++ name ++ "\"";
    }
    return out ++ "]";
}

/// Exports `Plugin`'s `handle` and `route` as the component's `guest` (the
/// functions the generated `plugin.c` calls). When `Plugin` declares
/// `pub const handlers = .{ "on_content_created", ... }` (the names `handle`
/// and `route` answer to), `raisfast plugin check` fails on a manifest naming
/// a handler missing from it, and the host subscribes the plugin to these only.
pub fn exportPlugin(comptime Plugin: type) void {
    const S = struct {
        fn handle(
            hook: [*c]c.plugin_string_t,
            payload: [*c]c.plugin_string_t,
            ret: [*c]c.exports_raisfast_plugin_guest_option_json_t,
            err: [*c]c.raisfast_plugin_types_error_t,
        ) callconv(.c) bool {
            // Arguments belong to the callee; results are copied before both go.
            defer endCall();
            defer c.plugin_string_free(hook);
            defer c.plugin_string_free(payload);
            const h = view(hook.*);
            const result = if (@hasDecl(Plugin, "handlers") and std.mem.eql(u8, h, handlers_hook))
                @as(Error!?[]const u8, comptime handlersJson(Plugin.handlers))
            else
                Plugin.handle(h, view(payload.*));
            const out = result catch |e| {
                lower(e, err);
                return false;
            };
            ret.* = if (out) |o| .{ .is_some = true, .val = dup(o) } else .{};
            return true;
        }

        fn route(
            request: [*c]c.raisfast_plugin_types_route_request_t,
            ret: [*c]c.raisfast_plugin_types_route_response_t,
            err: [*c]c.raisfast_plugin_types_error_t,
        ) callconv(.c) bool {
            defer endCall();
            defer c.raisfast_plugin_types_route_request_free(request);
            const in = request.*;
            const caller = in.caller.val;
            const req: Request = .{
                .handler = view(in.handler),
                .method = view(in.method),
                .path = view(in.path),
                .params = viewPairs(in.params),
                .query = viewPairs(in.query),
                .headers = liftHeaders(in.headers.ptr, in.headers.len),
                .body = if (in.body.len == 0) "" else in.body.ptr[0..in.body.len],
                .caller = if (in.caller.is_some) .{
                    .user_id = view(caller.user_id),
                    .username = view(caller.username),
                    .role = view(caller.role),
                } else null,
            };
            const resp = Plugin.route(req) catch |e| {
                lower(e, err);
                return false;
            };
            const headers: [*c]c.raisfast_plugin_types_header_t = if (resp.headers.len == 0) null else @ptrCast(@alignCast(std.c.malloc(resp.headers.len * @sizeOf(c.raisfast_plugin_types_header_t)) orelse @trap()));
            for (resp.headers, 0..) |h, i| headers[i] = .{ .name = dup(h.name), .value = dup(h.value) };
            const body = dup(resp.body);
            ret.* = .{
                .status = resp.status,
                .headers = .{ .ptr = headers, .len = resp.headers.len },
                .body = .{ .ptr = body.ptr, .len = body.len },
            };
            return true;
        }
    };
    @export(&S.handle, .{ .name = "exports_raisfast_plugin_guest_handle" });
    @export(&S.route, .{ .name = "exports_raisfast_plugin_guest_route" });
}

// ---------------------------------------------------------------------------
// Panics: log the message at error level, then trap (the host discards the
// instance). Use with `pub const panic = raisfast.panic;` in the root file.

fn panicFn(msg: []const u8, _: ?usize) noreturn {
    log(.@"error", msg);
    @trap();
}

/// A panic handler that logs the message before the instance is discarded.
pub const panic = std.debug.FullPanic(panicFn);
