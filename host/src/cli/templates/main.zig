//! A RaisFast plugin in Zig. `raisfast plugin build` writes the SDK to
//! sdk/raisfast.zig and compiles this file for wasm32-wasi.
const std = @import("std");
const rf = @import("sdk/raisfast.zig");

pub const panic = rf.panic;

comptime {
    rf.exportPlugin(@This());
}

/// The names `handle` and `route` answer to: `plugin check` compares them with
/// the manifest.
pub const handlers = .{"on_content_created"};

/// Hooks, events, cron jobs: `hook` names it, `payload` is its JSON envelope.
/// Return a new body (JSON) for a filter, or null.
pub fn handle(hook: []const u8, payload: []const u8) rf.Error!?[]const u8 {
    if (std.mem.eql(u8, hook, "on_content_created")) {
        const a = rf.arena();
        const Envelope = struct { id: std.json.Value = .null };
        const event = std.json.parseFromSliceLeaky(Envelope, a, payload, .{ .ignore_unknown_fields = true }) catch
            return rf.fail(error.Invalid, "the payload is not a content envelope");
        const id = switch (event.id) {
            .string => |s| s,
            .integer => |n| std.fmt.allocPrint(a, "{d}", .{n}) catch "?",
            else => "?",
        };
        rf.log(.info, std.fmt.allocPrint(a, "new content: {s}", .{id}) catch "new content");
    }
    return null;
}

/// Routes of [[routes]]: this plugin has none yet.
pub fn route(req: rf.Request) rf.Error!rf.Response {
    _ = req;
    return error.NotFound;
}
