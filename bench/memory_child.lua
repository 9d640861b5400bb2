--- Run by bench/memory.lua in a process of its own:
--   memory_child.lua URL N1 N2 -> prints "VmHWM <kB after N1 calls> <kB after N2 calls>"
local lib = require "lib"

local url, n1, n2 = arg[1], tonumber(arg[2]), tonumber(arg[3])
local client = lib.client { base_url = url }
local params = { ImageType = "System", Limit = 20, Offset = 0 }
local function calls(n)
  for _ = 1, n do assert(client:call("DescribeCompShareImages", params)) end
end
calls(n1)
local after_n1 = lib.status_kb("VmHWM")
calls(n2 - n1)
print(("VmHWM %d %d"):format(after_n1, lib.status_kb("VmHWM")))
