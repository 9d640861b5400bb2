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
-- COMPSHARE_GPU_TYPE pick the boot image and GPU). COMPSHARE_UHOST_ID /
-- COMPSHARE_RESUME_IMAGE_ID start from an instance or image you already have.
-- Empty variables count as unset.
--
-- Journal and resume: on the service the run is recorded in a journal,
-- ./compshare-IMAGE_NAME.journal.json (or COMPSHARE_JOURNAL). If the run fails
-- or is killed, run the SAME command again (same IMAGE_NAME, same variables):
-- it resumes from the journal, finds an instance or image whose create had no
-- answer by its claim token, and never creates or publishes anything twice.
-- When it says a create "is never sent again" and names a journal entry, look
-- in the console; if nothing was made, remove that entry and run again.
-- The instance is also set to stop by itself after COMPSHARE_MAX_LIFETIME
-- seconds (default 10800), so a run that dies stops paying then.
-- On the sandbox (which lives only as long as this process) the journal is a
-- temporary file, removed at the end.
local sandbox = require "compshare.sandbox"
local workflow = require "compshare.workflow"

--- An environment variable; nil when unset or empty.
local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then return nil end
  return v
end

local client, _, where = sandbox.connect()
local image_name = (arg and arg[1] ~= "" and arg[1]) or ("demo-env-" .. os.date("!%Y%m%d%H%M%S"))
print(("snapshot_and_publish on the %s"):format(where))

local journal = env("COMPSHARE_JOURNAL")
local temporary = false
if not journal and where == "sandbox" then
  journal, temporary = os.tmpname(), true
  os.remove(journal)
end
journal = journal or ("compshare-%s.journal.json"):format((image_name:gsub("[^%w%-_.]", "_")))

local function fail(err)
  io.stderr:write("failed", err.step and (" at step " .. err.step) or "", ": ", tostring(err), "\n")
  for k, v in pairs(err.partial or {}) do io.stderr:write(("  made so far: %s = %s\n"):format(k, v)) end
  if temporary then
    os.remove(journal)
    os.remove(journal .. ".lock")
  else
    io.stderr:write(("  to resume, run the same command again (journal %s)\n"):format(journal))
  end
  os.exit(1)
end

--- A container system image to boot from (only container images can be published).
local function boot_image()
  local chosen = env("COMPSHARE_IMAGE_ID")
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
  uhost_id = env("COMPSHARE_UHOST_ID"),
  image_id = env("COMPSHARE_RESUME_IMAGE_ID"),
  image = { Name = image_name, Description = "made by examples/snapshot_and_publish.lua" },
  publish = { Price = 0, Description = "an environment published by compshare-lua", Tags = { "demo" } },
  cleanup = "stop",
  max_lifetime = tonumber(env("COMPSHARE_MAX_LIFETIME") or "10800"),
}
if not spec.uhost_id and not spec.image_id then
  spec.instance = {
    CompShareImageId = boot_image(), MachineType = "G", ChargeType = "Dynamic",
    GpuType = env("COMPSHARE_GPU_TYPE") or "4090", GPU = 1, CPU = 16, Memory = 65536,
    Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } },
    Name = "compshare-lua-demo",
  }
end

if not temporary then print(("journal: %s"):format(journal)) end
local result, err = workflow.snapshot_and_publish(client, spec, {
  journal = journal,   -- sleep and now: the sandbox's instant clock there, real time on the service
  on_step = function(name, info)
    print(("step %-15s done  %s%s"):format(name, info.UHostId or info.CompShareImageId or "",
      info.already and " (already done)" or ""))
  end,
  -- a bar with the percentage on a terminal, plain lines otherwise
  on_progress = require("compshare.cli").progress,
})
if not result then fail(err) end
if temporary then os.remove(journal) os.remove(journal .. ".lock") end

print(("instance: %s (stopped)"):format(result.UHostId))
print(("image:    %s (published, in review)"):format(result.CompShareImageId))
