--- Disks: made with their instance (CreateCompShareInstance's Disks), listed in
-- its DiskSet; data disks detach, attach to another instance in the same zone,
-- grow, and are deleted once detached. A boot disk stays with its instance.
local world = require "compshare.sandbox.world"
local catalog = require "compshare.sandbox.catalog"

local refuse = world.refuse

local disks = { actions = {} }
local A = disks.actions

local USABLE = { "Running", "Stopped" }   -- instance states in which disks attach and detach

--- Refuse sizes outside the catalogue's limits for the create's Disks.
function disks.check_new(list)
  for i, d in ipairs(list or {}) do
    local min, max = catalog.disk_limits(d.Type or "CLOUD_SSD", d.IsBoot == true)
    if not min then
      refuse("not_offered", "Disks[%d]: %s %s disks are not offered", i, tostring(d.Type), d.IsBoot and "boot" or "data")
    end
    local size = d.Size or min
    if size < min or (max and size > max) then
      refuse("not_offered", "Disks[%d]: a %s disk is %d to %d GB, not %s", i, tostring(d.Type), min, max, tostring(size))
    end
  end
end

function disks.create_for(w, uhost_id, list)
  for i, d in ipairs(list or {}) do
    local id = w:next_id("bsm")
    w:add("disks", id, { uhost = uhost_id, fields = {
      DiskId = id, Size = d.Size or 20, Type = d.Type or "CLOUD_SSD", DiskType = d.Type or "CLOUD_SSD",
      IsBoot = d.IsBoot == true and "True" or "False", Name = (d.IsBoot and "boot" or "data") .. "-" .. i,
      Drive = d.IsBoot and "vda" or ("vd" .. string.char(97 + i)), BackupType = "NONE", Encrypted = "False",
    } })
  end
end

--- The DiskSet of an instance.
function disks.of(w, uhost_id)
  local out = {}
  for _, d in ipairs(w:list("disks")) do
    if d.uhost == uhost_id then out[#out + 1] = d.fields end
  end
  return out
end

--- An instance is terminated: its disks go with it.
function disks.release(w, uhost_id)
  for _, d in ipairs(w:list("disks")) do
    if d.uhost == uhost_id then w:remove("disks", d.fields.DiskId) end
  end
end

function disks.get(w, id)
  return world.existing(w, "disks", id, "disk")
end

local function data_disk(w, id, what)
  local d = disks.get(w, id)
  if d.fields.IsBoot == "True" then refuse("not_allowed", "disk %s is a boot disk; it cannot be %s", id, what) end
  return d
end

local function host(w, p, action)
  if p.UHostId == nil then refuse("missing_param", "%s needs UHostId: the instance of the disk", action) end
  local inst = world.instance(w, p.UHostId)
  world.require_state(inst, USABLE, action)
  return inst
end

function A.AttachCompshareDisk(w, p)
  local d = data_disk(w, p.UDiskId, "attached")
  local inst = host(w, p, "AttachCompshareDisk")
  if d.uhost then refuse("wrong_state", "disk %s is attached to %s; detach it first", p.UDiskId, d.uhost) end
  if d.zone and d.zone ~= inst.fields.Zone and p.EnableCrossPodAttach ~= "Yes" then
    refuse("not_allowed", "disk %s is in %s and instance %s in %s", p.UDiskId, d.zone, p.UHostId, inst.fields.Zone)
  end
  d.uhost, d.zone = p.UHostId, inst.fields.Zone
  return {}
end

function A.DetachCompshareDisk(w, p)
  local d = data_disk(w, p.UDiskId, "detached")
  if not d.uhost then refuse("wrong_state", "disk %s is not attached", p.UDiskId) end
  if p.UHostId and p.UHostId ~= d.uhost then
    refuse("not_allowed", "disk %s is attached to %s, not %s", p.UDiskId, d.uhost, p.UHostId)
  end
  local inst = world.instance(w, d.uhost)
  world.require_state(inst, USABLE, "DetachCompshareDisk")
  d.zone, d.uhost = inst.fields.Zone, nil
  return {}
end

--- Refuse a new size that is not larger, or beyond the type's maximum.
function disks.check_growth(d, size)
  local f = d.fields
  local _, max = catalog.disk_limits(f.Type, f.IsBoot == "True")
  if size <= f.Size then refuse("not_allowed", "disk %s is %d GB; it can only grow, not go to %d", f.DiskId, f.Size, size) end
  if max and size > max then refuse("not_offered", "a %s disk is at most %d GB, not %d", f.Type, max, size) end
end

function A.ResizeCompShareDisk(w, p)
  local d = disks.get(w, p.UDiskId)
  disks.check_growth(d, p.Size)
  d.fields.Size = p.Size
  return { UDiskId = p.UDiskId }
end

function A.DeleteCompshareDisk(w, p)
  local d = data_disk(w, p.UDiskId, "deleted")
  if d.uhost then refuse("wrong_state", "disk %s is attached to %s; detach it before deleting it", p.UDiskId, d.uhost) end
  w:remove("disks", p.UDiskId)
  return { UDiskId = p.UDiskId }
end

function A.GetCompShareAttachedDiskUpgradePrice(w, p)
  local d = disks.get(w, p.DiskId)
  if d.uhost ~= p.UHostId then refuse("not_found", "disk %s is not attached to instance %s", p.DiskId, tostring(p.UHostId)) end
  local size = world.whole(p.DiskSpace)
  if not size then refuse("invalid_param", "DiskSpace must be a whole number of GB, got %q", tostring(p.DiskSpace)) end
  disks.check_growth(d, size)
  local inst = world.instance(w, p.UHostId)
  local _, disk_price = catalog.price(inst.fields.ChargeType, inst.fields.GpuType, 0, size - d.fields.Size)
  local detail = { UDisk = disk_price, Snapshot = 0 }
  return { Price = disk_price, OriginalPrice = disk_price, ListPrice = disk_price,
    PriceDetail = detail, OriginalPriceDetail = detail, ListPriceDetail = detail }
end

return disks
