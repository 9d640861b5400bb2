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

return fixtures
