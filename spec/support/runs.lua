--- Helpers for the journal and crash specs: a sandbox, a full workflow spec,
-- a transport that dies at its N-th request, journal paths, and the checks
-- that nothing was made twice or left behind.
local compshare = require "compshare"
local json = require "compshare.json"
local sandbox = require "compshare.sandbox"

local runs = {}

runs.CONTAINER = "compshareImage-sys-ubuntu2204-cuda121"
runs.DURATIONS = { instance_boot = 60, instance_start = 20, instance_stop = 15, instance_reboot = 30, image_make = 300 }
runs.INSTANCE = {
  CompShareImageId = runs.CONTAINER, MachineType = "G", GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536,
  Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } }, Name = "trainer", Remark = "driver:535",
}

function runs.with(base, extra)
  local o = {}
  for k, v in pairs(base or {}) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

--- A full snapshot_and_publish spec with `extra` merged in.
function runs.spec(extra)
  return runs.with({
    instance = runs.INSTANCE,
    image = { Name = "my-env", Description = "pytorch ready" },
    publish = { Price = 0, Description = "shared env", Tags = { "demo" } },
    cleanup = "stop",
  }, extra)
end

--- A fresh sandbox (opts as for sandbox.new; durations default to runs.DURATIONS).
function runs.sandbox(opts)
  opts = runs.with({ durations = runs.DURATIONS }, opts)
  return sandbox.new(opts)
end

--- A client on `transport` (the sandbox, or a wrapper of it).
function runs.client(transport)
  return compshare.new { transport = transport, public_key = "my_public_key", private_key = "my_private_key",
    region = "cn-wlcb", zone = "cn-wlcb-01" }
end

runs.CRASH = "simulated crash"

--- A transport on `sb` that, at its n-th request, dies (raises runs.CRASH):
--   mode "die"    after the sandbox applied the request, before its answer arrives
--   mode "lost"   the same, but the process lives on: a transport failure (sent = true)
--   mode "before" before the request reaches the sandbox
-- It offers the sandbox's sleep and clock, as the sandbox does. t.crashed_at
-- is the action of the n-th request once it was made.
function runs.crashing(sb, n, mode)
  local t = { sleep = sb.sleep, clock = sb.clock, requests = 0 }
  return setmetatable(t, { __call = function(_, req)
    t.requests = t.requests + 1
    if t.requests ~= n then return sb(req) end
    t.crashed_at = req.action
    if mode == "before" then error(runs.CRASH, 0) end
    sb(req)
    if mode == "die" then error(runs.CRASH, 0) end
    return nil, { kind = "timeout", message = "the answer was lost", sent = true }
  end })
end

local serial = 0
local made = {}
--- A journal path that does not exist yet (removed by runs.cleanup()); in
-- /dev/shm when there is one (fsync is instant on tmpfs), unless `disk`.
function runs.journal_path(disk)
  serial = serial + 1
  local base = os.tmpname()
  os.remove(base)
  local shm = io.open("/dev/shm/.", "rb")
  if shm and not disk then
    shm:close()
    base = "/dev/shm/" .. base:match("[^/]+$")
  end
  local path = ("%s-%d.json"):format(base, serial)
  made[#made + 1] = path
  return path
end

function runs.cleanup()
  for _, p in ipairs(made) do
    os.remove(p)
    os.remove(p .. ".tmp")
    os.remove(p .. ".lock")
  end
  made = {}
end

function runs.read_journal(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return assert(json.decode(text)), text
end

function runs.write_journal(path, state)
  local f = assert(io.open(path, "wb"))
  f:write(assert(json.encode(state)))
  f:close()
end

--- How many calls of `action` reached the sandbox.
function runs.count(sb, action)
  local n = 0
  for _, call in ipairs(sb.calls) do if call.action == action then n = n + 1 end end
  return n
end

--- What the sandbox holds: every instance and custom image in it (the specs
-- never terminate or delete one, so this is every one ever made).
function runs.made(sb)
  return #sb.world:list("instances"), #sb.world:list("images")
end

--- The problems with a finished run (a list of strings, empty when all is well):
-- one instance, one image, one publish, the instance stopped (or, with
-- cleanup "terminate", terminated), no orphan.
function runs.problems(sb, res, path, cleanup)
  local out = {}
  local function expect(ok, what) if not ok then out[#out + 1] = what end end
  local terminate = cleanup == "terminate"
  local instances, images = runs.made(sb)
  expect(instances == (terminate and 0 or 1), ("%d instances are left"):format(instances))
  expect(images == 1, ("%d images were made"):format(images))
  for _, action in ipairs { "CreateCompShareInstance", "CreateCompShareCustomImage", "PublishCompShareImage",
                            terminate and "TerminateCompShareInstance" or "StopCompShareInstance" } do
    local n = runs.count(sb, action)
    expect(n == 1, ("%s was sent %d times"):format(action, n))
  end
  sb.world:settle()
  for _, inst in ipairs(sb.world:list("instances")) do
    local id = inst.fields.UHostId
    expect(id == res.UHostId, ("orphan instance %s"):format(id))
    expect(inst.fields.State == "Stopped", ("instance %s is %s"):format(id, inst.fields.State))
  end
  for _, img in ipairs(sb.world:list("images")) do
    local id = img.fields.CompShareImageId
    expect(id == res.CompShareImageId, ("orphan image %s"):format(id))
    expect(img.fields.Status == "Reviewing", ("image %s is %s"):format(id, img.fields.Status))
  end
  if path then
    local rec = runs.read_journal(path)
    expect(rec.UHostId == res.UHostId and rec.CompShareImageId == res.CompShareImageId, "the journal names other ids")
    expect(rec.published and rec.cleaned, "the journal does not record publish and cleanup")
  end
  return out
end

return runs
