return "lua"
