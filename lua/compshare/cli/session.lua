--- Clients for a command: the sandbox behind `--sandbox`, otherwise the configuration
-- (compshare.config) with the flags as explicit options; credentials checked before anything
-- else; `--debug` logging every request and response (redacted) on stderr; the spending guard.
-- @module compshare.cli.session
local compshare = require "compshare"
local config = require "compshare.config"
local errors = require "compshare.errors"
local args = require "compshare.cli.args"
local consent = require "compshare.cli.consent"

local session = {}

--- The sandbox's region and zone (the service's defaults too).
session.SANDBOX_REGION, session.SANDBOX_ZONE = config.DEFAULTS.region, config.DEFAULTS.zone

--- The sandbox behind --sandbox. Its time runs on the wall clock (so scripts that really sleep
-- see things happen) plus whatever sb.sleep() skips ahead, and its durations are short so that
-- a demo with real waits takes seconds.
session.SANDBOX_OPTIONS = {
  durations = { instance_boot = 2, instance_start = 1, instance_stop = 1, instance_reboot = 1, image_make = 5 },
}

local function new_sandbox()
  local util = require "compshare.util"
  local o = { clock = util.monotonic }
  for k, v in pairs(session.SANDBOX_OPTIONS) do o[k] = v end
  return require("compshare.sandbox").new(o)
end

local function debug_logger(line)
  io.stderr:write(line, "\n")
end

--- Client options from the command-line options (the gaps are filled by compshare.config).
function session.options(opts)
  local o = { profile = opts.profile, region = opts.region, zone = opts.zone, base_url = opts["base-url"],
              timeout = opts.timeout, max_retries = opts["max-retries"],
              logger = opts.debug and debug_logger or nil }
  if opts.sandbox then
    local sb = new_sandbox()
    o.transport = sb
    o.public_key, o.private_key = next(sb.keys)
    o.region = o.region or session.SANDBOX_REGION
    o.zone = o.zone or session.SANDBOX_ZONE
    o.profile = nil
  end
  return o
end

--- Resolved options for `opts` (the command line's), or nil, error: a broken configuration is
-- a usage error, and missing credentials come first, before anything about the call itself.
function session.resolve(opts)
  local ok, o = pcall(config.resolve, session.options(opts))
  if not ok then return nil, args.usage_error(tostring(o)) end
  local missing = config.missing_credentials(o.public_key, o.private_key)
  if missing then return nil, errors.new { kind = "validation", message = missing } end
  if opts.debug then
    local origin = config.origin(o) or {}
    for _, key in ipairs(config.KEYS) do
      if key ~= "private_key" and origin[key] then
        debug_logger(("compshare-lua config: %s from %s"):format(key, origin[key]))
      end
    end
  end
  return o
end

--- A client for the command-line options, or nil, err.
-- @tparam table opts the parsed options
-- @tparam[opt] function keeper a consent keeper (consent.keeper); spending requests of a client
--   talking to the real service go through it
function session.client(opts, keeper)
  local o, err = session.resolve(opts)
  if not o then return nil, err end
  local ok, client = pcall(compshare.new, o)
  if not ok then return nil, args.usage_error(tostring(client)) end
  if keeper and not opts.sandbox then client.transport = consent.guard(client.transport, keeper) end
  return client
end

return session
