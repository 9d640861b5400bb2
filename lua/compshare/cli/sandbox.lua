--- `compshare-lua sandbox --listen 127.0.0.1:PORT [options]`: the sandbox served
-- over HTTP until SIGINT/SIGTERM (see compshare.sandbox.server).
local sandbox = require "compshare.sandbox"
local server = require "compshare.sandbox.server"
local util = require "compshare.util"

local command = { summary = "serve the offline sandbox over HTTP (sandbox --listen 127.0.0.1:PORT)" }

command.USAGE = [[
usage: compshare-lua sandbox --listen [HOST:]PORT [options]

Serves the offline sandbox over HTTP: POST signed form or JSON bodies as to the
service (Region cn-wlcb, Zone cn-wlcb-01); GET /_sandbox/state, POST
/_sandbox/reset, /_sandbox/advance?seconds=N, /_sandbox/fault?kind=...&times=N.

options:
  --listen [HOST:]PORT     where to listen (HOST defaults to 127.0.0.1; PORT 0 picks a free one)
  --key PUBLIC=PRIVATE     a key pair it accepts (repeatable; default my_public_key=my_private_key)
  --speed FACTOR           simulated seconds per real second (default 1)
  --duration NAME=SECONDS  one simulated step (repeatable; e.g. instance_boot=2, image_make=5)
  --state FILE             keep the world in FILE across restarts
  --seed SEED              ids differ by seed
  --account-level N        0..4: the instance quota (default 2: 20 instances)
  --max-body BYTES         largest request body (default 1048576)
]]

command.usage = command.USAGE

local VALUED = { listen = true, key = true, speed = true, duration = true, state = true, seed = true,
  ["account-level"] = true, ["max-body"] = true }
local REPEATED = { key = true, duration = true }

--- parse(args, i) -> opts or nil, message. args[i..] are the words after `sandbox`.
function command.parse(args, i)
  local o = { key = {}, duration = {} }
  while i <= #args do
    local a = args[i]
    local name, value = a:match("^%-%-([%w-]+)=(.*)$")
    name = name or a:match("^%-%-([%w-]+)$")
    if name == "help" or a == "-h" then o.help = true
    elseif not VALUED[name] then return nil, "unknown option " .. a
    else
      if value == nil then i = i + 1 value = args[i] end
      if value == nil then return nil, "option --" .. name .. " needs a value" end
      if REPEATED[name] then o[name][#o[name] + 1] = value else o[name] = value end
    end
    i = i + 1
  end
  return o
end

local function pairs_of(list, what)
  local out = {}
  for _, item in ipairs(list) do
    local k, v = item:match("^([^=]+)=(.+)$")
    if not k then return nil, ("--%s takes NAME=VALUE, got %q"):format(what, item) end
    out[k] = v
  end
  return out
end

--- Sandbox options from the command's options, or nil, message.
function command.sandbox_options(o)
  local keys, kerr = pairs_of(o.key, "key")
  if not keys then return nil, kerr end
  local durations = {}
  for k, v in pairs(sandbox.QUICK_DURATIONS) do durations[k] = v end
  local given, derr = pairs_of(o.duration, "duration")
  if not given then return nil, derr end
  for k, v in pairs(given) do
    if durations[k] == nil then return nil, "unknown duration " .. k end
    durations[k] = tonumber(v)
    if not durations[k] or durations[k] < 0 then return nil, "duration " .. k .. " must be seconds >= 0" end
  end
  local speed = tonumber(o.speed or "1")
  if not speed or speed <= 0 or speed == math.huge then return nil, "--speed must be a number > 0" end
  local level = o["account-level"] and tonumber(o["account-level"])
  if o["account-level"] and not (level and level >= 0 and level <= 4 and level % 1 == 0) then
    return nil, "--account-level must be 0..4"
  end
  local t0, epoch = util.monotonic(), 1767225600
  return { keys = next(keys) and keys or nil, durations = durations, seed = o.seed, account_level = level,
    clock = function() return epoch + (util.monotonic() - t0) * speed end }, speed
end

--- Where to listen from [HOST:]PORT, or nil, message.
function command.address(listen)
  local host, port = (listen or ""):match("^%[?([^%]]*)%]?:(%d+)$")
  if not host then host, port = "127.0.0.1", (listen or ""):match("^(%d+)$") end
  port = tonumber(port)
  if not port or port > 65535 then return nil, "--listen takes [HOST:]PORT, e.g. 127.0.0.1:8900" end
  return host ~= "" and host or "127.0.0.1", port
end

local function banner(srv, sopts, speed, o)
  local out = io.stdout
  out:write(("compshare-lua sandbox listening on http://%s:%d\n"):format(srv.host, srv.port))
  if sopts.keys then
    local names = {}
    for k in pairs(sopts.keys) do names[#names + 1] = k end
    table.sort(names)
    out:write("keys: public ", table.concat(names, ", "), " (private keys as given)\n")
  else
    out:write("keys: public my_public_key, private my_private_key (the seed pages' placeholders)\n")
  end
  out:write(("region cn-wlcb, zone cn-wlcb-01; time x%g; state %s\n"):format(speed, o.state or "in memory only"))
  out:write("control: GET /_sandbox/state; POST /_sandbox/reset, /_sandbox/advance?seconds=N, /_sandbox/fault?kind=K\n")
  out:flush()
end

--- main(args, i) -> exit code.
function command.main(args, i)
  local o, perr = command.parse(args, i or 1)
  if not o then io.stderr:write("compshare-lua sandbox: ", perr, "\n", command.USAGE) return 2 end
  if o.help then io.stdout:write(command.USAGE) return 0 end
  if not o.listen then io.stderr:write("compshare-lua sandbox: --listen is needed\n", command.USAGE) return 2 end
  local host, port = command.address(o.listen)
  local sopts, speed = command.sandbox_options(o)
  if not host or not sopts then io.stderr:write("compshare-lua sandbox: ", port or speed, "\n") return 2 end
  if o["max-body"] then
    local n = tonumber(o["max-body"])
    if not (n and n >= 1 and n % 1 == 0) then io.stderr:write("compshare-lua sandbox: --max-body must be bytes >= 1\n") return 2 end
    require("compshare.sandbox.http").MAX_BODY = n
  end
  local srv, err = server.new { sandbox = sandbox.new(sopts), host = host, port = port, state = o.state }
  if not srv then io.stderr:write("compshare-lua sandbox: ", err, "\n") return 1 end
  local ok, sig = pcall(require, "compshare.sigwatch")
  if ok then sig.watch() end
  banner(srv, sopts, speed, o)
  srv:run(ok and function() return sig.caught() ~= nil end or nil)
  io.stdout:write(("compshare-lua sandbox: stopped%s after %d requests\n"):format(
    ok and sig.caught() and (" on " .. sig.caught()) or "", srv.served))
  return 0
end

--- Reached through the common option parser (options before `sandbox`): the sandbox takes its
-- own options, so it must come first.
function command.run()
  io.stderr:write("compshare-lua: put `sandbox` first: compshare-lua sandbox --listen 127.0.0.1:PORT ...\n")
  return 2
end

return command
