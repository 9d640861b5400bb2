-- Configuration: explicit options > UCLOUD_* environment > ~/.ucloud profile
-- files. Every spec injects getenv and the home directory, so the real
-- environment and ~/.ucloud are never read.
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

  it("falls back to the profile named default when none is active", function()
    with_files(nil, CREDENTIAL)
    local o = resolve()
    assert.equal("pub-default", o.public_key)
    assert.is_nil(o.region)
  end)

  it("raises, naming the profile, when a named profile is nowhere", function()
    with_files(CONFIG, CREDENTIAL)
    env = { UCLOUD_PROFILE = "nope" }
    assert.has_error(function() resolve() end,
      ('compshare config: profile "nope" is in neither %s/.ucloud/config.json nor %s/.ucloud/credential.json')
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
    assert.same({ "/nowhere/.ucloud/config.json", "/nowhere/.ucloud/credential.json" }, paths)
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
    assert.matches("UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY", err.message, 1, true)
    assert.matches("credential.json", err.message, 1, true)
  end)

  it("name the one key that is missing", function()
    assert.matches("(private_key missing)", config.missing_credentials("pk", nil), 1, true)
    assert.matches("(public_key missing)", config.missing_credentials("", "sk"), 1, true)
    assert.is_nil(config.missing_credentials("pk", "sk"))
  end)
end)
