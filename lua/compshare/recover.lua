--- Look before trying again: a CreateCompShareInstance whose outcome is
-- unknown (err.maybe_applied) is not simply sent again. The instances named
-- like the new one are listed before the create; after an unknown outcome they
-- are listed again, and an instance that was not there before is the answer.
-- Only when none appeared is the create sent once more.
--
--   local recover = require "compshare.recover"
--   local res, err = recover.create_instance(client, params [, opts])
--   -- res.UHostIds; res.recovered == true when it was found rather than returned
local errors = require "compshare.errors"

local recover = {}

recover.SETTLE = 2   -- seconds to let a new instance show up before looking

--- The UHostIds of the instances called `name` (a list, in listing order), or nil, err.
-- where: Region/Zone/ProjectId to look in (nil: the client's).
function recover.instances_named(client, name, where)
  local params = { Limit = 100, Region = where.Region, Zone = where.Zone, ProjectId = where.ProjectId }
  local ids = {}
  for item, err in client:paginate("DescribeCompShareInstance", params) do
    if not item then return nil, err end
    if item.Name == name and item.UHostId then ids[#ids + 1] = item.UHostId end
  end
  return ids
end

--- The ids in `after` that are not in `before` (in `after`'s order).
local function new_ids(before, after)
  local known, out = {}, {}
  for _, id in ipairs(before) do known[id] = true end
  for _, id in ipairs(after) do
    if not known[id] then out[#out + 1] = id end
  end
  return out
end
recover.new_ids = new_ids

--- create_instance(client, params [, opts]) -> response, or nil, err.
-- params must have a Name (the instance is recognised by it).
-- opts: call_opts (for the create), settle (seconds to wait before looking again).
function recover.create_instance(client, params, opts)
  opts = opts or {}
  local action = "CreateCompShareInstance"
  if type(params) ~= "table" or type(params.Name) ~= "string" or params.Name == "" then
    return nil, errors.validation(action, { { path = "Name",
      message = "recover.create_instance needs a Name to recognise the instance by" } })
  end
  local before, lerr = recover.instances_named(client, params.Name, params)
  if not before then return nil, lerr end

  local res, err = client[action](client, params, opts.call_opts)
  if res or not err.maybe_applied then return res, err end

  client.sleep(opts.settle or recover.SETTLE)
  local after
  after, lerr = recover.instances_named(client, params.Name, params)
  if not after then
    err.lookup_error = lerr
    err.hint = ("the instance may exist; looking for %q failed (%s)"):format(params.Name, tostring(lerr))
    return nil, err
  end
  local found = new_ids(before, after)
  if #found > 0 then
    return { Action = action .. "Response", RetCode = 0, UHostIds = found, recovered = true }
  end
  return client[action](client, params, opts.call_opts)
end

return recover
