--- A short run through every path of compshare.core that owns C memory, for `make valgrind`
-- (valgrind --leak-check=full lua5.4 spec/support/valgrind_smoke.lua): sign, encode, flatten,
-- form encode/decode, session request/batch on success and on every error kind, Lua errors
-- raised in the middle of setting up a transfer, close, and sessions left to __gc.
-- Prints one line per step; exits non-zero when a result is wrong.
local core = require "compshare.core"
local nginx = require "support.nginx"

local failures = 0
local function check(what, ok)
  print(("%-58s %s"):format(what, ok and "ok" or "FAILED"))
  if not ok then failures = failures + 1 end
end

local params = { Action = "CreateCompShareInstance", PublicKey = "pk", GPU = 1, Price = 1.5,
                 Disks = { { IsBoot = true, Size = 200 } }, Name = "我的 AI&环境" }
check("sign", #core.sign(params, "sk") == 40)
local body = core.encode(params, "sk")
check("encode + form_decode", core.form_decode(body).Name == "我的 AI&环境")
check("flatten", #core.flatten(params) == 7)
check("form_encode", core.form_encode { a = "1 2" } == "a=1+2")
local cyclic = { A = {} }
cyclic.A.B = cyclic.A
check("sign raises on a cyclic table", not pcall(core.sign, cyclic, "sk"))
check("sign raises on a function", not pcall(core.sign, { F = print }, "sk"))

local srv = nginx.start_verify {
  keys = { pk = "sk" },
  server = [[
    location = /slow { content_by_lua_block { ngx.sleep(1) ngx.say("late") } }
    location = /drop { return 444; }
    location = /big { content_by_lua_block { ngx.print(string.rep("b", 3 * 1024 * 1024)) } }
  ]],
}
local refused = ("http://127.0.0.1:%d/"):format(nginx.free_port())
local ok, err = pcall(function()
  local s = core.session { user_agent = "valgrind-smoke" }
  local res = s:request { url = srv.url, body = body, timeout = 5,
                          headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } }
  check("request", res and res.status == 200 and res.body:find('"RetCode":0', 1, true) ~= nil)
  res = s:request { url = srv.url .. "big", method = "GET", timeout = 5 }
  check("request with a 3 MB response", res and #res.body == 3 * 1024 * 1024)
  check("timeout", select(2, s:request { url = srv.url .. "slow", timeout = 0.1 }) == "timeout")
  check("connect", select(2, s:request { url = refused, timeout = 1 }) == "connect")
  check("reset", select(2, s:request { url = srv.url .. "drop", timeout = 1 }) == "reset")
  check("request body over the limit", select(2, s:request {
    url = srv.url, body = ("x"):rep(64 * 1024 * 1024 + 1) }) == "transport")
  check("raise while reading headers", not pcall(s.request, s, {
    url = srv.url, headers = { A = "1", B = "2", C = {} } }))
  check("request after the raise", s:request { url = srv.url, body = body }.status == 200)
  check("retry_safe = false: a fresh connection",
    s:request { url = srv.url, body = body, retry_safe = false }.status == 200)
  check("reset on a fresh connection", select(2, s:request { url = srv.url .. "drop", retry_safe = false }) == "reset")
  check("raise on a retry_safe that is not a boolean", not pcall(s.request, s, { url = srv.url, retry_safe = 1 }))
  check("read after a fresh connection", s:request { url = srv.url, body = body, retry_safe = true }.status == 200)

  local reqs = {}
  for i = 1, 8 do reqs[i] = { url = srv.url, body = body, timeout = 5 } end
  reqs[3] = { url = refused, timeout = 1 }
  reqs[6] = { url = srv.url .. "slow", timeout = 0.1 }
  reqs[7].retry_safe, reqs[8].retry_safe = false, false
  local out = s:batch(reqs, 3)
  check("batch", #out == 8 and out[1].status == 200 and out[3].error == "connect" and out[6].error == "timeout")
  check("batch raises on a bad request", not pcall(s.batch, s, { reqs[1], { url = 1 } }, 2))
  check("batch again on the pooled handles", s:batch(reqs, 4)[8].status == 200)
  s:close()
  s:close()
  check("request after close raises", not pcall(s.request, s, { url = srv.url }))

  local forgotten = core.session {}  -- left to __gc, with a used handle pool
  forgotten:batch({ { url = srv.url, body = body } }, 2)
  forgotten:request { url = srv.url, body = body }
  forgotten = nil -- luacheck: ignore 311
  collectgarbage()
  collectgarbage()
end)
srv.stop()
if not ok then error(err, 0) end
if failures > 0 then
  io.stderr:write(failures, " step(s) failed\n")
  os.exit(1)
end
