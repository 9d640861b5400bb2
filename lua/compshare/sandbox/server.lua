--- The sandbox over HTTP (`compshare-lua sandbox --listen 127.0.0.1:PORT`): POST
-- any path but /_sandbox/... with a signed form or JSON body, as the service
-- is called; JSON answers carry X-UCLOUD-REQUEST-UUID. One connection at a
-- time, each closed after its answer. The control endpoint, for tests:
--   POST /_sandbox/reset                      forget the world (and queued faults)
--   POST /_sandbox/advance?seconds=N          move simulated time on
--   POST /_sandbox/fault?kind=K&times=N&...   queue faults (sandbox/faults.lua), also a JSON body
--   GET  /_sandbox/state                      clock, counts and queued faults as JSON
-- With opts.state the world is written to that file (atomically) after every
-- request and read back at start, so it survives restarts.
local json = require "compshare.json"
local core = require "compshare.core"
local http = require "compshare.sandbox.http"

local server = {}

local Server = {}
Server.__index = Server

local function as_json(status, value)
  return { status = status, headers = { ["content-type"] = "application/json" }, body = assert(json.encode(value)) }
end

local CONTROL = {}

function CONTROL.reset(self)
  self.sb:reset()
  return as_json(200, { ok = true })
end

function CONTROL.advance(self, args)
  local s = tonumber(args.seconds)
  if not s or s < 0 or s ~= s or s == math.huge then return http.text(400, "advance needs seconds >= 0") end
  self.sb:advance(s)
  return as_json(200, { ok = true, now = self.sb.clock() })
end

function CONTROL.fault(self, args)
  local ok, err = pcall(self.sb.inject, self.sb, args)
  if not ok then return http.text(400, tostring(err):gsub("^[^:]*:%d+: ", "")) end
  return as_json(200, { ok = true, queued = #self.sb.faults })
end

function CONTROL.state(self)
  local counts = {}
  for name, t in pairs(self.sb.world.data) do
    if type(t) == "table" and t.items then counts[name] = #self.sb.world:list(name) end
  end
  return as_json(200, { now = self.sb.clock(), counts = counts, faults = #self.sb.faults })
end

--- The answer to a control request.
function Server:control(req, name)
  local fn = CONTROL[name]
  if not fn then return http.text(404, "no control action " .. name) end
  if (name == "state") ~= (req.method == "GET") then return http.text(405, "use " .. (name == "state" and "GET" or "POST")) end
  local args = core.form_decode(req.query or "")   -- a query string is a form body
  if req.body ~= "" then
    local body = json.decode(req.body)
    if type(body) ~= "table" then return http.text(400, "the body must be a JSON object") end
    for k, v in pairs(body) do args[k] = v end
  end
  return fn(self, args)
end

--- The answer to one request (API or control); nil, err for an injected reset.
function Server:answer(req)
  local name = req.path:match("^/_sandbox/(%w+)$")
  if name then return self:control(req, name) end
  if req.method ~= "POST" then return http.text(405, "the API takes POST (a signed form or JSON body)") end
  return self.sb { url = req.target, method = req.method, headers = req.headers, body = req.body }
end

--- Write the world to the state file (through a temporary file and a rename).
function Server:save()
  if not self.state then return true end
  local text = assert(json.encode(self.sb:snapshot()))
  if core.write_private then
    local ok, done, err = pcall(core.write_private, self.state, text)
    if not ok then return nil, tostring(done) end
    if not done then return nil, tostring(err) end
    return true
  end
  local tmp = self.state .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  f:write(text)
  f:close()
  return os.rename(tmp, self.state)
end

--- Read the world back from the state file, when there is one.
function Server:load()
  local f = self.state and io.open(self.state, "rb")
  if not f then return true end
  local text = f:read("a")
  f:close()
  local snap = json.decode(text)
  if type(snap) ~= "table" then return nil, self.state .. " is not JSON" end
  local ok, err = self.sb:restore(snap)
  if not ok then return nil, self.state .. ": " .. err end
  return true
end

--- Serve one connection: read, answer, write, close.
function Server:serve(conn)
  conn:settimeout(self.io_timeout)
  local req, status, why = http.read(conn)
  local res, err
  if req then
    local ok, r, e = pcall(self.answer, self, req)
    if ok then res, err = r, e else res = http.text(500, "sandbox error: " .. tostring(r)) end
  else
    res = http.text(status, why)
  end
  if res and res.delay then self.socket.sleep(res.delay) end
  if res then http.write(conn, res) elseif err and err.reset then conn:setoption("linger", { on = true, timeout = 0 }) end
  conn:close()
  if req then
    local ok, serr = self:save()
    if not ok then self.log("sandbox: cannot save the state: " .. tostring(serr)) end
  end
  self.served = self.served + 1
end

--- Accept and serve at most one connection (waits up to `wait` seconds); returns true when one was served.
function Server:step(wait)
  self.listener:settimeout(wait or 0.2)
  local conn = self.listener:accept()
  if not conn then return false end
  self:serve(conn)
  return true
end

--- Serve until stop() or until should_stop() says so (a signal); then save and close.
function Server:run(should_stop)
  while not self.stopping and not (should_stop and should_stop()) do self:step(0.2) end
  self:save()
  self:close()
end

function Server:stop() self.stopping = true end

function Server:close()
  if self.listener then self.listener:close() self.listener = nil end
end

--- new{ sandbox =, host = "127.0.0.1", port = 0, state = path, log = fn, io_timeout = 5 }
-- -> server (server.port is the bound port), or nil, err.
function server.new(opts)
  local ok, socket = pcall(require, "socket")
  if not ok then return nil, "luasocket is needed for the sandbox server (Debian: lua-socket)" end
  local self = setmetatable({ sb = opts.sandbox, state = opts.state, socket = socket, served = 0,
    io_timeout = opts.io_timeout or 5, log = opts.log or function(m) io.stderr:write(m, "\n") end }, Server)
  self.sb.serving = true
  local loaded, lerr = self:load()
  if not loaded then return nil, lerr end
  local saved, serr = self:save()       -- a state file that cannot be written is found now, not later
  if not saved then return nil, ("cannot write the state file %s: %s"):format(self.state, tostring(serr)) end
  local listener, err = socket.bind(opts.host or "127.0.0.1", opts.port or 0)
  if not listener then return nil, ("cannot listen on %s:%s: %s"):format(opts.host or "127.0.0.1", tostring(opts.port), err) end
  self.listener = listener
  self.host, self.port = listener:getsockname()
  self.port = tonumber(self.port)
  return self
end

return server
