--- Section 5: the create -> snapshot -> publish workflow on the sandbox, with
-- simulated time. Against the ideal: the simulated time at which the last
-- state change happened (instance boot + image make), and the fewest calls
-- (one per action plus one poll per wait); the calls of each wait on their own
-- rows. Last, an image that fails half-way: when the workflow stopped against
-- when the image failed.
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
local FAILING = { boot = 60, make = 1800, at = 50 }   -- the image fails at 50 %

local IMAGE_WAIT = { GetCompShareImageCreateProgress = true, DescribeCompShareCustomImages = true }

--- Runs the workflow; returns the simulated seconds, the calls, the instance
-- polls, the image-wait calls and the workflow's error (when it failed).
local function run(boot, make, fail)
  local sandbox, workflow = require "compshare.sandbox", require "compshare.workflow"
  local client, sb = sandbox.client { durations = { instance_boot = boot, image_make = make }, fail = fail }
  local t0 = sb.clock()
  local _, err = workflow.snapshot_and_publish(client, SPEC, { sleep = sb.sleep, now = sb.clock })
  local instance_polls, image_calls = 0, 0
  for _, call in ipairs(sb.calls) do
    -- (the other DescribeCompShareInstance lists the instances named like the new one, before the create)
    if call.action == "DescribeCompShareInstance" and call.params.UHostIds then instance_polls = instance_polls + 1 end
    if IMAGE_WAIT[call.action] then image_calls = image_calls + 1 end
  end
  return sb.clock() - t0, #sb.calls, instance_polls, image_calls, err
end

return function()
  local rows = {}
  for _, s in ipairs(SCENARIOS) do
    local elapsed, calls, instance_polls, image_calls, err = run(s.boot, s.make)
    if err then error("workflow failed: " .. tostring(err)) end
    local ideal = s.boot + s.make
    rows[#rows + 1] = { what = ("boot %ds + image %ds: simulated time (s)"):format(s.boot, s.make), value = elapsed,
                        base_what = "ideal: when the state changed (s)", base = ideal,
                        ratio = elapsed / ideal, ratio_means = ("x, +%.1fs"):format(elapsed - ideal) }
    rows[#rows + 1] = { what = "  API calls made", value = calls, base_what = "fewest possible", base = IDEAL_CALLS,
                        ratio = calls / IDEAL_CALLS, ratio_means = "x" }
    rows[#rows + 1] = { what = "  of which waiting for Running", value = instance_polls, base_what = "fewest possible",
                        base = 1, ratio = instance_polls, ratio_means = "x" }
    rows[#rows + 1] = { what = "  of which waiting for Available", value = image_calls, base_what = "fewest possible",
                        base = 1, ratio = image_calls, ratio_means = "x" }
  end
  local f = FAILING
  local elapsed, calls, _, _, err = run(f.boot, f.make, { image = { reason = "bench", at = f.at } })
  if not err or err.step ~= "wait_image" then error("the failing image did not fail the wait: " .. tostring(err)) end
  local failed_at = f.boot + f.make * f.at / 100
  rows[#rows + 1] = { what = ("boot %ds + image %ds failing at %d%%: stopped at (s)"):format(f.boot, f.make, f.at),
                      value = elapsed, base_what = "when the image failed (s)", base = failed_at,
                      ratio = elapsed / failed_at, ratio_means = ("x, +%.1fs"):format(elapsed - failed_at) }
  rows[#rows + 1] = { what = "  API calls made", value = calls, base_what = "fewest possible", base = 4,
                      ratio = calls / 4, ratio_means = "x" }
  return rows
end
