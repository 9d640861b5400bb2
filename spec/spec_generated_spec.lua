-- The generated lua/compshare/spec.lua, checked against its source compshare.json.
local cjson = require "cjson"
local spec = require "compshare.spec"
local validate = require "compshare.validate"

local SHARED = os.getenv("SHARED") or "../shared"

local read = require("support.sh").read

local source = cjson.decode(read(SHARED .. "/api/compshare.json"))

describe("generated spec", function()
  it("has every action of compshare.json and no other", function()
    assert.equal(81, #source.actions)
    local names = {}
    for _, a in ipairs(source.actions) do
      names[a.name] = true
      assert.is_table(spec.actions[a.name], a.name)
    end
    local n = 0
    for name in pairs(spec.actions) do
      n = n + 1
      assert.is_true(names[name], name)
    end
    assert.equal(81, n)
    assert.equal(81, #spec.action_names)
  end)

  it("keeps every request and response field with its type", function()
    for _, a in ipairs(source.actions) do
      local mine = {}
      for _, f in ipairs(spec.actions[a.name].request) do mine[f.name] = f end
      for _, f in ipairs(a.request) do
        local m = mine[f.name]
        assert.is_table(m, a.name .. "." .. f.name)
        if f.seed_type then
          assert.equal(f.seed_type, m.type, a.name .. "." .. f.name)
        elseif m.numeric_string then
          assert.equal("string", f.type)
        else
          assert.equal(f.type, m.type, a.name .. "." .. f.name)
        end
        assert.equal(f.common, m.common)
      end
      local resp = {}
      for _, f in ipairs(spec.actions[a.name].response) do resp[f.name] = f.type end
      for _, f in ipairs(a.response) do assert.equal(f.type, resp[f.name], a.name .. " response " .. f.name) end
    end
  end)

  it("follows the seed page where it disagrees with the SDK, and says so", function()
    local create = spec.actions.CreateCompShareInstance
    local by = {}
    for _, f in ipairs(create.request) do by[f.name] = f end
    assert.is_nil(by.MachineType.required)
    assert.equal("G", by.MachineType.fill)
    assert.is_true(by.Disks.required)
    assert.is_true(by.Remark.seed_only)
    local text = table.concat(create.decisions, "\n")
    assert.matches("MachineType is optional", text)
    assert.matches("Disks is required", text)
    local publish = {}
    for _, f in ipairs(spec.actions.PublishCompShareImage.request) do publish[f.name] = f end
    assert.equal("bool", publish.AutoStart.type)
    for _, name in ipairs { "GroupId", "VersionName", "VersionDesc", "SupportedGpuTypes" } do
      assert.is_true(publish[name].seed_only, name)
    end
    assert.matches("Zone is optional", table.concat(spec.actions.PublishCompShareImage.decisions, "\n"))
  end)

  it("marks create, copy, publish and Go non-retryable actions unsafe to retry", function()
    local unsafe = 0
    for _, a in ipairs(source.actions) do
      local s = spec.actions[a.name]
      if a.go_retryable_default == false or a.name:match("^Create") or a.name:match("^Copy")
        or a.name:match("^Publish") then
        assert.is_false(s.retry_safe, a.name)
        assert.is_string(s.retry_reason)
      end
      if not s.retry_safe then unsafe = unsafe + 1 end
    end
    assert.is_false(spec.actions.ReinstallCompShareInstance.retry_safe)
    assert.is_true(spec.actions.DescribeCompShareInstance.retry_safe)
    assert.is_true(unsafe >= 7)
  end)

  it("copies the pagination info, including a missing total field", function()
    local n = 0
    for _, a in ipairs(source.actions) do
      if a.pagination then
        n = n + 1
        local p = spec.actions[a.name].pagination
        assert.equal(a.pagination.items, p.items)
        if a.pagination.total == cjson.null then assert.is_false(p.total) else assert.equal(a.pagination.total, p.total) end
      end
    end
    assert.equal(11, n)
    assert.is_false(spec.actions.DescribeULHostInstance.pagination.total)
  end)

  it("has only rule kinds the validator executes", function()
    for _, name in ipairs(spec.action_names) do
      for _, r in ipairs(spec.actions[name].rules) do
        assert.is_function(validate.RULES[r.kind], name .. " " .. r.kind)
      end
    end
  end)

  it("documents every action in docs/API.md", function()
    local doc = read("docs/API.md")
    for _, name in ipairs(spec.action_names) do
      assert.truthy(doc:find("\n## " .. name .. "\n", 1, true), name)
    end
  end)
end)

describe("generated spec: spending and field docs", function()

  it("marks the actions that cost money, with a reason, and no read", function()
    for _, name in ipairs { "CreateCompShareInstance", "CreateULHostInstance", "CreateCompShareCustomImage",
                            "CopyCompShareCustomImage", "ResizeCompShareInstance", "ResizeCompShareDisk",
                            "ReinstallCompShareInstance", "StartCompShareInstance" } do
      assert.is_true(spec.actions[name].spends, name)
      assert.is_string(spec.actions[name].spends_reason, name)
    end
    for _, name in ipairs(spec.action_names) do
      local verb = name:match("^(%u%l+)")
      if verb == "Describe" or verb == "Get" or verb == "Check" or verb == "List" then
        assert.is_false(spec.actions[name].spends, name)
      end
    end
    for _, name in ipairs { "StopCompShareInstance", "TerminateCompShareInstance", "PublishCompShareImage",
                            "CreateCompShareTeam" } do
      assert.is_false(spec.actions[name].spends, name)
    end
  end)

  it("carries field_docs.json: a summary per action, a description per field, nested paths too", function()
    local a = spec.actions.CreateCompShareInstance
    assert.matches("^Create a CompShare GPU instance", a.summary)
    local memory
    for _, f in ipairs(a.request) do if f.name == "Memory" then memory = f end end
    assert.matches("in MB", memory.doc)
    assert.matches("in GB", a.nested_docs["Disks.N.Size"])
    local ids
    for _, f in ipairs(a.response) do if f.name == "UHostIds" then ids = f end end
    assert.is_string(ids.doc)
    for _, name in ipairs(spec.action_names) do assert.is_string(spec.actions[name].summary, name) end
  end)
end)
