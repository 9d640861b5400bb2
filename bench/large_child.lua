--- Run by bench/large.lua in a fresh process:
--   large_child.lua call URL     one small warm-up call to the same server, then one call to
--                                URL; prints "grew <kB>": the peak RSS the call added
--   large_child.lua decode FILE  reads FILE, then json.decode of it; prints "grew <kB>": the
--                                peak RSS the decoded table added (the baseline's table)
-- The peak is VmHWM after the step against VmRSS before it, the high-water mark reset first
-- (/proc/self/clear_refs), after a full collection.
local lib = require "lib"

local mode, what = arg[1], arg[2]
local function reset()
  collectgarbage()
  collectgarbage()
  local f = io.open("/proc/self/clear_refs", "w")
  if f then f:write("5") f:close() end
  return lib.status_kb("VmRSS")
end

local step
if mode == "call" then
  local client = lib.client { base_url = what }
  assert(lib.client({ base_url = (what:gsub("files/.*$", "")) }):call("DescribeCompShareImages", {}))
  step = function() return assert(client:call("DescribeCompShareImages", {})) end
elseif mode == "decode" then
  local json = require "compshare.json"
  local f = assert(io.open(what, "rb"))
  local body = f:read("*a")
  f:close()
  step = function() return assert(json.decode(body)) end
else
  error("usage: large_child.lua call URL | decode FILE")
end
local rss0 = reset()
local res = step()
local hwm = lib.status_kb("VmHWM")
assert(res.TotalCount == #res.ImageSet)
print(("grew %d"):format(hwm - rss0))
