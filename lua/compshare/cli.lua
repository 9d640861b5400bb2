--- The front end of the `compshare-lua` runtime: `main(argv)` returns an exit code.
--   compshare-lua [options] run SCRIPT.lua [args]
--   compshare-lua [options] call ACTION Key=Value ... [--json '{...}']
--   compshare-lua actions | help ACTION
-- Exit codes: 0 ok, 1 other, 2 validation or usage, 3 api, 4 transport/timeout/http/decode.
local compshare = require "compshare"
local errors = require "compshare.errors"
local json = require "compshare.json"
local fields = require "compshare.cli.fields"
local params = require "compshare.cli.params"

local cli = {}

cli.EXIT = { ok = 0, other = 1, validation = 2, usage = 2, api = 3,
             transport = 4, timeout = 4, http = 4, decode = 4 }

cli.USAGE = [[
usage: compshare-lua [options] COMMAND ...

commands:
  run SCRIPT.lua [args]               run an automation script (require "compshare" works)
  call ACTION [Key=Value ...]         make one call and print the response as JSON
       [--json '{...}']               Disks.0.Size=200 builds nested tables (indexes from 0)
  actions                             list the actions
  help ACTION                         an action's fields and rules

options:
  --sandbox          talk to the offline sandbox instead of the service
  --profile NAME     use the ~/.ucloud profile NAME
  --region REGION    default Region for calls
  --zone ZONE        default Zone for calls
  --help, --version

exit codes: 0 ok, 2 validation or usage, 3 API error, 4 transport/timeout/HTTP/decode, 1 other
]]

-- Options taking a value, and flags.
local VALUED = { profile = true, region = true, zone = true, json = true }
local FLAGS = { sandbox = true, help = true, version = true }

local function usage_error(msg)
  return errors.new { kind = "validation", message = msg, usage = true }
end

--- parse(argv) -> { command=, args={...}, opts={...} } or nil, err.
-- Options may come before or after the command; for `run` everything after the
-- script belongs to the script.
function cli.parse(argv)
  local cmd = { args = {}, opts = {} }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if cmd.command == "run" and #cmd.args >= 1 then
      cmd.args[#cmd.args + 1] = a
    elseif a:sub(1, 2) == "--" and #a > 2 then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      if VALUED[name] then
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then return nil, usage_error("option --" .. name .. " needs a value") end
        end
        cmd.opts[name] = value
      elseif FLAGS[name] and value == nil then
        cmd.opts[name] = true
      else
        return nil, usage_error("unknown option " .. a)
      end
    elseif a == "-h" then
      cmd.opts.help = true
    elseif not cmd.command then
      cmd.command = a
    else
      cmd.args[#cmd.args + 1] = a
    end
    i = i + 1
  end
  return cmd
end

--- Exit code for an error value (an errors table or anything else).
function cli.exit_code(err)
  if errors.is(err) then
    if err.usage then return cli.EXIT.usage end
    return cli.EXIT[err.kind] or cli.EXIT.other
  end
  return cli.EXIT.other
end

local function report(err)
  if errors.is(err) and not err.usage then
    io.stderr:write(tostring(err), "\n")   -- already reads "compshare <kind> error ..."
  else
    io.stderr:write("compshare-lua: ", errors.is(err) and err.message or tostring(err), "\n")
  end
  if errors.is(err) and type(err.problems) == "table" and #err.problems > 1 then
    for _, p in ipairs(err.problems) do
      io.stderr:write("  ", p.path and p.path ~= "" and (p.path .. ": ") or "", tostring(p.message), "\n")
    end
  end
  return cli.exit_code(err)
end

---------------------------------------------------------------------------------------------------
-- Progress

local host do
  local ok, h = pcall(require, "compshare.host")
  host = ok and h or nil
end

--- True when fd 1 is a terminal that can redraw a line.
function cli.is_tty()
  local term = os.getenv("TERM")
  return term ~= nil and term ~= "" and term ~= "dumb" and host ~= nil and host.isatty(1)
end

local BAR = 30

--- "image compshareImage-1: Making" from what the workflows pass as info.
local function describe(info)
  if type(info) ~= "table" then return info and tostring(info) or "" end
  local id = info.id or info.CompShareImageId or info.UHostId
  local state = info.state or info.Status or info.State
  local head = table.concat({ info.what and tostring(info.what) or nil, id and tostring(id) or nil }, " ")
  if state == nil then return head end
  return head == "" and tostring(state) or (head .. ": " .. tostring(state))
end

--- progress_printer(out, tty) -> function(pct, info) drawing `\r[#####     ] 42%`
-- on a terminal, or one plain line per change otherwise. A nil pct (a state
-- change with no percentage) is printed as a line of its own.
function cli.progress_printer(out, tty)
  local last, open = nil, false
  return function(pct, info)
    local label = describe(info)
    if pct == nil then
      if label ~= last then out:write(open and "\n" or "", label, "\n") end
      last, open = label, false
      return out:flush()
    end
    pct = math.max(0, math.min(100, math.floor(tonumber(pct) or 0)))
    local line = ("%3d%% %s"):format(pct, label)
    if tty then
      local n = math.floor(pct * BAR / 100)
      out:write(("\r[%s%s] %s"):format(("#"):rep(n), (" "):rep(BAR - n), line))
      open = pct < 100
      if not open then out:write("\n") end
    elseif line ~= last then
      out:write(label ~= "" and (label .. " ") or "", pct, "%\n")
    end
    last = line
    out:flush()
  end
end

--- cli.progress(pct, info): an on_progress printer for stdout (bar on a terminal).
function cli.progress(pct, info)
  cli.progress = cli.progress_printer(io.stdout, cli.is_tty())
  return cli.progress(pct, info)
end

---------------------------------------------------------------------------------------------------
-- Clients

local SANDBOX_REGION, SANDBOX_ZONE = "cn-wlcb", "cn-wlcb-01"

--- The sandbox behind --sandbox. Its time runs on the wall clock (so scripts that
-- really sleep see things happen) plus whatever sb.sleep() skips ahead, and its
-- durations are short so that a demo with real waits takes seconds.
cli.SANDBOX_OPTIONS = {
  durations = { instance_boot = 2, instance_start = 1, instance_stop = 1, instance_reboot = 1, image_make = 5 },
}

local function new_sandbox()
  local util = require "compshare.util"
  local o = { clock = util.monotonic }
  for k, v in pairs(cli.SANDBOX_OPTIONS) do o[k] = v end
  return require("compshare.sandbox").new(o)
end

--- Client options from the command-line options (the gaps are filled by compshare.config).
function cli.client_options(opts)
  local o = { profile = opts.profile, region = opts.region, zone = opts.zone }
  if opts.sandbox then
    local sb = new_sandbox()
    o.transport = sb
    o.public_key, o.private_key = next(sb.keys)
    o.region = o.region or SANDBOX_REGION
    o.zone = o.zone or SANDBOX_ZONE
  end
  return o
end

--- A client for the command-line options, or nil, a usage error when the
-- configuration is broken (an unknown profile, a bad profile file, ...).
function cli.new_client(opts)
  local ok, client = pcall(compshare.new, cli.client_options(opts))
  if ok then return client end
  return nil, usage_error((tostring(client):gsub("^[^:]*:%d+: ", "")))
end

--- Makes `compshare.new` fill the gaps in a script's options with the command-line
-- ones; returns a function that undoes it. With --sandbox, a client that does not
-- bring its own transport talks to the sandbox with the sandbox's keys.
local function with_defaults(defaults, sandboxed)
  local new = compshare.new
  compshare.new = function(opts)
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    if sandboxed and o.transport == nil then o.public_key, o.private_key = nil, nil end
    for k, v in pairs(defaults) do if o[k] == nil then o[k] = v end end
    return new(o)
  end
  return function() compshare.new = new end
end

---------------------------------------------------------------------------------------------------
-- Commands

local commands = {}

function commands.actions()
  local spec = fields.load()
  if not spec then return nil, errors.new { kind = "validation", message = "no action list: compshare.spec is missing" } end
  for _, name in ipairs(fields.action_names(spec)) do io.stdout:write(name, "\n") end
  return 0
end

local function unknown_action(spec, name)
  local best = require("compshare.validate").closest(name, fields.action_names(spec))
  return usage_error(("unknown action %q%s"):format(name, best and ("; did you mean " .. best .. "?") or ""))
end

function commands.help(args)
  local name = args[1]
  if not name then io.stdout:write(cli.USAGE) return 0 end
  local spec = fields.load()
  if not spec then return nil, errors.new { kind = "validation", message = "no help: compshare.spec is missing" } end
  local a = fields.action(spec, name)
  if not a then return nil, unknown_action(spec, name) end
  local out = { name .. (a.retry_safe == false and "  (not safe to retry)" or "  (safe to retry)"), "", "fields:" }
  fields.describe(spec, fields.request(spec, name), "", out)
  local rules = fields.rules(spec, name)
  if #rules > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "rules:"
    for _, r in ipairs(rules) do out[#out + 1] = r end
  end
  for _, key in ipairs { "notes", "decisions" } do
    if type(a[key]) == "table" and #a[key] > 0 then
      out[#out + 1] = ""
      out[#out + 1] = key .. ":"
      for _, n in ipairs(a[key]) do
        out[#out + 1] = "  - " .. (type(n) == "table" and (n.text or n.note or json.encode(n)) or tostring(n))
      end
    end
  end
  io.stdout:write(table.concat(out, "\n"), "\n")
  return 0
end

function commands.call(args, opts)
  local action = args[1]
  if not action then return nil, usage_error("call needs an ACTION (see `compshare-lua actions`)") end
  local spec = fields.load()
  if spec and not fields.action(spec, action) then return nil, unknown_action(spec, action) end
  local p, perr = params.build({ table.unpack(args, 2) }, opts.json, spec and function(parts)
    return fields.type_at(spec, action, parts)
  end)
  if not p then return nil, usage_error(perr) end
  local client, cerr = cli.new_client(opts)
  if not client then return nil, cerr end
  local res, err
  if type(client[action]) == "function" then
    res, err = client[action](client, p)
  else
    res, err = client:call(action, p)
  end
  if not res then return nil, err end
  io.stdout:write(assert(json.pretty(res)), "\n")
  return 0
end

function commands.run(args, opts)
  local script = args[1]
  if not script then return nil, usage_error("run needs a SCRIPT.lua") end
  local chunk, lerr = loadfile(script)
  if not chunk then return nil, usage_error(lerr) end
  local script_arg = { [0] = script, [-1] = "run", [-2] = arg and arg[0] or "compshare-lua" }
  for i = 2, #args do script_arg[i - 1] = args[i] end
  _G.arg = script_arg
  local restore = with_defaults(cli.client_options(opts), opts.sandbox)
  local results = table.pack(xpcall(chunk, function(e)
    if errors.is(e) then return e end
    return debug.traceback(tostring(e), 2)
  end, table.unpack(script_arg, 1, #script_arg)))
  restore()
  if not results[1] then
    if errors.is(results[2]) then return nil, results[2] end
    io.stderr:write("compshare-lua: ", tostring(results[2]), "\n")
    return cli.EXIT.other
  end
  local r = results[2]
  if math.type(r) == "integer" then return r end
  if r == false then return cli.EXIT.other end
  return 0
end

---------------------------------------------------------------------------------------------------

--- main(argv) -> exit code. argv[1..] are the words after the program name.
function cli.main(argv)
  local cmd, perr = cli.parse(argv or {})
  if not cmd then io.stderr:write(cli.USAGE) return report(perr) end
  if cmd.opts.version then
    local core = require "compshare.core"
    io.stdout:write(("compshare-lua %s (%s; %s)\n"):format(compshare._VERSION, _VERSION, tostring(core.curl_version)))
    return 0
  end
  if cmd.opts.help or not cmd.command then
    io.stdout:write(cli.USAGE)
    return cmd.command and 0 or (cmd.opts.help and 0 or cli.EXIT.usage)
  end
  local run = commands[cmd.command]
  if not run then
    io.stderr:write(cli.USAGE)
    return report(usage_error("unknown command " .. cmd.command))
  end
  local ok, code, err = pcall(run, cmd.args, cmd.opts)
  if not ok then
    io.stderr:write("compshare-lua: internal error: ", tostring(code), "\n")
    return cli.EXIT.other
  end
  if code == nil then return report(err) end
  return code
end

return cli
