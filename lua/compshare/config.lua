--- Configuration like ucloud-cli and the Go SDK, with one difference: explicit
-- options win over UCLOUD_* environment variables, which win over the
-- ~/.ucloud profile files (the Go SDK lets the files win).
--
-- Files: config.json and credential.json, each a JSON array of profiles:
--   config.json:     { "profile", "active", "project_id", "region", "zone", "base_url", "timeout_sec" }
--   credential.json: { "profile", "public_key", "private_key" }
-- The profile is opts.profile, else UCLOUD_PROFILE, else the config entry with
-- "active": true (the last one), else "default".
local json = require "compshare.json"

local config = {}

local ENV = {
  public_key = "UCLOUD_PUBLIC_KEY", private_key = "UCLOUD_PRIVATE_KEY",
  region = "UCLOUD_REGION", zone = "UCLOUD_ZONE", project_id = "UCLOUD_PROJECT_ID",
  base_url = "UCLOUD_API_BASE_URL", timeout = "UCLOUD_TIMEOUT_SECOND",
}

-- option name <- field name in config.json
local CONFIG_FIELDS = { project_id = "project_id", region = "region", zone = "zone",
                        base_url = "base_url", timeout = "timeout_sec" }

local function fail(msg)
  error("compshare config: " .. msg, 0)
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return text
end

local function file_mode(path)
  return require("compshare.core").file_mode(path)
end

local function warn_stderr(line)
  io.stderr:write(line, "\n")
end

--- The system access config needs; each piece can be replaced (specs do).
local function system(sys)
  sys = sys or {}
  local getenv = sys.getenv or os.getenv
  return {
    getenv = getenv,
    home = sys.home or getenv("HOME") or "",
    read_file = sys.read_file or read_file,
    file_mode = sys.file_mode or file_mode,
  }
end

local function nonempty(v)
  if v == nil or v == "" or v == json.null then return nil end
  return v
end

local function timeout_from(v, where)
  local n = tonumber(v)
  if not n or n <= 0 then
    fail(("%s must be a number of seconds > 0, got %q"):format(where, tostring(v)))
  end
  return n
end

-- A path from the environment (required to exist) or the default (optional).
local function file_path(sys, var, name)
  local p = nonempty(sys.getenv(var))
  if p then
    if p:sub(1, 2) == "~/" then p = sys.home .. p:sub(2) end
    return p, true
  end
  return sys.home .. "/.ucloud/" .. name, false
end

-- The profiles in a file: a list, {} when an optional file is missing.
local function load_profiles(sys, path, required)
  local text = sys.read_file(path)
  if text == nil then
    if required then fail(path .. " does not exist or cannot be read") end
    return {}
  end
  local list, err = json.decode(text)
  if type(list) ~= "table" or (next(list) ~= nil and list[1] == nil) then
    fail(("%s is not a JSON array of profiles%s"):format(path, err and (": " .. err) or ""))
  end
  for i, p in ipairs(list) do
    if type(p) ~= "table" then fail(("%s: entry %d is not an object"):format(path, i)) end
  end
  return list
end

local function find_profile(list, name)
  for _, p in ipairs(list) do
    if p.profile == name then return p end
  end
end

local function active_profile(list)
  local found
  for _, p in ipairs(list) do
    if p.active == true then found = p end
  end
  return found
end

local function readable_by_others(mode)
  local group, other = math.floor(mode / 8) % 8, mode % 8
  return group >= 4 or other >= 4
end

-- Values from the profile files, plus a warning about a too-open credential file.
local function from_files(sys, profile, warn)
  local cfg_path, cfg_required = file_path(sys, "UCLOUD_SHARED_CONFIG_FILE", "config.json")
  local cred_path, cred_required = file_path(sys, "UCLOUD_SHARED_CREDENTIAL_FILE", "credential.json")
  local cfgs = load_profiles(sys, cfg_path, cfg_required)
  local creds = load_profiles(sys, cred_path, cred_required)

  local cfg
  if profile then
    cfg = find_profile(cfgs, profile)
    if not cfg and not find_profile(creds, profile) then
      fail(("profile %q is in neither %s nor %s"):format(profile, cfg_path, cred_path))
    end
  else
    cfg = active_profile(cfgs)
    profile = cfg and nonempty(cfg.profile) or "default"
  end

  local out = {}
  for opt, field in pairs(CONFIG_FIELDS) do
    out[opt] = cfg and nonempty(cfg[field])
  end
  if out.timeout then out.timeout = timeout_from(out.timeout, cfg_path .. " timeout_sec") end
  local cred = find_profile(creds, profile)
  if cred then
    out.public_key, out.private_key = nonempty(cred.public_key), nonempty(cred.private_key)
    local mode = sys.file_mode(cred_path)
    if mode and readable_by_others(mode) then
      warn(("compshare WARNING: %s can be read by other users (mode %03o); run: chmod 600 %s"):format(
        cred_path, mode, cred_path))
    end
  end
  return out
end

--- resolve(opts [, sys]) -> a new options table with the gaps filled in:
-- explicit opts > UCLOUD_* environment > profile files.
-- sys (for specs): { getenv = fn, home = dir, read_file = fn(path) -> text|nil,
--                    file_mode = fn(path) -> bits|nil }.
-- Raises on a broken configuration (bad JSON, unknown profile, bad timeout).
function config.resolve(opts, sys)
  sys = system(sys)
  local warn = opts.logger or warn_stderr
  local env = {}
  for key, var in pairs(ENV) do
    env[key] = nonempty(sys.getenv(var))
  end
  if env.timeout then env.timeout = timeout_from(env.timeout, "UCLOUD_TIMEOUT_SECOND") end
  local profile = nonempty(opts.profile) or nonempty(sys.getenv("UCLOUD_PROFILE"))
  local files = from_files(sys, profile, warn)

  local out = {}
  for k, v in pairs(opts) do out[k] = v end
  for key in pairs(ENV) do
    if out[key] == nil then out[key] = env[key] end
    if out[key] == nil then out[key] = files[key] end
  end
  return out
end

--- nil when both keys are there, else a message naming what to set.
function config.missing_credentials(public_key, private_key)
  local missing = {}
  if type(public_key) ~= "string" or public_key == "" then missing[#missing + 1] = "public_key" end
  if type(private_key) ~= "string" or private_key == "" then missing[#missing + 1] = "private_key" end
  if #missing == 0 then return nil end
  local names = table.concat(missing, " and ")
  return ("no credentials (%s missing): pass public_key and private_key to compshare.new, "
    .. "or set UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY, "
    .. "or add them to a profile in ~/.ucloud/credential.json (or UCLOUD_SHARED_CREDENTIAL_FILE)"):format(names)
end

return config
