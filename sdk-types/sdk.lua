---@meta sdk
-- LuaLS annotations of the RaisFast Lua SDK: `local sdk = require("sdk")`.
-- `raisfast plugin new --runtime lua` puts this file (and a .luarc.json) in the
-- plugin directory, so editors complete and check SDK calls. A failed host call
-- raises a string error "kind: message" (kind: denied, invalid, not-found,
-- limit, failed), catchable with pcall.

---@alias sdk.Json nil|boolean|number|string|table

---@class sdk.Envelope
---@field hook string
---@field id string|number|nil
---@field content_type string|nil
---@field body any
---@field user? { id: string, username: string, role: string }
---@field emitter? string

---@class sdk.Request
---@field handler string
---@field method string
---@field path string
---@field params table<string, string>
---@field query table<string, string>
---@field headers table<string, string> lowercase names; never authorization or cookie
---@field body string
---@field json any the body parsed as JSON, or nil
---@field caller? { id: string, username: string, role: string }

---@class sdk.HttpResponse
---@field status integer
---@field headers table<string, string>
---@field body string

---@class sdk.FileEntry
---@field name string
---@field isDir boolean
---@field size integer
---@field modifiedMs integer

---@class sdk
local sdk = {}

---Runs one statement and returns its rows (`[permissions] database`).
---@param sql string
---@param params? table `?` placeholders: a list; `:name`: a table
---@return table[] rows
function sdk.dbQuery(sql, params) end

---Runs one statement that changes data (or your own tables' schema).
---@param sql string
---@param params? table
---@return { rowsAffected: integer, lastInsertId: integer }
function sdk.dbExecute(sql, params) end

---Starts a transaction; it ends with dbCommit, dbRollback or the end of the call (rolled back).
function sdk.dbBegin() end
function sdk.dbCommit() end
function sdk.dbRollback() end

---Any method to an allowed URL (`[permissions] http`).
---@param request { url: string, method?: string, headers?: table<string, string>, body?: string|table, timeoutMs?: integer }
---@return sdk.HttpResponse
function sdk.httpFetch(request) end

---@param url string
---@param headers? table<string, string>
---@return sdk.HttpResponse
function sdk.httpGet(url, headers) end

---A table body is sent as JSON.
---@param url string
---@param body string|table
---@param headers? table<string, string>
---@return sdk.HttpResponse
function sdk.httpPost(url, body, headers) end

---@param path string
---@return string
function sdk.vfsRead(path) end
---@param path string
---@param data string|table
function sdk.vfsWrite(path, data) end
---@param path string
function sdk.vfsDelete(path) end
---@param path? string
---@return sdk.FileEntry[]
function sdk.vfsList(path) end
---@param path string
---@return sdk.FileEntry
function sdk.vfsStat(path) end
---@param path string
---@return boolean
function sdk.vfsExists(path) end

---@param key string
---@return any|nil
function sdk.kvGet(key) end
---@param key string
---@param value any
---@param ttlSeconds? integer
function sdk.kvSet(key, value, ttlSeconds) end
---@param key string
---@return boolean existed
function sdk.kvDelete(key) end
---@param prefix? string
---@return string[]
function sdk.kvList(prefix) end

---A value of the plugin's [config] (dotted keys walk into tables), or a granted site.* setting.
---@param key string
---@return any|nil
function sdk.configGet(key) end
---@return table
function sdk.configAll() end

---Emits a custom event to the plugins subscribed to `name`, after this call.
---@param name string
---@param payload? any
function sdk.emit(name, payload) end

---@param level "trace"|"debug"|"info"|"warn"|"error"
---@param ... any
function sdk.log(level, ...) end
---@param ... any
function sdk.logDebug(...) end
---@param ... any
function sdk.logInfo(...) end
---@param ... any
function sdk.logWarn(...) end
---@param ... any
function sdk.logError(...) end

---A new UUIDv7.
---@return string
function sdk.newId() end

---A JSON response (200 unless `status` is given).
---@param data any
---@param status? integer
---@return table
function sdk.ok(data, status) end

---An error response: {"error": {"status", "message"}}.
---@param status integer
---@param message string
---@return table
function sdk.fail(status, message) end

---The value at a dotted path ("body.items.1") of JSON text or a value; nil if absent.
---@param input string|table
---@param path string
---@return any|nil
function sdk.extractJson(input, path) end

return sdk
