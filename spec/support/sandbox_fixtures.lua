--- A sandbox with one of everything (a Running container instance with a data
-- disk, an Available custom image, a team, a ULHost), and for any action the
-- params made of its required fields only, valid for the validator, with ids
-- taken from that world. Used by the sandbox's rule specs.
local sandbox = require "compshare.sandbox"
local spec = require "compshare.spec"

local fx = {}

fx.CONTAINER = "compshareImage-sys-ubuntu2204-cuda121"
fx.DURATIONS = { instance_boot = 10, instance_start = 5, instance_stop = 4, instance_reboot = 6, image_make = 100,
  instance_reinstall = 10, instance_resize = 5, image_copy = 50, image_review = 30 }

fx.DISKS = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" }, { IsBoot = false, Size = 100, Type = "CLOUD_SSD" } }

--- A client, its sandbox and the ids of a world with one of everything.
function fx.world(opts)
  opts = opts or {}
  opts.durations = opts.durations or fx.DURATIONS
  local c, sb = sandbox.client(opts)
  local ids = {}
  local res = assert(c:call("CreateCompShareInstance", { CompShareImageId = fx.CONTAINER, GpuType = "4090", GPU = 1,
    CPU = 16, Memory = 65536, Disks = fx.DISKS, Name = "fixture" }))
  ids.UHostId = res.UHostIds[1]
  sb:advance(fx.DURATIONS.instance_boot)
  local inst = assert(c:call("DescribeCompShareInstance", { UHostIds = { ids.UHostId } })).UHostSet[1]
  for _, d in ipairs(inst.DiskSet) do
    if d.IsBoot == "False" then ids.UDiskId = d.DiskId end
  end
  ids.CompShareImageId = assert(c:call("CreateCompShareCustomImage", { UHostId = ids.UHostId, Name = "fixture-image" }))
    .CompShareImageId
  sb:advance(fx.DURATIONS.image_make)
  assert(c:call("CreateCompShareTeam", { Name = "fixture-team" }))
  ids.TeamId = require("compshare.sandbox.world").whole(assert(c:call("ListCompShareTeam", {})).Teams[1].Id)
  ids.ULHostId = assert(c:call("CreateULHostInstance", { BundleId = "ulhost.c2m2", ImageId = "ulhost-image-ubuntu2204",
    Password = "cGFzc3dvcmQ=" })).ULHostId
  sb:advance(fx.DURATIONS.instance_boot)
  return c, sb, ids
end

--- Values for required fields by name, from the world's ids (or fixed).
local function by_name(ids, now)
  return {
    UHostId = ids.UHostId, UHostIds = { ids.UHostId }, CompShareImageId = ids.CompShareImageId, UDiskId = ids.UDiskId,
    DiskId = ids.UDiskId, TeamId = ids.TeamId, ULHostId = ids.ULHostId, BundleId = "ulhost.c2m2",
    ImageId = "ulhost-image-ubuntu2204", Software = "JupyterLab", StopTime = math.floor(now) + 3600,
    BeginTime = 0, EndTime = math.floor(now) + 86400, DiskSpace = "300", Size = 300, Password = "cGFzc3dvcmQ=",
    Name = "fixture-name", GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536, Disks = fx.DISKS,
    Status = "UpdateRemarkName", VirtualCompanyId = 10000002, OrganizationID = 1, TopOrganizationID = 1,
  }
end

local SCALAR = { string = "x", int = 1, float = 0, bool = false }

local function sample(f)
  local t = f.type
  if f.enum then return f.enum[1] end
  if SCALAR[t] ~= nil then return SCALAR[t] end
  local elem = t:match("^array%-of%-(.+)$")
  if elem == "object" then return { {} } end
  if elem then return { SCALAR[elem] } end
  return {}
end

--- The params of `action` with only its required fields (common ones left to the client).
function fx.required(action, ids, now)
  local values = by_name(ids, now)
  local p = {}
  for _, f in ipairs(spec.actions[action].request) do
    if f.required and f.common and f.name == "ProjectId" then
      p.ProjectId = "org-sandbox"
    elseif f.required and not f.common then
      local v = values[f.name]
      if v == nil then v = sample(f) end
      if f.type == "string" and type(v) == "number" then v = tostring(v) end
      p[f.name] = v
    end
  end
  return p
end

----------------------------------------------------------------------------
-- Inputs the validator refuses, one per rule of the spec: fx.violations(action, base)
-- -> { { rule =, params = }, ... } where base is a valid params table.

local function clone(t)
  if type(t) ~= "table" then return t end
  local o = {}
  for k, v in pairs(t) do o[k] = clone(v) end
  return o
end

local function set(p, path, v)            -- "Disks.N.Type" sets the first item's field
  local top, rest = path:match("^([^.]+)%.N%.(.+)$")
  if not top then p[path] = v return end
  p[top] = p[top] or { {} }
  p[top][1][rest] = v
end

local function other_enum(action, field, not_in)
  for _, f in ipairs(spec.actions[action].request) do
    if f.name == field then
      for _, e in ipairs(f.enum or {}) do
        local taken = false
        for _, x in ipairs(not_in) do if x == e then taken = true end end
        if not taken then return e end
      end
    end
  end
end

local MAKE = {
  range = function(r, p)
    local by = r.max_by and r.max_by.values[p[r.max_by.field]]
    local max = by or r.max
    if r.min then set(p, r.field, r.min - 1) else set(p, r.field, max + 1) end
  end,
  multiple_of = function(r, p) set(p, r.field, (tonumber(p[r.field]) or r.value) + 1) end,
  max_by = function(r, p) set(p, r.field, r.max[p[r.by]] * r.scale + r.scale) end,
  forbidden_when = function(r, p)
    for k, v in pairs(r.when) do p[k] = v end
    p[r.field] = r.values[1]
  end,
  only_with = function(r, p) set(p, r.field, r.value) end,
  allowed_when = function(r, p, action)
    p[r.by] = r.when_in[1]
    p[r.field] = other_enum(action, r.field, r.values)
  end,
  not_equal = function(r, p) set(p, r.field, r.value) end,
  min_items_where = function(r, p)
    local item = {}
    for k, v in pairs(r.where) do item[k] = (v == true) and false or "not-" .. tostring(v) end
    item.Size, item.Type = 200, "CLOUD_SSD"
    p[r.field] = { item }
  end,
  max_length = function(r, p) set(p, r.field, ("a"):rep(r.max + 1)) end,
  format = function(r, p) set(p, r.field, "1.0") end,
  max_items = function(r, p)
    local list = {}
    for i = 1, r.max + 1 do list[i] = "t" .. i end
    p[r.field] = list
  end,
  required_when = function(r, p)
    for k, v in pairs(r.when) do p[k] = v end
    p[r.field] = nil
  end,
}

--- One violating input per rule of `action` (kinds without a maker are returned in `skipped`).
function fx.violations(action, base)
  local out, skipped = {}, {}
  for _, r in ipairs(spec.actions[action].rules or {}) do
    local make = MAKE[r.kind]
    if make then
      local p = clone(base)
      make(r, p, action)
      out[#out + 1] = { rule = r, params = p }
    else
      skipped[#skipped + 1] = r.kind
    end
  end
  for _, f in ipairs(spec.actions[action].request) do
    if f.required and not f.common and base[f.name] ~= nil then   -- a required field left out
      local p = clone(base)
      p[f.name] = nil
      out[#out + 1] = { rule = { kind = "required", field = f.name }, params = p }
    end
    if f.type == "int" and base[f.name] ~= nil then               -- a fraction where an integer goes
      local p = clone(base)
      p[f.name] = 1.5
      out[#out + 1] = { rule = { kind = "type", field = f.name }, params = p }
    end
  end
  if not spec.actions[action].open then                           -- open actions take any field
    local p = clone(base)
    p.NoSuchField = "x"
    out[#out + 1] = { rule = { kind = "unknown_field", field = "NoSuchField" }, params = p }
  end
  return out, skipped
end

return fx
