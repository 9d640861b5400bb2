--- One recovery rule for the whole library: a create whose outcome is unknown
-- (err.maybe_applied) is never sent again.
--
-- Each create carries a claim token ("cs-claim:" and 16 random hex digits) in a
-- field the service stores and lists back: an instance's Remark, an image's
-- Description (the caller's own text is kept, the token appended after a
-- space). After an unknown outcome the resources are listed and the one that
-- carries the token is the answer. None, or several: the create's error comes
-- back with maybe_applied = true and a hint that names what was found.
-- compshare.workflow uses this module for every create it sends.
--
--   local recover = require "compshare.recover"
--   local res, err = recover.create_instance(client, params [, opts])
--   -- res.UHostIds; res.recovered == true when it was found rather than returned
local errors = require "compshare.errors"

local recover = {}

recover.SETTLE = 2            -- seconds to let a new resource show up before looking for it
recover.PREFIX = "cs-claim:"  -- how a claim token starts

--- The creates that carry a claim: where the token goes and how the result is found.
recover.KINDS = {
  instance = { action = "CreateCompShareInstance", carrier = "Remark", list = "DescribeCompShareInstance",
               id = "UHostId", what = "instance",
               created = function(res) return type(res.UHostIds) == "table" and res.UHostIds[1] or nil end },
  image = { action = "CreateCompShareCustomImage", carrier = "Description", list = "DescribeCompShareCustomImages",
            id = "CompShareImageId", what = "image",
            created = function(res) return res.CompShareImageId end },
}

--- sleep, now, time for a run: opts.sleep/now/time, else the transport's
-- sleep/clock when it offers them (the sandbox's simulated time), else the
-- client's sleep (compshare.new{sleep=}), compshare.util.monotonic and os.time
-- (time: Unix seconds, for StopTime).
function recover.timing(client, opts)
  opts = opts or {}
  local t = type(client.transport) == "table" and client.transport or {}
  local clock = type(t.clock) == "function" and t.clock or nil
  local sleep = opts.sleep or (type(t.sleep) == "function" and t.sleep) or client.sleep
  local now, time = opts.now or clock, opts.time or clock or os.time
  if sleep and now then return sleep, now, time end
  local util = require "compshare.util"
  return sleep or util.sleep, now or util.monotonic, time
end

local function random_hex(bytes)
  local f = io.open("/dev/urandom", "rb")
  local raw = f and f:read(bytes)
  if f then f:close() end
  if not raw or #raw ~= bytes then
    raw = {}
    for i = 1, bytes do raw[i] = string.char(math.random(0, 255)) end
    raw = table.concat(raw)
  end
  return (raw:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

--- A new claim token.
function recover.new_claim()
  return recover.PREFIX .. random_hex(8)
end

--- A copy of params (raw keys) with the claim in the kind's carrier field,
-- after the caller's own text. A carrier that is not a string is left for the
-- validator to refuse.
function recover.claimed(kind, params, claim)
  local k = recover.KINDS[kind]
  local p = {}
  for key, v in next, params do p[key] = v end
  local own = p[k.carrier]
  if own == nil or own == "" then
    p[k.carrier] = claim
  elseif type(own) == "string" then
    p[k.carrier] = own .. " " .. claim
  end
  return p
end

local function carries(text, claim)
  if type(text) ~= "string" then return false end
  local at = text:find(claim, 1, true)
  return at ~= nil and not text:sub(at + #claim, at + #claim):match("%x")
end

--- The ids of the resources of `kind` whose carrier holds `claim` (every page),
-- and how many were listed; or nil, err. where: Region/Zone/ProjectId.
function recover.carrying(client, kind, claim, where)
  local k = recover.KINDS[kind]
  where = where or {}
  local params = { Limit = 100, Region = where.Region, Zone = where.Zone, ProjectId = where.ProjectId }
  local ids, listed, seen, repeats = {}, 0, {}, 0
  for item, err in client:paginate(k.list, params) do
    if not item then return nil, err end
    local id = item[k.id]
    -- A resource made or removed between two pages shifts the list: one listed twice is
    -- one resource. A whole page of repeats means the service ignores Offset: stop.
    if id == nil or not seen[id] then
      repeats = 0
      listed = listed + 1
      if id ~= nil then seen[id] = true end
      if carries(item[k.carrier], claim) and id then ids[#ids + 1] = id end
    else
      repeats = repeats + 1
      if repeats >= params.Limit then
        return nil, errors.new { kind = "workflow", action = k.list,
          message = ("%s repeats itself (%d %ss listed again in a row): the listing cannot be trusted")
            :format(k.list, repeats, k.what) }
      end
    end
  end
  return ids, listed
end

--- After a create whose outcome is unknown: wait `settle` seconds, then look
-- for the resource that carries `claim`. Returns its id, or nil, err where err
-- (the create's error) has maybe_applied = true, claim, found (the ids that
-- carry it) and a hint. Never sends the create.
-- opts: settle, sleep, where, retry_key (what to remove from the journal to send it again).
function recover.find(client, kind, claim, err, opts)
  local k = recover.KINDS[kind]
  opts = opts or {}
  local sleep = recover.timing(client, opts)
  sleep(opts.settle or recover.SETTLE)
  local ids, lerr = recover.carrying(client, kind, claim, opts.where)
  local listed = ids and lerr
  err.maybe_applied, err.claim = true, claim
  if ids and #ids == 1 then return ids[1] end
  local never = ("%s is never sent again"):format(k.action)
  if not ids then
    err.lookup_error = lerr
    err.hint = ("the %s may exist; looking for the one whose %s carries %s failed (%s); %s: run again to look again")
      :format(k.what, k.carrier, claim, tostring(lerr), never)
  elseif #ids == 0 then
    err.found = ids
    err.hint = ("no %s whose %s carries %s is listed (%d listed); %s: run again later to look again%s")
      :format(k.what, k.carrier, claim, listed, never, opts.retry_key
        and ("; if you know it was not made, remove %q from the journal"):format(opts.retry_key) or "")
  else
    err.found = ids
    err.hint = ("%d %ss carry %s in their %s (%s); adopt one yourself"):format(#ids, k.what, claim, k.carrier,
      table.concat(ids, ", "))
  end
  return nil, err
end

--- create(client, kind, params, opts) -> id, recovered | nil, err
-- Sends the kind's create once, carrying a claim (opts.claim, or a new one).
-- opts.before_send(claim) -> true | nil, err is called first (the journal is
-- written there; when it fails nothing is sent). Success returns the id; an
-- unknown outcome (maybe_applied, or an answer without the id) goes to
-- recover.find; a definite failure is returned as it is.
-- opts: as for find, plus call_opts (for the create).
function recover.create(client, kind, params, opts)
  local k = recover.KINDS[kind]
  opts = opts or {}
  local own = {}
  for key, v in next, params do own[key] = v end  -- raw, as what is sent is read
  params = own
  if kind == "instance" and params.MaxCount ~= nil and params.MaxCount ~= 1 then
    return nil, errors.validation(k.action, { { path = "MaxCount", message = "one instance per create here "
      .. "(its claim must name one instance); for several, call CreateCompShareInstance with MaxCount" } })
  end
  local claim = opts.claim or recover.new_claim()
  if opts.before_send then
    local ok, jerr = opts.before_send(claim)
    if not ok then return nil, jerr end
  end
  local res, err = client[k.action](client, recover.claimed(kind, params, claim), opts.call_opts)
  local id = res and k.created(res)
  if type(id) == "string" and id ~= "" then return id, false end
  if res then
    err = errors.new { kind = "decode", action = k.action, maybe_applied = true,
      message = ("%s answered without %s"):format(k.action, k.id) }
  end
  if not err.maybe_applied then return nil, err end
  local o = { settle = opts.settle, sleep = opts.sleep, retry_key = opts.retry_key,
              where = opts.where or { Region = params.Region, Zone = params.Zone, ProjectId = params.ProjectId } }
  local found, ferr = recover.find(client, kind, claim, err, o)
  if not found then return nil, ferr end
  return found, true
end

--- create_instance(client, params [, opts]) -> response, or nil, err.
-- CreateCompShareInstance carrying a claim in its Remark; after an unknown
-- outcome the one instance carrying the claim is returned as
-- { UHostIds = { id }, recovered = true }. Never sent twice.
-- opts: call_opts (for the create), settle, sleep, claim.
function recover.create_instance(client, params, opts)
  if type(params) ~= "table" then
    return nil, errors.validation("CreateCompShareInstance", { { path = "", message = "params must be a table" } })
  end
  local id, recovered = recover.create(client, "instance", params, opts)
  if not id then return nil, recovered end
  return { Action = "CreateCompShareInstanceResponse", RetCode = 0, UHostIds = { id }, recovered = recovered or nil }
end

return recover
