-- compshare.util (clocks and sleeping, also inside nginx) and the facts the C core and the Lua
-- library share (c/defaults.h, read through core.DEFAULTS and core.VERSION).
local core = require "compshare.core"

describe("util", function()
  local util = require "compshare.util"

  it("monotonic is the C core's monotonic clock, inside nginx too (ngx.now is a wall clock)", function()
    _G.ngx = { now = function() return 1e9 end, update_time = function() end, get_phase = function() return "content" end }
    local ok, t = pcall(util.monotonic)
    _G.ngx = nil
    assert.is_true(ok, t)
    assert.is_true(t < 1e9 - 1e6, "util.monotonic returned ngx.now()")
    assert.is_true(math.abs(t - core.monotonic()) < 1)
  end)

  it("core.timestamp_ms is the wall clock in whole milliseconds, as digits only", function()
    local before = math.floor(core.now() * 1000)
    local s = core.timestamp_ms()
    local after = math.floor(core.now() * 1000)
    assert.are.equal("string", type(s))
    assert.matches("^[1-9]%d+$", s)
    assert.is_true(tonumber(s) >= before - 1 and tonumber(s) <= after + 1, s)  -- core.now is a double
    assert.are.equal(#tostring(after), #s)
  end)

  it("can_yield only in the phases where cosockets may yield", function()
    assert.is_false(util.can_yield())
    _G.ngx = { get_phase = function() return "init" end }
    local init = util.can_yield()
    ngx.get_phase = function() return "timer" end
    local timer = util.can_yield()
    _G.ngx = nil
    assert.is_false(init)
    assert.is_true(timer)
  end)
end)

describe("the shared facts", function()
  it("come from the C core: timeout 30 s, concurrency 8, bodies up to 64 MB, the version", function()
    assert.equal(30, core.DEFAULTS.timeout)
    assert.equal(8, core.DEFAULTS.concurrency)
    assert.equal(64 * 1024 * 1024, core.DEFAULTS.max_body)
    assert.matches("^%d+%.%d+%.%d+", core.VERSION)
  end)

  it("are what the client and require 'compshare' use", function()
    local compshare = require "compshare"
    assert.equal(core.VERSION, compshare._VERSION)
    local c = compshare.new { public_key = "p", private_key = "k", transport = function() end }
    assert.equal(core.DEFAULTS.timeout, c.timeout)
    assert.truthy(c.user_agent:find("compshare-lua/" .. core.VERSION .. " ", 1, true))
  end)
end)
