--- The actions the sandbox understands. Each entry says which parameters are
-- required, and `run(world, params, action)` returns the response fields or
-- refuses (world.refuse). Params arrive unflattened (`UHostIds.0` -> list).
local world = require "compshare.sandbox.world"

local refuse, contains = world.refuse, world.contains

-- Parameter conversion -------------------------------------------------------

local CONVERT = {
  string = function(v) return type(v) == "string" and v or nil end,
  number = function(v) return tonumber(v) end,
  int = function(v)
    local n = tonumber(v)
    return n and n == math.floor(n) and n or nil
  end,
  bool = function(v)
    if v == "true" then return true elseif v == "false" then return false end
    return nil
  end,
  list = function(v) return type(v) == "table" and v or nil end,
  object = function(v) return type(v) == "table" and v or nil end,
}

--- params[name] as `kind`, or nil when absent; a clear refusal when malformed.
local function arg(p, name, kind)
  local v = p[name]
  if v == nil then return nil end
  local out = CONVERT[kind](v)
  if out == nil then refuse("invalid_param", "parameter %s must be %s", name, kind == "int" and "an integer" or
    (kind == "list" and "a list (" .. name .. ".0, " .. name .. ".1, ...)" or "a " .. kind)) end
  return out
end

--- Copy the parameters named in `fields` ({Name = kind}) into `dest`.
local function copy(p, fields, dest)
  for name, kind in pairs(fields) do
    local v = arg(p, name, kind)
    if v ~= nil then dest[name] = v end
  end
  return dest
end

local function max_items(p, name, n)
  local list = arg(p, name, "list")
  if list and #list > n then refuse("invalid_param", "%s takes at most %d items, got %d", name, n, #list) end
end

local function version_name(p)
  local v = arg(p, "VersionName", "string")
  if v and not (v:match("^v%d+$") or v:match("^v%d+[%.%d]*%d$")) then
    refuse("invalid_param", "VersionName must look like v1.0, got %q", v)
  end
end

local function one_of(p, name, values, default)
  local v = p[name]
  if v == nil then return default end
  if not contains(values, v) then
    refuse("invalid_param", "%s must be one of %s, got %q", name, table.concat(values, ", "), tostring(v))
  end
  return v
end

-- Describe: filters and paging ------------------------------------------------

local MATCH = {
  eq = function(field, want) return field == want end,
  any = function(field, want) return contains(want, field) end,
  has = function(field, want) return type(field) == "table" and contains(field, want) end,
  sub = function(field, want)
    return type(field) == "string" and field:lower():find(want:lower(), 1, true) ~= nil
  end,
}

--- Items matching every filter ({param=, field=, match=}) present in p.
local function filtered(items, p, filters)
  local out = {}
  for _, item in ipairs(items) do
    local keep = true
    for _, f in ipairs(filters) do
      local want = p[f.param]
      if want ~= nil and not MATCH[f.match](item[f.field], want) then keep = false break end
    end
    if keep then out[#out + 1] = item end
  end
  return out
end

--- One page of `items` by Offset/Limit (default 0/20, Limit 1..100).
local function page(p, items)
  local offset = arg(p, "Offset", "int") or 0
  local limit = arg(p, "Limit", "int") or 20
  if limit < 1 or limit > 100 then refuse("invalid_param", "Limit must be between 1 and 100, got %d", limit) end
  if offset < 0 then refuse("invalid_param", "Offset must be >= 0, got %d", offset) end
  local out = {}
  for i = offset + 1, math.min(#items, offset + limit) do out[#out + 1] = items[i] end
  return out, #items
end

local function describe(items_of, items_field, filters, prepare)
  return function(w, p)
    if prepare then prepare(p) end
    local set, total = page(p, filtered(items_of(w), p, filters))
    return { [items_field] = set, TotalCount = total }
  end
end

-- The actions ------------------------------------------------------------------

local actions = {}

local INSTANCE_FIELDS = {
  Name = "string", Remark = "string", GpuType = "string", GPU = "int", CPU = "int", Memory = "int",
  MachineType = "string", ChargeType = "string", MinimalCpuPlatform = "string", Quantity = "int",
  SecurityGroupId = "string",
}

actions.CreateCompShareInstance = {
  required = { "Region", "Zone", "CompShareImageId", "GpuType", "GPU", "CPU", "Memory" },
  run = function(w, p)
    local source = w:bootable(p.CompShareImageId)
    if source.Status ~= "Available" then
      refuse("wrong_state", "image %s is %s; instances boot only from Available images",
        source.CompShareImageId, tostring(source.Status))
    end
    local count = arg(p, "MaxCount", "int") or 1
    if count < 1 or count > 10 then refuse("invalid_param", "MaxCount must be between 1 and 10, got %d", count) end
    local ids = {}
    for i = 1, count do
      local fields = copy(p, INSTANCE_FIELDS, {
        Zone = p.Zone, Name = "host", MachineType = "G", ChargeType = "Month", InstanceType = "uhost",
      })
      if fields.Memory % 1024 ~= 0 then refuse("invalid_param", "Memory must be a multiple of 1024 MB") end
      fields.DiskSet = {}
      for j, d in ipairs(arg(p, "Disks", "list") or {}) do
        fields.DiskSet[j] = { DiskId = ("disk-%d-%d"):format(i, j), IsBoot = d.IsBoot == "true" and "True" or "False",
          Size = tonumber(d.Size), DiskType = d.Type, Type = d.Type }
      end
      ids[i] = w:create_instance(fields, source)
    end
    return { UHostIds = ids }
  end,
}

actions.DescribeCompShareInstance = {
  required = {},
  run = describe(function(w) return w:list_instances() end, "UHostSet",
    { { param = "UHostIds", field = "UHostId", match = "any" } },
    function(p) arg(p, "UHostIds", "list") end),
}

for action in pairs(world.INSTANCE_OPS) do
  actions[action] = {
    required = { "Region", "Zone", "UHostId" },
    run = function(w, p, name)
      w:operate(name, p.UHostId)
      return { UHostId = p.UHostId }
    end,
  }
end

-- The stop scheduler (a dead man's switch): the instance is stopped at StopTime
-- (Unix seconds on the sandbox's clock) if it is still Running then.
actions.UpdateCompShareStopScheduler = {
  required = { "Region", "UHostId", "StopTime" },
  run = function(w, p)
    w:schedule_stop(p.UHostId, arg(p, "StopTime", "int"))
    return {}
  end,
}

actions.CreateCompShareCustomImage = {
  required = { "Region", "Zone", "UHostId", "Name" },
  run = function(w, p)
    local fields = copy(p, { Name = "string", Description = "string" }, {})
    local soft = arg(p, "Softwares", "object")
    if soft then
      fields.Softwares = { Applications = soft.Application, CUDAVersion = soft.CUDAVersion,
        Framework = soft.Framework, FrameworkVersion = soft.FrameworkVersion }
    end
    return { CompShareImageId = w:snapshot(p.UHostId, fields) }
  end,
}

actions.GetCompShareImageCreateProgress = {
  required = { "Region", "Zone", "CompShareImageId" },
  run = function(w, p)
    local img = w:image(p.CompShareImageId)
    local total = w.durations.image_make
    local remaining = img.fields.Status == "Making" and math.max(0, total - (w.now() - img.started)) or 0
    return { Process = math.floor(img.progress), TotalDuration = tostring(total),
      RemainingDuration = tostring(math.ceil(remaining)) }
  end,
}

actions.DescribeCompShareCustomImages = {
  required = { "Region", "Zone" },
  run = describe(function(w) return w:list_images() end, "ImageSet",
    { { param = "CompShareImageId", field = "CompShareImageId", match = "eq" } }),
}

actions.DescribeCompShareImages = {
  required = { "Region" },
  run = describe(function(w) return w.catalogue end, "ImageSet", {
    { param = "ImageType", field = "ImageType", match = "eq" },
    { param = "CompShareImageId", field = "CompShareImageId", match = "eq" },
    { param = "Name", field = "Name", match = "sub" },
    { param = "Tag", field = "Tags", match = "has" },
    { param = "Author", field = "Author", match = "eq" },
  }, function(p) p.ImageType = one_of(p, "ImageType", { "System", "App" }, "System") end),
}

local PUBLISH_FIELDS = {
  Description = "string", Readme = "string", Cover = "string", Tags = "list", Price = "number",
  VersionName = "string", VersionDesc = "string", GroupId = "string", SupportedGpuTypes = "list",
  Softwares = "object",
}

actions.PublishCompShareImage = {
  required = { "Region", "Zone", "CompShareImageId", "Price" },
  run = function(w, p)
    local id = p.CompShareImageId
    local img = w.images[id]
    if not img then
      for _, sys in ipairs(w.catalogue) do
        if sys.CompShareImageId == id then
          refuse("not_allowed", "image %s is a %s image; only custom images can be published", id, sys.ImageType)
        end
      end
      w:image(id)
    end
    if img.fields.Container ~= "True" then
      refuse("not_allowed", "image %s was made from a VM instance; only container images can be published", id)
    end
    if img.fields.Status ~= "Available" then
      refuse("wrong_state", "image %s is %s; only Available images can be published", id, img.fields.Status)
    end
    max_items(p, "Tags", 3)
    version_name(p)
    if arg(p, "Price", "number") < 0 then refuse("invalid_param", "Price must be >= 0 (0 means free)") end
    local f = copy(p, PUBLISH_FIELDS, img.fields)
    f.AutoStart = arg(p, "AutoStart", "bool") or false
    if p.CommunityImageName then f.Name = p.CommunityImageName end
    f.GroupId = f.GroupId or ("group-" .. id)
    f.Status, f.PubTime, f.Visibility = "Reviewing", math.floor(w.now()), 1
    return {}
  end,
}

local UPDATE_FIELDS = {
  Description = "string", Readme = "string", Cover = "string", Tags = "list", Name = "string",
  Price = "number", Visibility = "int", VersionName = "string", VersionDesc = "string",
  GroupId = "string", SupportedGpuTypes = "list", AutoStart = "bool", Framework = "string", Softwares = "string",
}

actions.UpdateCompShareImage = {
  required = { "Region", "Zone", "CompShareImageId" },
  run = function(w, p)
    local img = w:image(p.CompShareImageId)
    if img.fields.Status == "Making" then
      refuse("wrong_state", "image %s is still being made; update it once it is Available", p.CompShareImageId)
    end
    local visibility = arg(p, "Visibility", "int")
    if visibility and visibility ~= 0 and visibility ~= 1 then
      refuse("invalid_param", "Visibility must be 0 (private) or 1 (public), got %d", visibility)
    end
    if visibility == 1 and p.Price == nil then refuse("missing_param", "Price is required when Visibility is 1") end
    max_items(p, "Tags", 3)
    version_name(p)
    copy(p, UPDATE_FIELDS, img.fields)
    return {}
  end,
}

actions.TerminateCompShareCustomImage = {
  required = { "Region", "Zone", "CompShareImageId" },
  run = function(w, p)
    w:delete_image(p.CompShareImageId)
    return {}
  end,
}

return actions
