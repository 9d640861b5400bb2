--- One DescribeCompShareImages call to the URL in arg[1], then the process's
-- peak RSS: prints "VmHWM <kB>". Run by bench/memory.lua under the `compshare`
-- runtime and under plain Lua; needs nothing but require "compshare".
local compshare = require "compshare"

local client = compshare.new { public_key = "my_public_key", private_key = "my_private_key",
                               region = "cn-wlcb", zone = "cn-wlcb-01", base_url = assert(arg[1], "usage: URL") }
assert(client:call("DescribeCompShareImages", { ImageType = "System" }))
local f = assert(io.open("/proc/self/status"))
print("VmHWM " .. f:read("*a"):match("VmHWM:%s*(%d+)"))
f:close()
