--- Everything a careless debug print could show of a value: every string and
-- number reachable through table keys, values and metatables, plus the
-- tostring of each table (its __tostring if it has one). Function upvalues are
-- not followed (a closure-local secret is the documented design).
local function dump(v, out, seen)
  out, seen = out or {}, seen or {}
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "table" and not seen[v] then
    seen[v] = true
    out[#out + 1] = tostring(v)
    for k, val in pairs(v) do
      dump(k, out, seen)
      dump(val, out, seen)
    end
    dump(getmetatable(v), out, seen)
  end
  return out
end

return function(v)
  return table.concat(dump(v), "\n")
end
