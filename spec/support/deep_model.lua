--- Synthetic models for the validator's cost: a chain of nested models (Deep1 holds a Deep2 in
-- Child, ... down to DeepN) against a flat list of the same number of objects. Both are
-- added to the generated spec's models while in use, then removed.
--   local deep = require "support.deep_model"
--   local action, params = deep.chain(20, { missing_leaf = true })
--   validate.check(action, params, {})
--   deep.remove()
local spec = require "compshare.spec"

local deep = {}
local added = {}

local function add_model(name, fields)
  spec.models[name] = { kind = "request", fields = fields }
  added[#added + 1] = name
end

--- A depth-n chain: the action's `Root` is a Deep1, Deep<i>.Child a Deep<i+1>, each with a
-- required Leaf. Returns the action's spec entry and params (the last Leaf left out when
-- opts.missing_leaf).
function deep.chain(n, opts)
  for i = 1, n do
    local fields = { { name = "Leaf", type = "string", required = true } }
    if i < n then fields[2] = { name = "Child", type = "object", model = "SyntheticDeep" .. (i + 1) } end
    add_model("SyntheticDeep" .. i, fields)
  end
  local root = {}
  local cur = root
  for i = 1, n do
    cur.Leaf = "leaf-" .. i
    if i < n then
      cur.Child = {}
      cur = cur.Child
    end
  end
  if opts and opts.missing_leaf then cur.Leaf = nil end
  local action = { name = "SyntheticChain" .. n, rules = {},
    request = { { name = "Root", type = "object", model = "SyntheticDeep1", required = true } } }
  return action, { Root = root }
end

--- n objects side by side: the action's `Items` is a list of n SyntheticFlat objects, each with
-- a required Leaf (the last one left out when opts.missing_leaf).
function deep.flat(n, opts)
  add_model("SyntheticFlat", { { name = "Leaf", type = "string", required = true } })
  local items = {}
  for i = 1, n do items[i] = { Leaf = "leaf-" .. i } end
  if opts and opts.missing_leaf then items[n].Leaf = nil end
  local action = { name = "SyntheticFlat" .. n, rules = {},
    request = { { name = "Items", type = "array-of-object", model = "SyntheticFlat", required = true } } }
  return action, { Items = items }
end

--- The number of calls of Lua functions fn() makes, or nil when it makes more than `limit` (then it
-- is stopped, so an exponential check fails fast instead of hanging).
function deep.calls(fn, limit)
  local n = 0
  if jit then jit.off() jit.flush() end   -- compiled code calls no hooks: count in the interpreter
  local getinfo = debug.getinfo
  debug.sethook(function()
    if getinfo(2, "S").what ~= "Lua" then return end   -- C functions are hooked differently by LuaJIT
    n = n + 1
    if n > limit then
      debug.sethook()
      error("call limit", 0)
    end
  end, "c")
  local ok, err = pcall(fn)
  debug.sethook()
  if jit then jit.on() end
  if not ok then
    if err == "call limit" then return nil end
    error(err, 0)
  end
  return n
end

function deep.remove()
  for _, name in ipairs(added) do spec.models[name] = nil end
  added = {}
end

return deep
