--- The FACTS.md signing vectors V1-V3 by name, from the specs' own list
-- (spec/support/vectors.lua), so both check against one copy.
local all = require "support.vectors"

local out = { private_key = "my_private_key" }
for i = 1, 3 do
  local v = all[i]
  assert(v.name:match("^V" .. i .. " "), "spec/support/vectors.lua: V" .. i .. " is not where it was")
  assert(v.private_key == out.private_key)
  out["V" .. i] = { params = v.params, signature = v.signature }
end
return out
