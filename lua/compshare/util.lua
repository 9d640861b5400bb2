--- Small shared helpers: time and sleeping that do the right thing inside nginx.
local core = require "compshare.core"

local util = {}

--- ngx.get_phase() values where cosockets (and ngx.sleep) may yield.
util.YIELDABLE = {
  rewrite = true, server_rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
}

--- True when ngx cosockets (and ngx.sleep) can be used right now.
function util.can_yield()
  return ngx ~= nil and ngx.get_phase ~= nil and util.YIELDABLE[ngx.get_phase()] == true
end

--- Sleep `s` seconds: ngx.sleep where cosockets can yield, else a real sleep.
function util.sleep(s)
  if not s or s <= 0 then return end
  if util.can_yield() then return ngx.sleep(s) end
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

--- Seconds from an arbitrary start, never going backwards; for measuring intervals. The C core's
-- clock_gettime(CLOCK_MONOTONIC), inside nginx too (ngx.now is a wall clock).
util.monotonic = core.monotonic

return util
