-- compshare.transport picks cosockets where nginx lets them yield, libcurl
-- elsewhere, per call; and util.sleep uses ngx.sleep in the same places.
local fake_ngx = require "openresty.fake_ngx"

describe("compshare.transport.default", function()
  local fake, made

  local function recorder(name)
    return { new = function()
      made[#made + 1] = name
      return setmetatable({
        batch = function(reqs) return { name, #reqs } end,
        close = function() made[#made + 1] = name .. " closed" end,
      }, { __call = function(_, req) return { status = 200, body = name, headers = {}, url = req.url } end })
    end }
  end

  before_each(function()
    made = {}
    fake = fake_ngx.new(function() end)
    package.loaded["compshare.transport.ngx"] = recorder("ngx")
    package.loaded["compshare.transport.curl"] = recorder("curl")
    package.loaded["compshare.transport"] = nil
  end)

  after_each(function()
    _G.ngx = nil
    package.loaded["compshare.transport.ngx"] = nil
    package.loaded["compshare.transport.curl"] = nil
    package.loaded["compshare.transport"] = nil
  end)

  it("makes no transport until the first call", function()
    _G.ngx = fake.ngx
    fake.phase = "init"
    require("compshare.transport").default {}
    assert.same({}, made)
  end)

  it("uses libcurl outside nginx", function()
    local t = require("compshare.transport").default {}
    assert.equal("curl", t({ url = "u" }).body)
    assert.same({ "curl", 1 }, t.batch({ {} }))
  end)

  it("uses cosockets in yieldable phases and libcurl in the others, per call", function()
    _G.ngx = fake.ngx
    local t = require("compshare.transport").default {}
    local expect = {
      init = "curl", init_worker = "curl", set = "curl", header_filter = "curl", log = "curl",
      rewrite = "ngx", access = "ngx", content = "ngx", timer = "ngx",
    }
    for phase, name in pairs(expect) do
      fake.phase = phase
      assert.equal(name, t({ url = "u" }).body, phase)
      assert.equal(name, t.batch({ {}, {} })[1], phase)
    end
    table.sort(made)
    assert.same({ "curl", "ngx" }, made)  -- one of each, made once and reused
    t.close()
    table.sort(made)
    assert.same({ "curl", "curl closed", "ngx", "ngx closed" }, made)
  end)
end)

describe("compshare.util.sleep inside nginx", function()
  after_each(function()
    _G.ngx = nil
    package.loaded["compshare.transport"] = nil
  end)

  it("calls ngx.sleep where it can yield, never in init", function()
    local fake = fake_ngx.new(function() end)
    local slept = {}
    fake.ngx.sleep = function(s) slept[#slept + 1] = s end
    _G.ngx = fake.ngx
    package.loaded["compshare.transport"] = nil
    local util = require "compshare.util"
    fake.phase = "timer"
    util.sleep(0.25)
    fake.phase = "content"
    util.sleep(0.5)
    assert.same({ 0.25, 0.5 }, slept)
    fake.phase = "init"
    util.sleep(0.001)  -- a real (tiny) blocking sleep: not ngx.sleep
    assert.same({ 0.25, 0.5 }, slept)
  end)
end)

-- luacheck: push ignore 122 (replacing io/os functions for one test)
describe("requiring compshare", function()
  it("does no I/O: no files, no environment, no sockets, no processes", function()
    local saved = { io.open, io.popen, io.lines, os.getenv, os.execute }
    local fake = fake_ngx.new(function() end)
    local touched = {}
    local function forbid(name) return function() touched[#touched + 1] = name error("I/O at require time: " .. name) end end
    fake.ngx.socket.tcp = forbid("ngx.socket.tcp")
    fake.phase = "init"
    _G.ngx = fake.ngx
    io.open, io.popen, io.lines = forbid("io.open"), forbid("io.popen"), forbid("io.lines")
    os.getenv, os.execute = forbid("os.getenv"), forbid("os.execute")
    local unloaded = {}
    for name in pairs(package.loaded) do
      if name == "compshare" or name:find("^compshare%.") and name ~= "compshare.core" then
        unloaded[name] = package.loaded[name]
        package.loaded[name] = nil
      end
    end
    local ok, err = pcall(function()
      for _, m in ipairs { "compshare", "compshare.transport", "compshare.transport.ngx",
                           "compshare.workflow", "compshare.batch", "compshare.util" } do
        require(m)
      end
    end)
    io.open, io.popen, io.lines, os.getenv, os.execute = saved[1], saved[2], saved[3], saved[4], saved[5]
    _G.ngx = nil
    for name, mod in pairs(unloaded) do package.loaded[name] = mod end
    assert(ok, err)
    assert.same({}, touched)
  end)
end)
-- luacheck: pop
