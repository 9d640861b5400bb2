--- Images: the catalogue (system and app images), custom images made from an
-- instance (one image task per instance; container instances only while
-- Running, VM instances Running or Stopped), their progress, copies, updates,
-- deletion and the accounts they are shared with. Publishing is in publish.lua.
local world = require "compshare.sandbox.world"
local catalog = require "compshare.sandbox.catalog"
local shape = require "compshare.sandbox.shape"
local query = require "compshare.sandbox.query"

local refuse, contains = world.refuse, world.contains

local images = { actions = {} }
local A = images.actions

--- Which instance states allow a custom image, by the kind of the instance's image.
images.SNAPSHOT_STATES = { container = { "Running" }, vm = { "Running", "Stopped" } }

function images.catalogue(w)
  if not w.data.catalogue then w.data.catalogue = catalog.images() end
  return w.data.catalogue
end

local function in_catalogue(w, id)
  for _, img in ipairs(images.catalogue(w)) do
    if img.CompShareImageId == id then return img end
  end
end

--- A custom image of this account by id (refuses when there is none, or it is a catalogue image).
function images.own(w, id)
  local img = w:get("images", id)
  if img then return img end
  local sys = in_catalogue(w, id)
  if sys then refuse("not_owner", "image %s is a %s image of CompShare, not one of this account's", id, sys.ImageType) end
  refuse("not_found", "custom image %s does not exist", tostring(id))
end

--- Any image an instance can boot from (its fields): catalogue, custom or published community image.
function images.bootable(w, id)
  local img = in_catalogue(w, id) or (w:get("images", id) or {}).fields
  if not img then refuse("not_found", "image %s does not exist", tostring(id)) end
  return img
end

local function name_taken(w, name, except)
  for _, other in ipairs(w:list("images")) do
    if other.fields.Name == name and other.fields.CompShareImageId ~= except then return other.fields.CompShareImageId end
  end
end

--- A new custom image entity, Making for durations[duration] seconds.
local function make(w, fields, duration, source)
  local id = w:next_id("compshareImage")
  local now = math.floor(w.now())
  fields = shape.model("CompShareImage", now, 0, fields)
  fields.CompShareImageId, fields.ImageType, fields.Status = id, "Custom", "Making"
  fields.Author, fields.ImageOwnerAlias, fields.IsOfficial = "sandbox", "sandbox", false
  fields.CreateTime, fields.PubTime, fields.Visibility, fields.Price, fields.Size = now, 0, 0, 0, 40
  fields.FailedReason, fields.GroupId, fields.VersionName, fields.VersionDesc = "", "", "", ""
  fields.Owner = { AccountId = tostring(w.data.account.id), AccountName = "sandbox" }
  fields.CreatedCount, fields.FavoritesCount, fields.ImageUseTime, fields.AuthInfo = 0, 0, 0, 0
  local img = w:add("images", id, { fields = fields, source = source, started = w.now(), progress = 0,
    duration = duration, shared = {} })
  img.failure = w:plan("image", fields)
  images.advance(w, img, w.now())
  return img
end

function A.CreateCompShareCustomImage(w, p)
  local inst = world.instance(w, p.UHostId)
  local kind = inst.container and "container" or "vm"
  local allowed = images.SNAPSHOT_STATES[kind]
  if not contains(allowed, inst.fields.State) then
    refuse("wrong_state", "instance %s is %s; a %s instance must be %s to make an image", p.UHostId,
      inst.fields.State, kind, table.concat(allowed, " or "))
  end
  if inst.image_task then
    refuse("busy", "instance %s already has an image task (%s); one image at a time per instance", p.UHostId, inst.image_task)
  end
  local taken = name_taken(w, p.Name)
  if taken then refuse("duplicate", "an image named %q already exists (%s)", p.Name, taken) end
  local soft = p.Softwares or {}
  local img = make(w, { Name = p.Name, Description = p.Description or "", Container = inst.container and "True" or "False",
    SourceGpuType = inst.fields.GpuType, Softwares = { Applications = soft.Application or {}, CUDAVersion = soft.CUDAVersion or "",
      Framework = soft.Framework or "", FrameworkVersion = soft.FrameworkVersion or "" } }, "image_make", p.UHostId)
  if img.fields.Status == "Making" then inst.image_task = img.fields.CompShareImageId end
  return { CompShareImageId = img.fields.CompShareImageId }
end

--- Bring one Making image up to `now` (progress, the planned failure, the end).
function images.advance(w, img, now)
  if img.fields.Status ~= "Making" then return end
  local total = w.durations[img.duration or "image_make"]
  local pct = total == 0 and 100 or math.min(100, (now - img.started) / total * 100)
  local failure = img.failure
  if failure and pct >= (failure.at or 50) then
    img.progress, img.fields.Status = failure.at or 50, failure.status or "UnAvailable"
    img.fields.FailedReason = failure.reason or "image creation failed"
  elseif pct >= 100 then
    img.progress, img.fields.Status = 100, "Available"
  else
    img.progress = pct
  end
  if img.fields.Status ~= "Making" then
    local inst = w:get("instances", img.source)
    if inst and inst.image_task == img.fields.CompShareImageId then inst.image_task = nil end
  end
end

function images.settle(w, now)
  for _, img in ipairs(w:list("images")) do images.advance(w, img, now) end
end

function A.GetCompShareImageCreateProgress(w, p)
  local img = images.own(w, p.CompShareImageId)
  local total = w.durations[img.duration or "image_make"]
  local remaining = img.fields.Status == "Making" and math.max(0, total - (w.now() - img.started)) or 0
  return { Process = math.floor(img.progress), TotalDuration = tostring(total),
    RemainingDuration = tostring(math.ceil(remaining)) }
end

function A.DescribeCompShareCustomImages(w, p)
  local items = query.filter(w:list("images"), p, { { param = "CompShareImageId", field = "CompShareImageId", match = "eq" } })
  local set, total = query.page("DescribeCompShareCustomImages", p, query.fields(items))
  return { ImageSet = set, TotalCount = total }
end

function A.DescribeCompShareImages(w, p)
  local items = query.filter(images.catalogue(w), { ImageType = p.ImageType or "System", CompShareImageId = p.CompShareImageId,
    Name = p.Name, Tag = p.Tag, Author = p.Author }, {
    { param = "ImageType", field = "ImageType", match = "eq" },
    { param = "CompShareImageId", field = "CompShareImageId", match = "eq" },
    { param = "Name", field = "Name", match = "sub" },
    { param = "Tag", field = "Tags", match = "has" },
    { param = "Author", field = "Author", match = "eq" },
  })
  local set, total = query.page("DescribeCompShareImages", p, items)
  return { ImageSet = set, TotalCount = total }
end

local UPDATABLE = { "Description", "Readme", "Cover", "Tags", "Name", "Price", "Visibility", "VersionName",
  "VersionDesc", "GroupId", "SupportedGpuTypes", "AutoStart" }

function A.UpdateCompShareImage(w, p)
  local img = images.own(w, p.CompShareImageId)
  if img.fields.Status == "Making" then
    refuse("wrong_state", "image %s is still being made; update it once it is Available", p.CompShareImageId)
  end
  if p.Name and p.Name ~= img.fields.Name then
    local taken = name_taken(w, p.Name, p.CompShareImageId)
    if taken then refuse("duplicate", "an image named %q already exists (%s)", p.Name, taken) end
  end
  for _, k in ipairs(UPDATABLE) do if p[k] ~= nil then img.fields[k] = p[k] end end
  -- SDK-only: Framework (a string) and Softwares (a JSON text of the Software model)
  if p.Framework ~= nil then img.fields.Softwares.Framework = p.Framework end
  local soft = type(p.Softwares) == "string" and require("compshare.json").decode(p.Softwares)
  if type(soft) == "table" then
    for _, k in ipairs { "Applications", "CUDAVersion", "Framework", "FrameworkVersion" } do
      if soft[k] ~= nil then img.fields.Softwares[k] = soft[k] end
    end
  end
  return {}
end

--- images.own, refused unless the image is Available ("only Available images <may>").
local function own_available(w, id, may)
  local img = images.own(w, id)
  if img.fields.Status ~= "Available" then
    refuse("wrong_state", "image %s is %s; only Available images %s", id, img.fields.Status, may)
  end
  return img
end

function A.CopyCompShareCustomImage(w, p)
  local src = own_available(w, p.CompShareImageId, "can be copied")
  local name = p.TargetImageName or (src.fields.Name .. "-copy")
  local taken = name_taken(w, name)
  if taken then refuse("duplicate", "an image named %q already exists (%s)", name, taken) end
  local f = src.fields
  local img = make(w, { Name = name, Description = f.Description, Container = f.Container, SourceGpuType = f.SourceGpuType,
    Softwares = world.copy(f.Softwares) }, "image_copy", nil)
  return { NewCompShareImageId = img.fields.CompShareImageId }
end

function A.TerminateCompShareCustomImage(w, p)
  local img = images.own(w, p.CompShareImageId)
  local inst = w:get("instances", img.source)
  if inst and inst.image_task == p.CompShareImageId then inst.image_task = nil end
  w:remove("images", p.CompShareImageId)
  return {}
end

-- Share accounts ------------------------------------------------------------------

function A.DescribeCompShareImageShareAccounts(w, p)
  local img = images.own(w, p.CompShareImageId)
  local set = {}
  for i, id in ipairs(img.shared) do set[i] = { AccountId = tostring(id), AccountName = "account-" .. id } end
  return { AccountSet = set }
end

function A.ModifyCompShareImageShareAccount(w, p)
  local img = own_available(w, p.CompShareImageId, "are shared")
  local invalid = {}
  for _, id in ipairs(p.AddAccounts or {}) do
    if id <= 0 or id == w.data.account.id then invalid[#invalid + 1] = id
    elseif not contains(img.shared, id) then img.shared[#img.shared + 1] = id end
  end
  for _, id in ipairs(p.RemoveAccounts or {}) do
    for i, x in ipairs(img.shared) do if x == id then table.remove(img.shared, i) break end end
  end
  return { InvalidAccounts = invalid }
end

function A.DescribeCompShareSharingImages(w, p)
  local items = {}
  for _, img in ipairs(w:list("images")) do
    if #img.shared > 0 then items[#items + 1] = img end
  end
  items = query.filter(items, p, { { param = "CompShareImageId", field = "CompShareImageId", match = "eq" } })
  local set, total = query.page("DescribeCompShareSharingImages", p, query.fields(items))
  return { ImageSet = set, TotalCount = total }
end

return images
