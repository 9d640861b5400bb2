--- GPU instances: create (with MaxCount, quotas by account level, the sizes the
-- catalogue offers, stock), describe, and the lifecycle operations with their
-- states. Disks live in sandbox/disks.lua; the instance lists them.
local spec = require "compshare.spec"
local world = require "compshare.sandbox.world"
local catalog = require "compshare.sandbox.catalog"
local shape = require "compshare.sandbox.shape"
local query = require "compshare.sandbox.query"
local disks = require "compshare.sandbox.disks"

local refuse = world.refuse

local instances = { actions = {} }
local A = instances.actions

--- Instance operations: from which states, through which state, to which.
instances.OPS = {
  StopCompShareInstance = { from = { "Running" }, via = "Stopping", to = "Stopped", duration = "instance_stop" },
  StartCompShareInstance = { from = { "Stopped" }, via = "Starting", to = "Running", duration = "instance_start" },
  RebootCompShareInstance = { from = { "Running" }, via = "Rebooting", to = "Running", duration = "instance_reboot" },
  TerminateCompShareInstance = { from = { "Running", "Stopped", "Install Fail" } },
}

--- Most instances an account of each level may keep (the seed page's table).
instances.QUOTA = {}
for _, row in ipairs(spec.account_quota or {}) do instances.QUOTA[row.level] = row.max_instances end

--- The instance `id` (refuses when there is none); refuse unless an instance is in one of `states`.
-- (In world.lua, so that disks.lua, which this module requires, can use them too.)
instances.get, instances.require_state = world.instance, world.require_state

--- GPUs in use by live instances in `zone`, by GPU type.
function instances.gpus_in_use(w, zone)
  local used = {}
  for _, inst in ipairs(w:list("instances")) do
    local f = inst.fields
    if f.Zone == zone then used[f.GpuType] = (used[f.GpuType] or 0) + (f.GPU or 0) end
  end
  return used
end

catalog.STOCK = 64   -- GPUs of each type in each zone

local function check_offer(w, p, count)
  if not catalog.zone(p.Zone) then refuse("not_offered", "zone %s is not offered (see DescribeCompShareSupportZone)", tostring(p.Zone)) end
  local why = catalog.size_problem(p.GpuType, p.GPU, p.CPU, p.Memory)
  if why then refuse("not_offered", "%s (see DescribeAvailableCompShareInstanceTypes)", why) end
  if p.ChargeType == "Spot" and not catalog.GPU[p.GpuType].spot_supported then
    refuse("not_offered", "GPU type %s is not offered as Spot", p.GpuType)
  end
  local level = w.data.account.level
  local quota = instances.QUOTA[level] or 0
  local live = #w:list("instances")
  if live + count > quota then
    refuse("quota", "an account of level %d may keep %d instances; it has %d and asked for %d more", level, quota,
      live, count)
  end
  local left = catalog.STOCK - (instances.gpus_in_use(w, p.Zone)[p.GpuType] or 0)
  if left < p.GPU * count then
    refuse("not_offered", "%s is sold out in %s: %d GPUs left, %d asked for", p.GpuType, p.Zone, left, p.GPU * count)
  end
end

local function boot_image(w, id)
  local img = require("compshare.sandbox.images").bootable(w, id)
  if img.Status ~= "Available" then
    refuse("wrong_state", "image %s is %s; instances boot only from Available images", id, tostring(img.Status))
  end
  return img
end

--- The fields of a new instance from the create's params and its image (every field of the model).
local function new_fields(w, p, id, img)
  local now = math.floor(w.now())
  local ip = ("10.9.%d.%d"):format(math.floor(w.data.serial / 250) % 250, w.data.serial % 250 + 1)
  local charge = p.ChargeType or "Month"
  local period = ({ Month = 30 * 86400, Day = 86400, Year = 365 * 86400 })[charge]
  local f = shape.model("CompShareInstanceSet", now, 0, {
    UHostId = id, Zone = p.Zone, Name = p.Name or "CompShare-GPU", Remark = p.Remark or "", Tag = "Default",
    GpuType = p.GpuType, GPU = p.GPU, CPU = p.CPU, Memory = p.Memory, MachineType = p.MachineType or "G",
    ChargeType = charge, InstanceType = charge == "Spot" and "spot" or "uhost",
    CpuPlatform = p.MinimalCpuPlatform or "Auto", CpuArch = "x86_64",
    CompShareImageId = img.CompShareImageId, CompShareImageName = img.Name, CompShareImageType = img.ImageType,
    CompShareImageStatus = img.Status, CompShareImageOwnerAlias = img.ImageOwnerAlias or "", CompShareImagePrice = img.Price or 0,
    OsName = img.Name, OsType = img.Name:find("Windows") and "Windows" or "Linux",
    CreateTime = now, StartTime = now, UpdateTime = now, ExpireTime = period and now + period or 0,
    AutoRenew = "No", IsExpire = "No", Password = "", StopTime = 0, ReleaseTime = 0,
    InstancePrice = (catalog.price(charge, p.GpuType, p.GPU, 0)),
    IPSet = { { IP = ip, Type = "Private", IPMode = "IPv4", Default = "True", Bandwidth = 0, IPId = "", Mac = "",
      NetworkInterfaceId = "", SubnetId = "subnet-sandbox", VPCId = "uvnet-sandbox", Weight = 0 } },
    SshLoginCommand = "ssh -p 22 root@" .. ip,
    Softwares = {}, GraphicsMemory = { Value = (catalog.GPU[p.GpuType].vram_gb or 0) * p.GPU, Rate = 1 },
    WithoutGpuSpec = { Cpu = 4, Gpu = 0, Memory = 16384 }, SupportWithoutGpuStart = true,
  })
  f.StopSchedulerTime = nil             -- absent while no stop is scheduled
  return f
end

function A.CreateCompShareInstance(w, p)
  local count = p.MaxCount or 1
  if count < 1 or count > 10 then refuse("invalid_param", "MaxCount must be between 1 and 10, got %s", tostring(count)) end
  check_offer(w, p, count)
  local img = boot_image(w, p.CompShareImageId)
  disks.check_new(p.Disks)
  local ids = {}
  for i = 1, count do
    local id = w:next_id("uhost")
    local inst = w:add("instances", id, { fields = new_fields(w, p, id, img), container = img.Container == "True" })
    disks.create_for(w, id, p.Disks)
    require("compshare.sandbox.teams").record_order(w, inst.fields)
    w:transition(inst, "Initializing", w:plan("instance", inst.fields) or "Running", "instance_boot")
    ids[i] = id
  end
  return { UHostIds = ids, Warning = {} }
end

--- An instance's fields as listed (its disks and monitor data filled in).
function instances.listed(w, inst)
  local f = inst.fields
  f.DiskSet = disks.of(w, f.UHostId)
  local total = 0
  for _, d in ipairs(f.DiskSet) do total = total + (d.Size or 0) end
  f.TotalDiskSpace = total
  f.MonitorMessages = instances.monitor(inst)
  return f
end

function A.DescribeCompShareInstance(w, p)
  local items = query.filter(w:list("instances"), p, { { param = "UHostIds", field = "UHostId", match = "any" } })
  local set, total = query.page("DescribeCompShareInstance", p, items)
  for i, inst in ipairs(set) do set[i] = instances.listed(w, inst) end
  return { UHostSet = set, TotalCount = total }
end

local function operate(action)
  return function(w, p)
    local op = instances.OPS[action]
    local inst = instances.get(w, p.UHostId)
    instances.require_state(inst, op.from, action)
    if op.to then
      w:transition(inst, op.via, op.to, op.duration)
      if op.to == "Stopped" then inst.fields.StopTime = math.floor(w.now()) end
      if op.to == "Running" then inst.fields.StartTime = math.floor(w.now()) end
    else
      if inst.image_task then
        refuse("busy", "instance %s is making image %s; terminate it when the image is done", p.UHostId, inst.image_task)
      end
      disks.release(w, p.UHostId)
      w:remove("instances", p.UHostId)
    end
    return { UHostId = p.UHostId }
  end
end
for action in pairs(instances.OPS) do A[action] = operate(action) end

--- Monitor data for an instance: busy while Running, idle otherwise (the sandbox's figures).
function instances.monitor(inst)
  local f = inst.fields
  local busy = f.State == "Running"
  local gpus = {}
  for i = 1, f.GPU or 0 do
    gpus[i] = { GPU = tostring(i - 1), GpuUsageRate = busy and "35" or "0", MemoryUsageRate = busy and "20" or "0" }
  end
  return { CpuUsageRate = busy and "12" or "0", MemUsageRate = busy and "18" or "0", GpuInfo = gpus }
end

--- The stop scheduler: once StopTime has come and the instance is not on its way
-- somewhere (a booting or starting one is waited for), a Running instance is
-- stopped, from StopTime (or from when it became Running, if later); then the
-- schedule is gone (StopSchedulerTime absent).
local function scheduled_stop(w, inst, now, arrived)
  local f = inst.fields
  local at = f.StopSchedulerTime
  if not at or now < at or (inst.pending and f.State ~= "Stopping") then return end
  f.StopSchedulerTime = nil
  if f.State ~= "Running" then return end
  local from = math.max(at, arrived or at)
  f.State, f.StopTime = "Stopping", math.floor(from)
  inst.pending = { to = "Stopped", at = from + w.durations.instance_stop }
  world.arrive(inst, now)
end

function instances.settle(w, now)
  for _, inst in ipairs(w:list("instances")) do
    local arriving = inst.pending and inst.pending.at
    local arrived = world.arrive(inst, now) and arriving or nil
    scheduled_stop(w, inst, now, arrived)
  end
end

return instances
