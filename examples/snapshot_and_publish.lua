--- Create a GPU instance, snapshot it into a custom image, publish the image to
-- the community market, and stop the instance.
--
-- COST on the real service: one GPU instance (pay-as-you-go) billed from its creation until it is
-- stopped, its disks while they exist, and the custom image's storage. `compshare-lua run` asks
-- before the first create (or needs --yes); on the sandbox it costs nothing.
--
--   lua5.4 examples/snapshot_and_publish.lua [IMAGE_NAME]     (with LUA_PATH/LUA_CPATH set to the repo)
--   compshare-lua run examples/snapshot_and_publish.lua [IMAGE_NAME]
--
-- Runs on the offline sandbox unless UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY
-- are set (then also set UCLOUD_REGION / UCLOUD_ZONE; COMPSHARE_IMAGE_ID and
-- COMPSHARE_GPU_TYPE pick the boot image and GPU). Resume a failed run with
-- COMPSHARE_UHOST_ID / COMPSHARE_RESUME_IMAGE_ID set to the ids it printed.
local sandbox = require "compshare.sandbox"
local workflow = require "compshare.workflow"

local client, timing, where = sandbox.connect()
local image_name = (arg and arg[1]) or ("demo-env-" .. os.date("!%Y%m%d%H%M%S"))
print(("snapshot_and_publish on the %s"):format(where))

local function fail(err)
  io.stderr:write("failed", err.step and (" at step " .. err.step) or "", ": ", tostring(err), "\n")
  for k, v in pairs(err.partial or {}) do io.stderr:write(("  made so far: %s = %s\n"):format(k, v)) end
  os.exit(1)
end

--- A container system image to boot from (only container images can be published).
local function boot_image()
  local chosen = os.getenv("COMPSHARE_IMAGE_ID")
  if chosen then return chosen end
  for img, err in client:paginate("DescribeCompShareImages", { ImageType = "System" }) do
    if not img then fail(err) end
    if img.Container == "True" and img.Status == "Available" then
      print(("boot image: %s (%s)"):format(img.CompShareImageId, img.Name))
      return img.CompShareImageId
    end
  end
  fail(require("compshare.errors").new { kind = "validation", message = "no container system image found" })
end

local spec = {
  uhost_id = os.getenv("COMPSHARE_UHOST_ID"),
  image_id = os.getenv("COMPSHARE_RESUME_IMAGE_ID"),
  image = { Name = image_name, Description = "made by examples/snapshot_and_publish.lua" },
  publish = { Price = 0, Description = "an environment published by compshare-lua", Tags = { "demo" } },
  cleanup = "stop",
}
if not spec.uhost_id and not spec.image_id then
  spec.instance = {
    CompShareImageId = boot_image(), MachineType = "G", ChargeType = "Dynamic",
    GpuType = os.getenv("COMPSHARE_GPU_TYPE") or "4090", GPU = 1, CPU = 16, Memory = 65536,
    Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } },
    Name = "compshare-lua-demo",
  }
end

local result, err = workflow.snapshot_and_publish(client, spec, {
  sleep = timing.sleep, now = timing.now,
  on_step = function(name, info)
    print(("step %-15s done  %s"):format(name, info.UHostId or info.CompShareImageId or ""))
  end,
  -- a bar with the percentage on a terminal, plain lines otherwise
  on_progress = require("compshare.cli").progress,
})
if not result then fail(err) end

print(("instance: %s (stopped)"):format(result.UHostId))
print(("image:    %s (published, in review)"):format(result.CompShareImageId))
