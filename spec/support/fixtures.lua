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

--- A list of n copies of x (the same value each time).
function fixtures.rep(x, n)
  local out = {}
  for i = 1, n do out[i] = x end
  return out
end

return fixtures
