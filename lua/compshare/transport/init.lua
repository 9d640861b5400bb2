--- Picks the transport for where the code runs: cosockets inside nginx where
-- they can yield, libcurl everywhere else. The choice is made per call, so a
-- client made in init_by_lua still uses cosockets in a content handler.
local transport = {}

local YIELDABLE = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true,
}

--- True when ngx cosockets can be used right now.
function transport.can_yield()
  return ngx ~= nil and ngx.get_phase ~= nil and YIELDABLE[ngx.get_phase()] == true
end

--- The default transport for a client made with `opts`.
function transport.default(opts)
  local curl, cosocket
  local function pick()
    if transport.can_yield() then
      cosocket = cosocket or require("compshare.transport.ngx").new(opts)
      return cosocket
    end
    curl = curl or require("compshare.transport.curl").new(opts)
    return curl
  end
  return setmetatable({
    batch = function(reqs, concurrency) return pick().batch(reqs, concurrency) end,
    close = function()
      if curl then curl.close() end
      if cosocket and cosocket.close then cosocket.close() end
    end,
  }, { __call = function(_, req) return pick()(req) end })
end

return transport
