-- The sandbox's stop scheduler (UpdateCompShareStopScheduler): the dead man's
-- switch the workflow sets with spec.max_lifetime.
local sandbox = require "compshare.sandbox"

local INSTANCE = {
  CompShareImageId = "compshareImage-sys-ubuntu2204-cuda121", MachineType = "G", GpuType = "4090",
  GPU = 1, CPU = 16, Memory = 65536, Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } },
}

local function state(c, id)
  local set = assert(c:call("DescribeCompShareInstance", { UHostIds = { id } })).UHostSet
  return set[1] and set[1].State, set[1]
end

describe("sandbox UpdateCompShareStopScheduler", function()
  it("stops a Running instance at StopTime, and not before", function()
    local c, sb = sandbox.client { durations = { instance_boot = 10, instance_stop = 5 } }
    local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
    local at = math.floor(sb.clock()) + 100
    assert(c:call("UpdateCompShareStopScheduler", { UHostId = id, StopTime = at }))
    local s, inst = state(c, id)
    assert.equal("Initializing", s)
    assert.equal(at, inst.StopSchedulerTime)
    sb:advance(99)
    assert.equal("Running", state(c, id))
    sb:advance(1)
    assert.equal("Stopping", state(c, id))
    sb:advance(5)
    local s2, inst2 = state(c, id)
    assert.equal("Stopped", s2)
    assert.is_nil(inst2.StopSchedulerTime)
  end)

  it("waits for a booting instance, and leaves a stopped one stopped", function()
    local c, sb = sandbox.client { durations = { instance_boot = 50, instance_stop = 0, instance_start = 0 } }
    local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
    assert(c:call("UpdateCompShareStopScheduler", { UHostId = id, StopTime = math.floor(sb.clock()) + 10 }))
    sb:advance(20)
    assert.equal("Initializing", state(c, id))
    sb:advance(30)
    assert.equal("Stopped", state(c, id))
    local id2 = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
    sb:advance(50)
    assert(c:call("StopCompShareInstance", { UHostId = id2 }))
    assert(c:call("UpdateCompShareStopScheduler", { UHostId = id2, StopTime = math.floor(sb.clock()) + 1 }))
    sb:advance(2)
    assert(c:call("StartCompShareInstance", { UHostId = id2 }))
    sb:advance(100)
    assert.equal("Running", state(c, id2))
  end)

  it("refuses an unknown instance and a missing StopTime", function()
    local c = sandbox.client()
    local _, err = c:call("UpdateCompShareStopScheduler", { UHostId = "uhost-nope", StopTime = 1 })
    assert.equal(sandbox.CODES.not_found, err.code)
    _, err = c:call("UpdateCompShareStopScheduler", { UHostId = "uhost-nope" })
    assert.equal(sandbox.CODES.missing_param, err.code)
  end)
end)
