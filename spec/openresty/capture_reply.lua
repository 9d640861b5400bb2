--- The API stand-in's `reply` for spec/openresty/capture_e2e.lua: which of the end user's
-- headers reached it (none must).
return function() return require("openresty.capture_app").reply() end
