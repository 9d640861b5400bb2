--- `compshare-lua configure [--profile NAME]`, `configure list`, `configure use NAME`: the keys in
-- compshare-cli's file (the same file and format, so both tools share them). Keys are read from the
-- terminal (the private key without echo) or, when stdin is not a terminal, as two lines from
-- stdin; never from the command line.
-- @module compshare.cli.config_cmd
local config = require "compshare.config"
local args = require "compshare.cli.args"
local term = require "compshare.cli.term"

local config_cmd = {}

config_cmd.summary = "save keys in compshare-cli's config file; list or switch profiles"
config_cmd.usage = [[
usage: compshare-lua configure [--profile NAME]    save a public and a private key under NAME
       compshare-lua configure list                the profiles, the current one marked *
       compshare-lua configure use NAME            make NAME the current profile

The keys come from the CompShare console (console.compshare.cn/uaccount/api_manage). On a terminal
configure asks for them (the private key is not echoed); otherwise it reads two lines from stdin:
the public key, then the private key. Keys are never given as arguments (they would show in ps and
in the shell's history).

The file is compshare-cli's: $COMPSHARE_CONFIG_FILE, else $XDG_CONFIG_HOME/compshare/config.json,
else ~/.config/compshare/config.json, written with mode 0600 through a temporary file and a rename;
other profiles and settings in it are kept. The profile is NAME, else COMPSHARE_PROFILE, else the
file's current_profile, else default.
]]

local function read_keys(interactive)
  if interactive then
    local pub = term.ask("CompShare public key: ")
    local priv = pub and term.ask_secret("CompShare private key (not shown): ")
    return pub, priv
  end
  local pub = io.stdin:read("l")
  return pub, pub and io.stdin:read("l")
end

local function trim(s) return s and (s:gsub("^%s+", ""):gsub("%s+$", "")) or nil end

local function doc_or_error()
  local path = config.compshare_path()
  local ok, doc = pcall(config.read_compshare, path)
  if not ok then return nil, args.usage_error(doc) end
  return doc, path
end

local function save(opts)
  local doc, path = doc_or_error()
  if not doc then return nil, path end
  local name = opts.profile or os.getenv("COMPSHARE_PROFILE")
  if name == "" then name = nil end
  name = name or doc.current_profile or "default"
  local interactive = term.isatty(0)
  if interactive then io.stderr:write(("profile %s in %s\n"):format(name, path)) end
  local pub, priv = read_keys(interactive)
  pub, priv = trim(pub), trim(priv)
  if not pub or pub == "" or not priv or priv == "" then
    return nil, args.usage_error("configure needs a public key and a private key (two lines); nothing was saved")
  end
  local written, err = config.save_profile(name, pub, priv)
  if not written then return nil, args.usage_error("cannot save " .. path .. ": " .. tostring(err)) end
  io.stderr:write(("saved profile %s in %s\n"):format(name, written))
  return 0
end

local function list()
  local doc, path = doc_or_error()
  if not doc then return nil, path end
  local names = {}
  for name in pairs(doc.profiles) do names[#names + 1] = name end
  table.sort(names)
  if #names == 0 then io.stderr:write("no profiles in ", path, " (add one with `compshare-lua configure`)\n") end
  for _, name in ipairs(names) do
    local pub = tostring(doc.profiles[name].public_key or "")
    local shown = #pub > 8 and (pub:sub(1, 4) .. "..." .. pub:sub(-4)) or "***"
    io.stdout:write(("%s %-20s public key %s\n"):format(name == doc.current_profile and "*" or " ", name, shown))
  end
  return 0
end

--- Runs the command; returns an exit code, or nil, err.
function config_cmd.run(words, opts)
  local sub = words[1]
  if sub == nil then return save(opts) end
  if sub == "list" and #words == 1 then return list() end
  if sub == "use" and #words == 2 then
    local ok, path, err = pcall(config.use_profile, words[2])
    if not ok then return nil, args.usage_error(path) end
    if not path then return nil, args.usage_error(err) end
    io.stderr:write(("current profile: %s (%s)\n"):format(words[2], path))
    return 0
  end
  if sub ~= "list" and sub ~= "use" then
    return nil, args.usage_error("configure takes no keys as arguments (they would show in ps and the shell's "
      .. "history); run `compshare-lua configure` and type them, or give them as two lines on stdin")
  end
  return nil, args.usage_error("usage: compshare-lua configure [--profile NAME] | configure list | configure use NAME")
end

return config_cmd
