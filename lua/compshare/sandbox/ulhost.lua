--- Lightweight hosts (ULHost): bundles, images, prices, and hosts with the same
-- lifecycle as GPU instances (boot, start, stop, power off, reboot, reinstall,
-- reset password, rename, terminate).
local world = require "compshare.sandbox.world"
local catalog = require "compshare.sandbox.catalog"
local shape = require "compshare.sandbox.shape"
local query = require "compshare.sandbox.query"

local refuse, contains = world.refuse, world.contains

local ulhost = { actions = {} }
local A = ulhost.actions

ulhost.OPS = {
  StartULHostInstance = { from = { "Stopped" }, via = "Starting", to = "Running", duration = "instance_start" },
  StopULHostInstance = { from = { "Running" }, via = "Stopping", to = "Stopped", duration = "instance_stop" },
  PoweroffULHostInstance = { from = { "Running", "Stopping", "Starting", "Rebooting" }, to = "Stopped" },
  RebootULHostInstance = { from = { "Running" }, via = "Rebooting", to = "Running", duration = "instance_reboot" },
  ReinstallULHostInstance = { from = { "Stopped", "Install Fail" }, via = "Initializing", to = "Running",
    duration = "instance_reinstall" },
  ResetULHostInstancePassword = { from = { "Stopped" } },
  TerminateULHostInstance = { from = { "Running", "Stopped", "Install Fail" } },
}

local function bundle(id)
  local b = catalog.bundle(id)
  if not b then refuse("not_found", "bundle %s does not exist (see DescribeULHostBundles)", tostring(id)) end
  return b
end

local function image(id)
  local i = catalog.ulhost_image(id)
  if not i then refuse("not_found", "ULHost image %s does not exist (see DescribeULHostImage)", tostring(id)) end
  return i
end

function ulhost.get(w, id)
  return world.existing(w, "ulhosts", id, "ULHost")
end

function A.DescribeULHostBundles()
  local out = {}
  for i, b in ipairs(catalog.BUNDLES) do
    out[i] = { BundleId = b.BundleId, CPU = b.CPU, Memory = b.Memory, SysDiskSpace = b.SysDiskSpace, Bandwidth = b.Bandwidth,
      TrafficPacket = b.TrafficPacket }
  end
  return { Bundles = out, Message = "" }
end

function A.DescribeULHostImage(_, p)
  local items = query.filter(catalog.ULHOST_IMAGES, p, {
    { param = "ImageId", field = "ImageId", match = "eq" }, { param = "ImageIds", field = "ImageId", match = "any" },
    { param = "ImageType", field = "ImageType", match = "eq" }, { param = "OsType", field = "OsType", match = "eq" },
    { param = "Tag", field = "Tag", match = "eq" },
  })
  local set, total = query.page("DescribeULHostImage", p, items)
  for i, img in ipairs(set) do set[i] = shape.model("ULHostImageSet", 0, 0, img) end
  return { ImageSet = set, TotalCount = total }
end

local function period_price(b, charge, count)
  local months = charge == "Year" and 12 or 1
  local discount = charge == "Year" and 0.85 or 1
  return math.floor(b.Monthly * months * discount * (count or 1) * 100 + 0.5) / 100
end

function A.GetULHostInstancePrice(_, p)
  local b = bundle(p.BundleId)
  local set = {}
  for _, charge in ipairs(p.ChargeType and { p.ChargeType } or { "Month", "Year" }) do
    local price = period_price(b, charge, (p.Count or 1) * (p.Quantity or 1))
    set[#set + 1] = { ChargeType = charge, Price = price, OriginalPrice = price }
  end
  return { PriceSet = set, Message = "" }
end

function A.GetULHostRenewPrice(w, p)
  local h = ulhost.get(w, p.ULHostId)
  local charge = p.ChargeType or h.fields.ChargeType
  local price = period_price(bundle(h.bundle), charge, 1)
  return { PriceSet = { { ChargeType = charge, Price = price, OriginalPrice = price } } }
end

function A.CheckULHostResourceCapacity(_, p)
  bundle(p.BundleId)
  image(p.ImageId)
  return { ResourceEnough = true, Message = "" }
end

function A.CreateULHostInstance(w, p)
  local b, img = bundle(p.BundleId), image(p.ImageId)
  local id = w:next_id("ulhost")
  local now = math.floor(w.now())
  local charge = p.ChargeType or "Month"
  local h = w:add("ulhosts", id, { bundle = b.BundleId, fields = shape.model("ULHostInstanceSet", now, 0, {
    ULHostId = id, Zone = p.Zone, Name = p.Name or "ULHost", Remark = "", Tag = "Default", CPU = b.CPU, Memory = b.Memory,
    ChargeType = charge == "ThirtyDay" and "Month" or charge, CreateTime = now, AutoRenew = "No", IsExpire = "No",
    ExpireTime = now + (charge == "Year" and 365 or 30) * 86400 * (p.Quantity or 1),
    ImageId = img.ImageId, ImageName = img.ImageName, Apps = {},
    DiskSet = { { DiskId = id .. "-boot", DiskType = "CLOUD_SSD", Type = "Boot", Drive = "vda", IsBoot = "True",
      Size = b.SysDiskSpace } },
  }) })
  w:transition(h, "Initializing", "Running", "instance_boot")
  return { ULHostId = id, Message = "" }
end

function A.DescribeULHostInstance(w, p)
  local items = query.filter(w:list("ulhosts"), p, { { param = "ULHostIds", field = "ULHostId", match = "any" } })
  local set = query.page("DescribeULHostInstance", p, query.fields(items))
  return { ULHostInstanceSets = set, Message = "" }
end

function A.ModifyULHostAttribute(w, p)
  local f = ulhost.get(w, p.ULHostId).fields
  f.Name, f.Remark = p.Name or f.Name, p.Remark or f.Remark
  return { ULHostId = p.ULHostId, Message = "" }
end

local function operate(action)
  return function(w, p)
    local op, h = ulhost.OPS[action], ulhost.get(w, p.ULHostId)
    if not contains(op.from, h.fields.State) then
      refuse("wrong_state", "ULHost %s is %s; %s needs it to be %s", p.ULHostId, h.fields.State, action,
        table.concat(op.from, " or "))
    end
    if action == "ReinstallULHostInstance" then
      local img = image(p.ImageId)
      h.fields.ImageId, h.fields.ImageName = img.ImageId, img.ImageName
    end
    local out = { ULHostId = p.ULHostId }
    if action == "TerminateULHostInstance" then
      w:remove("ulhosts", p.ULHostId)
      out.InRecycle = "No"
    elseif op.to then
      w:transition(h, op.via, op.to, op.duration)
    end
    if action == "ReinstallULHostInstance" then out.Message = "" end
    return out
  end
end
for action in pairs(ulhost.OPS) do A[action] = operate(action) end

function ulhost.settle(w, now)
  for _, h in ipairs(w:list("ulhosts")) do world.arrive(h, now) end
end

return ulhost
