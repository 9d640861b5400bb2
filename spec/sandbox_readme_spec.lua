-- README's snippets, extracted and run as written on the sandbox: the quick
-- start and the workflow (through `compshare-lua --sandbox run` and through
-- plain Lua with the sandbox as the transport), and the "Try everything
-- offline" shell blocks against a `compshare-lua sandbox --listen` server
-- (only the port differs: a free one instead of 8900).
local sh = require "support.sh"
local srv = require "support.sandbox_server"

local RUNTIME = sh.capture("pwd -P") .. "/" .. srv.RUNTIME
local NO_KEYS = "env -u UCLOUD_PUBLIC_KEY -u UCLOUD_PRIVATE_KEY -u COMPSHARE_PUBLIC_KEY -u COMPSHARE_PRIVATE_KEY "
  .. "COMPSHARE_CONFIG_FILE=/nonexistent HOME=/nonexistent "

--- The fenced blocks of README.md under each "## " heading: blocks[heading] = { {lang=, text=}, ... }.
local function readme_blocks()
  local blocks, heading = {}, ""
  local lang, buf
  for line in (sh.read("README.md") .. "\n"):gmatch("([^\n]*)\n") do
    if buf then
      if line:match("^```%s*$") then
        blocks[heading] = blocks[heading] or {}
        table.insert(blocks[heading], { lang = lang, text = table.concat(buf, "\n") .. "\n" })
        buf = nil
      else
        buf[#buf + 1] = line
      end
    elseif line:match("^```") then
      lang, buf = line:match("^```(%w*)"), {}
    elseif line:match("^## ") then
      heading = line:sub(4)
    end
  end
  return blocks
end

local function of_lang(list, lang)
  local out = {}
  for _, b in ipairs(list or {}) do if b.lang == lang then out[#out + 1] = b.text end end
  return out
end

local ROOT = sh.capture("pwd -P")

--- Run `text` as a script with `cmd` (%s: the script) in a fresh directory (the workflow
-- snippet writes its journal, run.json, where it runs); returns the output and "rc=N".
local function run_lua(text, cmd)
  local dir = sh.capture("mktemp -d")
  local file = dir .. "/quickstart.lua"
  sh.write(file, text)
  local out = sh.capture(("cd %s && %s 2>&1; echo rc=$?"):format(sh.quote(dir), cmd:format(sh.quote(file))))
  sh.run("rm -rf " .. sh.quote(dir))
  return out
end

local LUA_PATHS = ("LUA_PATH='%s/lua/?.lua;%s/lua/?/init.lua;;' LUA_CPATH='%s/build/5.4/?.so;;' "):format(ROOT, ROOT, ROOT)

describe("README, run as written on the sandbox", function()
  local blocks = readme_blocks()
  local quick = of_lang(blocks["Quick start (Lua)"], "lua")
  local flow = of_lang(blocks["Workflows"], "lua")

  it("has the snippets this spec runs", function()
    assert.equal(2, #quick)
    assert.is_truthy(quick[2]:find("compshare.sandbox", 1, true))
    assert.is_truthy(flow[1]:find("snapshot_and_publish", 1, true))
  end)

  it("quick start + workflow: compshare-lua --sandbox run quickstart.lua", function()
    local out = run_lua(quick[1] .. flow[1], NO_KEYS .. RUNTIME .. " --sandbox run %s")
    assert.matches("rc=0$", out)
    assert.matches("compshareImage%-sys%-ubuntu2204%-cuda121\tUbuntu 22%.04 CUDA 12%.1", out)
    assert.matches("published\tcompshareImage%-sbx%d+\tfrom\tuhost%-sbx%d+", out)
  end)

  it("quick start + workflow in plain Lua with the sandbox as the transport: no time options needed", function()
    local script = quick[1]:gsub("local client = compshare%.new %b{}\n", function() return quick[2] end, 1)
    assert.is_truthy(script:find("compshare.sandbox", 1, true))
    local out = run_lua(script .. flow[1], NO_KEYS .. LUA_PATHS .. "lua5.4 %s")
    assert.matches("rc=0$", out)
    assert.matches("Ubuntu 22%.04 %(VM%)", out)
    assert.matches("published\tcompshareImage%-sbx%d+\tfrom\tuhost%-sbx%d+", out)
  end)

  describe("Try everything offline", function()
    local shell = of_lang(blocks["Try everything offline"], "sh")
    local s
    after_each(function() if s then s.stop() s = nil end end)

    local function with_port(text)
      return (text:gsub("127%.0%.0%.1:8900", "127.0.0.1:" .. s.port):gsub("\ncompshare%-lua ", "\n" .. RUNTIME .. " ")
        :gsub("^%s*compshare%-lua ", RUNTIME .. " "):gsub("\n  compshare%-lua ", "\n  " .. RUNTIME .. " "))
    end

    it("starts with the command the README shows", function()
      assert.matches("^compshare%-lua sandbox %-%-listen 127%.0%.0%.1:8900", shell[1])
    end)

    it("signed curl calls", function()
      s = srv.start { "--duration", "instance_boot=1000000" }   -- still Initializing when described
      local out = sh.capture("sh -c " .. sh.quote(with_port(shell[2])) .. " 2>&1; echo rc=$?")
      assert.matches("rc=0$", out)
      local n = 0
      for _ in out:gmatch('"RetCode":0') do n = n + 1 end
      assert.equal(3, n, out)
      assert.matches('"UHostIds":%["uhost%-sbx%d+"%]', out)
      assert.matches('"State":"Initializing"', out)
    end)

    it("this library over real HTTP: examples/snapshot_and_publish.lua", function()
      s = srv.start { "--speed", "20" }
      local journal = os.tmpname()
      os.remove(journal)
      local out = sh.capture(NO_KEYS .. "COMPSHARE_JOURNAL=" .. sh.quote(journal) .. " sh -c "
        .. sh.quote(with_port(shell[3])) .. " 2>&1; echo rc=$?")
      os.remove(journal)
      os.remove(journal .. ".lock")
      assert.matches("rc=0$", out)
      assert.matches("snapshot_and_publish on the service", out)     -- the keys are set: it talks HTTP
      assert.matches("image:%s+compshareImage%-sbx%d+ %(published", out)
    end)
  end)
end)
