--- What the sandbox offers: zones, GPU types with their CPU/Memory sizes (from
-- the spec's GPU table), prices, inventory, system and app images, ports.
-- One place: CreateCompShareInstance accepts exactly the sizes that
-- DescribeAvailableCompShareInstanceTypes lists, and prices come from price().
-- The figures (prices, stock, images) are the sandbox's own, not the service's.
local spec = require "compshare.spec"

local catalog = {}

catalog.ZONES = {
  { Region = "cn-wlcb", Zone = "cn-wlcb-01", Describe = "乌兰察布 A", RegionId = 1000009, ZoneId = 10009001 },
  { Region = "cn-wlcb", Zone = "cn-wlcb-02", Describe = "乌兰察布 B", RegionId = 1000009, ZoneId = 10009002 },
}

function catalog.zone(zone)
  for _, z in ipairs(catalog.ZONES) do if z.Zone == zone then return z end end
end

--- GPU types by name, from the spec's seed table.
catalog.GPU = {}
for _, row in ipairs(spec.gpu_types) do catalog.GPU[row.GpuType] = row end

-- Yuan per GPU-hour (Dynamic), by GPU type; CPU and memory are included in it.
catalog.HOURLY = {
  ["4090"] = 1.88, ["4090_48G"] = 2.68, ["5090"] = 2.98, A100 = 6.8, A800 = 7.2, H20 = 5.6, ["3090"] = 1.38,
  ["3080Ti"] = 0.98, ["2080Ti"] = 0.78, ["2080"] = 0.68, P40 = 0.58, V100S = 1.58,
}
catalog.DISK_HOURLY_PER_GB = 0.0002     -- data disk, per GB-hour
catalog.DISK_FREE_GB = 200              -- the boot disk's first 200 GB come with the instance

--- The CPU counts offered with `gpu` GPUs of `row`'s type: 8 and 16 per GPU, capped at the type's maximum.
local function cpus_for(row, gpu)
  local out, seen = {}, {}
  for _, per in ipairs { 8, 16 } do
    local c = math.min(per * gpu, row.max_cpu)
    if not seen[c] then seen[c] = true out[#out + 1] = c end
  end
  return out
end

--- The memory sizes (MB) offered with `cpu` CPUs: 2 and 4 GB per CPU, capped at the type's maximum.
local function memories_for(row, cpu)
  local out, seen = {}, {}
  for _, per in ipairs { 2, 4 } do
    local m = math.min(per * cpu, row.max_memory_gb) * 1024
    if not seen[m] then seen[m] = true out[#out + 1] = m end
  end
  return out
end

local PLATFORMS = { Intel = "Intel/Auto", AMD = "Amd/Auto" }

local function platforms_of(row)
  local out = { "Auto" }
  for _, p in ipairs(row.cpu_platform or {}) do out[#out + 1] = PLATFORMS[p] end
  return out
end

--- The MachineSizes of a GPU type: for each GPU count, its CPU/Memory combinations.
function catalog.sizes(row)
  local sizes = {}
  for gpu = 1, row.max_gpu do
    local coll = {}
    for _, cpu in ipairs(cpus_for(row, gpu)) do
      coll[#coll + 1] = { Cpu = cpu, Memory = memories_for(row, cpu), MinimalCpuPlatform = platforms_of(row) }
    end
    sizes[#sizes + 1] = { Gpu = gpu, Collection = coll }
  end
  return sizes
end

--- nil when the GPU type offers GPU x CPU x Memory (MB), else why not.
function catalog.size_problem(gpu_type, gpu, cpu, memory)
  local row = catalog.GPU[gpu_type]
  if not row then return ("GPU type %s is not offered"):format(tostring(gpu_type)) end
  for _, size in ipairs(catalog.sizes(row)) do
    if size.Gpu == gpu then
      for _, c in ipairs(size.Collection) do
        if c.Cpu == cpu then
          for _, m in ipairs(c.Memory) do if m == memory then return nil end end
          return ("%s x%d with %d CPUs comes with Memory %s MB, not %s"):format(gpu_type, gpu, cpu,
            table.concat(c.Memory, " or "), tostring(memory))
        end
      end
      local offered = {}
      for i, c in ipairs(size.Collection) do offered[i] = c.Cpu end
      return ("%s x%d comes with %s CPUs, not %s"):format(gpu_type, gpu, table.concat(offered, " or "), tostring(cpu))
    end
  end
  return ("%s comes with 1 to %d GPUs, not %s"):format(gpu_type, row.max_gpu, tostring(gpu))
end

local DISKS = {
  { Name = "cloudDisk",
    BootDisk = { { Name = "CLOUD_SSD", MaximalSize = 500, InstantResize = true, Features = {} } },
    DataDisk = { { Name = "CLOUD_SSD", MinimalSize = 20, MaximalSize = 32000, Features = {} },
                 { Name = "CLOUD_RSSD", MinimalSize = 20, MaximalSize = 32000, Features = { "RDMA" } } } },
}

--- The AvailableInstanceTypes entries for one zone: a uhost entry per GPU type, and a spot one where offered.
function catalog.instance_types(zone)
  local out = {}
  for _, row in ipairs(spec.gpu_types) do
    local kinds = { "uhost" }
    if row.spot_supported then kinds[2] = "spot" end
    for _, kind in ipairs(kinds) do
      local intel, amd = {}, {}
      for _, p in ipairs(row.cpu_platform or {}) do
        if p == "Intel" then intel = { "Intel/Auto" } elseif p == "AMD" then amd = { "Amd/Auto" } end
      end
      out[#out + 1] = {
        Zone = zone, Name = row.GpuType, ParentType = "G", MachineClass = "GPU", InstanceType = kind,
        Status = "Normal", CpuPlatforms = { Intel = intel, Amd = amd, Ampere = {} },
        GraphicsMemory = { Value = row.vram_gb or 0, Rate = 1 },
        Performance = { Value = catalog.HOURLY[row.GpuType] or 1, Rate = 1 },
        MachineSizes = catalog.sizes(row), Disks = DISKS,
        Features = { { Name = "MinimalCpuPlatform", Modes = { { Name = "Auto", MinimalCpuPlatform = platforms_of(row),
          RelatedToImageFeature = {} } } } },
      }
    end
  end
  return out
end

--- The disk rules (MinimalSize/MaximalSize) for a disk type, data or boot.
function catalog.disk_limits(kind, boot)
  for _, d in ipairs(DISKS[1][boot and "BootDisk" or "DataDisk"]) do
    if d.Name == kind then return d.MinimalSize or 20, d.MaximalSize end
  end
end

-- Prices ---------------------------------------------------------------------

local function round(x) return math.floor(x * 100 + 0.5) / 100 end

--- Yuan for one period of `charge` (Dynamic: an hour; Day; Month; Year) for gpu_type x gpu,
-- with `disk_gb` GB of data disk. Longer periods cost more but less per hour.
function catalog.price(charge, gpu_type, gpu, disk_gb)
  local hourly = (catalog.HOURLY[gpu_type] or 1) * math.max(gpu or 1, 1)
  local disk = (disk_gb or 0) * catalog.DISK_HOURLY_PER_GB
  local hours = ({ Dynamic = 1, Postpay = 1, Spot = 1, Day = 24, Month = 24 * 30, Year = 24 * 365 })[charge] or 1
  local discount = ({ Day = 0.95, Month = 0.8, Year = 0.7, Spot = 0.5 })[charge] or 1
  return round(hourly * hours * discount), round(disk * hours * discount), round((hourly + disk) * hours)
end

catalog.CHARGE_TYPES = { "Dynamic", "Day", "Month", "Year" }

-- Images ---------------------------------------------------------------------

local function image(id, name, kind, container, tags, extra)
  local img = {
    CompShareImageId = id, Name = name, ImageType = kind, Container = container and "True" or "False",
    Status = "Available", Author = "CompShare", ImageOwnerAlias = "CompShare", IsOfficial = true,
    Size = 40, Price = 0, Visibility = 1, CreateTime = 1700000000, Tags = tags,
    Description = name, Readme = "", Cover = "", AutoStart = false, ImageCharge = false,
    Softwares = { Applications = {}, CUDAVersion = "12.1", Framework = "", FrameworkVersion = "" },
  }
  for k, v in pairs(extra or {}) do img[k] = v end
  return img
end

--- The system and app images the sandbox starts with (fresh tables on each call).
function catalog.images()
  return {
    image("compshareImage-sys-ubuntu2204-cuda121", "Ubuntu 22.04 CUDA 12.1", "System", true, { "ubuntu", "cuda" }),
    image("compshareImage-sys-ubuntu2204-cuda124", "Ubuntu 22.04 CUDA 12.4", "System", true, { "ubuntu", "cuda" }),
    image("compshareImage-sys-ubuntu2004-cuda118", "Ubuntu 20.04 CUDA 11.8", "System", true, { "ubuntu", "cuda" }),
    image("compshareImage-sys-ubuntu2204-vm", "Ubuntu 22.04 (VM)", "System", false, { "ubuntu", "vm" }),
    image("compshareImage-sys-centos79-vm", "CentOS 7.9 (VM)", "System", false, { "centos", "vm" }),
    image("compshareImage-sys-windows2022-vm", "Windows Server 2022 (VM)", "System", false, { "windows", "vm" }),
    image("compshareImage-app-pytorch21", "PyTorch 2.1", "App", true, { "pytorch" }),
    image("compshareImage-app-comfyui", "ComfyUI", "App", true, { "stable-diffusion" }),
    image("compshareImage-app-ollama", "Ollama", "App", true, { "llm" }),
    image("compshareImage-app-jupyter", "JupyterLab", "App", true, { "notebook" }),
  }
end

--- Ports of the software an instance runs.
catalog.SOFTWARE_PORTS = {
  { Software = "JupyterLab", Port = 8888 }, { Software = "SSH", Port = 22 }, { Software = "ComfyUI", Port = 8188 },
  { Software = "Ollama", Port = 11434 }, { Software = "TensorBoard", Port = 6006 }, { Software = "WebUI", Port = 7860 },
}

-- Lightweight hosts (ULHost) ----------------------------------------------------

catalog.BUNDLES = {
  { BundleId = "ulhost.c2m2", CPU = 2, Memory = 2048, SysDiskSpace = 40, Bandwidth = 3, TrafficPacket = 200, Monthly = 24 },
  { BundleId = "ulhost.c2m4", CPU = 2, Memory = 4096, SysDiskSpace = 60, Bandwidth = 5, TrafficPacket = 400, Monthly = 48 },
  { BundleId = "ulhost.c4m8", CPU = 4, Memory = 8192, SysDiskSpace = 80, Bandwidth = 8, TrafficPacket = 800, Monthly = 96 },
}

function catalog.bundle(id)
  for _, b in ipairs(catalog.BUNDLES) do if b.BundleId == id then return b end end
end

catalog.ULHOST_IMAGES = {
  { ImageId = "ulhost-image-ubuntu2204", ImageName = "Ubuntu 22.04", OsName = "Ubuntu 22.04", OsType = "Linux",
    ImageType = "Base", State = "Available", ImageSize = 40, Tag = "Default" },
  { ImageId = "ulhost-image-debian12", ImageName = "Debian 12", OsName = "Debian 12", OsType = "Linux",
    ImageType = "Base", State = "Available", ImageSize = 40, Tag = "Default" },
  { ImageId = "ulhost-image-win2022", ImageName = "Windows Server 2022", OsName = "Windows Server 2022",
    OsType = "Windows", ImageType = "Base", State = "Available", ImageSize = 60, Tag = "Default" },
  { ImageId = "ulhost-image-wordpress", ImageName = "WordPress", OsName = "Ubuntu 22.04", OsType = "Linux",
    ImageType = "App", State = "Available", ImageSize = 40, Tag = "Default" },
}

function catalog.ulhost_image(id)
  for _, i in ipairs(catalog.ULHOST_IMAGES) do if i.ImageId == id then return i end end
end

return catalog
