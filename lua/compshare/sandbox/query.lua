--- Filters and pages for Describe/List actions. Paging follows the action's
-- `pagination` entry in the spec (field names, default Limit); the validator
-- has already checked the ranges.
local spec = require "compshare.spec"
local world = require "compshare.sandbox.world"

local query = {}

local MATCH = {
  eq = function(field, want) return field == want end,
  any = function(field, want) return type(want) ~= "table" or world.contains(want, field) end,
  has = function(field, want) return type(field) == "table" and world.contains(field, want) end,
  sub = function(field, want)
    return type(field) == "string" and field:lower():find(tostring(want):lower(), 1, true) ~= nil
  end,
}

--- Items (field tables, or entities with .fields) matching every filter
-- ({param=, field=, match=}) whose param is present in p.
function query.filter(items, p, filters)
  local out = {}
  for _, item in ipairs(items) do
    local f = item.fields or item
    local keep = true
    for _, flt in ipairs(filters) do
      local want = p[flt.param]
      if want ~= nil and want ~= "" and not MATCH[flt.match](f[flt.field], want) then keep = false break end
    end
    if keep then out[#out + 1] = item end
  end
  return out
end

--- One page of items for `action` from p's offset/limit; returns page, total.
function query.page(action, p, items)
  local pg = spec.actions[action].pagination or {}
  local offset = tonumber(p[pg.offset or "Offset"]) or pg.offset_default or 0
  local limit = tonumber(p[pg.limit or "Limit"]) or pg.limit_default or 20
  local out = {}
  for i = offset + 1, math.min(#items, offset + limit) do out[#out + 1] = items[i] end
  return out, #items
end

--- Field tables of entities.
function query.fields(items)
  local out = {}
  for i, e in ipairs(items) do out[i] = e.fields or e end
  return out
end

--- Sort field tables by SortCondition { Field =, ASC = "true"|"false" } (Favor -> FavoritesCount).
local SORT_FIELD = { Favor = "FavoritesCount" }
function query.sort(items, cond)
  if type(cond) ~= "table" or not cond.Field then return items end
  local key = SORT_FIELD[cond.Field] or cond.Field
  local asc = tostring(cond.ASC):lower() == "true"
  table.sort(items, function(a, b)
    local x, y = (a.fields or a)[key] or 0, (b.fields or b)[key] or 0
    if asc then return x < y end
    return x > y
  end)
  return items
end

return query
