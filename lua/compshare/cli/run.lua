--- `compshare-lua run SCRIPT.lua [args]`: an automation script with `require "compshare"` working
-- and the command-line options as defaults for every client it makes. A client that talks to the
-- real service asks once, before the script's first call that costs money (or needs --yes).
-- @module compshare.cli.run
local compshare = require "compshare"
local errors = require "compshare.errors"
local args = require "compshare.cli.args"
local consent = require "compshare.cli.consent"
local session = require "compshare.cli.session"

local run = {}

run.summary = "run an automation script (require \"compshare\" works)"
run.usage = [[
usage: compshare-lua [options] run SCRIPT.lua [args ...]

The script gets arg (arg[0] the script, arg[1]... its arguments, also passed as ...). The options
before SCRIPT become defaults for every client it makes with compshare.new (its own options win).
Every word after SCRIPT belongs to the script.

  --sandbox   every client without its own transport talks to one offline sandbox
  --yes       calls that cost money go ahead without asking; without it the first one asks on a
              terminal, and stops the script (exit 2, nothing sent) when stdin is not a terminal
  --debug     every request and response on stderr, secrets redacted

Exit code: the number the script returns (0 when it returns nothing); a compshare error raised
with error(err) exits with its kind's code; any other error prints a traceback and exits 1.
]]

--- Makes `compshare.new` fill the gaps in a script's options with `defaults`; returns a function
-- that undoes it. With --sandbox, a client that does not bring its own transport talks to the
-- sandbox with the sandbox's keys. Clients that make their own transport (to the real service)
-- ask `keeper` before spending.
local function with_defaults(defaults, sandboxed, keeper)
  local new = compshare.new
  compshare.new = function(opts)
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    local own_transport = o.transport ~= nil
    if sandboxed and not own_transport then o.public_key, o.private_key = nil, nil end
    for k, v in pairs(defaults) do if o[k] == nil then o[k] = v end end
    local client = new(o)
    if not sandboxed and not own_transport then
      client.transport = consent.guard(client.transport, keeper)
    end
    return client
  end
  return function() compshare.new = new end
end

local function traceback(e)
  if errors.is(e) then return e end
  return debug.traceback(tostring(e), 2)
end

--- Runs the command; returns an exit code, or nil, err.
function run.run(words, opts)
  local script = words[1]
  if not script then return nil, args.usage_error("run needs a SCRIPT.lua") end
  if opts["dry-run"] then   -- ignoring it would send what the user meant only to look at
    return nil, args.usage_error("--dry-run is for call; a script's calls cannot be dry-run (try --sandbox)")
  end
  local chunk, lerr = loadfile(script)
  if not chunk then return nil, args.usage_error(lerr) end
  local script_arg = { [0] = script, [-1] = "run", [-2] = arg and arg[0] or "compshare-lua" }
  for i = 2, #words do script_arg[i - 1] = words[i] end
  _G.arg = script_arg
  local restore = with_defaults(session.options(opts), opts.sandbox, consent.keeper { yes = opts.yes })
  local results = table.pack(xpcall(chunk, traceback, table.unpack(script_arg, 1, #script_arg)))
  restore()
  if not results[1] then
    if errors.is(results[2]) then return nil, results[2] end
    io.stderr:write("compshare-lua: ", tostring(results[2]), "\n")
    return 1
  end
  local r = results[2]
  if math.type(r) == "integer" then return r end
  if r == false then return 1 end
  return 0
end

return run
