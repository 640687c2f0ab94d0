//! The conformance scenario in Zig (see tests/plugins/conformance-js/main.js),
//! and the whole-API probe (the protocol of tests/plugins/probe: a payload
//! names host calls, the reply reports each call's value or error).
const std = @import("std");
const rf = @import("sdk/raisfast.zig");

pub const panic = rf.panic;

comptime {
    rf.exportPlugin(@This());
}

const Value = std.json.Value;

fn oom() rf.Error {
    return rf.fail(error.Failed, "out of memory");
}

/// `v` as JSON text.
fn json(v: anytype) []const u8 {
    return std.json.Stringify.valueAlloc(rf.arena(), v, .{}) catch @trap();
}

/// JSON text parsed, or kept as a string when it is not JSON.
fn decode(text: []const u8) Value {
    return std.json.parseFromSliceLeaky(Value, rf.arena(), text, .{}) catch .{ .string = text };
}

fn print(comptime fmt: []const u8, args: anytype) []const u8 {
    return std.fmt.allocPrint(rf.arena(), fmt, args) catch @trap();
}

// ---------------------------------------------------------------- scenario

/// `[name, "ok", value]` or `[name, "error", kind]`; `value` is JSON text.
fn attempt(name: []const u8, result: rf.Error![]const u8) []const u8 {
    const v = result catch |e| return print("[{s},\"error\",\"{s}\"]", .{ json(name), rf.kindName(e) });
    return print("[{s},\"ok\",{s}]", .{ json(name), v });
}

fn kvGet() rf.Error![]const u8 {
    return try rf.kvGet("k") orelse "null";
}

fn scenario(prefix: []const u8) rf.Error![]const u8 {
    const t = print("{s}items", .{prefix});
    const items = [_][]const u8{
        attempt("kv.set", if (rf.kvSet("k", "{\"a\":1,\"list\":[1,2]}", null)) "null" else |e| e),
        attempt("kv.get", kvGet()),
        attempt("kv.list", if (rf.kvList("")) |ks| json(ks) else |e| e),
        attempt("kv.delete", if (rf.kvDelete("k")) |d| json(d) else |e| e),
        attempt("kv.get.missing", kvGet()),
        attempt("db.create", if (rf.dbExecute(print("CREATE TABLE IF NOT EXISTS {s} (name TEXT NOT NULL)", .{t}), "[]")) |r|
            json(.{ .rowsAffected = r.rows_affected, .lastInsertId = r.last_insert_id })
        else |e| e),
        attempt("db.insert", if (rf.dbExecute(print("INSERT INTO {s} (name) VALUES (?)", .{t}), "[\"lamp\"]")) |r| json(r.rows_affected) else |e| e),
        attempt("db.query", rf.dbQuery(print("SELECT name FROM {s} WHERE name = :n", .{t}), "{\"n\":\"lamp\"}")),
        attempt("db.protected", rf.dbQuery("SELECT * FROM users", "[]")),
        attempt("db.invalid", rf.dbQuery("SELEC 1", "[]")),
        attempt("vfs.write", if (rf.vfsWrite("notes/a.txt", "hello")) "null" else |e| e),
        attempt("vfs.read", if (rf.vfsRead("notes/a.txt")) |b| json(b) else |e| e),
        attempt("vfs.list", if (rf.vfsList("notes")) |entries| blk: {
            const names = rf.arena().alloc([]const u8, entries.len) catch return oom();
            for (entries, names) |e, *n| n.* = e.name;
            break :blk json(names);
        } else |e| e),
        attempt("vfs.exists", if (rf.vfsExists("notes/b.txt")) |x| json(x) else |e| e),
        attempt("vfs.escape", if (rf.vfsRead("../secret")) |b| json(b) else |e| e),
        attempt("config.get", if (rf.configGet("greeting")) |v| v orelse "null" else |e| e),
        attempt("config.site", if (rf.configGet("site.url")) |v| v orelse "null" else |e| e),
        attempt("events.emit", if (rf.emit("conf.happened", "{\"n\":1}")) "null" else |e| e),
        attempt("ids.len", json(rf.newId().len)),
        attempt("http.denied", if (rf.fetch(.{ .url = "https://not-allowed.example/" })) |r| json(r.status) else |e| e),
        attempt("log", blk: {
            rf.log(.info, "conformance zig");
            break :blk "null";
        }),
    };
    return print("[{s}]", .{std.mem.join(rf.arena(), ",", &items) catch return oom()});
}

// ---------------------------------------------------------------- probe

fn field(op: Value, key: []const u8) ?Value {
    return if (op == .object) op.object.get(key) else null;
}

fn str(op: Value, key: []const u8) []const u8 {
    const v = field(op, key) orelse return "";
    return if (v == .string) v.string else "";
}

fn num(op: Value, key: []const u8) ?u64 {
    const v = field(op, key) orelse return null;
    return if (v == .integer) @intCast(v.integer) else null;
}

fn entryJson(e: rf.Entry, with_time: bool) []const u8 {
    if (with_time) return json(.{ .name = e.name, .is_dir = e.is_dir, .size = e.size, .modified_ms = e.modified_ms });
    return json(.{ .name = e.name, .is_dir = e.is_dir, .size = e.size });
}

/// One op's value as JSON text.
fn run(op: Value) rf.Error![]const u8 {
    const a = rf.arena();
    const name = str(op, "op");
    const is = struct {
        fn eq(x: []const u8, y: []const u8) bool {
            return std.mem.eql(u8, x, y);
        }
    }.eq;
    const params = if (field(op, "params")) |p| json(p) else "";
    if (is(name, "db.query")) return try rf.dbQuery(str(op, "sql"), params);
    if (is(name, "db.execute")) {
        const r = try rf.dbExecute(str(op, "sql"), params);
        return json(.{ .rows_affected = r.rows_affected, .last_insert_id = r.last_insert_id });
    }
    if (is(name, "db.begin")) return if (rf.dbBegin()) "null" else |e| e;
    if (is(name, "db.commit")) return if (rf.dbCommit()) "null" else |e| e;
    if (is(name, "db.rollback")) return if (rf.dbRollback()) "null" else |e| e;
    if (is(name, "http.fetch")) {
        var headers: []rf.Header = &.{};
        if (field(op, "headers")) |hs| if (hs == .object) {
            headers = a.alloc(rf.Header, hs.object.count()) catch return oom();
            var it = hs.object.iterator();
            var i: usize = 0;
            while (it.next()) |kv| : (i += 1) headers[i] = .{
                .name = kv.key_ptr.*,
                .value = if (kv.value_ptr.* == .string) kv.value_ptr.string else "",
            };
        };
        const method = str(op, "method");
        const r = try rf.fetch(.{
            .method = if (method.len == 0) "GET" else method,
            .url = str(op, "url"),
            .headers = headers,
            .body = if (field(op, "body")) |b| (if (b == .string) b.string else null) else null,
            .timeout_ms = if (num(op, "timeout_ms")) |t| @intCast(t) else null,
        });
        const pairs = a.alloc([2][]const u8, r.headers.len) catch return oom();
        for (r.headers, pairs) |h, *p| p.* = .{ h.name, h.value };
        return json(.{ .status = r.status, .body = r.body, .headers = pairs });
    }
    if (is(name, "vfs.read")) return json(try rf.vfsRead(str(op, "path")));
    if (is(name, "vfs.write")) {
        var data = str(op, "data");
        if (num(op, "size")) |n| {
            const buf = a.alloc(u8, @intCast(n)) catch return oom();
            @memset(buf, 'x');
            data = buf;
        }
        try rf.vfsWrite(str(op, "path"), data);
        return "null";
    }
    if (is(name, "vfs.delete")) return if (rf.vfsDelete(str(op, "path"))) "null" else |e| e;
    if (is(name, "vfs.list")) {
        const entries = try rf.vfsList(str(op, "path"));
        const out = a.alloc([]const u8, entries.len) catch return oom();
        for (entries, out) |e, *o| o.* = entryJson(e, false);
        return print("[{s}]", .{std.mem.join(a, ",", out) catch return oom()});
    }
    if (is(name, "vfs.stat")) return entryJson(try rf.vfsStat(str(op, "path")), true);
    if (is(name, "vfs.exists")) return json(try rf.vfsExists(str(op, "path")));
    if (is(name, "kv.get")) return try rf.kvGet(str(op, "key")) orelse "null";
    if (is(name, "kv.set")) {
        var value = if (field(op, "value")) |v| json(v) else "null";
        if (num(op, "size")) |n| {
            const buf = a.alloc(u8, @intCast(n)) catch return oom();
            @memset(buf, 'x');
            value = json(buf);
        }
        try rf.kvSet(str(op, "key"), value, if (num(op, "ttl")) |t| @intCast(t) else null);
        return "null";
    }
    if (is(name, "kv.set_raw")) return if (rf.kvSet(str(op, "key"), str(op, "value"), null)) "null" else |e| e;
    if (is(name, "kv.delete")) return json(try rf.kvDelete(str(op, "key")));
    if (is(name, "kv.list")) return json(try rf.kvList(str(op, "prefix")));
    if (is(name, "config.get")) return try rf.configGet(str(op, "key")) orelse "null";
    if (is(name, "config.all")) return rf.configAll();
    if (is(name, "events.emit")) {
        const payload = if (field(op, "payload")) |p| json(p) else "null";
        return if (rf.emit(str(op, "name"), payload)) "null" else |e| e;
    }
    if (is(name, "log")) {
        const level: rf.Level = if (is(str(op, "level"), "trace")) .trace else if (is(str(op, "level"), "debug")) .debug else if (is(str(op, "level"), "warn")) .warn else if (is(str(op, "level"), "error")) .@"error" else .info;
        var message = str(op, "message");
        if (num(op, "size")) |n| {
            const buf = a.alloc(u8, @intCast(n)) catch return oom();
            @memset(buf, 'y');
            message = buf;
        }
        rf.logFields(level, message, &.{.{ .name = "probe", .value = "1" }});
        return "null";
    }
    if (is(name, "ids.new")) return json(rf.newId());
    if (is(name, "fail")) return rf.fail(error.Failed, str(op, "message"));
    return rf.fail(error.Invalid, print("probe: unknown op {s}", .{name}));
}

/// `{"ok": value}` or `{"err": {"kind", "message"}}`; a `seq` runs its ops in order.
fn probe(op: Value) []const u8 {
    if (std.mem.eql(u8, str(op, "op"), "seq")) {
        const ops = if (field(op, "ops")) |o| (if (o == .array) o.array.items else &.{}) else &.{};
        const out = rf.arena().alloc([]const u8, ops.len) catch @trap();
        for (ops, out) |o, *r| r.* = probe(o);
        return print("[{s}]", .{std.mem.join(rf.arena(), ",", out) catch @trap()});
    }
    const v = run(op) catch |e| return json(.{ .err = .{ .kind = rf.kindName(e), .message = rf.errorMessage() } });
    return print("{{\"ok\":{s}}}", .{v});
}

// ---------------------------------------------------------------- handlers

pub fn handle(hook: []const u8, payload: []const u8) rf.Error!?[]const u8 {
    const envelope = std.json.parseFromSliceLeaky(Value, rf.arena(), payload, .{}) catch
        return rf.fail(error.Invalid, "the payload is not JSON");
    var body = field(envelope, "body") orelse Value.null;
    const is = struct {
        fn eq(x: []const u8, y: []const u8) bool {
            return std.mem.eql(u8, x, y);
        }
    }.eq;
    if (is(hook, "scenario")) return try scenario(str(body, "prefix"));
    if (is(hook, "probe")) return probe(body);
    if (is(hook, "filter_title")) {
        const title = str(body, "title");
        const upper = std.ascii.allocUpperString(rf.arena(), title) catch return oom();
        body.object.put(rf.arena(), "title", .{ .string = upper }) catch return oom();
        return json(body);
    }
    if (is(hook, "render")) return json(print("<p>{s}</p>", .{str(body, "title")}));
    if (is(hook, "action")) {
        rf.log(.info, "action ran");
        return null;
    }
    if (is(hook, "boom")) return rf.fail(error.Failed, "boom");
    return null;
}

pub fn route(req: rf.Request) rf.Error!rf.Response {
    const headers: []const rf.Header = &.{.{ .name = "content-type", .value = "application/json" }};
    if (std.mem.eql(u8, req.handler, "echo")) {
        const body = std.json.parseFromSliceLeaky(Value, rf.arena(), req.body, .{}) catch Value.null;
        return .{ .status = 200, .headers = headers, .body = json(.{
            .method = req.method,
            .id = req.param("id"),
            .q = req.queryValue("q"),
            .body = body,
        }) };
    }
    if (std.mem.eql(u8, req.handler, "refuse"))
        return .{ .status = 418, .headers = headers, .body = "{\"error\":{\"status\":418,\"message\":\"no coffee\"}}" };
    return error.NotFound;
}
