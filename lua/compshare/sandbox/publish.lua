--- Publishing custom images to the community: only Available images made from
-- a container instance, once each; the image is Reviewing for
-- durations.image_review seconds, then Available and public (or, when
-- opts.fail.review gives a reason, rejected: Available, private, FailedReason
-- set). Published images are grouped by GroupId (a new version joins an
-- existing group of this account). Community listings come from here.
local world = require "compshare.sandbox.world"
local query = require "compshare.sandbox.query"
local images = require "compshare.sandbox.images"

local refuse = world.refuse

local publish = { actions = {} }
local A = publish.actions

-- A few images other authors published, so that community listings are not empty.
local function others(w)
  if not w.data.community then
    local base = { ImageType = "Community", Status = "Available", Container = "True", IsOfficial = false, Visibility = 1,
      Size = 60, CreateTime = 1760000000, PubTime = 1760000000, AutoStart = true, ImageCharge = false, Readme = "",
      Cover = "", FailedReason = "", VersionDesc = "", SupportedGpuTypes = {}, AuthInfo = 1, ImageUseTime = 0 }
    local function one(id, name, author, tags, price, favs, used)
      local f = world.copy(base)
      f.CompShareImageId, f.Name, f.Author, f.ImageOwnerAlias, f.Tags = id, name, author, author, tags
      f.Price, f.FavoritesCount, f.CreatedCount, f.GroupId, f.VersionName = price, favs, used, "group-" .. id, "v1.0"
      f.Description = name .. " by " .. author
      f.Softwares = { Applications = { "JupyterLab" }, CUDAVersion = "12.1", Framework = "PyTorch", FrameworkVersion = "2.1" }
      f.Owner = { AccountId = "20000001", AccountName = author }
      return { fields = f, shared = {} }
    end
    w.data.community = {
      one("compshareImage-community-sdxl", "SDXL WebUI", "alice", { "stable-diffusion", "webui" }, 0, 120, 900),
      one("compshareImage-community-llama", "Llama 3 8B chat", "bob", { "llm" }, 0.5, 80, 400),
      one("compshareImage-community-whisper", "Whisper large-v3", "carol", { "audio" }, 0, 15, 60),
    }
  end
  return w.data.community
end

--- The group `id` of this account (its published images), or nil.
local function own_group(w, id)
  for _, img in ipairs(w:list("images")) do
    if img.fields.GroupId == id and img.published then return img end
  end
end

function A.PublishCompShareImage(w, p)
  local img = images.own(w, p.CompShareImageId)
  local f = img.fields
  if f.Container ~= "True" then
    refuse("not_allowed", "image %s was made from a VM instance; only container images can be published", p.CompShareImageId)
  end
  if img.published then
    refuse("duplicate", "image %s is already published (%s, group %s); publish a new version from a new image",
      p.CompShareImageId, f.Status, f.GroupId)
  end
  if f.Status ~= "Available" then
    refuse("wrong_state", "image %s is %s; only Available images can be published", p.CompShareImageId, f.Status)
  end
  if p.GroupId and not own_group(w, p.GroupId) then
    for _, o in ipairs(others(w)) do
      if o.fields.GroupId == p.GroupId then refuse("not_owner", "group %s belongs to %s", p.GroupId, o.fields.Author) end
    end
    refuse("not_found", "community image group %s does not exist", p.GroupId)
  end
  for _, k in ipairs { "Description", "Readme", "Cover", "Tags", "VersionName", "VersionDesc", "SupportedGpuTypes", "AutoStart" } do
    if p[k] ~= nil then f[k] = p[k] end
  end
  if p.Softwares then for k, v in pairs(p.Softwares) do f.Softwares[k] = v end end
  f.Price = p.Price or 0
  f.ImageCharge = f.Price > 0
  f.CommunityName = p.CommunityImageName
  f.GroupId = p.GroupId or ("group-" .. p.CompShareImageId)
  f.Status = "Reviewing"
  img.published, img.review_at = true, w.now() + w.durations.image_review
  publish.review(w, img, w.now())
  return {}
end

--- Finish the review of one image when its time has come.
function publish.review(w, img, now)
  if img.fields.Status ~= "Reviewing" or now < (img.review_at or 0) then return end
  local f = img.fields
  local reason = w:plan("review", f)
  f.Status = "Available"
  if reason then
    f.Visibility, f.FailedReason, img.published = 0, tostring(reason), false
  else
    f.Visibility, f.PubTime = 1, math.floor(img.review_at)
  end
end

function publish.settle(w, now)
  for _, img in ipairs(w:list("images")) do publish.review(w, img, now) end
end

--- Published images as the community sees them (fields copies, ImageType Community).
local function community(w, include_reviewing, mine_only)
  local out = {}
  for _, img in ipairs(w:list("images")) do
    local f = img.fields
    if img.published and (f.Visibility == 1 or include_reviewing) then
      local c = world.copy(f)
      c.ImageType, c.Name = "Community", f.CommunityName or f.Name
      c.CommunityName = nil
      out[#out + 1] = c
    end
  end
  if not mine_only then
    for _, o in ipairs(others(w)) do out[#out + 1] = world.copy(o.fields) end
  end
  return out
end

local FILTERS = {
  { param = "Author", field = "Author", match = "eq" },
  { param = "CompShareImageId", field = "CompShareImageId", match = "eq" },
  { param = "Name", field = "Name", match = "sub" },
  { param = "Tag", field = "Tags", match = "has" },
  { param = "FuzzySearch", field = "Name", match = "sub" },
  { param = "IsOfficial", field = "IsOfficial", match = "eq" },
  { param = "GroupId", field = "GroupId", match = "eq" },
}

function A.DescribeCommunityImages(w, p)
  local items = query.sort(query.filter(community(w), p, FILTERS), p.SortCondition)
  local set, total = query.page("DescribeCommunityImages", p, items)
  return { ImageSet = set, TotalCount = total }
end

--- Images grouped by GroupId, in first-seen order, as CompshareImageGroup entries.
local function groups(items)
  local out, by = {}, {}
  for _, f in ipairs(items) do
    local g = by[f.GroupId]
    if not g then
      g = { GroupId = f.GroupId, ImageName = f.Name, ImageDesc = f.Description or "", Data = {}, Status = "UnAvailable",
        CreatedCount = 0, FavoritesCount = 0, ImageUseTime = 0, IsFavorite = false, RecommendCount = 0 }
      by[f.GroupId], out[#out + 1] = g, g
    end
    g.Data[#g.Data + 1] = f
    if f.Status == "Available" and f.Visibility == 1 then g.Status = "Available" end
    g.CreatedCount = g.CreatedCount + (f.CreatedCount or 0)
    g.FavoritesCount = g.FavoritesCount + (f.FavoritesCount or 0)
  end
  local available = 0
  for _, g in ipairs(out) do if g.Status == "Available" then available = available + 1 end end
  return out, available
end

function A.DescribeUserCommunityImages(w, p)
  local items = query.filter(community(w), p, FILTERS)
  if p.IsFree ~= nil then
    local kept = {}
    for _, f in ipairs(items) do if ((f.Price or 0) == 0) == p.IsFree then kept[#kept + 1] = f end end
    items = kept
  end
  local all, available = groups(query.sort(items, p.SortCondition))
  local set = query.page("DescribeUserCommunityImages", p, all)
  return { ImageSetGroup = set, TotalCount = #all, AvailableTotalCount = available }
end

function A.DescribeSelfCommunityImages(w, p)
  local all, available = groups(query.filter(community(w, true, true), p, FILTERS))
  return { ImageSetGroup = all, TotalCount = #all, AvailableTotalCount = available }
end

function A.DescribeCompShareImageTags(w)
  local seen, tags = {}, {}
  local function add(list) for _, t in ipairs(list or {}) do if not seen[t] then seen[t] = true tags[#tags + 1] = t end end end
  for _, img in ipairs(images.catalogue(w)) do add(img.Tags) end
  for _, f in ipairs(community(w)) do add(f.Tags) end
  table.sort(tags)
  return { Tags = tags }
end

return publish
