-- Hostile plugin in Lua (see attacks-js/main.js).
local sdk = require("sdk")

local function body(input) return sdk.extractJson(input, "body") end
local function kind(f, ...)
  local ok, err = pcall(f, ...)
  if ok then return "ok" end
  return tostring(err):match("^(%a[%a-]*):") or tostring(err)
end

Plugin = {}
Plugin.spin = function() while true do end end
Plugin.spin_host = function() while true do pcall(sdk.kvGet, "x") end end
Plugin.bomb = function() local t = {} local i = 0 while true do i = i + 1 t[i] = {} for j = 1, 1000 do t[i][j] = j end end end
Plugin.double = function() local s = "x" while true do s = s .. s end end
Plugin.huge_array = function() local t = {} for i = 1, 50000000 do t[i] = i end return #t end
Plugin.huge_return = function() return string.rep("y", 20 * 1024 * 1024) end
Plugin.huge_log = function() sdk.logInfo(string.rep("z", 1024 * 1024)) end
Plugin.many_logs = function() for i = 1, 5000 do sdk.logInfo("line " .. i) end end
Plugin.huge_kv = function() return kind(sdk.kvSet, "big", string.rep("k", 2 * 1024 * 1024)) end
Plugin.deep = function() local function f(n) return f(n + 1) + 1 end return f(0) end
Plugin.sql = function(input) return kind(sdk.dbQuery, body(input).sql) end
Plugin.exec = function(input) return kind(sdk.dbExecute, body(input).sql) end
Plugin.open_txn = function(input) sdk.dbBegin() sdk.dbExecute(body(input).sql) end
Plugin.http = function(input) return kind(sdk.httpFetch, { url = body(input).url, timeoutMs = body(input).timeout or 250 }) end
Plugin.read_file = function(input) return kind(sdk.vfsRead, body(input).path) end
Plugin.write_file = function(input) return kind(sdk.vfsWrite, body(input).path, string.rep("x", body(input).size or 1)) end
Plugin.kv_fill = function()
  local v = string.rep("v", 512 * 1024)
  for i = 1, 100 do local k = kind(sdk.kvSet, "fill" .. i, v) if k ~= "ok" then return k end end
  return "ok"
end
Plugin.many_files = function()
  for i = 1, 1000 do local k = kind(sdk.vfsWrite, "d" .. (i % 10) .. "/f" .. i, "") if k ~= "ok" then return k end end
  return "ok"
end
Plugin.emit_named = function(input) return kind(sdk.emit, body(input).name, {}) end
Plugin.emit_flood = function()
  local sent = 0
  for i = 1, 1000 do
    local ok, err = pcall(sdk.emit, "flood.event", { i = i })
    if not ok then return { sent, tostring(err):match("^(%a+):") } end
    sent = sent + 1
  end
  return { sent, "ok" }
end
Plugin.wrong_type = function() return "not a content item" end
Plugin.always_throws = function() error("always") end
Plugin.ping = function() return "pong" end
