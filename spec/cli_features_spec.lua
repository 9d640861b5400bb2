-- The compshare-lua command line as users drive it (issue 13): configuration from compshare-cli's
-- file, `configure` (through a pseudo-terminal too), consent before spending, --dry-run, output
-- formats and queries, --all, --debug, the endpoint flags, wait, completion, --help everywhere,
-- and the error messages. Every run is a real process; servers bind 127.0.0.1 only.
local support = require "support.cli"
local sh = require "support.sh"
local pty = require "support.pty"
local cjson = require "cjson"

local run, write_script = support.run, support.write_script
local _  -- the ignored results of run()

local function count(text, plain)
  local n, pos = 0, 1
  while true do
    local s, e = text:find(plain, pos, true)
    if not s then return n end
    n, pos = n + 1, e + 1
  end
end

local function temp_home()
  local home = sh.capture("mktemp -d /tmp/compshare-cli-home.XXXXXX")
  return home, function() sh.run("rm -rf " .. sh.quote(home)) end
end

local function put(path, text, mode)
  sh.run("mkdir -p " .. sh.quote(path:match("^(.*)/")))
  sh.write(path, text)
  sh.run(("chmod %s %s"):format(mode or "600", sh.quote(path)))
end

local CREATE = { "call", "CreateCompShareInstance", "GPU=1", "CPU=16", "Memory=65536", "GpuType=4090",
  "CompShareImageId=compshareImage-1", "Disks.0.Size=200", "Disks.0.IsBoot=true", "Disks.0.Type=CLOUD_SSD",
  "ChargeType=Dynamic" }

local function with(list, ...)
  local t = { table.unpack(list) }
  for _, v in ipairs { ... } do t[#t + 1] = v end
  return t
end

describe("compshare-lua", function()
  if not sh.exists(support.BIN) then
    pending(support.BIN .. " is not built (run `make build`)")
    return
  end

  describe("without a server", function()
    it("prints --help for every command, COMMAND --help and help COMMAND alike", function()
      for _, name in ipairs { "run", "call", "actions", "help", "configure", "wait", "completion" } do
        local code, out = run { name, "--help" }
        assert.equal(0, code, name)
        assert.matches("^usage: compshare%-lua[^\n]* " .. name, out)
        local code2, out2 = run { "help", name }
        assert.equal(0, code2)
        assert.equal(out, out2)
      end
      local _, out = run { "call", "CreateCompShareInstance", "--help" }
      assert.matches("^usage: compshare%-lua call ACTION", out)
      _, out = run { "help", "CreateCompShareInstance", "--help" }
      assert.matches("^usage: compshare%-lua help", out)
      _, out = run { "--help" }
      assert.matches("configure +save keys", out)
    end)

    it("every example says at the top what it costs on the real service", function()
      local list = sh.capture("ls examples/*.lua examples/*/*.lua 2>/dev/null")
      local n = 0
      for path in list:gmatch("[^\n]+") do
        local head = sh.read(path):sub(1, 1200)
        assert.matches("\n%-%- COST on the real service: ", head, 1, false)
        n = n + 1
      end
      assert.is_true(n >= 3)
    end)

    it("labels --version: the library, Lua and libcurl", function()
      local code, out = run { "--version" }
      assert.equal(0, code)
      assert.matches("^compshare%-lua 0%.%d+%.%d+\n  Lua +Lua 5%.4\n  libcurl +%d+%.%d+%.%d+\n$", out)
    end)

    it("suggests an action only when it is near", function()
      local code, _, err = run { "call", "FooBar" }
      assert.equal(2, code)
      assert.matches('unknown action "FooBar"', err)
      assert.not_matches("did you mean", err)
      _, _, err = run { "help", "DescribeCompShareImage" }
      assert.matches("did you mean DescribeCompShareImages%?", err)
      _, _, err = run { "call", "CreateCompShareInstnace" }  -- two letters swapped
      assert.matches("did you mean CreateCompShareInstance%?", err)
    end)

    it("refuses a repeated option or field, and options with bad values", function()
      local code, _, err = run { "--region", "a", "--region", "b", "actions" }
      assert.equal(2, code)
      assert.matches("option %-%-region is given twice", err)
      code, _, err = run({ "--sandbox", "call", "DescribeCompShareImages", "Limit=5", "Limit=6" })
      assert.equal(2, code)
      assert.matches("Limit is given twice", err)
      for _, bad in ipairs { { "--output", "yaml" }, { "--timeout", "-1" }, { "--max-retries", "1.5" },
                             { "--timeout", "nan" }, { "--yes=1" } } do
        code, _, err = run(with(bad, "actions"))
        assert.equal(2, code, bad[1])
        assert.matches("^compshare%-lua: option %-%-", err)
      end
    end)

    it("with no credentials anywhere, the first message says how to configure, whatever else is missing", function()
      local code, out, err = run { "call", "CreateCompShareInstance" }
      assert.equal(2, code)
      assert.equal("", out)
      local first = err:match("^[^\n]*")
      assert.matches("no credentials", first)
      assert.matches("compshare%-lua configure", first)
      assert.matches("COMPSHARE_PUBLIC_KEY and COMPSHARE_PRIVATE_KEY", first)
      assert.not_matches("required", err)
    end)

    it("help ACTION shows the summary, descriptions with units, response fields, and no provenance", function()
      local code, out = run { "help", "CreateCompShareInstance" }
      assert.equal(0, code)
      assert.matches("^CreateCompShareInstance %- Create a CompShare GPU instance", out)
      assert.matches("costs money on the real service", out)
      assert.matches("\n  Memory +int +required\n +Memory in MB", out)
      assert.matches("\n  Disks%.N%.Size +int +required\n +Disk size in GB", out)
      assert.matches("\nresponse fields:\n  UHostIds +array%-of%-string\n +IDs of the created instances", out)
      assert.not_matches("seed", out)
      assert.not_matches("decisions", out)
      assert.not_matches("%.txt", out)
      code, out = run { "help", "DescribeCompShareInstance" }
      assert.equal(0, code)
      assert.matches("paginated: Offset/Limit, items in UHostSet", out)
      assert.matches("\n  UHostSet%.N%.State ", out)
    end)

    it("completion bash and zsh carry commands, actions and field names from the spec", function()
      local code, out = run { "completion", "bash" }
      assert.equal(0, code)
      assert.matches("complete %-F _compshare_lua compshare%-lua", out)
      assert.matches("CreateCompShareInstance%) fields=\"[^\"]*Disks%.0%.Size=", out)
      assert.matches("configure", out)
      local f = os.tmpname()
      sh.write(f, out)
      assert.is_true(sh.run("bash -n " .. sh.quote(f)))
      -- drive it: complete `compshare-lua call CreateCompShareInst`, then its fields
      local probe = ("source %s; COMP_WORDS=(compshare-lua call CreateCompShareInst); COMP_CWORD=2; "
        .. "_compshare_lua; echo \"${COMPREPLY[*]}\"; COMP_WORDS=(compshare-lua call CreateCompShareInstance Mem); "
        .. "COMP_CWORD=3; _compshare_lua; echo \"${COMPREPLY[*]}\""):format(sh.quote(f))
      local got = sh.capture("bash -c " .. sh.quote(probe))
      os.remove(f)
      assert.equal("CreateCompShareInstance\nMemory=", got)
      code, out = run { "completion", "zsh" }
      assert.equal(0, code)
      assert.matches("#compdef compshare%-lua", out)
      assert.matches("'Memory=:Memory in MB", out)
      assert.matches("'CreateCompShareInstance:%[costs money%] Create a CompShare GPU instance", out)
      assert.equal(2, (run { "completion", "fish" }))
    end)
  end)

  describe("configure", function()
    local home, cleanup
    before_each(function() home, cleanup = temp_home() end)
    after_each(function() cleanup() end)

    it("reads two lines from stdin, writes compshare-cli's file with mode 0600, keeps other profiles", function()
      local path = home .. "/.config/compshare/config.json"
      put(path, '{\n  "current_profile": "work",\n  "profiles": {\n    "work": {\n      "public_key": "w-pub",\n'
        .. '      "private_key": "w-priv"\n    }\n  },\n  "language": "zh"\n}\n')
      local code, out, err = run({ "configure", "--profile", "dev" }, { HOME = home, STDIN = "dev-pub\ndev-priv\n" })
      assert.equal(0, code, err)
      assert.equal("", out)
      assert.not_matches("dev%-priv", err)
      assert.equal("600", sh.capture("stat -c %a " .. sh.quote(path)))
      local doc = cjson.decode(sh.read(path))
      assert.same({ public_key = "dev-pub", private_key = "dev-priv" }, doc.profiles.dev)
      assert.same({ public_key = "w-pub", private_key = "w-priv" }, doc.profiles.work)
      assert.equal("work", doc.current_profile)
      assert.equal("zh", doc.language)
      code, out = run({ "configure", "list" }, { HOME = home })
      assert.equal(0, code)
      assert.matches("^  dev +public key %*%*%*\n%* work +public key %*%*%*\n$", out)
      code = run({ "configure", "use", "dev" }, { HOME = home })
      assert.equal(0, code)
      assert.equal("dev", cjson.decode(sh.read(path)).current_profile)
      code, _, err = run({ "configure", "use", "nope" }, { HOME = home })
      assert.equal(2, code)
      assert.matches('profile "nope" is not in', err)
    end)

    it("never takes keys as arguments, and saves nothing from a short stdin", function()
      local code, _, err = run({ "configure", "pub", "priv" }, { HOME = home })
      assert.equal(2, code)
      assert.matches("takes no keys as arguments", err)
      code, _, err = run({ "configure" }, { HOME = home, STDIN = "only-one-line\n" })
      assert.equal(2, code)
      assert.matches("nothing was saved", err)
      assert.is_false(sh.exists(home .. "/.config/compshare/config.json"))
    end)

    it("on a terminal asks for both keys and does not echo the private one (XDG_CONFIG_HOME honoured)", function()
      local cmd = support.command_line({ "configure" }, { HOME = home, XDG_CONFIG_HOME = home .. "/xdg" })
      local out, code = pty.run(cmd, {
        { expect = "CompShare public key: ", send = "tty-pub\n" },
        { expect = "(not shown): ", send = "tty-secret-value\n" },
      })
      assert.equal(0, code, out)
      assert.matches("tty%-pub", out)              -- the public key is echoed as typed
      assert.not_matches("tty%-secret%-value", out)
      local doc = cjson.decode(sh.read(home .. "/xdg/compshare/config.json"))
      assert.same({ public_key = "tty-pub", private_key = "tty-secret-value" }, doc.profiles.default)
      assert.equal("default", doc.current_profile)
      assert.equal("600", sh.capture("stat -c %a " .. sh.quote(home .. "/xdg/compshare/config.json")))
      assert.equal("700", sh.capture("stat -c %a " .. sh.quote(home .. "/xdg/compshare")))
    end)
  end)

  describe("against a local signature-checking server", function()
    local nginx = require "support.nginx"
    local srv, env
    lazy_setup(function()
      srv = nginx.start_verify { keys = { my_public_key = "my_private_key" }, reply = "support.wait_reply", server = [[
        location = /busy { return 503 "busy"; }
        location = /slow { content_by_lua_block { ngx.sleep(3) ngx.say("{}") } }
      ]] }
      env = { COMPSHARE_PUBLIC_KEY = "my_public_key", COMPSHARE_PRIVATE_KEY = "my_private_key",
              COMPSHARE_BASE_URL = srv.url }
    end)
    lazy_teardown(function() if srv then srv.stop() end end)
    before_each(function() srv.reset() end)

    it("a compshare-cli file written as that tool writes it is all the setup a call needs", function()
      local home, cleanup = temp_home()
      put(home .. "/.config/compshare/config.json", '{\n  "current_profile": "default",\n  "profiles": {\n'
        .. '    "default": {\n      "public_key": "my_public_key",\n      "private_key": "my_private_key"\n'
        .. '    }\n  }\n}\n')
      local code, out, err = run({ "call", "DescribeCompShareImages", "Limit=5", "--base-url", srv.url }, { HOME = home })
      cleanup()
      assert.equal(0, code, err)
      assert.equal("", err)
      local calls = srv.calls()
      assert.equal(1, #calls)
      assert.is_true(calls[1].verified)
      assert.same({ "my_public_key", "cn-wlcb", "cn-wlcb-01" },
        { calls[1].params.PublicKey, calls[1].params.Region, calls[1].params.Zone })
      assert.equal(0, cjson.decode(out).RetCode)           -- stdout is not a terminal: JSON
    end)

    it("a ucloud-cli profile's UCloud base_url is not used, and a warning says why", function()
      local home, cleanup = temp_home()
      put(home .. "/.ucloud/config.json", '[{"profile":"default","active":true,"base_url":"https://api.ucloud.cn/",'
        .. '"timeout_sec":0,"max_retry_times":0,"region":"cn-wlcb"}]')
      put(home .. "/.ucloud/credential.json", '[{"profile":"default","public_key":"my_public_key","private_key":"my_private_key"}]')
      local code, out, err = run({ "call", "DescribeCompShareImages", "Limit=5", "--dry-run" }, { HOME = home })
      cleanup()
      assert.equal(0, code, err)
      assert.matches("\nPOST https://api%.compshare%.cn\n", out)
      assert.matches("ignoring base_url https://api.ucloud.cn/ from " .. home .. "/.ucloud/config.json profile default: "
        .. "that is UCloud's own API", err, 1, true)
      assert.equal(0, #srv.calls())
    end)

    it("--dry-run validates and signs, prints the redacted request and sends nothing", function()
      local code, out, err = run(with(CREATE, "--dry-run", "Password=c2VjcmV0"), env)
      assert.equal(0, code, err)
      assert.equal(0, #srv.calls())
      assert.matches("^dry run: nothing was sent\nPOST " .. srv.url:gsub("%p", "%%%0") .. "\n", out)
      assert.matches("\nAction=CreateCompShareInstance\n", out)
      assert.matches("\nDisks%.0%.Size=200\n", out)
      assert.matches("\nSignature=%*%*%*\n", out)
      assert.matches("\nPublicKey=%*%*%*\n", out)
      assert.matches("\nPassword=%*%*%*\n", out)
      assert.not_matches("my_private_key", out .. err)
      assert.not_matches("c2VjcmV0", out .. err)
      code, out, err = run({ "call", "DescribeCompShareImages", "Limit=500", "--dry-run" }, env)
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("Limit", err)
      assert.equal(0, #srv.calls())
    end)

    it("a spending call without --yes, stdin not a terminal: exit 2, a clear message, nothing sent", function()
      local code, out, err = run(CREATE, env)
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("CreateCompShareInstance costs money on the real service", err)
      assert.matches("nothing was sent", err)
      assert.matches("%-%-yes", err)
      assert.equal(0, #srv.calls())
      code, _, err = run(with(CREATE, "--yes"), env)
      assert.equal(0, code, err)
      assert.equal(1, #srv.calls())
    end)

    it("a spending call on a terminal asks; yes sends it, anything else sends nothing", function()
      local out, code = pty.run(support.command_line(CREATE, env), { { expect = "Go ahead? [y/N] ", send = "y\n" } })
      assert.equal(0, code, out)
      assert.equal(1, #srv.calls())
      out, code = pty.run(support.command_line(CREATE, env), { { expect = "Go ahead? [y/N] ", send = "no\n" } })
      assert.equal(2, code, out)
      assert.matches("not sent", out)
      assert.equal(1, #srv.calls())
      out, code = pty.run(support.command_line({ "call", "DescribeCompShareImages", "Limit=5" }, env), {})
      assert.equal(0, code, out)
      assert.not_matches("Go ahead", out)               -- a read costs nothing: no question
      assert.equal(2, #srv.calls())
    end)

    it("run and wait refuse --dry-run rather than ignore it (and send)", function()
      local script = write_script 'assert(require("compshare").new():DescribeCompShareImages { Limit = 1 })'
      local code, _, err = run({ "run", "--dry-run", script }, env)
      os.remove(script)
      assert.equal(2, code)
      assert.matches("%-%-dry%-run is for call", err)
      code = run({ "wait", "--dry-run", "instance", "uhost-1", "Running" }, env)
      assert.equal(2, code)
      assert.equal(0, #srv.calls())
    end)

    it("run SCRIPT asks once, before the script's first spending call", function()
      local script = write_script(([[
        local c = require("compshare").new()
        assert(c:DescribeCompShareImages { Limit = 1 })
        local p = %s
        for i = 1, 2 do p.Name = "n" .. i assert(c:CreateCompShareInstance(p)) end
        print("made two")
      ]]):format([[{ GPU = 1, CPU = 16, Memory = 65536, GpuType = "4090", CompShareImageId = "compshareImage-1",
        ChargeType = "Dynamic", Disks = { { Size = 200, IsBoot = true, Type = "CLOUD_SSD" } } }]]))
      local code, out, err = run({ "run", script }, env)
      assert.equal(2, code, err)
      assert.equal("", out)
      assert.matches("CreateCompShareInstance costs money", err)
      assert.equal(1, #srv.calls())                       -- the read went out; no create did
      srv.reset()
      local tty_out
      tty_out, code = pty.run(support.command_line({ "run", script }, env), { { expect = "[y/N] ", send = "yes\n" } })
      os.remove(script)
      assert.equal(0, code, tty_out)
      assert.equal(1, count(tty_out, "Go ahead?"))
      assert.matches("made two", tty_out)
      assert.equal(3, #srv.calls())
    end)

    it("--output table shows *Set lists as columns (ids first); --query picks a path", function()
      local code, out = run({ "call", "DescribeCompShareInstance", "--output", "table", "UHostIds.0=uhost-7" }, env)
      assert.equal(0, code)
      assert.matches("\nUHostSet %(1%)\nUHostId +Name +State\nuhost%-7 +w +Running\n", out)
      code, out = run({ "call", "DescribeCompShareInstance", "UHostIds.0=uhost-7", "--query", "UHostSet[].State" }, env)
      assert.equal(0, code)
      assert.same({ "Running" }, cjson.decode(out))
      code, out = run({ "call", "DescribeCompShareInstance", "UHostIds.0=uhost-7", "--query", "UHostSet[0].UHostId",
                        "--output", "table" }, env)
      assert.equal(0, code)
      assert.equal("uhost-7\n", out)
      code, out = run({ "call", "DescribeCompShareInstance", "UHostIds.0=uhost-7", "--query", "UHostSet[" }, env)
      assert.equal(2, code)
      assert.equal("", out)
    end)

    it("--debug logs every request and response on stderr with the secrets redacted", function()
      local code, out, err = run({ "call", "DescribeCompShareImages", "Limit=5", "--debug" }, env)
      assert.equal(0, code, err)
      assert.equal(0, cjson.decode(out).RetCode)
      assert.matches("compshare %-> POST " .. srv.url:gsub("%p", "%%%0") .. " DescribeCompShareImages", err)
      assert.matches("compshare <%- DescribeCompShareImages HTTP 200", err)
      assert.matches("Signature=%*%*%*", err)
      assert.matches("public_key from COMPSHARE_%* variables", err)
      assert.not_matches("my_private_key", err)
      assert.not_matches("my_public_key", err)
    end)

    it("--base-url, --timeout and --max-retries go to the client", function()
      local code, _, err = run({ "call", "DescribeCompShareImages", "Limit=5", "--base-url", srv.url .. "busy",
                                 "--max-retries", "2", "--debug" }, env)
      assert.equal(4, code)
      assert.matches("http error 503", err)
      assert.equal(3, count(err, "compshare -> POST " .. srv.url .. "busy DescribeCompShareImages attempt"))
      assert.equal(2, count(err, "; retrying in"))
      code, _, err = run({ "call", "DescribeCompShareImages", "Limit=5", "--base-url=" .. srv.url .. "slow",
                           "--timeout", "0.5" }, env)
      assert.equal(4, code)
      assert.matches("timeout error", err)
    end)

    it("prints each problem once, with wire-style paths", function()
      local code, out, err = run({ "call", "CreateCompShareInstance", "GPU=1", "CPU=16", "Memory=65536", "GpuType=4090",
        "CompShareImageId=compshareImage-1", "Disks.0.Size=200", "Disks.0.IsBoot=true", "Disks.0.Type=NOPE",
        "Disks.1.Size=x", "Disks.1.IsBoot=false", "Disks.1.Type=CLOUD_SSD", "--yes" }, env)
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("^compshare%-lua: validation error in CreateCompShareInstance: %d+ problems\n", err)
      assert.equal(1, count(err, "Disks.0.Type:"))
      assert.equal(1, count(err, "Disks.1.Size:"))
      assert.not_matches("%[%d%]", err)
      assert.equal(0, #srv.calls())
    end)

    it("wait instance and wait image poll until done, with progress on stderr", function()
      local code, out, err = run({ "wait", "instance", "uhost-9", "Running" }, env)
      assert.equal(0, code, err)
      assert.equal("uhost-9", cjson.decode(out).UHostId)
      assert.matches("instance uhost%-9: Running", err)
      code, out, err = run({ "wait", "image", "compshareImage-9" }, env)
      assert.equal(0, code, err)
      assert.equal("Available", cjson.decode(out).Status)
      assert.matches("image compshareImage%-9: Making 50%%", err)
      assert.equal(2, (run({ "wait", "instance", "uhost-9" }, env)))
    end)
  end)

  describe("on the sandbox", function()
    it("prints tables on a terminal and JSON otherwise, unless --output says", function()
      local out, code = pty.run(support.command_line { "--sandbox", "call", "DescribeCompShareImages", "Limit=2" }, {})
      assert.equal(0, code, out)
      assert.matches("\nImageSet %(2%)\nCompShareImageId +Name +Status", out)
      out, code = pty.run(support.command_line { "--sandbox", "call", "DescribeCompShareImages", "Limit=2",
                                                 "--output", "json" }, {})
      assert.equal(0, code, out)
      assert.matches('^{\n  "Action": "DescribeCompShareImagesResponse"', out)
      local _, plain = run { "--sandbox", "call", "DescribeCompShareImages", "Limit=2" }
      assert.equal(2, #cjson.decode(plain).ImageSet)
    end)

    it("never asks before spending, and --all follows the pages", function()
      local sandboxed = with(CREATE, "--sandbox")
      sandboxed[7] = "CompShareImageId=compshareImage-sys-ubuntu2204-cuda121"
      local code, _, err = run(sandboxed)
      assert.equal(0, code, err)
      assert.not_matches("costs money", err)
      local _, one = run { "--sandbox", "call", "DescribeCompShareImages", "Limit=100" }
      local all
      code, all = run { "--sandbox", "call", "DescribeCompShareImages", "Limit=1", "--all" }
      assert.equal(0, code)
      local full, paged = cjson.decode(one), cjson.decode(all)
      assert.is_true(#full.ImageSet > 1)
      assert.equal(#full.ImageSet, #paged.ImageSet)
      for i, img in ipairs(full.ImageSet) do assert.equal(img.CompShareImageId, paged.ImageSet[i].CompShareImageId) end
      code, _, err = run { "--sandbox", "call", "StopCompShareInstance", "UHostId=uhost-1", "--all" }
      assert.equal(2, code)
      assert.matches("not paginated", err)
    end)
  end)
end)
