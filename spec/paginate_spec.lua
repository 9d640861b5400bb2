-- client:paginate: every item of every page, stopping exactly at the end,
-- with per-action list/total names, and an error delivered once.
local compshare = require "compshare"
local stub = require "compshare.stub"

local function client_with(answers)
  local t = stub.new(answers)
  local c = compshare.new { public_key = "pub-key-0001", private_key = "priv-key-0001", region = "cn-wlcb",
    zone = "cn-wlcb-01", transport = t, sleep = function() end }
  return c, t
end

--- A server answer computed from the request: `n` items named prefix..i,
-- listed under `items`, with the total under `total` (nil: no total field).
local function server(n, items, total, prefix)
  return function(req)
    local offset = tonumber(req.params.Offset) or 0
    local limit = tonumber(req.params.Limit) or 20
    local list = {}
    for i = offset + 1, math.min(n, offset + limit) do list[#list + 1] = { Id = (prefix or "item-") .. i } end
    local body = { [items] = list }
    if total then body[total] = n end
    return body
  end
end

local function collect(iter)
  local items, errs = {}, {}
  for item, err in iter do
    if item then items[#items + 1] = item.Id else errs[#errs + 1] = err end
  end
  return items, errs
end

local rep = require("support.fixtures").rep

describe("client:paginate", function()
  it("walks Offset/Limit with TotalCount and stops exactly at the end", function()
    local c, t = client_with(rep(server(7, "ImageSet", "TotalCount"), 5))
    local items, errs = collect(c:paginate("DescribeCompShareImages", { Limit = 3, ImageType = "System" }))
    assert.equal(7, #items)
    assert.equal("item-1", items[1])
    assert.equal("item-7", items[7])
    assert.equal(0, #errs)
    assert.equal(3, #t.requests)
    assert.same({ "0", "3", "6" }, { t.requests[1].params.Offset, t.requests[2].params.Offset, t.requests[3].params.Offset })
    assert.equal("System", t.requests[3].params.ImageType)
  end)

  it("stops after a full last page when the total is reached", function()
    local c, t = client_with(rep(server(6, "ImageSet", "TotalCount"), 5))
    local items = collect(c:paginate("DescribeCompShareImages", { Limit = 3 }))
    assert.equal(6, #items)
    assert.equal(2, #t.requests)
  end)

  it("uses the action's default limit and an empty result", function()
    local c, t = client_with(rep(server(0, "UHostSet", "TotalCount"), 2))
    local items = collect(c:paginate("DescribeCompShareInstance"))
    assert.equal(0, #items)
    assert.equal(1, #t.requests)
    assert.equal("20", t.requests[1].params.Limit)
  end)

  it("reads Total and OrderInfos for team orders", function()
    local c, t = client_with(rep(server(30, "OrderInfos", "Total"), 5))
    local items = collect(c:paginate("DescribeTeamMemberOrder", { TeamId = 1, VirtualCompanyId = 2,
      BeginTime = 0, EndTime = 1 }))
    assert.equal(30, #items)
    assert.equal(2, #t.requests)       -- default limit 25
    assert.equal("25", t.requests[1].params.Limit)
  end)

  it("stops on a short page when the action has no total field", function()
    local c, t = client_with(rep(server(45, "ULHostInstanceSets", nil), 5))
    local items = collect(c:paginate("DescribeULHostInstance", { Limit = 20 }))
    assert.equal(45, #items)
    assert.equal(3, #t.requests)
  end)

  it("keeps a string-typed Limit as given", function()
    local c, t = client_with(rep(server(5, "ImageSet", "TotalCount"), 5))
    local items = collect(c:paginate("DescribeCommunityImages", { Limit = "2" }))
    assert.equal(5, #items)
    assert.equal(3, #t.requests)
  end)

  it("stops when the server returns an empty page before the total", function()
    local c, t = client_with(rep({ ImageSet = {}, TotalCount = 100 }, 3))
    local items = collect(c:paginate("DescribeCompShareImages", {}))
    assert.equal(0, #items)
    assert.equal(1, #t.requests)
  end)

  it("gives false, err once on a failure and then ends", function()
    local c, t = client_with({ server(10, "ImageSet", "TotalCount"), { RetCode = 8000, Message = "boom" },
      server(10, "ImageSet", "TotalCount") })
    local iter = c:paginate("DescribeCompShareImages", { Limit = 4 })
    local items, errs = collect(iter)
    assert.equal(4, #items)
    assert.equal(1, #errs)
    assert.equal("api", errs[1].kind)
    assert.equal(8000, errs[1].code)
    assert.is_nil(iter())
    assert.is_nil(iter())
    assert.equal(2, #t.requests)
  end)

  it("reports bad params as a validation error without sending", function()
    local c, t = client_with()
    local items, errs = collect(c:paginate("DescribeCompShareImages", { Limit = 500 }))
    assert.equal(0, #items)
    assert.equal(1, #errs)
    assert.equal("validation", errs[1].kind)
    assert.equal(0, #t.requests)
  end)

  it("raises for an action that is not paginated or does not exist", function()
    local c = client_with()
    assert.has_error(function() c:paginate("StopCompShareInstance", {}) end,
      "compshare: StopCompShareInstance is not paginated")
    local ok, err = pcall(c.paginate, c, "DescribeCompShareImage", {})
    assert.is_false(ok)
    assert.matches('did you mean "DescribeCompShareImages"', err, 1, true)
  end)
end)
