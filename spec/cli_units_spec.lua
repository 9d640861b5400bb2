-- The CLI's pure parts in process: --query paths, tables, wire-style paths, the consent keeper and
-- the spending guard on a transport, the option parser's refusals.
local query = require "compshare.cli.query"
local output = require "compshare.cli.output"
local consent = require "compshare.cli.consent"
local args = require "compshare.cli.args"
local errors = require "compshare.errors"

describe("cli.query", function()
  local res = { TotalCount = 2, UHostSet = {
    { UHostId = "u1", State = "Running", DiskSet = { { Size = 200 }, { Size = 100 } } },
    { UHostId = "u2", State = "Stopped", DiskSet = { { Size = 50 } } },
  } }

  it("follows names, [] projections (flattened when nested), [N] and .N from 0", function()
    assert.same({ "u1", "u2" }, (query.run("UHostSet[].UHostId", res)))
    assert.equal("u2", (query.run("UHostSet[1].UHostId", res)))
    assert.equal("u2", (query.run("UHostSet.1.UHostId", res)))
    assert.same({ 200, 100, 50 }, (query.run("UHostSet[].DiskSet[].Size", res)))
    assert.same({ { { Size = 200 }, { Size = 100 } }, { { Size = 50 } } }, (query.run("UHostSet[].DiskSet", res)))
    assert.equal(2, (query.run("TotalCount", res)))
    assert.is_nil((query.run("Nope.Deeper", res)))
    assert.is_nil((query.run("TotalCount.x", res)))      -- into a number: nothing
    assert.same({}, (query.run("UHostSet[].Nope", res)))
  end)

  it("refuses paths that do not parse, saying where", function()
    for _, bad in ipairs { "", "a..b", "a.", "[0]", "a[x]", "a[", "a b", ".a" } do
      local v, err = query.run(bad, res)
      assert.is_nil(v, bad)
      assert.is_string(err, bad)
    end
    local _, err = query.run("UHostSet[x]", res)
    assert.matches("character 9", err)
  end)
end)

describe("cli.output", function()
  it("writes Lua paths the wire's way, from 0, wherever they appear", function()
    assert.equal("Disks.0.Size", output.wire_path("Disks[1].Size"))
    assert.equal("A.9.B.0: bad", output.wire_path("A[10].B[1]: bad"))
    assert.equal("[may have been applied]", output.wire_path("[may have been applied]"))
  end)

  it("prints a multi-problem error as a head and one line per problem, once", function()
    local err = errors.validation("X", { { path = "Disks[1].Size", message = "must be >= 20" },
                                         { path = "Name", message = "too long" } })
    local lines = output.error_lines(err)
    assert.same({ "compshare-lua: validation error in X: 2 problems", "  Disks.0.Size: must be >= 20",
                  "  Name: too long" }, lines)
    assert.same({ "compshare-lua: validation error in X: Disks.0.Size: must be >= 20" },
      output.error_lines(errors.validation("X", { { path = "Disks[1].Size", message = "must be >= 20" } })))
    assert.same({ 'compshare-lua: profile "x" is nowhere' },
      output.error_lines(args.usage_error('compshare config: profile "x" is nowhere')))
  end)

  it("lays out tables: ids first, then names and states, padded by terminal columns (a CJK character takes two)", function()
    local items = { { Zone = "z", Name = "模型", UHostId = "u1", State = "Running", Disk = { 1 } },
                    { UHostId = "u22", Name = "b", State = "Stopped", Zone = "z", CPU = 16.0 } }
    assert.same({ "UHostId", "Name", "State", "CPU", "Zone" }, output.columns(items))
    assert.equal("UHostId  Name  State    CPU  Zone\n"
      .. "u1       模型  Running       z\n"
      .. "u22      b     Stopped  16   z\n", output.table(items))
    assert.equal("a\nb\n", output.table({ "a", "b" }))
    local text = output.response_table { TotalCount = 2.0, UHostSet = items, RetCode = 0, Action = "A" }
    assert.matches("^TotalCount: 2\n\nUHostSet %(2%)\nUHostId", text)
  end)
end)

describe("cli.consent", function()
  local spending, free = "CreateCompShareInstance", "DescribeCompShareImages"

  it("lets free actions through; asks once on a terminal; a yes covers the rest", function()
    local asked = 0
    local keep = consent.keeper { interactive = true, ask = function() asked = asked + 1 return " YES " end }
    assert.is_true(keep(free))
    assert.equal(0, asked)
    assert.is_true(keep(spending))
    assert.is_true(keep("ResizeCompShareInstance"))
    assert.equal(1, asked)
  end)

  it("refuses without a terminal unless --yes, and on any answer but yes (or end of input)", function()
    local ok, err = consent.keeper { interactive = false } (spending)
    assert.is_nil(ok)
    assert.equal(2, output.exit_code(err))
    assert.matches("nothing was sent", err.message)
    assert.is_true(consent.keeper { interactive = false, yes = true } (spending))
    for _, answer in ipairs { "n", "", "yes please", false } do
      ok = consent.keeper { interactive = true, ask = function() return answer or nil end } (spending)
      assert.is_nil(ok, tostring(answer))
    end
  end)

  it("guards a transport's calls and batches: a refused request never reaches it", function()
    local sent = {}
    local inner = setmetatable({ batch = function(reqs) sent[#sent + 1] = #reqs return {} end, extra = 7 },
      { __call = function(_, req) sent[#sent + 1] = req.action return { status = 200 } end })
    local guarded = consent.guard(inner, consent.keeper { interactive = false })
    assert.same({ status = 200 }, guarded { action = free })
    local ok, err = pcall(guarded, { action = spending })
    assert.is_false(ok)
    assert.is_true(errors.is(err))
    ok = pcall(guarded.batch, { { action = free }, { action = spending } })
    assert.is_false(ok)
    assert.same({ free }, sent)
    assert.equal(7, guarded.extra)
    local plain = consent.guard(function(req) return { action = req.action } end, consent.keeper { yes = true })
    assert.same({ action = spending }, plain { action = spending })
  end)
end)

describe("cli.args", function()
  it("refuses repeats, values on flags, unknown options and bad values", function()
    for _, argv in ipairs { { "--zone", "a", "--zone=b" }, { "--yes=1" }, { "--nope" }, { "--output", "xml" },
                            { "--timeout", "0" }, { "--timeout", "inf" }, { "--max-retries", "-1" }, { "-y", "--yes" },
                            { "--query" } } do
      local cmd, err = args.parse(argv)
      assert.is_nil(cmd, table.concat(argv, " "))
      assert.is_true(err.usage)
    end
    local cmd = assert(args.parse { "-y", "call", "X", "--timeout=2.5", "--max-retries", "3", "--output", "table" })
    assert.same({ yes = true, timeout = 2.5, ["max-retries"] = 3, output = "table" }, cmd.opts)
  end)
end)
