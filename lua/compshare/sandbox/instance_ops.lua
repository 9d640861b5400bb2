--- Changes to an existing instance: reinstall, resize, name, password, ports,
-- the stop scheduler, US3, and what is read from one (monitor data, software
-- URLs, upgrade and refund prices).
local world = require "compshare.sandbox.world"
local catalog = require "compshare.sandbox.catalog"
local instances = require "compshare.sandbox.instances"
local disks = require "compshare.sandbox.disks"

local refuse = world.refuse

local ops = { actions = {} }
local A = ops.actions

local IDLE = { "Running", "Stopped" }

function A.ReinstallCompShareInstance(w, p)
  local inst = instances.get(w, p.UHostId)
  instances.require_state(inst, { "Stopped", "Install Fail" }, "ReinstallCompShareInstance")
  local img = require("compshare.sandbox.images").bootable(w, p.CompShareImageId)
  if img.Status ~= "Available" then refuse("wrong_state", "image %s is %s; reinstall needs an Available image",
    p.CompShareImageId, tostring(img.Status)) end
  if (img.Container == "True") ~= inst.container then
    refuse("not_allowed", "instance %s runs a %s image; it cannot be reinstalled with a %s image", p.UHostId,
      inst.container and "container" or "VM", img.Container == "True" and "container" or "VM")
  end
  local f = inst.fields
  f.CompShareImageId, f.CompShareImageName, f.CompShareImageType = img.CompShareImageId, img.Name, img.ImageType
  f.CompShareImageStatus, f.OsName = img.Status, img.Name
  inst.password = p.Password and true or inst.password
  w:transition(inst, "Initializing", "Running", "instance_reinstall")
  return { UHostId = p.UHostId }
end

function A.ResizeCompShareInstance(w, p)
  local inst = instances.get(w, p.UHostId)
  instances.require_state(inst, { "Stopped" }, "ResizeCompShareInstance")
  local f = inst.fields
  local gpu, cpu, mem = p.Gpu or f.GPU, p.Cpu or f.CPU, p.Memory or f.Memory
  local why = catalog.size_problem(f.GpuType, gpu, cpu, mem)
  if why then refuse("not_offered", "%s (see DescribeAvailableCompShareInstanceTypes)", why) end
  if p.DiskId or p.DiskSpace then
    local d = disks.get(w, p.DiskId)
    if d.uhost ~= p.UHostId then refuse("not_found", "disk %s is not attached to instance %s", tostring(p.DiskId), p.UHostId) end
    local size = world.whole(p.DiskSpace)
    if not size then refuse("invalid_param", "DiskSpace must be a whole number of GB, got %q", tostring(p.DiskSpace)) end
    disks.check_growth(d, size)
    d.fields.Size = size
  end
  f.GPU, f.CPU, f.Memory = gpu, cpu, mem
  w:transition(inst, "Resizing", "Stopped", "instance_resize")
  return { UHostId = p.UHostId }
end

function A.ModifyCompShareInstanceName(w, p)
  instances.get(w, p.UHostId).fields.Name = p.Name
  return { UHostId = p.UHostId }
end

function A.ResetCompShareInstancePassword(w, p)
  local inst = instances.get(w, p.UHostId)
  instances.require_state(inst, IDLE, "ResetCompShareInstancePassword")
  inst.password = true            -- that it was set; the password itself is never kept
  return { UHostId = p.UHostId }
end

function A.UpdateCompShareInstancePorts(w, p)
  if p.UHostId == nil then refuse("missing_param", "UpdateCompShareInstancePorts needs UHostId: whose ports") end
  local inst = instances.get(w, p.UHostId)
  inst.ports = { Http = p.HttpPorts or (inst.ports or {}).Http or {}, Tcp = p.TcpPorts or (inst.ports or {}).Tcp or {} }
  return { UHostId = p.UHostId }
end

function A.UpdateCompShareStopScheduler(w, p)
  local inst = instances.get(w, p.UHostId)
  if p.StopTime <= w.now() then
    refuse("invalid_param", "StopTime %d is not in the future (now %d)", p.StopTime, math.floor(w.now()))
  end
  inst.fields.StopSchedulerTime = p.StopTime
  return {}
end

function A.DeleteCompShareStopScheduler(w, p)
  instances.get(w, p.UHostId).fields.StopSchedulerTime = nil
  return {}
end

function A.AttachUS3(w, p)
  local inst = instances.get(w, p.UHostId)
  if not inst.container then refuse("not_allowed", "instance %s runs a VM image; US3 mounts only on container instances", p.UHostId) end
  inst.us3 = true
  return {}
end

--- The sandbox's answer for GetCompShareInstanceMonitor (the spec documents no response fields).
function A.GetCompShareInstanceMonitor(w, p)
  local out = {}
  for _, id in ipairs(p.UHostIds or {}) do
    local m = instances.monitor(instances.get(w, id))
    m.UHostId = id
    out[#out + 1] = m
  end
  return { MonitorSet = out }
end

function A.GetSoftwareURL(w, p)
  local inst = instances.get(w, p.UHostId)
  instances.require_state(inst, { "Running" }, "GetSoftwareURL")
  for _, sp in ipairs(catalog.SOFTWARE_PORTS) do
    if sp.Software:lower() == p.Software:lower() then
      return { URL = ("http://%s:%d"):format(inst.fields.IPSet[1].IP, sp.Port) }
    end
  end
  refuse("not_found", "no software %q on instance %s (see DescribeCompShareSoftwarePort)", p.Software, p.UHostId)
end

function A.GetCompShareInstanceUpgradePrice(w, p)
  local f = instances.get(w, p.UHostId).fields
  local gpu, cpu, mem = p.Gpu or f.GPU, p.Cpu or f.CPU, p.Memory or f.Memory
  local why = catalog.size_problem(f.GpuType, gpu, cpu, mem)
  if why then refuse("not_offered", "%s", why) end
  local now_price = catalog.price(f.ChargeType, f.GpuType, f.GPU, 0)
  local new_price = catalog.price(f.ChargeType, f.GpuType, gpu, 0)
  local diff = math.max(0, new_price - now_price)
  return { Price = diff, OriginalPrice = diff, ListPrice = diff }
end

function A.GetCompShareRefundPrice(w, p)
  local set = {}
  for _, id in ipairs(p.UHostIds) do
    local inst = w:get("instances", id)
    if not inst then
      set[#set + 1] = { UHostId = id, Code = world.CODES.not_found, ErrMessage = "no such instance", RefundPrice = 0 }
    else
      local f = inst.fields
      local left = math.max(0, (f.ExpireTime or 0) - w.now())
      local per = ({ Month = 30 * 86400, Day = 86400, Year = 365 * 86400 })[f.ChargeType]
      local refund = per and math.floor(catalog.price(f.ChargeType, f.GpuType, f.GPU, 0) * left / per * 100) / 100 or 0
      set[#set + 1] = { UHostId = id, Code = 0, ErrMessage = "", RefundPrice = refund }
    end
  end
  return { RefundPriceSet = set }
end

return ops
