-- The `compshare-lua` runtime (build/bin/compshare-lua) end to end, plus the pure parts of
-- compshare.cli (argument parsing, Key=Value params, exit codes, progress printer).
local support = require "support.cli"
local BIN = support.BIN

local sh = require "support.sh"
local exists, sh_quote = sh.exists, sh.quote
local compshare, write_script = support.run, support.write_script

local function has(module)
  return (pcall(require, module))
end

describe("compshare.cli (in process)", function()
  local cli = require "compshare.cli"
  local params = require "compshare.cli.params"

  it("parses options before and after the command, and leaves a script's args alone", function()
    local cmd = assert(cli.parse { "--sandbox", "call", "X", "A=1", "--zone", "z1", "--json={\"B\":2}" })
    assert.same({ "X", "A=1" }, cmd.args)
    assert.same({ sandbox = true, zone = "z1", json = "{\"B\":2}" }, cmd.opts)
    cmd = assert(cli.parse { "--region", "r", "run", "s.lua", "--zone", "x", "-h" })
    assert.equal("run", cmd.command)
    assert.same({ "s.lua", "--zone", "x", "-h" }, cmd.args)
    assert.same({ region = "r" }, cmd.opts)
  end)

  it("refuses unknown options and options missing their value (usage -> exit 2)", function()
    local _, err = cli.parse { "--frobnicate", "actions" }
    assert.matches("unknown option %-%-frobnicate", err.message)
    assert.equal(2, cli.exit_code(err))
    _, err = cli.parse { "actions", "--profile" }
    assert.matches("needs a value", err.message)
  end)

  it("maps error kinds to exit codes", function()
    local errors = require "compshare.errors"
    assert.equal(2, cli.exit_code(errors.new { kind = "validation" }))
    assert.equal(3, cli.exit_code(errors.new { kind = "api" }))
    for _, k in ipairs { "transport", "timeout", "http", "decode" } do
      assert.equal(4, cli.exit_code(errors.new { kind = k }))
    end
    assert.equal(1, cli.exit_code(errors.new { kind = "workflow" }))
    assert.equal(1, cli.exit_code("boom"))
  end)

  it("builds nested params from dotted keys, indexes from 0, coerced by field type", function()
    local types = { ["Disks.0.Size"] = "int", ["Disks.0.IsBoot"] = "bool", ["Disks.1.IsBoot"] = "bool",
                    GpuType = "string", Price = "float" }
    local p = assert(params.build({ "Disks.0.Size=200", "Disks.0.IsBoot=true", "Disks.1.IsBoot=false",
                                    "GpuType=4090", "Price=1.5", "Name=a=b" }, nil,
                                  function(parts) return types[table.concat(parts, ".")] end))
    assert.same({ Disks = { { Size = 200, IsBoot = true }, { IsBoot = false } },
                  GpuType = "4090", Price = 1.5, Name = "a=b" }, p)
    assert.equal("string", type(p.GpuType))
  end)

  it("without a spec turns true/false into booleans and plain integers into numbers only", function()
    local p = assert(params.build({ "A=true", "B=007", "C=12", "D=1.50", "E=" }))
    assert.same({ A = true, B = "007", C = 12, D = "1.50", E = "" }, p)
  end)

  it("merges --json under Key=Value and reports bad input", function()
    local p = assert(params.build({ "Tags.1=b" }, '{"Tags":["a","x"],"Limit":5}'))
    assert.same({ Tags = { "a", "b" }, Limit = 5 }, p)
    assert.is_nil((params.build({}, "[1,2]")))
    assert.is_nil((params.build({}, "{not json")))
    local _, err = params.build { "NoEquals" }
    assert.matches("expected Key=Value", err)
    _, err = params.build { "A=1", "A.0=2" }
    assert.matches("clashes", err)
    _, err = params.build { "A..B=1" }
    assert.matches("empty segment", err)
  end)

  it("draws a bar on a terminal and plain lines otherwise", function()
    local function sink()
      local buf = {}
      return { write = function(self, ...) for _, v in ipairs { ... } do buf[#buf + 1] = tostring(v) end return self end,
               flush = function() end, text = function() return table.concat(buf) end }
    end
    local image = { what = "image", id = "compshareImage-1", state = "Making" }
    local tty = sink()
    local bar = cli.progress_printer(tty, true)
    bar(nil, { what = "instance", id = "uhost-1", state = "Running" })
    bar(42, image)
    bar(nil, { what = "instance", id = "uhost-1", state = "Stopping" })
    bar(100, { what = "image", id = "compshareImage-1", state = "Available" })
    assert.equal("instance uhost-1: Running\n"
      .. "\r[############                  ]  42% image compshareImage-1: Making"
      .. "\ninstance uhost-1: Stopping\n"
      .. "\r[##############################] 100% image compshareImage-1: Available\n", tty.text())
    local plain = sink()
    local lines = cli.progress_printer(plain, false)
    lines(10, image) lines(10, image) lines(55.7, image) lines(nil, { state = "Running" })
    assert.equal("image compshareImage-1: Making 10%\nimage compshareImage-1: Making 55%\nRunning\n", plain.text())
  end)
end)

describe("compshare-lua runtime binary", function()
  if not exists(BIN) then
    pending("build/bin/compshare-lua is not built (run `make build`)")
    return
  end

  it("is called compshare-lua; nothing named compshare is built (that is compshare-cli's command)", function()
    assert.is_true(exists(BIN))
    assert.is_false(exists("build/bin/compshare"))
  end)

  it("prints its version and usage; no command is a usage error", function()
    local code, out = compshare { "--version" }
    assert.equal(0, code)
    assert.matches("^compshare%-lua %d+%.%d+%.%d+\n  Lua +Lua 5%.4\n  libcurl +%d+%.%d+", out)
    code, out = compshare { "--help" }
    assert.equal(0, code)
    assert.matches("usage: compshare%-lua", out)
    code = compshare {}
    assert.equal(2, code)
    local _, err
    code, _, err = compshare { "frobnicate" }
    assert.equal(2, code)
    assert.matches("unknown command frobnicate", err)
  end)

  it("runs a script with arg set and compshare preloaded, with no LUA_PATH", function()
    local script = write_script [[
      local compshare = require "compshare"
      local core = require "compshare.core"
      print(arg[0]:match("[^/]+$"), arg[1], arg[2], select("#", ...), compshare._VERSION)
      print(core.sign({ Action = "A", PublicKey = "p" }, "k"))
      return tonumber(arg[1])
    ]]
    local code, out = compshare { "run", script, "7", "--zone" }
    os.remove(script)
    assert.equal(7, code)
    local name = script:match("[^/]+$")
    assert.matches(name:gsub("%p", "%%%0") .. "\t7\t%-%-zone\t2\t%d", out)
    assert.matches("\n" .. ("%x"):rep(40) .. "\n", out)
  end)

  it("cli.progress draws a bar only when stdout is a terminal (and TERM is not dumb)", function()
    local script = write_script [[
      local progress = require("compshare.cli").progress
      progress(50, { what = "image", id = "img-1", state = "Making" })
      progress(100, { what = "image", id = "img-1", state = "Available" })
    ]]
    local code, out = compshare({ "run", script }, { TERM = "xterm" })
    assert.equal(0, code)
    assert.equal("image img-1: Making 50%\nimage img-1: Available 100%\n", out)
    -- script(1) gives the runtime a pseudo-terminal as stdout
    code, out = compshare({ "/usr/bin/script", "-qec", BIN .. " run " .. sh_quote(script), "/dev/null" },
                          { TERM = "xterm" }, true)
    assert.equal(0, code)
    assert.matches("\r%[###############               %]  50%% image img%-1: Making", out)
    assert.matches("\r%[##############################%] 100%% image img%-1: Available", out)
    code, out = compshare({ "/usr/bin/script", "-qec", BIN .. " run " .. sh_quote(script), "/dev/null" },
                          { TERM = "dumb" }, true)
    os.remove(script)
    assert.equal(0, code)
    assert.not_matches("%[#", out)
  end)

  it("run: a raised compshare error exits with its kind's code, other errors with 1", function()
    local script = write_script [[
      error(require("compshare.errors").new { kind = "api", code = 8039, message = "no such image" })
    ]]
    local code, _, err = compshare { "run", script }
    assert.equal(3, code)
    assert.matches("api error 8039", err)
    local f = assert(io.open(script, "wb"))
    f:write("local x = nil; return x.y")
    f:close()
    code, _, err = compshare { "run", script }
    os.remove(script)
    assert.equal(1, code)
    assert.matches("attempt to index", err)
    code, _, err = compshare { "run", "/nonexistent/script.lua" }
    assert.equal(2, code)
    assert.matches("cannot open", err)
  end)

  describe("with the spec", function()
    if not has("compshare.spec") then
      pending("lua/compshare/spec.lua is not generated yet")
      return
    end

    it("lists every action", function()
      local code, out = compshare { "actions" }
      assert.equal(0, code)
      local names = {}
      for line in out:gmatch("[^\n]+") do names[#names + 1] = line end
      local n = 0
      for _ in pairs(require("compshare.spec").actions) do n = n + 1 end
      assert.equal(n, #names)
      assert.truthy(out:find("\nCreateCompShareInstance\n", 1, true))
      assert.truthy(out:find("\nPublishCompShareImage\n", 1, true))
    end)

    it("help shows an action's fields (nested too) and rules, and suggests a name", function()
      local code, out = compshare { "help", "CreateCompShareInstance" }
      assert.equal(0, code)
      assert.matches("not safe to retry", out)
      assert.matches("\n  Disks%.N%.IsBoot%s+bool", out)
      assert.matches("\n  Memory%s+int%s+required", out)
      assert.matches("\nrules %(checked before sending%):\n", out)
      assert.matches("1024", out)
      local _, err
      code, _, err = compshare { "help", "CreateCompShareInstanse" }
      assert.equal(2, code)
      assert.matches("did you mean CreateCompShareInstance", err)
    end)
  end)

  describe("against a local signature-checking server", function()
    local nginx = require "support.nginx"
    local srv
    local env
    lazy_setup(function()
      srv = nginx.start_verify { keys = { my_public_key = "my_private_key" }, server = [[
        location = /busy { return 503 "busy"; }
        location = /garbage { default_type application/json; return 200 "{not json"; }
        location = /slow { content_by_lua_block { ngx.sleep(3) ngx.say("{}") } }
      ]] }
      env = { UCLOUD_PUBLIC_KEY = "my_public_key", UCLOUD_PRIVATE_KEY = "my_private_key",
              UCLOUD_API_BASE_URL = srv.url, UCLOUD_REGION = "cn-wlcb", UCLOUD_ZONE = "cn-wlcb-01" }
    end)
    lazy_teardown(function() if srv then srv.stop() end end)
    before_each(function() srv.reset() end)

    it("call sends nested keys signed, and prints the response as pretty JSON", function()
      local code, out, err = compshare({ "call", "CreateCompShareInstance", "--json", '{"GPU":1}',
        "Disks.0.Size=200", "Disks.0.IsBoot=true", "Disks.0.Type=CLOUD_SSD", "Disks.1.Size=100",
        "Disks.1.IsBoot=false", "Disks.1.Type=CLOUD_SSD", "GpuType=4090", "CPU=16", "Memory=65536",
        "MachineType=G", "ChargeType=Dynamic", "CompShareImageId=compshareImage-1", "--zone", "cn-wlcb-02", "--yes" }, env)
      assert.equal(0, code, err)
      local calls = srv.calls()
      assert.equal(1, #calls)
      local p = calls[1].params
      assert.is_true(calls[1].verified)
      assert.equal("200", p["Disks.0.Size"])
      assert.equal("true", p["Disks.0.IsBoot"])
      assert.equal("false", p["Disks.1.IsBoot"])
      assert.equal("100", p["Disks.1.Size"])
      assert.equal("1", p.GPU)
      assert.equal("cn-wlcb-02", p.Zone)
      assert.equal("cn-wlcb", p.Region)
      local res = require("cjson").decode(out)
      assert.equal(0, res.RetCode)
      assert.matches('^{\n  "Action": "CreateCompShareInstanceResponse",\n', out)
    end)

    it("a validation error exits 2 and sends nothing", function()
      local code, out, err = compshare({ "call", "DescribeCompShareImages", "Limit=500", "Offset=-1" }, env)
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("validation error", err)
      assert.matches("Limit", err)
      code = compshare({ "call", "DescribeCompShareImages", "Limit" }, env)
      assert.equal(2, code)
      assert.same({}, srv.calls())
    end)

    it("an API error exits 3 (a wrong private key)", function()
      local bad = {}
      for k, v in pairs(env) do bad[k] = v end
      bad.UCLOUD_PRIVATE_KEY = "wrong"
      local code, out, err = compshare({ "call", "DescribeCompShareImages", "Limit=5" }, bad)
      assert.equal(3, code)
      assert.equal("", out)
      assert.matches("api error 171", err)
      assert.not_matches("wrong", err)
      assert.equal(1, #srv.calls())
    end)

    it("--profile picks credentials and region from ~/.ucloud; an unknown profile exits 2, said once", function()
      local home = os.tmpname() .. ".d"
      assert(os.execute("mkdir -p " .. sh_quote(home .. "/.ucloud") .. " && chmod 700 " .. sh_quote(home)))
      local function put(name, text)
        local f = assert(io.open(home .. "/.ucloud/" .. name, "wb"))
        f:write(text)
        f:close()
        os.execute("chmod 600 " .. sh_quote(home .. "/.ucloud/" .. name))
      end
      put("config.json", ('[{"profile":"default","active":true,"region":"cn-sh2","base_url":"%s"},'
        .. '{"profile":"dev","region":"cn-wlcb","zone":"cn-wlcb-09","base_url":"%s"}]'):format(srv.url, srv.url))
      put("credential.json", '[{"profile":"default","public_key":"other","private_key":"other"},'
        .. '{"profile":"dev","public_key":"my_public_key","private_key":"my_private_key"}]')
      local code, _, err = compshare({ "--profile", "dev", "call", "DescribeCompShareImages", "Limit=5" }, { HOME = home })
      assert.equal(0, code, err)
      local calls = srv.calls()
      assert.equal(1, #calls)
      assert.equal("my_public_key", calls[1].params.PublicKey)
      assert.equal("cn-wlcb-09", calls[1].params.Zone)
      code, _, err = compshare({ "--profile", "nosuch", "call", "DescribeCompShareImages", "Limit=5" }, { HOME = home })
      os.execute("rm -rf " .. sh_quote(home))
      assert.equal(2, code)
      assert.matches('^compshare%-lua: profile "nosuch" is in none of ', err)
      assert.not_matches("compshare config", err)
      assert.equal(1, #srv.calls())
    end)

    it("an HTTP error, a timeout and an undecodable answer exit 4", function()
      local function at(path, extra)
        local e = {}
        for k, v in pairs(env) do e[k] = v end
        for k, v in pairs(extra or {}) do e[k] = v end
        e.UCLOUD_API_BASE_URL = srv.url .. path
        return e
      end
      local code, out, err = compshare({ "call", "DescribeCompShareImages", "Limit=5" }, at("busy"))
      assert.equal(4, code)
      assert.equal("", out)
      assert.matches("http error 503", err)
      code, out, err = compshare({ "call", "DescribeCompShareImages", "Limit=5" }, at("garbage"))
      assert.equal("", out)
      assert.equal(4, code)
      assert.matches("decode error", err)
      code, out, err = compshare({ "call", "DescribeCompShareImages", "Limit=5" }, at("slow", { UCLOUD_TIMEOUT_SECOND = "1" }))
      assert.equal("", out)
      assert.equal(4, code)
      assert.matches("timeout error", err)
    end)

    it("a refused connection exits 4", function()
      local closed = {}
      for k, v in pairs(env) do closed[k] = v end
      closed.UCLOUD_API_BASE_URL = "http://127.0.0.1:" .. nginx.free_port() .. "/"
      local code, out, err = compshare({ "call", "DescribeCompShareImages", "Limit=5" }, closed)
      assert.equal(4, code)
      assert.equal("", out)
      assert.matches("transport error", err)
    end)
  end)

  describe("--sandbox", function()
    if not has("compshare.sandbox") then
      pending("lua/compshare/sandbox.lua has not landed yet")
      return
    end

    it("call talks to the sandbox, with no credentials set", function()
      local code, out, err = compshare { "--sandbox", "call", "DescribeCompShareImages", "ImageType=System", "Limit=2" }
      assert.equal(0, code, err)
      local res = require("cjson").decode(out)
      assert.equal(0, res.RetCode)
      assert.is_true(#res.ImageSet >= 1 and #res.ImageSet <= 2)
    end)

    it("a rule the sandbox enforces comes back as an API error, exit 3", function()
      local code, out, err = compshare { "--sandbox", "call", "PublishCompShareImage",
        "CompShareImageId=compshareImage-nosuch", "CommunityImageName=x", "Price=0" }
      assert.equal(3, code, err)
      assert.equal("", out)
      assert.matches("api error", err)
    end)

    it("run --sandbox gives scripts' clients the sandbox", function()
      local script = write_script [[
        local client = require("compshare").new()
        local res = assert(client:call("DescribeCompShareImages", { ImageType = "System", Limit = 1 }))
        print(client.defaults.Region, client.defaults.Zone, #res.ImageSet)
      ]]
      -- credentials in the environment do not take the script to the service
      local code, out, err = compshare({ "run", "--sandbox", script },
        { UCLOUD_PUBLIC_KEY = "real", UCLOUD_PRIVATE_KEY = "real", UCLOUD_API_BASE_URL = "http://127.0.0.1:1/" })
      os.remove(script)
      assert.equal(0, code, err)
      assert.equal("cn-wlcb\tcn-wlcb-01\t1\n", out)
    end)

    it("runs examples/snapshot_and_publish.lua end to end and prints the ids", function()
      if not exists("examples/snapshot_and_publish.lua") then
        pending("examples/snapshot_and_publish.lua has not landed yet")
        return
      end
      local code, out, err = compshare { "run", "--sandbox", "examples/snapshot_and_publish.lua", "cli-spec-image" }
      assert.equal(0, code, err)
      assert.matches("instance: uhost%-[%w-]+", out)
      assert.matches("image: +compshareImage%-[%w-]+", out)
      assert.matches("100%%", out)
    end)
  end)
end)
