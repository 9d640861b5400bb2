-- The library's layers only point down: this spec reads every `require` (lazy ones inside
-- functions and pcall(require, ...) too) of every module under lua/compshare/ and fails on an
-- edge to a higher layer or on a cycle. A new module gets a layer in LAYERS below.
local LAYERS = {
  -- 1: leaves (compshare.core is the C module)
  { "compshare.core", "compshare.errors", "compshare.json", "compshare.log", "compshare.retry",
    "compshare.util", "compshare.config" },
  -- 2: transports (and the scripted stub, which is one)
  { "compshare.transport", "compshare.transport.*", "compshare.stub" },
  -- 3: the client: prepare, send, interpret
  { "compshare.client" },
  -- 4: the spec-driven layer: validation and the typed API
  { "compshare.spec", "compshare.validate", "compshare.api" },
  -- 5: built on the typed client
  { "compshare.batch", "compshare.wait", "compshare.workflow", "compshare.recover", "compshare.journal" },
  -- 6: require "compshare"
  { "compshare" },
  -- 7: the offline service (a transport for the client above, so above it)
  { "compshare.sandbox", "compshare.sandbox.*" },
  -- 8: the command line
  { "compshare.cli", "compshare.cli.*", "compshare.host" },
}

local function layer_of(name)
  for i, names in ipairs(LAYERS) do
    for _, pattern in ipairs(names) do
      if name == pattern or (pattern:sub(-2) == ".*" and name:sub(1, #pattern - 1) == pattern:sub(1, -2)) then
        return i
      end
    end
  end
end

--- Every module under lua/compshare: { name = path }.
local function modules()
  local out = {}
  local p = assert(io.popen("find lua/compshare -name '*.lua' | sort"))
  for path in p:lines() do
    local name = path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/", ".")
    name = name:gsub("%.init$", "")
    out[name] = path
  end
  p:close()
  return out
end

--- The source without comments (so a require in a comment is not an edge).
local function strip(src)
  src = src:gsub("%-%-%[(=*)%[.-%]%1%]", "")
  return (src:gsub("%-%-[^\n]*", ""))
end

local function code_of(path)
  local f = assert(io.open(path, "rb"))
  local src = f:read("a")
  f:close()
  return strip(src)
end

--- The compshare.* modules a source requires, directly or lazily. A name built at run time
-- from a literal prefix (require("compshare.sandbox." .. name)) stands for every module of
-- `all` under that prefix.
local function requires_of(src, all, self)
  local out, seen = {}, { [self or ""] = true }
  local function add(name)
    if name:find("^compshare") and name:sub(-1) ~= "." and not seen[name] then
      seen[name] = true
      out[#out + 1] = name
    end
  end
  for name in src:gmatch("require%s*%(?%s*[\"']([%w_.]+)[\"']") do add(name) end
  for name in src:gmatch("pcall%s*%(%s*require%s*,%s*[\"']([%w_.]+)[\"']") do add(name) end
  for prefix in src:gmatch("require%s*%(%s*[\"']([%w_.]+%.)[\"']%s*%.%.") do
    local names = {}
    for name in pairs(all or {}) do
      if name:sub(1, #prefix) == prefix then names[#names + 1] = name end
    end
    table.sort(names)
    for _, name in ipairs(names) do add(name) end
  end
  return out
end

local function graph()
  local edges, all = {}, modules()
  for name, path in pairs(all) do edges[name] = requires_of(code_of(path), all, name) end
  return edges
end

describe("the layering of lua/compshare", function()
  local edges = graph()

  it("finds the modules and their requires (including lazy ones)", function()
    assert.is_table(edges["compshare.client"])
    assert.is_table(edges["compshare.api"])
    local lazy = requires_of(code_of("lua/compshare/init.lua"))
    assert.is_true(#lazy >= 3)
    assert.same({ "compshare.x" }, requires_of("local function f() return require('compshare.x') end"))
    assert.same({ "compshare.y" }, requires_of("local ok, m = pcall(require, \"compshare.y\")"))
    assert.same({ "compshare.p.a", "compshare.p.b" }, requires_of("local m = require(\"compshare.p.\" .. name)",
      { ["compshare.p.a"] = 1, ["compshare.p.b"] = 1, ["compshare.q"] = 1 }))
    assert.same({}, requires_of(strip("x = 1 -- require 'compshare.z'\n--[[ require 'compshare.w' ]]")))
  end)

  it("gives every module a layer", function()
    local missing = {}
    for name in pairs(edges) do
      if not layer_of(name) then missing[#missing + 1] = name end
    end
    table.sort(missing)
    assert.same({}, missing, "add these modules to LAYERS in spec/layering_spec.lua")
  end)

  it("has no edge to a higher layer", function()
    local up = {}
    for name, deps in pairs(edges) do
      for _, dep in ipairs(deps) do
        local from, to = layer_of(name), layer_of(dep)
        if from and to and to > from then up[#up + 1] = ("%s (layer %d) -> %s (layer %d)"):format(name, from, dep, to) end
      end
    end
    table.sort(up)
    assert.same({}, up)
  end)

  it("has no cycle", function()
    local state, cycle = {}, nil
    local stack = {}
    local function visit(name)
      if state[name] == "done" or cycle then return end
      if state[name] == "open" then
        local from
        for i, n in ipairs(stack) do if n == name then from = i end end
        cycle = table.concat(stack, " -> ", from) .. " -> " .. name
        return
      end
      state[name] = "open"
      stack[#stack + 1] = name
      for _, dep in ipairs(edges[name] or {}) do visit(dep) end
      stack[#stack] = nil
      state[name] = "done"
    end
    local names = {}
    for name in pairs(edges) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do visit(name) end
    assert.is_nil(cycle)
  end)
end)

describe("the bare client", function()
  --- The compshare modules that requiring `name` loads, from a clean slate.
  local function loads(name)
    local saved = {}
    for k, v in pairs(package.loaded) do
      if k == "compshare" or (k:find("^compshare%.") and k ~= "compshare.core") then
        saved[k], package.loaded[k] = v, nil
      end
    end
    require(name)
    local got = {}
    for k in pairs(package.loaded) do
      if k == "compshare" or k:find("^compshare%.") then got[k] = true end
    end
    for k in pairs(got) do
      if k ~= "compshare.core" then package.loaded[k] = nil end
    end
    for k, v in pairs(saved) do package.loaded[k] = v end
    return got
  end

  it("loads neither the spec nor the layers above it", function()
    local got = loads("compshare.client")
    for _, above in ipairs { "compshare.spec", "compshare.validate", "compshare.api", "compshare.batch",
                             "compshare.workflow", "compshare" } do
      assert.is_nil(got[above], above .. " was loaded by require 'compshare.client'")
    end
  end)
end)

describe("the client class", function()
  local compshare = require "compshare"
  local Client = require "compshare.client"
  local c = compshare.new { public_key = "pub-key-0001", private_key = "priv-key-0001", region = "cn-wlcb",
    zone = "cn-wlcb-01", transport = require("compshare.stub").new {} }

  it("holds every typed method itself, installed once at load", function()
    local spec = require "compshare.spec"
    for _, name in ipairs(spec.action_names) do
      assert.is_function(rawget(Client, name), name)
      assert.equal(rawget(Client, name), c[name])
    end
    assert.is_function(rawget(Client, "paginate"))
    assert.is_function(rawget(Client, "batch"))
  end)

  it("keeps the client's Region/Zone/ProjectId in one plain table", function()
    assert.same({ Region = "cn-wlcb", Zone = "cn-wlcb-01" }, c.defaults)
    assert.is_nil(getmetatable(c.defaults))
  end)

  it("reads an unset lowercase field or a default's name as nil, without raising", function()
    assert.is_nil(c.logger)
    assert.is_nil(c.no_such_field)
    for _, name in ipairs { "Region", "Zone", "ProjectId" } do
      local ok, v = pcall(function() return c[name] end)
      assert.is_true(ok, v)
      assert.is_nil(v)
    end
  end)

  it("raises with the closest action for a misspelled one", function()
    local ok, err = pcall(function() return c.DescribeCompShareImage end)
    assert.is_false(ok)
    assert.matches('did you mean "DescribeCompShareImages"', err, 1, true)
  end)

  it("finds a typed method or a set field without its miss handler; a real miss calls it once", function()
    local mt = getmetatable(Client)
    local handler, misses = mt.__index, 0
    mt.__index = function(...) misses = misses + 1 return handler(...) end
    local m, t, d = c.CreateCompShareInstance, c.transport, c.defaults
    local before = misses
    local _ = c.logger
    mt.__index = handler
    assert.is_function(m)
    assert.is_table(t)
    assert.is_table(d)
    assert.equal(0, before)
    assert.equal(1, misses)
  end)
end)
