--- Read-only answers about what is offered: zones, instance types and their
-- CPU/Memory sizes, GPU stock, software ports, prices for every charge type,
-- and the few catalogues only listed (model repository, OpenClaw models).
local json = require "compshare.json"
local spec = require "compshare.spec"
local world = require "compshare.sandbox.world"
local catalog = require "compshare.sandbox.catalog"
local instances = require "compshare.sandbox.instances"

local refuse = world.refuse

local offers = { actions = {} }
local A = offers.actions

function A.DescribeCompShareSupportZone(_, p)
  local out = {}
  for _, z in ipairs(catalog.ZONES) do
    if p.Region == nil or p.Region == z.Region then out[#out + 1] = world.copy(z) end
  end
  return { ZoneInfo = out }
end

function A.DescribeAvailableCompShareInstanceTypes(_, p)
  if p.MachineTypes and not world.contains(p.MachineTypes, "G") then return { AvailableInstanceTypes = {}, Status = "Normal" } end
  local zone = catalog.zone(p.Zone) and p.Zone
  return { AvailableInstanceTypes = zone and catalog.instance_types(zone) or {}, Status = "Normal" }
end

function A.DescribeCompShareMachineTypeFamilies()
  return { MachineTypes = { "G" } }
end

function A.DescribeCompShareGpuInventory(w, p)
  local by_zone = {}
  for _, z in ipairs(catalog.ZONES) do
    if p.Zone == nil or p.Zone == z.Zone then
      local used, stock = instances.gpus_in_use(w, z.Zone), {}
      for _, row in ipairs(spec.gpu_types) do stock[row.GpuType] = catalog.STOCK - (used[row.GpuType] or 0) end
      by_zone[z.Zone] = stock
    end
  end
  local no_spot = {}
  for _, row in ipairs(spec.gpu_types) do if not row.spot_supported then no_spot[#no_spot + 1] = row.GpuType end end
  return { GpuInventoryByZone = assert(json.encode(by_zone)), SpotUnsupportedGpuTypes = no_spot,
    UpdateTime = math.floor(w.now()) }
end

function A.DescribeCompShareSoftwarePort()
  return { SoftwarePort = world.copy(catalog.SOFTWARE_PORTS) }
end

function A.CheckCompShareNetOptimizer()
  return { Optimized = true }
end

--- CheckCompShareResourceCapacity: the spec documents no response fields; the sandbox adds
-- ResourceEnough and the stock left.
function A.CheckCompShareResourceCapacity(w, p)
  local gpu_type = p.GpuType or "4090"
  if not catalog.GPU[gpu_type] then refuse("not_offered", "GPU type %s is not offered", tostring(gpu_type)) end
  local left = catalog.STOCK - (instances.gpus_in_use(w, p.Zone)[gpu_type] or 0)
  return { ResourceEnough = left > 0 and catalog.zone(p.Zone) ~= nil, Available = left }
end

-- Prices ------------------------------------------------------------------------------

local function disk_gb(list)
  local gb = 0
  for _, d in ipairs(list or {}) do
    local size = tonumber(d.Size) or 0
    if d.IsBoot == true or d.IsBoot == "true" then size = math.max(0, size - catalog.DISK_FREE_GB) end
    gb = gb + size
  end
  return gb
end

local function price_detail(p, image_price)
  local gpu_type = p.GpuType or "4090"
  if not catalog.GPU[gpu_type] then refuse("not_offered", "GPU type %s is not offered", tostring(gpu_type)) end
  local gpu = world.whole(p.Gpu or "1") or 1
  local out = {}
  for _, charge in ipairs(p.ChargeType and { p.ChargeType } or catalog.CHARGE_TYPES) do
    local inst, disks, list = catalog.price(charge, gpu_type, gpu, disk_gb(p.Disks))
    local hours = ({ Dynamic = 1, Day = 24, Month = 720, Year = 8760 })[charge] or 1
    local img = math.floor((image_price or 0) * hours * 100 + 0.5) / 100
    out[#out + 1] = { ChargeType = charge, Instance = inst, Disks = disks, CompShareImage = img,
      OriginalPrice = inst + disks + img, ListPrice = tostring(list + img), InstanceDiscountType = 1 }
  end
  return out
end

local function instance_price(w, p)
  local image_price = 0
  if p.CompShareImageId then image_price = require("compshare.sandbox.images").bootable(w, p.CompShareImageId).Price or 0 end
  local detail = price_detail(p, image_price)
  return { PriceDetail = detail, OriginalPriceDetail = world.copy(detail), ListPriceDetail = world.copy(detail) }
end
A.GetCompShareInstancePrice = instance_price
A.GetCompShareInstanceUserPrice = instance_price

-- Only listed ---------------------------------------------------------------------------

function A.DescribeModelRepositoryModels(_, p)
  local all = {
    { Name = "Qwen2.5-7B-Instruct", Path = "/models/qwen2.5-7b-instruct", Size = "15GB", Tag = "llm", CreateTime = 1760000000 },
    { Name = "Llama-3.1-8B-Instruct", Path = "/models/llama-3.1-8b-instruct", Size = "16GB", Tag = "llm", CreateTime = 1760000000 },
    { Name = "stable-diffusion-xl-base-1.0", Path = "/models/sdxl-base-1.0", Size = "7GB", Tag = "image", CreateTime = 1760000000 },
  }
  local out = {}
  for _, m in ipairs(all) do
    if (p.Name == nil or m.Name:lower():find(p.Name:lower(), 1, true)) and (p.Tags == nil or m.Tag == p.Tags) then
      out[#out + 1] = m
    end
  end
  return { Models = out }
end

function A.DescribeModelRepositoryTags()
  return { Tags = { "image", "llm" } }
end

function A.GetOpenClawModelList()
  return { Models = { Id = "qwen2.5-7b-instruct", Name = "Qwen2.5-7B-Instruct" } }
end

return offers
