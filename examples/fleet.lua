--- Create N instances, wait until all of them run, then stop them all.
--
-- COST on the real service: N GPU instances (4090 by default, pay-as-you-go) billed while they
-- run, and their disks while they exist (they are left Stopped, not deleted). `compshare-lua run`
-- asks before the first create (or needs --yes); on the sandbox it costs nothing.
--
--   lua5.4 examples/fleet.lua [N]     (with LUA_PATH/LUA_CPATH set to the repo)
--   compshare-lua run examples/fleet.lua [N]
--
-- Runs on the offline sandbox unless UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY
-- are set (COMPSHARE_IMAGE_ID and COMPSHARE_GPU_TYPE pick the image and GPU).
-- The instances are left Stopped; terminate them with TerminateCompShareInstance.
local sandbox = require "compshare.sandbox"
local workflow = require "compshare.workflow"

local client, timing, where = sandbox.connect()
local count = math.floor(tonumber(arg and arg[1]) or 3)
print(("fleet of %d on the %s"):format(count, where))

local made = {}
local function fail(what, err)
  io.stderr:write(("failed to %s: %s\n"):format(what, tostring(err)))
  if #made > 0 then io.stderr:write("instances made: ", table.concat(made, " "), "\n") end
  os.exit(1)
end

local image_id = os.getenv("COMPSHARE_IMAGE_ID")
if not image_id then
  local res, err = client:DescribeCompShareImages { ImageType = "System", Limit = 1 }
  if not res then fail("find an image", err) end
  image_id = res.ImageSet[1].CompShareImageId
end

-- One create call per instance: a create is never repeated, so a failure
-- stops here and reports what exists.
for i = 1, count do
  local res, err = client:CreateCompShareInstance {
    CompShareImageId = image_id, MachineType = "G", ChargeType = "Dynamic",
    GpuType = os.getenv("COMPSHARE_GPU_TYPE") or "4090", GPU = 1, CPU = 16, Memory = 65536,
    Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } },
    Name = ("compshare-lua-fleet-%d"):format(i),
  }
  if not res then fail("create instance " .. i, err) end
  made[#made + 1] = res.UHostIds[1]
  print("created " .. res.UHostIds[1])
end

local waits = {
  sleep = timing.sleep, now = timing.now,
  on_progress = function(_, info) print(("  %s: %s"):format(info.id, info.state)) end,
}
for _, id in ipairs(made) do
  local _, err = workflow.wait_instance(client, id, "Running", waits)
  if err then fail("start " .. id, err) end
end
print("all running")

for _, id in ipairs(made) do
  local _, err = client:StopCompShareInstance { UHostId = id }
  if err then fail("stop " .. id, err) end
end
for _, id in ipairs(made) do
  local _, err = workflow.wait_instance(client, id, "Stopped", waits)
  if err then fail("stop " .. id, err) end
end
print("all stopped: " .. table.concat(made, " "))
