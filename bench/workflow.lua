--- Section 5: the create -> snapshot -> publish workflow on the sandbox, with
-- simulated time. Against the ideal: the simulated time at which the last
-- state change happened (instance boot + image make), and the fewest calls
-- (one per action plus one poll per wait).
local SPEC = {
  instance = { MachineType = "G", CompShareImageId = "compshareImage-sys-ubuntu2204-cuda121", GpuType = "4090",
               GPU = 1, CPU = 16, Memory = 65536, ChargeType = "Dynamic", Name = "bench-workflow",
               Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } } },
  image = { Name = "bench-image", Description = "made by make bench" },
  publish = { CommunityImageName = "bench image", Description = "made by make bench", Price = 0 },
}
-- Create, CreateCustomImage, Publish, and one poll for each of the two waits.
local IDEAL_CALLS = 5

-- Seconds the instance takes to boot and the image to be made, per scenario.
local SCENARIOS = { { boot = 60, make = 120 }, { boot = 10, make = 30 }, { boot = 300, make = 1800 } }

local function run(boot, make)
  local sandbox, workflow = require "compshare.sandbox", require "compshare.workflow"
  local client, sb = sandbox.client { durations = { instance_boot = boot, image_make = make } }
  local t0 = sb.clock()
  local done, err = workflow.snapshot_and_publish(client, SPEC, { sleep = sb.sleep, now = sb.clock })
  if not done then error("workflow failed: " .. tostring(err)) end
  return sb.clock() - t0, #sb.calls
end

return function()
  if not pcall(require, "compshare.workflow") or not pcall(require, "compshare.sandbox") then
    return { { what = "workflow on the sandbox", skipped = "compshare.workflow / compshare.sandbox not there yet" } }
  end
  local rows = {}
  for _, s in ipairs(SCENARIOS) do
    local elapsed, calls = run(s.boot, s.make)
    local ideal = s.boot + s.make
    rows[#rows + 1] = { what = ("boot %ds + image %ds: simulated time (s)"):format(s.boot, s.make), value = elapsed,
                        base_what = "ideal: when the state changed (s)", base = ideal,
                        ratio = elapsed / ideal, ratio_means = ("x, +%.1fs"):format(elapsed - ideal) }
    rows[#rows + 1] = { what = "  API calls made", value = calls, base_what = "fewest possible", base = IDEAL_CALLS,
                        ratio = calls / IDEAL_CALLS, ratio_means = "x" }
  end
  return rows
end
