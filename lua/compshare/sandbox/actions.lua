--- Every action of the spec, answered: the domain modules model the ones with
-- state or data (each handler gets the world and the typed, validated params
-- and returns the response fields or refuses); any other action is answered
-- from its response model. Documented response fields a handler leaves out
-- are filled from the model too, so every answer has the spec's shape.
local spec = require "compshare.spec"
local shape = require "compshare.sandbox.shape"

local actions = { handlers = {}, settlers = {}, modelled_by = {} }

actions.MODULES = { "instances", "instance_ops", "disks", "images", "publish", "teams", "ulhost", "offers" }

for _, name in ipairs(actions.MODULES) do
  local m = require("compshare.sandbox." .. name)
  for action, fn in pairs(m.actions) do
    assert(spec.actions[action], "compshare.sandbox." .. name .. " models an action the spec does not have: " .. action)
    assert(not actions.handlers[action], "two sandbox modules model " .. action)
    actions.handlers[action], actions.modelled_by[action] = fn, name
  end
  if m.settle then actions.settlers[#actions.settlers + 1] = m.settle end
end

--- Run `action` on world w with params p; returns the response fields.
function actions.run(w, action, p)
  local fn = actions.handlers[action]
  local now = w.now()
  if not fn then return shape.response(action, now) end
  local out = fn(w, p) or {}
  for _, f in ipairs(spec.actions[action].response or {}) do
    if out[f.name] == nil then out[f.name] = shape.value(f, now, 0) end
  end
  return out
end

return actions
