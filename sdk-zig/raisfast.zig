//! The RaisFast SDK for Zig: canonical-ABI glue for the WIT world
//! `raisfast:plugin/plugin@0.1.0` (wit/0.1.0), written by hand (wit-bindgen
//! has no Zig generator). `raisfast plugin build` writes it to a Zig plugin's
//! `sdk/raisfast.zig`; the source is `sdk-zig/raisfast.zig` in the RaisFast
//! repository.
//!
//! Host API covered: log, kv (get, set, delete, list), config (get), ids
//! (new-id), db (query, execute), events (emit), vfs (read, write, delete,
//! exists). http, vfs list/stat and db transactions are not wrapped yet (C
//! plugins have the whole API through wit-bindgen's bindings).
//!
//! Usage, in the plugin's root file:
//!
//!     const rf = @import("sdk/raisfast.zig");
//!     pub const panic = rf.panic;              // optional: panics log + trap
//!     comptime { rf.exportPlugin(@This()); }   // exports guest#handle / guest#route
//!     pub fn handle(hook: []const u8, payload: []const u8) rf.Error!?[]const u8 { ... }
//!     pub fn route(req: rf.Request) rf.Error!rf.Response { ... }
//!
//! Memory rules:
//! - `cabi_realloc` is backed by `std.heap.wasm_allocator` and never reset (the
//!   WASI adapter, if present, allocates its state through it).
//! - Export arguments (lifted by the host into our memory) stay valid until the
//!   host calls `cabi_post_*`, which frees them; so a result may point into them.
//! - Strings returned by host calls (`kvGet`) are registered the same way and
//!   freed at the end of the call.
//! - Results of `handle`/`route` may be static or allocated from `arena()`,
//!   which is reset in `cabi_post_*` after the host has copied the result.
const std = @import("std");

pub const heap = std.heap.wasm_allocator;

var arena_state = std.heap.ArenaAllocator.init(std.heap.wasm_allocator);

/// Per-call scratch allocator: freed after the host has read the call's result.
pub fn arena() std.mem.Allocator {
    return arena_state.allocator();
}

// ---------------------------------------------------------------------------
// cabi_realloc

fn cabiRealloc(old_ptr: usize, old_len: usize, alignment: usize, new_len: usize) callconv(.c) usize {
    const a: std.mem.Alignment = .fromByteUnits(alignment);
    if (new_len == 0) {
        if (old_len != 0) heap.rawFree(@as([*]u8, @ptrFromInt(old_ptr))[0..old_len], a, @returnAddress());
        return alignment; // a non-null, aligned dangling pointer
    }
    if (old_len == 0) {
        const p = heap.rawAlloc(new_len, a, @returnAddress()) orelse @trap();
        return @intFromPtr(p);
    }
    const old = @as([*]u8, @ptrFromInt(old_ptr))[0..old_len];
    if (heap.rawRemap(old, a, new_len, @returnAddress())) |p| return @intFromPtr(p);
    const p = heap.rawAlloc(new_len, a, @returnAddress()) orelse @trap();
    @memcpy(p[0..@min(old_len, new_len)], old[0..@min(old_len, new_len)]);
    heap.rawFree(old, a, @returnAddress());
    return @intFromPtr(p);
}

comptime {
    @export(&cabiRealloc, .{ .name = "cabi_realloc" });
}

// ---------------------------------------------------------------------------
// Canonical ABI memory layouts (wasm32: pointers and lengths are u32)

/// `string` / `list<u8>` in linear memory: (ptr: u32, len: u32), align 4, size 8.
const Str = extern struct {
    ptr: usize,
    len: usize,

    pub fn slice(s: Str) []const u8 {
        if (s.len == 0) return &.{};
        return @as([*]const u8, @ptrFromInt(s.ptr))[0..s.len];
    }
    pub fn from(s: []const u8) Str {
        return .{ .ptr = @intFromPtr(s.ptr), .len = s.len };
    }
};

/// `tuple<string, string>` and record `header {name, value}`: align 4, size 16.
const Pair = extern struct {
    a: Str,
    b: Str,

    pub fn init(a: []const u8, b: []const u8) Pair {
        return .{ .a = .from(a), .b = .from(b) };
    }
};

fn List(comptime T: type) type {
    return extern struct {
        ptr: usize,
        len: usize,

        pub fn items(l: @This()) []const T {
            if (l.len == 0) return &.{};
            return @as([*]const T, @ptrFromInt(l.ptr))[0..l.len];
        }
    };
}

/// record `route-request`, align 4, size 84:
/// handler@0 method@8 path@16 params@24 query@32 headers@40 body@48
/// caller: option<principal> = tag u8 @56, principal{user-id,username,role} @60.
const RawRequest = extern struct {
    handler: Str,
    method: Str,
    path: Str,
    params: List(Pair),
    query: List(Pair),
    headers: List(Pair),
    body: Str,
    caller_tag: u8,
    caller: RawPrincipal, // extern-struct padding puts this at offset 60
};
const RawPrincipal = extern struct { user_id: Str, username: Str, role: Str };

comptime {
    std.debug.assert(@sizeOf(RawRequest) == 84);
    std.debug.assert(@offsetOf(RawRequest, "caller") == 60);
}

// ---------------------------------------------------------------------------
// Public types

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

fn errorTag(e: Error) u8 {
    return switch (e) {
        error.Denied => 0,
        error.Invalid => 1,
        error.NotFound => 2,
        error.Limit => 3,
        error.Failed => 4,
    };
}

pub const Principal = struct { user_id: []const u8, username: []const u8, role: []const u8 };

/// A name/value pair: HTTP header, route param, query pair, log field.
pub const Header = struct { name: []const u8, value: []const u8 };

pub const Request = struct {
    handler: []const u8,
    method: []const u8,
    path: []const u8,
    params: []const Header,
    query: []const Header,
    headers: []const Header,
    body: []const u8,
    caller: ?Principal,

    pub fn queryValue(r: Request, name: []const u8) ?[]const u8 {
        for (r.query) |q| if (std.mem.eql(u8, q.name, name)) return q.value;
        return null;
    }
};

pub const Response = struct {
    status: u16 = 200,
    headers: []const Header = &.{},
    body: []const u8 = "",
};

/// ABI list<tuple<string,string>> / list<header> -> Zig slices (in the call arena).
fn liftPairs(l: List(Pair)) []const Header {
    const src = l.items();
    const out = arena().alloc(Header, src.len) catch @trap();
    for (src, out) |p, *h| h.* = .{ .name = p.a.slice(), .value = p.b.slice() };
    return out;
}

/// Zig slices -> ABI list of (string, string) records (in the call arena).
fn lowerPairs(hs: []const Header) []const Pair {
    const out = arena().alloc(Pair, hs.len) catch @trap();
    for (hs, out) |h, *p| p.* = .init(h.name, h.value);
    return out;
}

// ---------------------------------------------------------------------------
// Imports: raisfast:plugin/log@0.1.0

pub const Level = enum(u8) { trace, debug, info, warn, @"error" };

// log: func(level: level, message: string, fields: list<tuple<string,string>>)
// flat: (i32 level, i32 msg_ptr, i32 msg_len, i32 fields_ptr, i32 fields_len) -> ()
const host_log = @extern(*const fn (u32, usize, usize, usize, usize) callconv(.c) void, .{
    .name = "log",
    .library_name = "raisfast:plugin/log@0.1.0",
});

/// Writes a log line with fields (at most 16 are sent).
pub fn logFields(level: Level, msg: []const u8, fields: []const Header) void {
    var buf: [16]Pair = undefined;
    const n = @min(fields.len, buf.len);
    for (fields[0..n], buf[0..n]) |f, *p| p.* = .init(f.name, f.value);
    host_log(@intFromEnum(level), @intFromPtr(msg.ptr), msg.len, @intFromPtr(&buf), n);
}

pub fn log(level: Level, msg: []const u8) void {
    logFields(level, msg, &.{});
}

// ---------------------------------------------------------------------------
// Imports: raisfast:plugin/kv@0.1.0
//
// A result<option<string>, error> / result<_, error> flattens to more than one
// value, so the import takes a trailing out-pointer to a 16-byte, 4-aligned area:
//   @0 u8 result tag (0 ok, 1 err)
//   ok(option<json>): @4 u8 option tag (0 none, 1 some), @8 ptr, @12 len
//   err(error):       @4 u8 error tag (0 denied .. 4 failed), @8 ptr, @12 len (no payload for not-found)

const RetArea = extern struct { w: [4]u32 };

// get: func(key: string) -> result<option<json>, error>; flat (key_ptr, key_len, retptr)
const host_kv_get = @extern(*const fn (usize, usize, *RetArea) callconv(.c) void, .{
    .name = "get",
    .library_name = "raisfast:plugin/kv@0.1.0",
});
// set: func(key: string, value: json, ttl-seconds: option<u32>) -> result<_, error>
// flat (key_ptr, key_len, val_ptr, val_len, ttl_tag, ttl_val, retptr)
const host_kv_set = @extern(*const fn (usize, usize, usize, usize, u32, u32, *RetArea) callconv(.c) void, .{
    .name = "set",
    .library_name = "raisfast:plugin/kv@0.1.0",
});

fn u8At(r: *const RetArea, off: usize) u8 {
    return @as([*]const u8, @ptrCast(r))[off];
}

/// Lifts `error` at offset 4 of `r` and returns it (message kept for `errorMessage`).
fn liftError(r: *const RetArea) Error {
    return liftErrorParts(u8At(r, 4), r.w[2], r.w[3]);
}

/// Lifts an `error` variant from its case and message.
fn liftErrorParts(tag: u8, ptr: usize, len: usize) Error {
    if (tag != 2) {
        const s = (Str{ .ptr = ptr, .len = len }).slice();
        deferFree(s);
        err_msg = s;
    } else err_msg = "";
    return switch (tag) {
        0 => error.Denied,
        1 => error.Invalid,
        2 => error.NotFound,
        3 => error.Limit,
        else => error.Failed,
    };
}

/// Lifts a `result<option<json>, error>` from `r`.
fn liftOptionJson(r: *const RetArea) Error!?[]const u8 {
    if (u8At(r, 0) != 0) return liftError(r);
    if (u8At(r, 4) == 0) return null;
    const s = (Str{ .ptr = r.w[2], .len = r.w[3] }).slice();
    deferFree(s);
    return s;
}

/// Value (JSON text) under `key`, or null. Valid until the current call ends.
pub fn kvGet(key: []const u8) Error!?[]const u8 {
    var r: RetArea = undefined;
    host_kv_get(@intFromPtr(key.ptr), key.len, &r);
    return liftOptionJson(&r);
}

/// Stores JSON text `value` under `key`; `ttl_seconds` null = no expiry.
pub fn kvSet(key: []const u8, value: []const u8, ttl_seconds: ?u32) Error!void {
    var r: RetArea = undefined;
    host_kv_set(
        @intFromPtr(key.ptr),
        key.len,
        @intFromPtr(value.ptr),
        value.len,
        @intFromBool(ttl_seconds != null),
        ttl_seconds orelse 0,
        &r,
    );
    if (u8At(&r, 0) != 0) return liftError(&r);
}

// delete: func(key: string) -> result<bool, error>; the bool @4
const host_kv_delete = @extern(*const fn (usize, usize, *RetArea) callconv(.c) void, .{
    .name = "delete",
    .library_name = "raisfast:plugin/kv@0.1.0",
});
// list: func(prefix: string) -> result<list<string>, error>; the list @4 @8
const host_kv_list = @extern(*const fn (usize, usize, *RetArea) callconv(.c) void, .{
    .name = "list",
    .library_name = "raisfast:plugin/kv@0.1.0",
});

/// Removes `key`; returns whether it was there.
pub fn kvDelete(key: []const u8) Error!bool {
    var r: RetArea = undefined;
    host_kv_delete(@intFromPtr(key.ptr), key.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
    return u8At(&r, 4) == 1;
}

/// The keys that start with `prefix` ("" for all), sorted; valid until the call ends.
pub fn kvList(prefix: []const u8) Error![]const []const u8 {
    var r: RetArea = undefined;
    host_kv_list(@intFromPtr(prefix.ptr), prefix.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
    const raw = (List(Str){ .ptr = r.w[1], .len = r.w[2] }).items();
    const keys = arena().alloc([]const u8, raw.len) catch @trap();
    for (raw, keys) |k, *out| {
        out.* = k.slice();
        deferFree(out.*);
    }
    if (raw.len != 0) deferFree(@as([*]const u8, @ptrCast(raw.ptr))[0 .. raw.len * @sizeOf(Str)]);
    return keys;
}

// ---------------------------------------------------------------------------
// Imports: raisfast:plugin/vfs@0.1.0

// read: func(path: string) -> result<list<u8>, error>; the bytes @4 @8
const host_vfs_read = @extern(*const fn (usize, usize, *RetArea) callconv(.c) void, .{
    .name = "read",
    .library_name = "raisfast:plugin/vfs@0.1.0",
});
// write: func(path: string, data: list<u8>) -> result<_, error>
const host_vfs_write = @extern(*const fn (usize, usize, usize, usize, *RetArea) callconv(.c) void, .{
    .name = "write",
    .library_name = "raisfast:plugin/vfs@0.1.0",
});
// delete: func(path: string) -> result<_, error>
const host_vfs_delete = @extern(*const fn (usize, usize, *RetArea) callconv(.c) void, .{
    .name = "delete",
    .library_name = "raisfast:plugin/vfs@0.1.0",
});
// exists: func(path: string) -> result<bool, error>; the bool @4
const host_vfs_exists = @extern(*const fn (usize, usize, *RetArea) callconv(.c) void, .{
    .name = "exists",
    .library_name = "raisfast:plugin/vfs@0.1.0",
});

/// The contents of the plugin's file at `path`; valid until the call ends.
pub fn vfsRead(path: []const u8) Error![]const u8 {
    var r: RetArea = undefined;
    host_vfs_read(@intFromPtr(path.ptr), path.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
    const s = (Str{ .ptr = r.w[1], .len = r.w[2] }).slice();
    deferFree(s);
    return s;
}

/// Writes `data` to the plugin's file at `path` (directories are created).
pub fn vfsWrite(path: []const u8, data: []const u8) Error!void {
    var r: RetArea = undefined;
    host_vfs_write(@intFromPtr(path.ptr), path.len, @intFromPtr(data.ptr), data.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
}

/// Removes the plugin's file (or empty directory) at `path`.
pub fn vfsDelete(path: []const u8) Error!void {
    var r: RetArea = undefined;
    host_vfs_delete(@intFromPtr(path.ptr), path.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
}

/// Whether the plugin has a file or directory at `path`.
pub fn vfsExists(path: []const u8) Error!bool {
    var r: RetArea = undefined;
    host_vfs_exists(@intFromPtr(path.ptr), path.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
    return u8At(&r, 4) == 1;
}

// ---------------------------------------------------------------------------
// Imports: raisfast:plugin/config@0.1.0 and raisfast:plugin/ids@0.1.0

// get: func(key: string) -> result<option<json>, error>; flat (key_ptr, key_len, retptr)
const host_config_get = @extern(*const fn (usize, usize, *RetArea) callconv(.c) void, .{
    .name = "get",
    .library_name = "raisfast:plugin/config@0.1.0",
});

/// The plugin's config value (JSON text) under `key` (`[config]` of the
/// manifest, overridden by the server's settings), or null.
pub fn configGet(key: []const u8) Error!?[]const u8 {
    var r: RetArea = undefined;
    host_config_get(@intFromPtr(key.ptr), key.len, &r);
    return liftOptionJson(&r);
}

// new-id: func() -> string; flat (retptr) with ptr @0, len @4
const host_new_id = @extern(*const fn (*[2]u32) callconv(.c) void, .{
    .name = "new-id",
    .library_name = "raisfast:plugin/ids@0.1.0",
});

/// A new UUID v7 (time-ordered), as text. Valid until the current call ends.
pub fn newId() []const u8 {
    var r: [2]u32 = undefined;
    host_new_id(&r);
    const s = (Str{ .ptr = r[0], .len = r[1] }).slice();
    deferFree(s);
    return s;
}

// ---------------------------------------------------------------------------
// Imports: raisfast:plugin/db@0.1.0 and raisfast:plugin/events@0.1.0

// query: func(sql: string, params: json) -> result<json, error>
// flat (sql_ptr, sql_len, params_ptr, params_len, retptr); the 16-byte area:
// ok: string @4 @8; err: error tag @4, message @8 @12.
const host_db_query = @extern(*const fn (usize, usize, usize, usize, *RetArea) callconv(.c) void, .{
    .name = "query",
    .library_name = "raisfast:plugin/db@0.1.0",
});

// execute: func(sql: string, params: json) -> result<exec-result, error>
// the 24-byte, 8-aligned area: ok: rows-affected u64 @8, last-insert-id s64 @16;
// err: error tag @8, message @12 @16.
const ExecRet = extern struct { tag: u8, _pad: [7]u8, a: u64, b: i64 };
const host_db_execute = @extern(*const fn (usize, usize, usize, usize, *ExecRet) callconv(.c) void, .{
    .name = "execute",
    .library_name = "raisfast:plugin/db@0.1.0",
});

// emit: func(name: string, payload: json) -> result<_, error>; same area as kv.set.
const host_emit = @extern(*const fn (usize, usize, usize, usize, *RetArea) callconv(.c) void, .{
    .name = "emit",
    .library_name = "raisfast:plugin/events@0.1.0",
});

/// Runs a read statement; `params` is a JSON array (`?`) or object (`:name`).
/// Returns the rows as a JSON array of objects, valid until the call ends.
pub fn dbQuery(sql: []const u8, params: []const u8) Error![]const u8 {
    var r: RetArea = undefined;
    host_db_query(@intFromPtr(sql.ptr), sql.len, @intFromPtr(params.ptr), params.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
    const s = (Str{ .ptr = r.w[1], .len = r.w[2] }).slice();
    deferFree(s);
    return s;
}

/// What a statement that changes data did.
pub const ExecResult = struct { rows_affected: u64, last_insert_id: i64 };

/// Runs a statement that changes data (`params` as for `dbQuery`).
pub fn dbExecute(sql: []const u8, params: []const u8) Error!ExecResult {
    var r: ExecRet = undefined;
    host_db_execute(@intFromPtr(sql.ptr), sql.len, @intFromPtr(params.ptr), params.len, &r);
    if (r.tag != 0) {
        return liftErrorParts(@truncate(r.a), @truncate(r.a >> 32), @as(u32, @truncate(@as(u64, @bitCast(r.b)))));
    }
    return .{ .rows_affected = r.a, .last_insert_id = r.b };
}

/// Emits the custom event `name` with a JSON payload, delivered to the
/// plugins subscribed to it after this call succeeds.
pub fn emit(name: []const u8, payload: []const u8) Error!void {
    var r: RetArea = undefined;
    host_emit(@intFromPtr(name.ptr), name.len, @intFromPtr(payload.ptr), payload.len, &r);
    if (u8At(&r, 0) != 0) return liftError(&r);
}

// ---------------------------------------------------------------------------
// Host-allocated memory freed after the call (in cabi_post_*)

var pending: std.ArrayList([]const u8) = .empty;

fn deferFree(s: []const u8) void {
    if (s.len == 0) return;
    pending.append(heap, s) catch @trap();
}

fn freeStr(s: Str) void {
    if (s.len != 0) heap.rawFree(@as([*]u8, @ptrFromInt(s.ptr))[0..s.len], .@"1", 0);
}

fn freeList(comptime T: type, l: List(T)) void {
    if (l.len != 0) heap.rawFree(@as([*]u8, @ptrFromInt(l.ptr))[0 .. l.len * @sizeOf(T)], .fromByteUnits(@alignOf(T)), 0);
}

fn freePairs(l: List(Pair)) void {
    for (l.items()) |p| {
        freeStr(p.a);
        freeStr(p.b);
    }
    freeList(Pair, l);
}

var pending_handle: ?[2]Str = null;
var pending_request: ?*RawRequest = null;

fn endCall() void {
    for (pending.items) |s| heap.rawFree(@constCast(s), .@"1", 0);
    pending.clearRetainingCapacity();
    if (pending_handle) |h| {
        freeStr(h[0]);
        freeStr(h[1]);
        pending_handle = null;
    }
    if (pending_request) |r| {
        freeStr(r.handler);
        freeStr(r.method);
        freeStr(r.path);
        freePairs(r.params);
        freePairs(r.query);
        freePairs(r.headers);
        freeStr(r.body);
        if (r.caller_tag == 1) {
            freeStr(r.caller.user_id);
            freeStr(r.caller.username);
            freeStr(r.caller.role);
        }
        heap.rawFree(@as([*]u8, @ptrCast(r))[0..@sizeOf(RawRequest)], .@"4", 0);
        pending_request = null;
    }
    _ = arena_state.reset(.retain_capacity);
    err_msg = "";
}

// ---------------------------------------------------------------------------
// Exports: raisfast:plugin/guest@0.1.0

// Static return areas: the export returns an i32 pointer to them.
// handle -> result<option<json>, error>: same 16-byte layout as kv.get.
var handle_ret: RetArea align(8) = undefined;
// route -> result<route-response, error>: align 4, size 24:
//   @0 u8 tag; ok: @4 u16 status, @8 headers ptr, @12 headers len, @16 body ptr, @20 body len
//              err: @4 u8 error tag, @8 msg ptr, @12 msg len
const RouteRet = extern struct { tag: u8, _pad: [3]u8 = undefined, w: [5]u32 };
var route_ret: RouteRet align(8) = undefined;

fn storeError(tag_ptr: *u8, words: []u32, e: Error) void {
    tag_ptr.* = 1;
    const p: [*]u8 = @ptrCast(words.ptr);
    p[0] = errorTag(e);
    const s = if (e == error.NotFound) "" else err_msg;
    words[1] = @intFromPtr(s.ptr);
    words[2] = s.len;
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

/// Exports `Plugin`'s `handle` and `route` as the component's `guest`. When
/// `Plugin` declares `pub const handlers = .{ "on_content_created", ... }`
/// (the names `handle` and `route` answer to), `raisfast plugin check` fails on
/// a manifest naming a handler missing from it, and the host subscribes the
/// plugin to these only.
pub fn exportPlugin(comptime Plugin: type) void {
    const S = struct {
        // handle: func(hook: string, payload: json) -> result<option<json>, error>
        // flat params (hook_ptr, hook_len, payload_ptr, payload_len) -> i32 retptr
        fn handle(hp: usize, hl: usize, pp: usize, pl: usize) callconv(.c) *RetArea {
            const hook: Str = .{ .ptr = hp, .len = hl };
            const payload: Str = .{ .ptr = pp, .len = pl };
            pending_handle = .{ hook, payload };
            const r = &handle_ret;
            const bytes: [*]u8 = @ptrCast(r);
            const result = if (@hasDecl(Plugin, "handlers") and std.mem.eql(u8, hook.slice(), handlers_hook))
                @as(Error!?[]const u8, comptime handlersJson(Plugin.handlers))
            else
                Plugin.handle(hook.slice(), payload.slice());
            if (result) |maybe| {
                bytes[0] = 0;
                if (maybe) |out| {
                    bytes[4] = 1;
                    r.w[2] = @intFromPtr(out.ptr);
                    r.w[3] = out.len;
                } else bytes[4] = 0;
            } else |e| storeError(&bytes[0], r.w[1..4], e);
            return r;
        }

        // route: func(request: route-request) -> result<route-response, error>
        // route-request flattens to 19 values > MAX_FLAT_PARAMS (16), so the
        // host stores it in memory (via cabi_realloc) and passes one pointer.
        fn route(req: *RawRequest) callconv(.c) *RouteRet {
            pending_request = req;
            const request: Request = .{
                .handler = req.handler.slice(),
                .method = req.method.slice(),
                .path = req.path.slice(),
                .params = liftPairs(req.params),
                .query = liftPairs(req.query),
                .headers = liftPairs(req.headers),
                .body = req.body.slice(),
                .caller = if (req.caller_tag == 1) .{
                    .user_id = req.caller.user_id.slice(),
                    .username = req.caller.username.slice(),
                    .role = req.caller.role.slice(),
                } else null,
            };
            const r = &route_ret;
            if (Plugin.route(request)) |resp| {
                r.tag = 0;
                @as(*u16, @ptrCast(&r.w[0])).* = resp.status;
                const hs = lowerPairs(resp.headers);
                r.w[1] = @intFromPtr(hs.ptr);
                r.w[2] = hs.len;
                r.w[3] = @intFromPtr(resp.body.ptr);
                r.w[4] = resp.body.len;
            } else |e| storeError(&r.tag, r.w[0..3], e);
            return r;
        }

        // Post-return: the host has copied the result; free this call's memory.
        fn post(_: usize) callconv(.c) void {
            endCall();
        }
    };
    @export(&S.handle, .{ .name = "raisfast:plugin/guest@0.1.0#handle" });
    @export(&S.route, .{ .name = "raisfast:plugin/guest@0.1.0#route" });
    @export(&S.post, .{ .name = "cabi_post_raisfast:plugin/guest@0.1.0#handle" });
    @export(&S.post, .{ .name = "cabi_post_raisfast:plugin/guest@0.1.0#route" });
}

// ---------------------------------------------------------------------------
// Panics: log the message at error level, then trap (the host discards the
// instance). Use with `pub const panic = raisfast.panic;` in the root file.

fn panicFn(msg: []const u8, _: ?usize) noreturn {
    log(.@"error", msg);
    @trap();
}
pub const panic = std.debug.FullPanic(panicFn);
