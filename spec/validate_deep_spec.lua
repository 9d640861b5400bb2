-- validate's cost is linear in the size of the input: a chain of nested models 20 deep costs,
-- per object, what a flat list of as many objects costs, whether the check passes or finds a
-- missing field at the bottom. Measured in function calls, not time (no timed assertions).
local validate = require "compshare.validate"
local deep = require "support.deep_model"

local LIMIT = 200000   -- far above a linear check's count; an exponential one passes it at depth ~16

local function calls_for(action, params, expect_problem)
  local function check()
    local problems = validate.check(action, params, {})
    if expect_problem then
      assert(problems and #problems == 1, "expected one problem")
    else
      assert(problems == nil, problems and problems[1] and (problems[1].path .. ": " .. problems[1].message))
    end
  end
  -- the first check also compiles the models; the second is the one counted
  return deep.calls(check, LIMIT) and deep.calls(check, LIMIT)
end

describe("validate on a deep synthetic model", function()
  after_each(deep.remove)

  for _, missing in ipairs { false, true } do
    local what = missing and "with a missing leaf at the bottom" or "when all is well"
    it("checks a depth-20 chain in as many calls per object as a flat list of 20 " .. what, function()
      local chain_action, chain_params = deep.chain(20, { missing_leaf = missing })
      local flat_action, flat_params = deep.flat(20, { missing_leaf = missing })
      local chain = calls_for(chain_action, chain_params, missing)
      local flat = calls_for(flat_action, flat_params, missing)
      assert.is_number(chain, "the depth-20 chain took more than " .. LIMIT .. " calls")
      assert.is_number(flat)
      -- a problem's path is spelled out once: at most a call per level more than the flat list
      assert.is_true(chain <= flat + (missing and 20 or 0),
        ("chain %d calls, flat %d"):format(chain, flat))
    end)

    it("grows linearly with the depth " .. what, function()
      local counts = {}
      for _, n in ipairs { 5, 10, 20 } do
        local action, params = deep.chain(n, { missing_leaf = missing })
        counts[n] = calls_for(action, params, missing)
        assert.is_number(counts[n], "depth " .. n)
      end
      -- doubling the depth at most doubles the calls (plus a constant)
      assert.is_true(counts[20] - counts[10] <= 2 * (counts[10] - counts[5]) + 4,
        ("calls at depth 5/10/20: %d/%d/%d"):format(counts[5], counts[10], counts[20]))
    end)
  end

  it("reports the missing leaf at its full path", function()
    local action, params = deep.chain(20, { missing_leaf = true })
    local problems = validate.check(action, params, {})
    assert.equal("Root" .. (".Child"):rep(19) .. ".Leaf", problems[1].path)
    assert.equal("required field is missing", problems[1].message)
  end)

  it("bounds the work on a shared subtable (a DAG walked as a tree) by MAX_VALUES", function()
    local t = { x = true }
    for _ = 1, 25 do t = { a = t, b = t } end   -- 2^25 paths through 26 tables
    local saved = validate.MAX_VALUES
    validate.MAX_VALUES = 2000
    local problems
    local count = deep.calls(function()
      problems = validate.check("CheckCompShareResourceCapacity", { Extra = t }, { Region = "r" })
    end, 2000 * 50)
    validate.MAX_VALUES = saved
    assert.is_number(count, "the walk was not bounded")
    assert.equal(1, #problems)
    assert.matches("more than 2000 values in all", problems[1].message, 1, true)
  end)
end)
