local sdk = require("sdk")

Plugin = {}

-- Every time content is created, you'll see the log.
Plugin.on_content_created = function(input)
  local data = sdk.extractJson(input, "body")
  sdk.logInfo("new content: " .. tostring(data.id))
end

-- GET /api/v1/plugins/com.raisfast.hello-lua/hello?name=Ada
Plugin.hello = function(req)
  local visits = (sdk.kvGet("visits") or 0) + 1
  sdk.kvSet("visits", visits)
  local name = req.query.name or "world"
  return sdk.ok({ message = sdk.configGet("greeting") .. ", " .. name .. "!", visits = visits })
end
