--- Picks the transport for where the code runs: cosockets inside nginx where
-- they can yield, libcurl everywhere else (plain Lua, and nginx phases such as
-- init_by_lua, init_worker_by_lua, set/header_filter/body_filter/log where a
-- cosocket cannot be used). The choice is made per call, so a client made in
-- init_by_lua still uses cosockets in a content handler or a timer. Requiring
-- this module (or compshare) does no I/O: each transport is made on first use.
-- @module compshare.transport
local util = require "compshare.util"

local transport = {}

-- The list of what feed() gives until it gives nil.
local function drain(feed)
  local list = {}
  for req in feed do list[#list + 1] = req end
  return list
end

--- The default transport for a client made with `opts` (insecure, cainfo, logger, ...).
-- @tparam table opts the client's options
-- @treturn table a transport: `transport(req) -> res | nil, err`, `batch(reqs, n)`, `close()`
function transport.default(opts)
  local curl, cosocket
  local function pick()
    if util.can_yield() then
      cosocket = cosocket or require("compshare.transport.ngx").new(opts)
      return cosocket
    end
    curl = curl or require("compshare.transport.curl").new(opts)
    return curl
  end
  return setmetatable({
    -- reqs may be a function giving the next request (nil when done), and digest(i, answer) may
    -- get answers as they come (see compshare.batch); a transport that takes neither gets the list.
    batch_feeds = true,
    batch = function(reqs, concurrency, digest)
      local t = pick()
      if rawget(t, "batch_feeds") then return t.batch(reqs, concurrency, digest) end
      if type(reqs) == "function" then reqs = drain(reqs) end
      return t.batch(reqs, concurrency)
    end,
    close = function()
      if curl then curl.close() end
      if cosocket then cosocket.close() end
    end,
  }, { __call = function(_, req) return pick()(req) end })
end

return transport
