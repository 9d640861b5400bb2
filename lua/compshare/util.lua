--- Small shared helpers: time and sleeping that do the right thing inside nginx.
local core = require "compshare.core"

local util = {}

local function in_yieldable_ngx()
  return require("compshare.transport").can_yield()
end

--- Sleep `s` seconds: ngx.sleep where cosockets can yield, else a real sleep.
function util.sleep(s)
  if not s or s <= 0 then return end
  if in_yieldable_ngx() then return ngx.sleep(s) end
  core.sleep(s)
end

--- Wall-clock seconds (fractional).
function util.now()
  if ngx and ngx.now then
    if ngx.update_time then ngx.update_time() end
    return ngx.now()
  end
  return core.now()
end

--- Seconds from an arbitrary start; for measuring intervals.
function util.monotonic()
  if ngx and ngx.now then
    if ngx.update_time then ngx.update_time() end
    return ngx.now()
  end
  return core.monotonic()
end

return util
