-- Configuration: explicit options > COMPSHARE_* > UCLOUD_* environment > the compshare-cli file >
-- the ~/.ucloud profile files > defaults. Every spec injects getenv and the home directory, so the
-- real environment, ~/.config and ~/.ucloud are never read.
local config = require "compshare.config"
local Client = require "compshare.client"
local stub = require "compshare.stub"

local sh, write = require("support.sh").capture, require("support.sh").write

local CONFIG = [[
[
  {"profile": "default", "active": false, "region": "cn-bj2", "zone": "cn-bj2-04", "project_id": "org-default",
   "base_url": "https://api.ucloud.cn/", "timeout_sec": 15},
  {"profile": "work", "active": true, "region": "cn-wlcb", "zone": "cn-wlcb-01", "project_id": "org-work",
   "base_url": "https://file.example/", "timeout_sec": 20},
  {"profile": "other", "active": false, "region": "hk", "zone": "hk-02", "project_id": "org-other", "timeout_sec": 5}
]
]]
local CREDENTIAL = [[
[
  {"profile": "default", "public_key": "pub-default", "private_key": "priv-default"},
  {"profile": "work", "public_key": "pub-work", "private_key": "priv-work"},
  {"profile": "other", "public_key": "pub-other", "private_key": "priv-other"}
]
]]

describe("config.resolve", function()
  local home, env, warnings

  -- sys over a fake environment and a temporary home directory
  local function sys()
    return { getenv = function(k) return env[k] end, home = home }
  end

  local function resolve(opts)
    opts = opts or {}
    if opts.logger == nil then opts.logger = function(l) warnings[#warnings + 1] = l end end
    return config.resolve(opts, sys())
  end

  local function with_files(cfg, cred, mode)
    sh("mkdir -p '" .. home .. "/.ucloud'")
    if cfg then write(home .. "/.ucloud/config.json", cfg) end
    if cred then
      write(home .. "/.ucloud/credential.json", cred)
      sh(("chmod %s '%s/.ucloud/credential.json'"):format(mode or "600", home))
    end
  end

  before_each(function()
    home = sh("mktemp -d /tmp/compshare-config-spec.XXXXXX")
    env, warnings = {}, {}
  end)

  after_each(function()
    sh("rm -rf '" .. home .. "'")
  end)

  it("reads every UCLOUD_* variable", function()
    env = { UCLOUD_PUBLIC_KEY = "pk", UCLOUD_PRIVATE_KEY = "sk", UCLOUD_REGION = "cn-wlcb",
            UCLOUD_ZONE = "cn-wlcb-01", UCLOUD_PROJECT_ID = "org-1", UCLOUD_API_BASE_URL = "http://127.0.0.1:1/",
            UCLOUD_TIMEOUT_SECOND = "12" }
    local o = resolve()
    assert.same({ "pk", "sk", "cn-wlcb", "cn-wlcb-01", "org-1", "http://127.0.0.1:1/", 12 },
      { o.public_key, o.private_key, o.region, o.zone, o.project_id, o.base_url, o.timeout })
  end)

  it("lets explicit options win over the environment, and the environment over the files", function()
    with_files(CONFIG, CREDENTIAL)
    env = { UCLOUD_REGION = "env-region", UCLOUD_PUBLIC_KEY = "env-pk" }
    local o = resolve { region = "opt-region" }
    assert.equal("opt-region", o.region)       -- explicit
    assert.equal("env-pk", o.public_key)       -- env over file
    assert.equal("priv-work", o.private_key)   -- file fills the rest
    assert.equal("cn-wlcb-01", o.zone)
    assert.equal(20, o.timeout)
    local o2 = resolve {}
    assert.equal("env-region", o2.region)
  end)

  it("ignores empty environment variables", function()
    with_files(CONFIG, CREDENTIAL)
    env = { UCLOUD_REGION = "" }
    assert.equal("cn-wlcb", resolve().region)
  end)

  it("uses the active profile, the last active one when several are", function()
    with_files(CONFIG:gsub('"active": false, "region": "hk"', '"active": true, "region": "hk"'), CREDENTIAL)
    local o = resolve()
    assert.equal("hk", o.region)
    assert.equal("pub-other", o.public_key)
  end)

  it("takes the profile from UCLOUD_PROFILE, and opts.profile over it", function()
    with_files(CONFIG, CREDENTIAL)
    env = { UCLOUD_PROFILE = "other" }
    local o = resolve()
    assert.same({ "hk", "hk-02", "org-other", 5, "pub-other", "priv-other" },
      { o.region, o.zone, o.project_id, o.timeout, o.public_key, o.private_key })
    local o2 = resolve { profile = "default" }
    assert.same({ "cn-bj2", "pub-default" }, { o2.region, o2.public_key })
  end)

  it("falls back to the profile named default when none is active, and to the defaults", function()
    with_files(nil, CREDENTIAL)
    local o = resolve()
    assert.equal("pub-default", o.public_key)
    assert.same({ "cn-wlcb", "cn-wlcb-01", "https://api.compshare.cn" }, { o.region, o.zone, o.base_url })
    assert.equal("default", config.origin(o).region)
  end)

  it("raises, naming the profile, when a named profile is nowhere", function()
    with_files(CONFIG, CREDENTIAL)
    env = { UCLOUD_PROFILE = "nope" }
    assert.has_error(function() resolve() end,
      ('compshare config: profile "nope" (UCLOUD_PROFILE) is in neither %s/.ucloud/config.json nor %s/.ucloud/credential.json')
        :format(home, home))
  end)

  it("reads the files named by UCLOUD_SHARED_CONFIG_FILE and UCLOUD_SHARED_CREDENTIAL_FILE", function()
    write(home .. "/c.json", '[{"profile":"x","active":true,"region":"from-env-file"}]')
    write(home .. "/k.json", '[{"profile":"x","public_key":"pk-x","private_key":"sk-x"}]')
    sh("chmod 600 '" .. home .. "/k.json'")
    env = { UCLOUD_SHARED_CONFIG_FILE = home .. "/c.json", UCLOUD_SHARED_CREDENTIAL_FILE = "~/k.json" }
    local o = resolve()
    assert.same({ "from-env-file", "pk-x", "sk-x" }, { o.region, o.public_key, o.private_key })
  end)

  it("raises when an explicitly named file is missing, not when a default one is", function()
    assert.is_nil(resolve().public_key)
    env = { UCLOUD_SHARED_CREDENTIAL_FILE = home .. "/missing.json" }
    assert.has_error(function() resolve() end,
      "compshare config: " .. home .. "/missing.json does not exist or cannot be read")
  end)

  it("raises, naming the file, on broken JSON or a file that is not a list", function()
    with_files("[{", nil)
    local ok, err = pcall(resolve)
    assert.is_false(ok)
    assert.matches(home .. "/.ucloud/config.json is not a JSON array of profiles", err, 1, true)
    with_files('{"profile":"a"}', nil)
    ok, err = pcall(resolve)
    assert.is_false(ok)
    assert.matches("is not a JSON array", err, 1, true)
  end)

  it("keeps the private key out of the error about a broken credential file", function()
    with_files(nil, '[{"profile":"default","public_key":"pk","private_key":"priv-LEAK-0123"} oops')
    local ok, err = pcall(resolve)
    assert.is_false(ok)
    assert.matches("credential.json is not a JSON array", err, 1, true)
    assert.is_nil(err:find("LEAK", 1, true))
  end)

  it("raises on a UCLOUD_TIMEOUT_SECOND that is not a positive number", function()
    env = { UCLOUD_TIMEOUT_SECOND = "soon" }
    assert.has_error(function() resolve() end,
      'compshare config: UCLOUD_TIMEOUT_SECOND must be a number of seconds > 0, got "soon"')
    env = { UCLOUD_TIMEOUT_SECOND = "-1" }
    assert.has_error(function() resolve() end)
  end)

  it("warns when the credential file can be read by other users, without the key", function()
    with_files(CONFIG, CREDENTIAL, "644")
    resolve()
    assert.equal(1, #warnings)
    assert.matches("credential.json can be read by other users (mode 644); run: chmod 600", warnings[1], 1, true)
    assert.is_nil(warnings[1]:find("priv-", 1, true))
    warnings = {}
    with_files(CONFIG, CREDENTIAL, "640")
    resolve()
    assert.equal(1, #warnings)
  end)

  it("does not warn about a credential file only its owner can read", function()
    with_files(CONFIG, CREDENTIAL, "600")
    resolve()
    assert.same({}, warnings)
  end)

  it("reads only below the home directory it is given", function()
    local paths = {}
    config.resolve({}, { getenv = function() return nil end, home = "/nowhere",
      read_file = function(p) paths[#paths + 1] = p return nil end })
    assert.same({ "/nowhere/.config/compshare/config.json", "/nowhere/.ucloud/config.json",
                  "/nowhere/.ucloud/credential.json" }, paths)
  end)
end)

describe("missing credentials", function()
  it("give an error at call time that names what to set", function()
    local opts = config.resolve({ transport = stub.new {} },
      { getenv = function() return nil end, home = "/nowhere", read_file = function() return nil end })
    local c = Client.new(opts, "0")
    local res, err = c:call("DescribeCompShareInstance", {})
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.matches("public_key and private_key missing", err.message, 1, true)
    assert.matches("^no credentials %(public_key and private_key missing%): run `compshare%-lua configure`", err.message)
    assert.matches("COMPSHARE_PUBLIC_KEY and COMPSHARE_PRIVATE_KEY", err.message, 1, true)
    assert.matches("UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY", err.message, 1, true)
    assert.matches("credential.json", err.message, 1, true)
  end)

  it("come first from a typed call, whatever else is wrong with it", function()
    local opts = config.resolve({ transport = stub.new {} },
      { getenv = function() return nil end, home = "/nowhere", read_file = function() return nil end })
    local c = require("compshare").new(opts)
    local res, err = c:CreateCompShareInstance { GPU = "many" }     -- fields missing and wrong too
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.is_nil(err.problems)
    assert.matches("^no credentials %(public_key and private_key missing%): run `compshare%-lua configure`", err.message)
    local results = c:batch { { "DescribeCompShareImages", { Limit = 500 } } }
    assert.matches("^no credentials", results[1].error.message)
  end)

  it("name the one key that is missing", function()
    assert.matches("(private_key missing)", config.missing_credentials("pk", nil), 1, true)
    assert.matches("(public_key missing)", config.missing_credentials("", "sk"), 1, true)
    assert.is_nil(config.missing_credentials("pk", "sk"))
  end)
end)

describe("config: compshare-cli's file and the rest of the order", function()
  local home, env, warnings

  local function sys() return { getenv = function(k) return env[k] end, home = home } end
  local function resolve(opts)
    opts = opts or {}
    if opts.logger == nil then opts.logger = function(l) warnings[#warnings + 1] = l end end
    return config.resolve(opts, sys())
  end
  local function put(rel, text, mode)
    local path = home .. "/" .. rel
    sh("mkdir -p '" .. path:match("^(.*)/") .. "'")
    write(path, text)
    sh(("chmod %s '%s'"):format(mode or "600", path))
    return path
  end
  -- exactly what compshare-cli writes (json.dump indent=2 + "\n")
  local CS = '{\n  "current_profile": "work",\n  "profiles": {\n    "default": {\n      "public_key": "cs-pub-d",\n'
    .. '      "private_key": "cs-priv-d"\n    },\n    "work": {\n      "public_key": "cs-pub-w",\n'
    .. '      "private_key": "cs-priv-w"\n    }\n  },\n  "language": "zh"\n}\n'

  before_each(function()
    home = sh("mktemp -d /tmp/compshare-config-spec.XXXXXX")
    env, warnings = {}, {}
  end)
  after_each(function() sh("rm -rf '" .. home .. "'") end)

  it("reads a compshare-cli file written as that tool writes it, with no other setup", function()
    put(".config/compshare/config.json", CS)
    local o = resolve()
    assert.same({ "cs-pub-w", "cs-priv-w", "cn-wlcb", "cn-wlcb-01", "https://api.compshare.cn" },
      { o.public_key, o.private_key, o.region, o.zone, o.base_url })
    assert.same({}, warnings)
    assert.matches("config.json profile work$", config.origin(o).public_key)
  end)

  it("finds the file through XDG_CONFIG_HOME and COMPSHARE_CONFIG_FILE (~ expanded)", function()
    put("xdg/compshare/config.json", (CS:gsub("cs%-pub%-w", "xdg-pub")))
    env = { XDG_CONFIG_HOME = home .. "/xdg" }
    assert.equal("xdg-pub", resolve().public_key)
    put("elsewhere.json", (CS:gsub("cs%-pub%-w", "named-pub")))
    env.COMPSHARE_CONFIG_FILE = "~/elsewhere.json"
    assert.equal("named-pub", resolve().public_key)
    env = { XDG_CONFIG_HOME = "relative/dir" }       -- not absolute: ignored, as the XDG spec says
    assert.is_nil(resolve().public_key)
  end)

  it("takes the profile from opts.profile, then COMPSHARE_PROFILE, then current_profile", function()
    put(".config/compshare/config.json", CS)
    env = { COMPSHARE_PROFILE = "default" }
    assert.equal("cs-pub-d", resolve().public_key)
    env = {}
    assert.equal("cs-pub-d", resolve({ profile = "default" }).public_key)
    env = { COMPSHARE_PROFILE = "nope" }
    assert.has_error(function() resolve() end, ('compshare config: profile "nope" (COMPSHARE_PROFILE) is not in '
      .. '%s/.config/compshare/config.json'):format(home))
  end)

  it("an explicit profile that is in no file names every file it looked in", function()
    put(".config/compshare/config.json", CS)
    local ok, err = pcall(resolve, { profile = "nope" })
    assert.is_false(ok)
    assert.equal(('compshare config: profile "nope" is in none of %s/.config/compshare/config.json, '
      .. '%s/.ucloud/config.json, %s/.ucloud/credential.json'):format(home, home, home), err)
  end)

  it("orders COMPSHARE_* > UCLOUD_* > compshare-cli file > ucloud-cli files > defaults, key by key", function()
    put(".config/compshare/config.json", CS)
    put(".ucloud/config.json", '[{"profile":"work","active":true,"region":"uc-region","zone":"uc-zone","timeout_sec":9,'
      .. '"max_retry_times":4}]')
    put(".ucloud/credential.json", '[{"profile":"work","public_key":"uc-pub","private_key":"uc-priv"}]')
    local o = resolve()
    assert.same({ "cs-pub-w", "cs-priv-w", "uc-region", "uc-zone", 9, 4 },
      { o.public_key, o.private_key, o.region, o.zone, o.timeout, o.max_retries })
    env = { UCLOUD_PUBLIC_KEY = "env-uc-pub", UCLOUD_REGION = "env-uc-region", COMPSHARE_REGION = "env-cs-region",
            COMPSHARE_MAX_RETRIES = "1", COMPSHARE_TIMEOUT = "2.5" }
    o = resolve()
    assert.same({ "env-uc-pub", "cs-priv-w", "env-cs-region", 1, 2.5 },
      { o.public_key, o.private_key, o.region, o.max_retries, o.timeout })
    env.COMPSHARE_PUBLIC_KEY = "env-cs-pub"
    o = resolve { zone = "opt-zone" }
    assert.same({ "env-cs-pub", "opt-zone" }, { o.public_key, o.zone })
    assert.same({ public_key = "COMPSHARE_* variables", zone = "explicit option", region = "COMPSHARE_* variables",
                  private_key = home .. "/.config/compshare/config.json profile work",
                  timeout = "COMPSHARE_* variables", max_retries = "COMPSHARE_* variables",
                  base_url = "default" }, config.origin(o))
  end)

  it("does not use a ucloud-cli base_url that points at UCloud's own API, and says why", function()
    put(".ucloud/config.json", '[{"profile":"default","active":true,"region":"cn-wlcb","base_url":"https://api.ucloud.cn/",'
      .. '"timeout_sec":0}]')
    local o = resolve()
    assert.equal("https://api.compshare.cn", o.base_url)
    assert.equal(1, #warnings)
    assert.matches("ignoring base_url https://api.ucloud.cn/ from " .. home .. "/.ucloud/config.json profile default: "
      .. "that is UCloud's own API", warnings[1], 1, true)
    assert.is_nil(o.timeout)                       -- timeout_sec 0: unset, so the client's 30 s
    warnings = {}
    env = { UCLOUD_API_BASE_URL = "http://API-CN-BJ2.UCLOUD.CN" }
    assert.equal("https://api.compshare.cn", resolve().base_url)
    assert.equal(2, #warnings)
    warnings = {}
    env = { COMPSHARE_BASE_URL = "https://api.ucloud.cn/" }  -- asked for by name: used
    assert.equal("https://api.ucloud.cn/", resolve().base_url)
    assert.same({}, warnings)                     -- the file's base_url is not needed, so not judged
    assert.is_true(config.is_ucloud_api("https://api.ucloud.cn"))
    assert.is_false(config.is_ucloud_api("https://api.compshare.cn"))
    assert.is_false(config.is_ucloud_api("https://notucloud.cn.example/"))
  end)

  it("treats zero and empty values as unset, and still refuses nonsense", function()
    put(".ucloud/config.json", '[{"profile":"default","active":true,"region":"","zone":"z","timeout_sec":0,'
      .. '"max_retry_times":0,"project_id":""}]')
    env = { UCLOUD_TIMEOUT_SECOND = "0", COMPSHARE_REGION = "" }
    local o = resolve()
    assert.same({ "cn-wlcb", "z" }, { o.region, o.zone })
    assert.is_nil(o.timeout)
    assert.is_nil(o.max_retries)
    assert.is_nil(o.project_id)
    env = { COMPSHARE_MAX_RETRIES = "1.5" }
    assert.has_error(function() resolve() end, 'compshare config: COMPSHARE_MAX_RETRIES must be a whole number >= 0, got "1.5"')
    env = { COMPSHARE_TIMEOUT = "nan" }
    assert.has_error(function() resolve() end)
    env = {}
    put(".ucloud/config.json", '[{"profile":"default","active":true,"max_retry_times":-2}]')
    assert.has_error(function() resolve() end)
  end)

  it("resolves a profile named twice the same way in every file: the last entry", function()
    put(".ucloud/config.json", '[{"profile":"p","region":"first"},{"profile":"p","region":"last"}]')
    put(".ucloud/credential.json", '[{"profile":"p","public_key":"first","private_key":"first"},'
      .. '{"profile":"p","public_key":"last","private_key":"last"}]')
    local o = resolve { profile = "p" }
    assert.same({ "last", "last", "last" }, { o.region, o.public_key, o.private_key })
    put(".config/compshare/config.json", '{"profiles":{"q":{"public_key":"first","private_key":"first"},'
      .. '"q":{"public_key":"last","private_key":"last"}}}')
    o = resolve { profile = "q" }
    assert.same({ "last", "last" }, { o.public_key, o.private_key })
  end)

  it("empty files are no profiles, not errors; broken ones name the file", function()
    put(".config/compshare/config.json", "")
    put(".ucloud/config.json", "  \n")
    put(".ucloud/credential.json", "")
    assert.equal("cn-wlcb", resolve().region)
    local path = put(".config/compshare/config.json", "[1, 2]")
    assert.has_error(function() resolve() end, "compshare config: " .. path
      .. ' is not a compshare-cli config (a JSON object with a "profiles" object)')
    put(".config/compshare/config.json", '{"profiles": [ {"public_key": "x"} ]}')
    assert.has_error(function() resolve() end)
    put(".config/compshare/config.json", '{"profiles": {"default": "x"}}')
    assert.has_error(function() resolve() end, "compshare config: " .. path .. ': profile "default" is not an object')
    put(".config/compshare/config.json", '{"profiles": {"default": {"private_key": "LEAK-9"}} oops')
    local _, err = pcall(resolve)
    assert.is_nil(err:find("LEAK", 1, true))
  end)

  it("warns when the compshare-cli file can be read by others", function()
    put(".config/compshare/config.json", CS, "644")
    resolve()
    assert.equal(1, #warnings)
    assert.matches("config.json can be read by other users (mode 644)", warnings[1], 1, true)
  end)

  it("gives a table it resolved back unchanged (no second warning)", function()
    put(".config/compshare/config.json", CS, "644")
    local o = resolve()
    assert.equal(o, config.resolve(o, sys()))
    assert.equal(1, #warnings)
  end)

  it("save_profile writes compshare-cli's format, mode 0600 in a 0700 directory, keeping the rest", function()
    env = { XDG_CONFIG_HOME = home .. "/cfg" }
    local path = assert(config.save_profile("default", "pk-1", "sk-1", sys()))
    assert.equal(home .. "/cfg/compshare/config.json", path)
    assert.equal("600", sh("stat -c %a '" .. path .. "'"))
    assert.equal("700", sh("stat -c %a '" .. home .. "/cfg/compshare'"))
    assert.equal('{\n  "current_profile": "default",\n  "profiles": {\n    "default": {\n'
      .. '      "private_key": "sk-1",\n      "public_key": "pk-1"\n    }\n  }\n}\n', require("support.sh").read(path))
    write(path, CS)
    assert(config.save_profile("new", "pk-2", "sk-2", sys()))
    local doc = require("cjson").decode(require("support.sh").read(path))
    assert.same({ public_key = "cs-pub-w", private_key = "cs-priv-w" }, doc.profiles.work)
    assert.same({ public_key = "pk-2", private_key = "sk-2" }, doc.profiles.new)
    assert.equal("work", doc.current_profile)
    assert.equal("zh", doc.language)
    assert.equal("", sh("ls -a '" .. home .. "/cfg/compshare' | grep tmp || true"))
    assert(config.use_profile("new", sys()))
    assert.equal("pk-2", resolve().public_key)
    local ok, err = config.use_profile("nope", sys())
    assert.is_nil(ok)
    assert.matches('profile "nope" is not in', err)
  end)

  it("save_profile reports what it cannot write, follows no symlinked temp file, leaves the old file whole", function()
    local path = put(".config/compshare/config.json", CS)
    write(home .. "/victim", "untouched")
    sh("ln -s '" .. home .. "/victim' '" .. path .. ".tmp'")
    local ok, err = config.save_profile("x", "a", "b", sys())
    assert.is_nil(ok)
    assert.matches(path .. ".tmp: ", err, 1, true)
    assert.equal(CS, require("support.sh").read(path))
    assert.equal("untouched", require("support.sh").read(home .. "/victim"))
    write(home .. "/afile", "")
    env = { COMPSHARE_CONFIG_FILE = home .. "/afile/config.json" }
    ok, err = config.save_profile("x", "a", "b", sys())
    assert.is_nil(ok)
    assert.matches("Not a directory", err)
  end)

end)
