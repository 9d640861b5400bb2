--- Where a client's options come from when `compshare.new` is not given them.
--
-- Every option takes the first value found, in this order (docs/RELIABILITY.md has the table):
--
-- 1. explicit options (`compshare.new{...}`, the CLI's flags);
-- 2. `COMPSHARE_*` environment variables;
-- 3. `UCLOUD_*` environment variables;
-- 4. the compshare-cli file (`$COMPSHARE_CONFIG_FILE`, else `$XDG_CONFIG_HOME/compshare/config.json`,
--    else `~/.config/compshare/config.json`), profile from `opts.profile`, `COMPSHARE_PROFILE`,
--    its `current_profile`, else `default`;
-- 5. the ucloud-cli files (`~/.ucloud/config.json` and `credential.json`), profile from
--    `opts.profile`, `UCLOUD_PROFILE`, the `"active"` entry, else `default`;
-- 6. defaults: region `cn-wlcb`, zone `cn-wlcb-01`, base URL `https://api.compshare.cn`.
--
-- Empty strings and zero timeouts/retry counts from the environment or a file mean "unset".
-- A profile named twice in a file: the last entry wins, in every file.
-- @module compshare.config
local json = require "compshare.json"

local config = {}

--- The values used when no source gives one.
config.DEFAULTS = { region = "cn-wlcb", zone = "cn-wlcb-01", base_url = "https://api.compshare.cn" }

--- The options config fills, in the order the docs list them.
config.KEYS = { "public_key", "private_key", "region", "zone", "project_id", "base_url", "timeout",
                "max_retries" }

--- Environment variables per option, for each of the two families.
config.ENV = {
  COMPSHARE = {
    public_key = "COMPSHARE_PUBLIC_KEY", private_key = "COMPSHARE_PRIVATE_KEY",
    region = "COMPSHARE_REGION", zone = "COMPSHARE_ZONE", project_id = "COMPSHARE_PROJECT_ID",
    base_url = "COMPSHARE_BASE_URL", timeout = "COMPSHARE_TIMEOUT", max_retries = "COMPSHARE_MAX_RETRIES",
  },
  UCLOUD = {
    public_key = "UCLOUD_PUBLIC_KEY", private_key = "UCLOUD_PRIVATE_KEY",
    region = "UCLOUD_REGION", zone = "UCLOUD_ZONE", project_id = "UCLOUD_PROJECT_ID",
    base_url = "UCLOUD_API_BASE_URL", timeout = "UCLOUD_TIMEOUT_SECOND",
  },
}

-- option name <- field name in ucloud-cli's config.json
local UCLOUD_FIELDS = { project_id = "project_id", region = "region", zone = "zone",
                        base_url = "base_url", timeout = "timeout_sec", max_retries = "max_retry_times" }

local function fail(msg)
  error("compshare config: " .. msg, 0)
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function core() return require "compshare.core" end

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
    file_mode = sys.file_mode or function(path) return core().file_mode(path) end,
  }
end

local function nonempty(v)
  if v == nil or v == "" or v == json.null then return nil end
  return v
end

--- A value as the option wants it; nil for "unset" (empty, or a zero count); raises naming `where`.
local function normalize(key, v, where)
  v = nonempty(v)
  if v == nil then return nil end
  if key == "timeout" or key == "max_retries" then
    local n = tonumber(v)
    local whole = key == "max_retries"
    if not n or n < 0 or n ~= n or n == math.huge or (whole and n ~= math.floor(n)) then
      fail(("%s must be %s, got %q"):format(where, whole and "a whole number >= 0" or "a number of seconds > 0",
        tostring(v)))
    end
    if n == 0 then return nil end
    return whole and math.floor(n) or n
  end
  if type(v) ~= "string" then fail(("%s must be a string, got %s"):format(where, type(v))) end
  return v
end

--- Is `url` UCloud's own API (ucloud-cli's default base_url), which does not serve CompShare?
function config.is_ucloud_api(url)
  local host = type(url) == "string" and url:match("^%a[%w+.-]*://([^/:?#]+)")
  host = host and host:lower()
  return host ~= nil and (host == "ucloud.cn" or host:sub(-10) == ".ucloud.cn")
end

local function readable_by_others(mode)
  local group, other = math.floor(mode / 8) % 8, mode % 8
  return group >= 4 or other >= 4
end

local function check_mode(sys, path, warn)
  local mode = sys.file_mode(path)
  if mode and readable_by_others(mode) then
    warn(("compshare WARNING: %s can be read by other users (mode %03o); run: chmod 600 %s"):format(
      path, mode, path))
  end
end

-- --------------------------------------------------------------------------
-- The compshare-cli file

--- The path of the compshare-cli config file (which need not exist).
-- @tparam[opt] table sys as for `resolve`
function config.compshare_path(sys)
  sys = system(sys)
  local p = nonempty(sys.getenv("COMPSHARE_CONFIG_FILE"))
  if p then return (p:gsub("^~/", sys.home .. "/")) end
  local xdg = nonempty(sys.getenv("XDG_CONFIG_HOME"))
  if xdg and xdg:sub(1, 1) == "/" then return xdg .. "/compshare/config.json" end
  return sys.home .. "/.config/compshare/config.json"
end

--- The compshare-cli file as a table `{current_profile=, profiles={NAME={...}}}`; a missing or
-- empty file gives no profiles. Raises naming the file when it is not that shape.
function config.read_compshare(path, sys)
  sys = system(sys)
  local text = sys.read_file(path)
  if text == nil or not text:find("%S") then return { profiles = {} } end
  local doc, err = json.decode(text)
  if type(doc) ~= "table" or doc[1] ~= nil or (doc.profiles ~= nil and type(doc.profiles) ~= "table") then
    fail(("%s is not a compshare-cli config (a JSON object with a \"profiles\" object)%s"):format(
      path, err and (": " .. err) or ""))
  end
  doc.profiles = doc.profiles or {}
  if doc.profiles[1] ~= nil then fail(path .. ": \"profiles\" must be an object of NAME: {...}") end
  for name, p in pairs(doc.profiles) do
    if type(p) ~= "table" then fail(("%s: profile %q is not an object"):format(path, tostring(name))) end
  end
  return doc
end

-- Values from the compshare-cli file: keys only (that is all compshare-cli keeps there).
local function from_compshare(sys, st)
  local path = config.compshare_path(sys)
  local doc = config.read_compshare(path, sys)
  local named = nonempty(st.profile) or nonempty(sys.getenv("COMPSHARE_PROFILE"))
  local name = named or nonempty(doc.current_profile) or "default"
  local p = doc.profiles[name]
  st.files[#st.files + 1] = path
  if not p then
    if named and not st.profile then
      fail(("profile %q (COMPSHARE_PROFILE) is not in %s"):format(name, path))
    end
    return {}
  end
  st.found = true
  check_mode(sys, path, st.warn)
  return { public_key = p.public_key, private_key = p.private_key }, path .. " profile " .. name
end

-- --------------------------------------------------------------------------
-- The ucloud-cli files

-- A path from the environment (required to exist) or the default (optional).
local function ucloud_path(sys, var, name)
  local p = nonempty(sys.getenv(var))
  if p then
    if p:sub(1, 2) == "~/" then p = sys.home .. p:sub(2) end
    return p, true
  end
  return sys.home .. "/.ucloud/" .. name, false
end

-- The profiles in a file: a list, {} when an optional file is missing or empty.
local function load_profiles(sys, path, required)
  local text = sys.read_file(path)
  if text == nil then
    if required then fail(path .. " does not exist or cannot be read") end
    return {}
  end
  if not text:find("%S") then return {} end
  local list, err = json.decode(text)
  if type(list) ~= "table" or (next(list) ~= nil and list[1] == nil) then
    fail(("%s is not a JSON array of profiles%s"):format(path, err and (": " .. err) or ""))
  end
  for i, p in ipairs(list) do
    if type(p) ~= "table" then fail(("%s: entry %d is not an object"):format(path, i)) end
  end
  return list
end

-- The last entry whose `key` is `value` (a later entry overrides an earlier one, as in a JSON object).
local function last_with(list, key, value)
  local found
  for _, p in ipairs(list) do
    if p[key] == value then found = p end
  end
  return found
end

-- Values from the ucloud-cli files.
local function from_ucloud(sys, st)
  local cfg_path, cfg_required = ucloud_path(sys, "UCLOUD_SHARED_CONFIG_FILE", "config.json")
  local cred_path, cred_required = ucloud_path(sys, "UCLOUD_SHARED_CREDENTIAL_FILE", "credential.json")
  local cfgs = load_profiles(sys, cfg_path, cfg_required)
  local creds = load_profiles(sys, cred_path, cred_required)
  st.files[#st.files + 1] = cfg_path
  st.files[#st.files + 1] = cred_path
  local named = nonempty(st.profile) or nonempty(sys.getenv("UCLOUD_PROFILE"))
  local cfg, name
  if named then
    name, cfg = named, last_with(cfgs, "profile", named)
  else
    cfg = last_with(cfgs, "active", true)
    name = cfg and nonempty(cfg.profile) or "default"
  end
  local cred = last_with(creds, "profile", name)
  if named and not cfg and not cred and not st.profile then
    fail(("profile %q (UCLOUD_PROFILE) is in neither %s nor %s"):format(name, cfg_path, cred_path))
  end
  if cfg or cred then st.found = true end
  local out = {}
  for opt, field in pairs(UCLOUD_FIELDS) do
    out[opt] = cfg and normalize(opt, cfg[field], cfg_path .. " " .. field)
  end
  if cred then
    out.public_key, out.private_key = cred.public_key, cred.private_key
    check_mode(sys, cred_path, st.warn)
  end
  return out, cfg_path .. " profile " .. name
end

-- --------------------------------------------------------------------------

-- The layers below the explicit options, in order. `ucloud`: a base_url it gives that points at
-- UCloud's own API is not used.
local function env_layer(family)
  return function(sys)
    local out = {}
    for key, var in pairs(config.ENV[family]) do out[key] = normalize(key, sys.getenv(var), var) end
    return out, family .. "_* variables"
  end
end

local LAYERS = {
  { name = "COMPSHARE_* environment", read = env_layer("COMPSHARE") },
  { name = "UCLOUD_* environment", read = env_layer("UCLOUD"), ucloud = true },
  { name = "compshare-cli file", read = from_compshare },
  { name = "ucloud-cli files", read = from_ucloud, ucloud = true },
}

local resolved = setmetatable({}, { __mode = "k" })   -- tables resolve made -> where each value came from

-- May `v` from `layer` fill `key`? Not a UCloud API base_url from a ucloud layer (warns why).
local function accept(key, v, layer, where, warn)
  if key == "base_url" and layer.ucloud and config.is_ucloud_api(v) then
    warn(("compshare WARNING: ignoring base_url %s from %s: that is UCloud's own API (ucloud-cli's "
      .. "default), which does not serve CompShare; using %s unless COMPSHARE_BASE_URL or --base-url "
      .. "says otherwise"):format(v, where, config.DEFAULTS.base_url))
    return false
  end
  return true
end

--- A new options table with the gaps in `opts` filled in (see the module's order).
-- Resolving a table this function returned gives it back unchanged.
-- @tparam table opts the options given to `compshare.new`
-- @tparam[opt] table sys for specs: `{ getenv = fn, home = dir, read_file = fn(path) -> text|nil,
--   file_mode = fn(path) -> bits|nil }`
-- @treturn table the options, with `config.origin(t)` telling where each came from
-- @raise a string `compshare config: ...` on a broken configuration (bad JSON, a named profile that
--   is nowhere, a timeout that is not a number)
function config.resolve(opts, sys)
  if resolved[opts] then return opts end
  sys = system(sys)
  local st = { profile = opts.profile, warn = opts.logger or warn_stderr, files = {}, found = false }
  local out, origin = {}, {}
  for k, v in pairs(opts) do out[k] = v end
  for _, key in ipairs(config.KEYS) do if out[key] ~= nil then origin[key] = "explicit option" end end
  for _, layer in ipairs(LAYERS) do
    local values, where = layer.read(sys, st)
    where = where or layer.name
    for _, key in ipairs(config.KEYS) do
      local v = normalize(key, values[key], where)
      if out[key] == nil and v ~= nil and accept(key, v, layer, where, st.warn) then
        out[key], origin[key] = v, where
      end
    end
  end
  if nonempty(opts.profile) and not st.found then
    fail(("profile %q is in none of %s"):format(opts.profile, table.concat(st.files, ", ")))
  end
  for key, v in pairs(config.DEFAULTS) do
    if out[key] == nil then out[key], origin[key] = v, "default" end
  end
  resolved[out] = origin
  return out
end

--- Where each option of a table `resolve` returned came from: `{ region = "default", ... }`.
function config.origin(t)
  return resolved[t]
end

-- --------------------------------------------------------------------------
-- Writing the compshare-cli file (`compshare-lua configure`)

-- Makes every missing directory above `path` (mode 0700).
local function make_parents(path)
  local dir = path:match("^(.*)/[^/]*$")
  if not dir or dir == "" then return true end
  local prefix = ""
  for part in dir:gmatch("[^/]+") do
    prefix = prefix .. (prefix == "" and dir:sub(1, 1) ~= "/" and "" or "/") .. part
    local ok, err = core().mkdir_private(prefix)
    if ok == nil then return nil, err end
  end
  return true
end

--- Writes `doc` as compshare-cli does: JSON with a two-space indent and a final newline, through
-- PATH.tmp (mode 0600) renamed over the file, directories made with mode 0700.
-- @treturn[1] boolean true
-- @treturn[2] nil
-- @treturn[2] string message
function config.write_compshare(path, doc)
  local ok, err = make_parents(path)
  if not ok then return nil, err end
  local text = assert(json.pretty(doc)):gsub('"profiles": %[%]', '"profiles": {}') .. "\n"
  return core().write_private(path, text)
end

--- Saves keys under profile `name` in the compshare-cli file, keeping every other profile and key.
-- The first profile saved becomes `current_profile`.
-- @treturn[1] string the path written
-- @treturn[2] nil
-- @treturn[2] string message
function config.save_profile(name, public_key, private_key, sys)
  local path = config.compshare_path(sys)
  local doc = config.read_compshare(path, sys)
  local p = doc.profiles[name]
  if type(p) ~= "table" then p = {} end
  p.public_key, p.private_key = public_key, private_key
  doc.profiles[name] = p
  if nonempty(doc.current_profile) == nil then doc.current_profile = name end
  local ok, err = config.write_compshare(path, doc)
  if not ok then return nil, err end
  return path
end

--- Makes `name` the compshare-cli file's current profile; nil, message when it is not there.
function config.use_profile(name, sys)
  local path = config.compshare_path(sys)
  local doc = config.read_compshare(path, sys)
  if not doc.profiles[name] then
    return nil, ("profile %q is not in %s (add it with `compshare-lua configure --profile %s`)"):format(
      name, path, name)
  end
  doc.current_profile = name
  local ok, err = config.write_compshare(path, doc)
  if not ok then return nil, err end
  return path
end

--- nil when both keys are there, else the message naming what to set.
function config.missing_credentials(public_key, private_key)
  local missing = {}
  if type(public_key) ~= "string" or public_key == "" then missing[#missing + 1] = "public_key" end
  if type(private_key) ~= "string" or private_key == "" then missing[#missing + 1] = "private_key" end
  if #missing == 0 then return nil end
  return ("no credentials (%s missing): run `compshare-lua configure`, or set COMPSHARE_PUBLIC_KEY and "
    .. "COMPSHARE_PRIVATE_KEY (UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY work too); the files read are "
    .. "~/.config/compshare/config.json (compshare-cli's) and ~/.ucloud/credential.json (ucloud-cli's); "
    .. "in Lua, pass public_key and private_key to compshare.new"):format(table.concat(missing, " and "))
end

return config
