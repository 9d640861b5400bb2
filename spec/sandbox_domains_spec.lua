-- The sandbox's stateful domains: instances (lifecycle, scheduler, quotas,
-- sizes), disks, images, publishing, teams, lightweight hosts, prices, faults
-- and saving the world.
local sandbox = require "compshare.sandbox"
local validate = require "compshare.validate"
local fx = require "support.sandbox_fixtures"

local CODES = sandbox.CODES
local D = fx.DURATIONS
local VM = "compshareImage-sys-ubuntu2204-vm"

local function new(opts)
  opts = opts or {}
  opts.durations = opts.durations or D
  return sandbox.client(opts)
end

local function create(c, extra)
  local p = { CompShareImageId = fx.CONTAINER, GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536, Disks = fx.DISKS }
  for k, v in pairs(extra or {}) do p[k] = v end
  return c:call("CreateCompShareInstance", p)
end

local function instance(c, id)
  return assert(c:call("DescribeCompShareInstance", { UHostIds = { id } })).UHostSet[1]
end

local function refused(code, res, err)
  assert(res == nil, "expected a refusal")
  assert.equal("api", err.kind)
  assert.equal(code, err.code, tostring(err))
  return err
end

describe("sandbox instances", function()
  it("keep Name and Remark, list them back and rename", function()
    local c, sb = new()
    local id = assert(create(c, { Name = "job-7", Remark = "claim:abc123" })).UHostIds[1]
    sb:advance(D.instance_boot)
    local inst = instance(c, id)
    assert.equal("job-7", inst.Name)
    assert.equal("claim:abc123", inst.Remark)
    assert(c:call("ModifyCompShareInstanceName", { UHostId = id, Name = "job-8" }))
    assert.equal("job-8", instance(c, id).Name)
    assert.equal("claim:abc123", instance(c, id).Remark)
  end)

  it("stop when the stop scheduler's StopTime comes, and not before", function()
    local c, sb = new()
    local id = assert(create(c)).UHostIds[1]
    sb:advance(D.instance_boot)
    local at = math.floor(sb.clock()) + 100
    refused(CODES.invalid_param, c:call("UpdateCompShareStopScheduler", { UHostId = id, StopTime = math.floor(sb.clock()) - 1 }))
    assert(c:call("UpdateCompShareStopScheduler", { UHostId = id, StopTime = at }))
    assert.equal(at, instance(c, id).StopSchedulerTime)
    sb:advance(99)
    assert.equal("Running", instance(c, id).State)
    sb:advance(1)
    assert.equal("Stopping", instance(c, id).State)
    sb:advance(D.instance_stop)
    local inst = instance(c, id)
    assert.equal("Stopped", inst.State)
    assert.is_nil(inst.StopSchedulerTime)
    assert.equal(at, inst.StopTime)
  end)

  it("stop at StopTime even when nobody looks until long after", function()
    local c, sb = new()
    local id = assert(create(c)).UHostIds[1]
    sb:advance(D.instance_boot)
    assert(c:call("UpdateCompShareStopScheduler", { UHostId = id, StopTime = math.floor(sb.clock()) + 10 }))
    sb:advance(10000)
    assert.equal("Stopped", instance(c, id).State)
  end)

  it("forget a deleted stop scheduler", function()
    local c, sb = new()
    local id = assert(create(c)).UHostIds[1]
    sb:advance(D.instance_boot)
    assert(c:call("UpdateCompShareStopScheduler", { UHostId = id, StopTime = math.floor(sb.clock()) + 10 }))
    assert(c:call("DeleteCompShareStopScheduler", { UHostId = id }))
    sb:advance(100)
    assert.equal("Running", instance(c, id).State)
    assert.is_nil(instance(c, id).StopSchedulerTime)
  end)

  it("make MaxCount instances within the account level's quota", function()
    local c = new { account_level = 1 }                       -- 5 instances
    assert.equal(4, #assert(create(c, { MaxCount = 4 })).UHostIds)
    local err = refused(CODES.quota, create(c, { MaxCount = 2 }))
    assert.matches("level 1 may keep 5 instances; it has 4 and asked for 2", err.message, 1, true)
    assert(create(c))
    refused(CODES.quota, create(c))
    local c0 = new { account_level = 0 }
    assert(create(c0))
    refused(CODES.quota, create(c0))
    refused(CODES.invalid_param, create((new()), { MaxCount = 0 }))
  end)

  it("accept exactly the sizes DescribeAvailableCompShareInstanceTypes lists", function()
    local c, sb = new { account_level = 4 }
    local types = assert(c:call("DescribeAvailableCompShareInstanceTypes", {})).AvailableInstanceTypes
    local tried = 0
    for _, t in ipairs(types) do
      if t.InstanceType == "uhost" then
        for _, size in ipairs(t.MachineSizes) do
          for _, coll in ipairs(size.Collection) do
            for _, mem in ipairs(coll.Memory) do
              local p = { GpuType = t.Name, GPU = size.Gpu, CPU = coll.Cpu, Memory = mem }
              local res, err = create(c, p)
              assert(res, t.Name .. " " .. tostring(err))
              sb:advance(D.instance_boot)
              assert(c:call("TerminateCompShareInstance", { UHostId = res.UHostIds[1] }))
              tried = tried + 1
            end
          end
        end
      end
    end
    assert(tried > 300, tried)
  end)

  it("refuse sizes the catalogue does not list although the validator allows them", function()
    local c = new()
    local p = { CompShareImageId = fx.CONTAINER, GpuType = "4090", GPU = 1, CPU = 12, Memory = 65536, Disks = fx.DISKS }
    assert.is_nil(validate.check("CreateCompShareInstance", p, { Region = "cn-wlcb", Zone = "cn-wlcb-01" }))
    local err = refused(CODES.not_offered, c:call("CreateCompShareInstance", p))
    assert.matches("4090 x1 comes with 8 or 16 CPUs, not 12", err.message, 1, true)
    refused(CODES.not_offered, create(c, { Memory = 65536 * 2 }))
    refused(CODES.not_offered, create((new { client = { zone = "cn-nowhere-01" } })))
  end)

  it("use up GPU stock, which DescribeCompShareGpuInventory reports", function()
    local c = new { account_level = 4 }
    local function left()
      local inv = assert(c:call("DescribeCompShareGpuInventory", {}))
      return require("compshare.json").decode(inv.GpuInventoryByZone)["cn-wlcb-01"]["4090"]
    end
    local before = left()
    assert(create(c, { GPU = 8, CPU = 128, Memory = 512 * 1024, MaxCount = 2 }))
    assert.equal(before - 16, left())
    local err = refused(CODES.not_offered, create(c, { GPU = 10, CPU = 140, Memory = 560 * 1024, MaxCount = 5 }))
    assert.matches("sold out", err.message)
  end)

  it("reinstall and resize only when Stopped, and resize to listed sizes only", function()
    local c, sb, ids = fx.world()
    refused(CODES.wrong_state, c:call("ResizeCompShareInstance", { UHostId = ids.UHostId, Gpu = 2, Cpu = 32, Memory = 131072 }))
    assert(c:call("StopCompShareInstance", { UHostId = ids.UHostId }))
    sb:advance(D.instance_stop)
    refused(CODES.not_offered, c:call("ResizeCompShareInstance", { UHostId = ids.UHostId, Gpu = 2, Cpu = 20 }))
    assert(c:call("ResizeCompShareInstance", { UHostId = ids.UHostId, Gpu = 2, Cpu = 32, Memory = 131072 }))
    assert.equal("Resizing", instance(c, ids.UHostId).State)
    sb:advance(D.instance_resize)
    local inst = instance(c, ids.UHostId)
    assert.same({ "Stopped", 2, 32, 131072 }, { inst.State, inst.GPU, inst.CPU, inst.Memory })
    refused(CODES.not_allowed, c:call("ReinstallCompShareInstance", { UHostId = ids.UHostId, CompShareImageId = VM }))
    assert(c:call("ReinstallCompShareInstance", { UHostId = ids.UHostId, CompShareImageId = "compshareImage-app-ollama" }))
    sb:advance(D.instance_reinstall)
    inst = instance(c, ids.UHostId)
    assert.equal("Running", inst.State)
    assert.equal("compshareImage-app-ollama", inst.CompShareImageId)
  end)

  it("answer monitor data, software URLs and refund prices for an instance", function()
    local c, _, ids = fx.world()
    local m = assert(c:call("GetCompShareInstanceMonitor", { UHostIds = { ids.UHostId } })).MonitorSet[1]
    assert.equal(ids.UHostId, m.UHostId)
    assert.equal(1, #m.GpuInfo)
    local url = assert(c:call("GetSoftwareURL", { UHostId = ids.UHostId, Software = "JupyterLab" })).URL
    assert.matches("^http://10%.9%.%d+%.%d+:8888$", url)
    refused(CODES.not_found, c:call("GetSoftwareURL", { UHostId = ids.UHostId, Software = "Nope" }))
    local r = assert(c:call("GetCompShareRefundPrice", { UHostIds = { ids.UHostId, "uhost-gone" } })).RefundPriceSet
    assert.is_true(r[1].RefundPrice > 0)
    assert.equal(CODES.not_found, r[2].Code)
  end)

  it("never keep or answer a password", function()
    local c, sb, ids = fx.world()
    assert(c:call("ResetCompShareInstancePassword", { UHostId = ids.UHostId, Password = "c2VjcmV0LXB3" }))
    assert.equal("", instance(c, ids.UHostId).Password)
    local state = require("compshare.json").encode(sb:snapshot())
    assert.is_nil(state:find("c2VjcmV0LXB3", 1, true))
  end)
end)

describe("sandbox prices", function()
  it("cost more for longer periods but less per hour, for every charge type", function()
    local c = new()
    local res = assert(c:call("GetCompShareInstancePrice", { GpuType = "A100", Gpu = "2", Cpu = "32", Memory = "262144" }))
    local by = {}
    for _, d in ipairs(res.PriceDetail) do by[d.ChargeType] = d.OriginalPrice end
    assert.is_true(by.Year > by.Month and by.Month > by.Day and by.Day > by.Dynamic and by.Dynamic > 0)
    assert.is_true(by.Month / 720 < by.Day / 24 and by.Day / 24 < by.Dynamic)
    local one = assert(c:call("GetCompShareInstancePrice", { GpuType = "A100", Gpu = "1", ChargeType = "Month" }))
    assert.equal(1, #one.PriceDetail)
    assert.near(by.Month / 2, one.PriceDetail[1].OriginalPrice, 0.01)
  end)
end)

describe("sandbox disks", function()
  it("detach, attach to another instance, grow, and delete only when detached", function()
    local c, sb, ids = fx.world()
    local other = assert(create(c)).UHostIds[1]
    sb:advance(D.instance_boot)
    refused(CODES.wrong_state, c:call("DeleteCompshareDisk", { UDiskId = ids.UDiskId, OrganizationID = 1, TopOrganizationID = 1 }))
    assert(c:call("DetachCompshareDisk", { UDiskId = ids.UDiskId }))
    assert.equal(1, #instance(c, ids.UHostId).DiskSet)
    refused(CODES.wrong_state, c:call("DetachCompshareDisk", { UDiskId = ids.UDiskId }))
    assert(c:call("AttachCompshareDisk", { UDiskId = ids.UDiskId, UHostId = other }))
    assert.equal(3, #instance(c, other).DiskSet)
    refused(CODES.not_allowed, c:call("ResizeCompShareDisk", { UDiskId = ids.UDiskId, Size = 50 }))
    assert(c:call("ResizeCompShareDisk", { UDiskId = ids.UDiskId, Size = 500 }))
    assert(c:call("DetachCompshareDisk", { UDiskId = ids.UDiskId, UHostId = other }))
    assert(c:call("DeleteCompshareDisk", { UDiskId = ids.UDiskId, OrganizationID = 1, TopOrganizationID = 1 }))
    refused(CODES.not_found, c:call("ResizeCompShareDisk", { UDiskId = ids.UDiskId, Size = 600 }))
    local boot = instance(c, other).DiskSet[1].DiskId
    refused(CODES.not_allowed, c:call("DetachCompshareDisk", { UDiskId = boot }))
  end)
end)

describe("sandbox images", function()
  it("take the SDK-only Framework and Softwares (JSON text) of UpdateCompShareImage", function()
    local c, _, ids = fx.world()
    assert(c:call("UpdateCompShareImage", { CompShareImageId = ids.CompShareImageId, Framework = "JAX",
      Softwares = '{"CUDAVersion":"12.4"}' }))
    local soft = assert(c:call("DescribeCompShareCustomImages", {})).ImageSet[1].Softwares
    assert.same({ "JAX", "12.4" }, { soft.Framework, soft.CUDAVersion })
  end)

  it("keep Description, copy, share with accounts and terminate", function()
    local c, sb, ids = fx.world()
    local img = assert(c:call("DescribeCompShareCustomImages", { CompShareImageId = ids.CompShareImageId })).ImageSet[1]
    assert.equal("Available", img.Status)
    assert(c:call("UpdateCompShareImage", { CompShareImageId = ids.CompShareImageId, Description = "claim:xyz" }))
    local copy = assert(c:call("CopyCompShareCustomImage", { CompShareImageId = ids.CompShareImageId,
      TargetImageName = "copy-1" })).NewCompShareImageId
    refused(CODES.duplicate, c:call("CopyCompShareCustomImage", { CompShareImageId = ids.CompShareImageId,
      TargetImageName = "copy-1" }))
    local listed = assert(c:call("DescribeCompShareCustomImages", {})).ImageSet
    assert.equal("claim:xyz", listed[1].Description)
    assert.equal("Making", listed[2].Status)
    sb:advance(D.image_copy)
    assert.equal("Available", assert(c:call("DescribeCompShareCustomImages", { CompShareImageId = copy })).ImageSet[1].Status)
    local res = assert(c:call("ModifyCompShareImageShareAccount", { CompShareImageId = copy, AddAccounts = { 123, 0, 456 } }))
    assert.same({ 0 }, res.InvalidAccounts)
    assert(c:call("ModifyCompShareImageShareAccount", { CompShareImageId = copy, RemoveAccounts = { 123 } }))
    local acc = assert(c:call("DescribeCompShareImageShareAccounts", { CompShareImageId = copy })).AccountSet
    assert.same({ "456" }, { acc[1].AccountId })
    assert.equal(1, assert(c:call("DescribeCompShareSharingImages", {})).TotalCount)
    assert(c:call("TerminateCompShareCustomImage", { CompShareImageId = copy }))
    refused(CODES.not_found, c:call("GetCompShareImageCreateProgress", { CompShareImageId = copy }))
    refused(CODES.not_owner, c:call("TerminateCompShareCustomImage", { CompShareImageId = fx.CONTAINER }))
  end)

  it("let an instance with an image task be terminated only once the image is done", function()
    local c, sb = new()
    local id = assert(create(c)).UHostIds[1]
    sb:advance(D.instance_boot)
    assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "busy" }))
    refused(CODES.busy, c:call("TerminateCompShareInstance", { UHostId = id }))
    sb:advance(D.image_make)
    assert(c:call("TerminateCompShareInstance", { UHostId = id }))
  end)
end)

describe("sandbox publishing", function()
  it("publishes without Price, reviews, then lists the image in the community", function()
    local c, sb, ids = fx.world()
    local before = assert(c:call("DescribeCommunityImages", {})).TotalCount
    -- the validator's rules, not the sandbox's own: v1..2 is no version name, and Tags take 3
    local err = refused(CODES.invalid_param, c:call("PublishCompShareImage", { CompShareImageId = ids.CompShareImageId,
      VersionName = "v1..2" }))
    assert.matches("VersionName", err.message)
    refused(CODES.invalid_param, c:call("PublishCompShareImage", { CompShareImageId = ids.CompShareImageId,
      Tags = { "a", "b", "c", "d" } }))
    assert(c:call("PublishCompShareImage", { CompShareImageId = ids.CompShareImageId, Tags = { "a", "b" },
      CommunityImageName = "My env", Description = "ready" }))
    local img = assert(c:call("DescribeCompShareCustomImages", { CompShareImageId = ids.CompShareImageId })).ImageSet[1]
    assert.equal("Reviewing", img.Status)
    assert.equal(0, img.Price)
    assert.equal(before, assert(c:call("DescribeCommunityImages", {})).TotalCount)
    local mine = assert(c:call("DescribeSelfCommunityImages", {}))
    assert.equal(1, mine.TotalCount)
    assert.equal(0, mine.AvailableTotalCount)
    sb:advance(D.image_review)
    local com = assert(c:call("DescribeCommunityImages", { Name = "My env" }))
    assert.equal(1, com.TotalCount)
    assert.equal("Community", com.ImageSet[1].ImageType)
    assert.equal("ready", com.ImageSet[1].Description)
    assert.equal(1, assert(c:call("DescribeSelfCommunityImages", {})).AvailableTotalCount)
    local groups = assert(c:call("DescribeUserCommunityImages", { FuzzySearch = "my" })).ImageSetGroup
    assert.equal(1, #groups)
    assert.equal(ids.CompShareImageId, groups[1].Data[1].CompShareImageId)
    local tags = assert(c:call("DescribeCompShareImageTags", {})).Tags
    assert.is_truthy(table.concat(tags, ","):find("b", 1, true))
    refused(CODES.duplicate, c:call("PublishCompShareImage", { CompShareImageId = ids.CompShareImageId }))
  end)

  it("adds a new version to an own group, not to someone else's", function()
    local c, sb, ids = fx.world()
    local copy = assert(c:call("CopyCompShareCustomImage", { CompShareImageId = ids.CompShareImageId })).NewCompShareImageId
    assert(c:call("PublishCompShareImage", { CompShareImageId = ids.CompShareImageId, VersionName = "v1.0" }))
    refused(CODES.wrong_state, c:call("CopyCompShareCustomImage", { CompShareImageId = ids.CompShareImageId }))
    local group = assert(c:call("DescribeCompShareCustomImages", {})).ImageSet[1].GroupId
    sb:advance(D.image_copy + D.image_review)
    refused(CODES.not_owner, c:call("PublishCompShareImage", { CompShareImageId = copy, GroupId = "group-compshareImage-community-sdxl" }))
    refused(CODES.not_found, c:call("PublishCompShareImage", { CompShareImageId = copy, GroupId = "group-nope" }))
    assert(c:call("PublishCompShareImage", { CompShareImageId = copy, GroupId = group, VersionName = "v1.1" }))
    sb:advance(D.image_review)
    local g = assert(c:call("DescribeSelfCommunityImages", { GroupId = group })).ImageSetGroup
    assert.equal(2, #g[1].Data)
  end)

  it("rejects in review when told to", function()
    local c, sb, ids = fx.world { fail = { review = "cover image missing" } }
    assert(c:call("PublishCompShareImage", { CompShareImageId = ids.CompShareImageId }))
    sb:advance(D.image_review)
    local img = assert(c:call("DescribeCompShareCustomImages", {})).ImageSet[1]
    assert.same({ "Available", 0, "cover image missing" }, { img.Status, img.Visibility, img.FailedReason })
    assert(c:call("PublishCompShareImage", { CompShareImageId = ids.CompShareImageId }))   -- may try again
  end)
end)

describe("sandbox teams", function()
  it("invite, answer and log", function()
    local c, _, ids = fx.world()
    local res = assert(c:call("CreateCompShareTeamRelation", { TeamId = ids.TeamId,
      UserInfo = { { UserCompanyId = 777, RemarkName = "ann" }, { UserCompanyId = -1 } } }))
    assert.matches("invalid company id", res.ErrorMap)
    local inv = assert(c:call("ListCompShareTeamInvite", { TeamId = ids.TeamId })).Invites
    assert.same({ 777, "Pending" }, { inv[1].UserCompanyId, inv[1].Status })
    refused(CODES.not_allowed, c:call("SetCompShareTeamRelation", { TeamId = tostring(ids.TeamId), Status = "Agree",
      UserCompanyId = "777" }))
    assert(c:call("SetCompShareTeamRelation", { TeamId = tostring(ids.TeamId), Status = "Cancel", UserCompanyId = "777" }))
    refused(CODES.wrong_state, c:call("SetCompShareTeamRelation", { TeamId = tostring(ids.TeamId), Status = "Cancel",
      UserCompanyId = "777" }))
    local joined = assert(c:call("ListCompShareTeamJoined", {})).JoinedTeams[1]
    assert(c:call("SetCompShareTeamRelation", { TeamId = tostring(joined.TeamId), Status = "Agree" }))
    assert.equal("Joined", assert(c:call("ListCompShareTeamJoined", {})).JoinedTeams[1].Status)
    assert(c:call("UpdateCompShareTeam", { Name = "renamed", Description = "d" }))
    assert.equal("renamed", assert(c:call("GetCompShareTeamInfo", { TeamId = ids.TeamId })).Team.Name)
    local logs = assert(c:call("ListCompShareTeamOperateLog", { TeamId = ids.TeamId, BeginTime = 0, EndTime = 2 ^ 31 }))
    assert.equal(5, logs.Total)
    local orders = assert(c:call("DescribeTeamMemberOrder", { TeamId = ids.TeamId, BeginTime = 0, EndTime = 2 ^ 31,
      VirtualCompanyId = 1 }))
    assert.equal(1, orders.Total)
    assert.equal(ids.UHostId, orders.OrderInfos[1].ResourceId)
    assert(c:call("DeleteCompShareTeam", { TeamId = ids.TeamId }))
    refused(CODES.not_found, c:call("GetCompShareTeamInfo", { TeamId = ids.TeamId }))
  end)
end)

describe("sandbox lightweight hosts", function()
  it("boot, stop, reinstall, rename and terminate", function()
    local c, sb, ids = fx.world()
    local function host() return assert(c:call("DescribeULHostInstance", { ULHostIds = { ids.ULHostId } })).ULHostInstanceSets[1] end
    assert.equal("Running", host().State)
    assert(c:call("StopULHostInstance", { ULHostId = ids.ULHostId }))
    sb:advance(D.instance_stop)
    assert(c:call("ReinstallULHostInstance", { ULHostId = ids.ULHostId, ImageId = "ulhost-image-debian12", Password = "cA==" }))
    sb:advance(D.instance_reinstall)
    assert.same({ "Running", "ulhost-image-debian12" }, { host().State, host().ImageId })
    assert(c:call("ModifyULHostAttribute", { ULHostId = ids.ULHostId, Remark = "r1" }))
    assert.equal("r1", host().Remark)
    assert(c:call("PoweroffULHostInstance", { ULHostId = ids.ULHostId }))
    assert.equal("Stopped", host().State)
    local price = assert(c:call("GetULHostInstancePrice", { BundleId = "ulhost.c2m2" })).PriceSet
    assert.is_true(price[2].Price > price[1].Price)
    assert(c:call("TerminateULHostInstance", { ULHostId = ids.ULHostId }))
    refused(CODES.not_found, c:call("GetULHostRenewPrice", { ULHostId = ids.ULHostId }))
  end)
end)

describe("sandbox faults, ids and state", function()
  it("injects the next N faults of every kind", function()
    local c, sb = new()
    sb:inject { kind = "http", status = 502, times = 2 }
    sb:inject { kind = "throttle", retry_after = 7 }
    sb:inject { kind = "retcode", code = 8000, message = "sold out" }
    sb:inject { kind = "malformed" }
    sb:inject { kind = "reset", action = "DescribeCompShareImages" }
    local function call() return c:call("DescribeCompShareInstance", {}, { max_retries = 0 }) end
    local _, e1 = call()
    local _, e2 = call()
    assert.same({ "http", 502, "http", 502 }, { e1.kind, e1.code, e2.kind, e2.code })
    local _, e3 = call()
    assert.same({ "http", 429, 7 }, { e3.kind, e3.code, e3.retry_after })
    local _, e4 = call()
    assert.same({ "api", 8000 }, { e4.kind, e4.code })
    local _, e5 = call()
    assert.equal("decode", e5.kind)
    assert(call())
    local _, e6 = c:call("DescribeCompShareImages", {}, { max_retries = 0 })
    assert.equal("transport", e6.kind)
    local t = sb.clock()
    sb:inject { kind = "slow", delay = 3 }
    assert(call())
    assert.equal(t + 3, sb.clock())
    assert.has_error(function() sb:inject { kind = "nope" } end)
  end)

  it("makes ids from the seed", function()
    local a = assert(create((new { seed = "one" }))).UHostIds[1]
    local b = assert(create((new { seed = "two" }))).UHostIds[1]
    assert.are_not.equal(a, b)
    assert.equal(a, assert(create((new { seed = "one" }))).UHostIds[1])
  end)

  it("saves the world as plain data and restores it into a new sandbox", function()
    local json = require "compshare.json"
    local c, sb, ids = fx.world()
    local text = assert(json.encode(sb:snapshot()))
    local c2, sb2 = new()
    assert(sb2:restore(json.decode(text)))
    assert.equal(sb.clock(), sb2.clock())
    assert.equal("Running", instance(c2, ids.UHostId).State)
    assert(c2:call("StopCompShareInstance", { UHostId = ids.UHostId }))
    sb2:advance(D.instance_stop)
    assert.equal("Stopped", instance(c2, ids.UHostId).State)
    assert.equal("Running", instance(c, ids.UHostId).State)
    local again = assert(create(c2)).UHostIds[1]
    assert.is_nil(sb.world:get("instances", again))
    assert.is_nil((sb2:restore { version = 9 }))
    sb2:reset()
    assert.equal(0, assert(c2:call("DescribeCompShareInstance", {})).TotalCount)
  end)
end)
