--- The default transport: one libcurl session (kept-alive connections) per client.
local core = require "compshare.core"

local curl = {}

local function as_error(kind, message, sent)
  return { kind = kind == "timeout" and "timeout" or "transport",
           reason = kind, message = message, sent = sent }
end

--- new(opts) -> transport. opts.insecure, opts.cainfo, opts.logger.
function curl.new(opts)
  opts = opts or {}
  if opts.insecure then -- never silent: stderr when there is no logger
    local warn = opts.logger or function(line) io.stderr:write("compshare: ", line, "\n") end
    warn("WARNING: TLS verification is off (insecure = true)")
  end
  local session = core.session { verify = not opts.insecure, cainfo = opts.cainfo }
  local function entry(r)
    if r.error then return { error = as_error(r.error, r.message, r.sent) } end
    return r
  end
  -- reqs: a list, or a function giving the next request; digest(i, answer), when given, gets
  -- each answer as the batch goes, and the list returned holds what it answered.
  local t = { batch_feeds = true }
  function t.batch(reqs, concurrency, digest)
    if digest then
      return session:batch(reqs, concurrency, function(i, r) return digest(i, entry(r)) end)
    end
    local out = session:batch(reqs, concurrency)  -- nil: core.DEFAULTS.concurrency
    for i, r in ipairs(out) do out[i] = entry(r) end
    return out
  end
  function t.close() session:close() end
  t.session = session
  return setmetatable(t, { __call = function(_, req)
    local res, kind, message, sent = session:request(req)
    if res then return res end
    return nil, as_error(kind, message, sent)
  end })
end

return curl
