--- Parameter sets the specs share.
local fixtures = {}

--- A valid CreateCompShareInstance parameter set, with `over` applied on top.
function fixtures.instance(over)
  local p = {
    GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536, CompShareImageId = "compshareImage-1",
    Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } },
  }
  for k, v in pairs(over or {}) do p[k] = v end
  return p
end

--- A shallow copy of base with the fields of extra (optional) on top.
function fixtures.with(base, extra)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

--- The create the recover specs send: an instance with a Name (the claim's subject).
function fixtures.named_instance()
  return fixtures.instance { MachineType = "G", CompShareImageId = "compshareImage-xxxx", ChargeType = "Dynamic",
    Name = "job-1" }
end

--- A list of n copies of x (the same value each time).
function fixtures.rep(x, n)
  local out = {}
  for i = 1, n do out[i] = x end
  return out
end

--- fn() with the process's real sleep (compshare.core.sleep, under util.sleep) counted:
-- -> the number of real sleeps it made, then fn's results. Shows a run on a simulated clock
-- is instant without timing it.
function fixtures.real_sleeps(fn)
  local core = require "compshare.core"
  local real, n = core.sleep, 0
  core.sleep = function(s) n = n + 1; return real(s) end
  local function finish(ok, ...)
    core.sleep = real
    if not ok then error((...), 0) end
    return n, ...
  end
  return finish(pcall(fn))
end

return fixtures
