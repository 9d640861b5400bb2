-- recover's lookup against a listing that moves or misbehaves: an instance made by
-- someone else between two pages shifts the list, so the instance at a page's end is
-- listed again at the next page's start (it is one instance, not two); a service that
-- ignores Offset gives the same page for ever (the lookup must end). The create is
-- sent once in every case.
local compshare = require "compshare"
local core = require "compshare.core"
local json = require "compshare.json"
local recover = require "compshare.recover"

local fixtures = require "support.fixtures"

local PARAMS = fixtures.named_instance()

-- Newest first, as a cloud lists them. The create is applied, then its answer lost.
-- opts.shift: after this many describes, someone else's instance is made (at the front).
-- opts.ignore_offset: every describe answers the first page, with a huge TotalCount.
local function service(existing, opts)
  local s = { list = {}, creates = 0, describes = 0 }
  for i = 1, existing do s.list[i] = { UHostId = "uhost-other-" .. i, Remark = "cs-claim:00" } end
  local function answer(data)
    data.RetCode = 0
    return { status = 200, headers = {}, body = assert(json.encode(data)) }
  end
  function s.transport(req)
    local p = core.form_decode(req.body)
    if p.Action == "DescribeCompShareInstance" then
      s.describes = s.describes + 1
      assert(s.describes <= 1000, "the lookup does not end")
      local offset, limit = tonumber(p.Offset) or 0, tonumber(p.Limit) or 20
      if opts.ignore_offset then offset = 0 end
      local page = {}
      for i = offset + 1, math.min(offset + limit, #s.list) do page[#page + 1] = s.list[i] end
      if s.describes == opts.shift then   -- made while this page was on its way
        table.insert(s.list, 1, { UHostId = "uhost-someone-else", Remark = "" })
      end
      local total = opts.ignore_offset and 1000000 or #s.list
      return answer { TotalCount = total, UHostSet = page }
    end
    s.creates = s.creates + 1
    table.insert(s.list, 1, { UHostId = "uhost-mine", Remark = p.Remark })
    return nil, { kind = "timeout", message = "timed out", sent = true }
  end
  return s
end

local function client_for(s)
  return compshare.new { public_key = "pk", private_key = "sk", region = "cn-wlcb", zone = "cn-wlcb-01",
    transport = s.transport, max_retries = 3, sleep = function() end }
end

describe("recover's lookup", function()
  it("adopts an instance the listing shows twice (the list shifted between pages) as the one it is", function()
    -- mine is made first, then 99 others in front of it: it ends page 1; one more instance
    -- after page 1 pushes it to the start of page 2 as well
    local s = service(0, { shift = 1 })
    function s.after_create()
      for i = 1, 99 do table.insert(s.list, 1, { UHostId = "uhost-later-" .. i, Remark = "" }) end
    end
    local transport = s.transport
    s.transport = function(req)
      local res, err = transport(req)
      if s.creates == 1 and not s.grown then s.grown = true s.after_create() end
      return res, err
    end
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(err and err.hint)
    assert.same({ "uhost-mine" }, res.UHostIds)
    assert.is_true(res.recovered)
    assert.equal(2, s.describes)
    assert.equal(1, s.creates)
  end)

  it("ends, without adopting or resending, when the service ignores Offset", function()
    local s = service(150, { ignore_offset = true })
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(res)
    assert.is_true(err.maybe_applied)
    assert.matches("repeat", tostring(err.lookup_error))
    assert.is_true(s.describes <= 3, s.describes)
    assert.equal(1, s.creates)
  end)
end)
