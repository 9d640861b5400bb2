--- The child process of the kill -9 spec: snapshot_and_publish against the
-- sandbox served over HTTP, with a journal.
--   lua5.4 spec/support/journal_child.lua <base_url> <journal path>
-- Exits 0 with "done <UHostId> <CompShareImageId>", or 1 with the error.
local compshare = require "compshare"
local workflow = require "compshare.workflow"

local url, path = arg[1], arg[2]
local client = compshare.new { base_url = url, public_key = "my_public_key", private_key = "my_private_key",
  region = "cn-wlcb", zone = "cn-wlcb-01", timeout = 10 }
local spec = {
  instance = { CompShareImageId = "compshareImage-sys-ubuntu2204-cuda121", MachineType = "G", GpuType = "4090",
    GPU = 1, CPU = 16, Memory = 65536, Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } },
    Name = "killed", Remark = "driver:535" },
  image = { Name = "killed-env", Description = "made by the kill -9 spec" },
  publish = { Price = 0, Description = "shared", Tags = { "demo" } },
  cleanup = "stop",
  max_lifetime = 3600,
}
local res, err = workflow.snapshot_and_publish(client, spec, {
  journal = path, interval = 0.02, max_interval = 0.05, settle = 0.05,
})
if not res then
  io.stdout:write("failed ", tostring(err), "\n")
  os.exit(1)
end
io.stdout:write(("done %s %s\n"):format(res.UHostId, res.CompShareImageId))
