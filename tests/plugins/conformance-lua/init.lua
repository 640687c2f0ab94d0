-- The conformance scenario in Lua (see conformance-js/main.js).
local sdk = require("sdk")
local label = require("lib.label")

local function attempt(name, f)
  local ok, result = pcall(f)
  if ok then
    return { name, "ok", result }
  end
  local kind = tostring(result):match("^(%a[%a-]*):") or tostring(result)
  return { name, "error", kind }
end

Plugin = {}

Plugin.scenario = function(input)
  local prefix = sdk.extractJson(input, "body.prefix")
  local t = prefix .. "items"
  return {
    attempt("kv.set", function() return sdk.kvSet("k", { a = 1, list = { 1, 2 } }) end),
    attempt("kv.get", function() return sdk.kvGet("k") end),
    attempt("kv.list", function() return sdk.kvList("") end),
    attempt("kv.delete", function() return sdk.kvDelete("k") end),
    attempt("kv.get.missing", function() return sdk.kvGet("k") end),
    attempt("db.create", function() return sdk.dbExecute("CREATE TABLE IF NOT EXISTS " .. t .. " (name TEXT NOT NULL)") end),
    attempt("db.insert", function() return sdk.dbExecute("INSERT INTO " .. t .. " (name) VALUES (?)", { "lamp" }).rowsAffected end),
    attempt("db.query", function() return sdk.dbQuery("SELECT name FROM " .. t .. " WHERE name = :n", { n = "lamp" }) end),
    attempt("db.protected", function() return sdk.dbQuery("SELECT * FROM users") end),
    attempt("db.invalid", function() return sdk.dbQuery("SELEC 1") end),
    attempt("vfs.write", function() return sdk.vfsWrite("notes/a.txt", "hello") end),
    attempt("vfs.read", function() return sdk.vfsRead("notes/a.txt") end),
    attempt("vfs.list", function()
      local names = {}
      for i, e in ipairs(sdk.vfsList("notes")) do names[i] = e.name end
      return names
    end),
    attempt("vfs.exists", function() return sdk.vfsExists("notes/b.txt") end),
    attempt("vfs.escape", function() return sdk.vfsRead("../secret") end),
    attempt("config.get", function() return sdk.configGet("greeting") end),
    attempt("config.site", function() return sdk.configGet("site.url") end),
    attempt("events.emit", function() return sdk.emit("conf.happened", { n = 1 }) end),
    attempt("ids.len", function() return #sdk.newId() end),
    attempt("http.denied", function() return sdk.httpGet("https://not-allowed.example/") end),
    attempt("log", function() return sdk.logInfo("conformance", label) end),
  }
end

Plugin.filter_title = function(input)
  local body = sdk.extractJson(input, "body")
  body.title = string.upper(body.title)
  return body
end

Plugin.render = function(input)
  return "<p>" .. sdk.extractJson(input, "body.title") .. "</p>"
end

Plugin.action = function(input)
  sdk.logInfo("action ran")
end

Plugin.boom = function(input)
  error("boom")
end

Plugin.echo = function(req)
  return sdk.ok({ method = req.method, id = req.params.id, q = req.query.q, body = req.json })
end

Plugin.refuse = function(req)
  return sdk.fail(418, "no coffee")
end
