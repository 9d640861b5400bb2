-- Journals and specs an adversary would try: what is fingerprinted must be what
-- is run (a spec whose fields come from a metatable), a spec that cannot be
-- fingerprinted (a cycle through fields nobody validates, keys that are booleans
-- or tables, a shared subtable that doubles at each level), a journal edited by
-- hand (an entry set to null instead of removed), a misspelt spec field that
-- would leave a billed instance running. Each is refused with 0 requests, or
-- resumed exactly once; nothing raises.
local journal = require "compshare.journal"
local json_null = require("compshare.json").null
local runs = require "support.runs"
local workflow = require "compshare.workflow"

local function unsafe_calls(sb)
  return runs.count(sb, "CreateCompShareInstance") + runs.count(sb, "CreateCompShareCustomImage")
    + runs.count(sb, "PublishCompShareImage")
end

describe("journal fingerprints", function()
  after_each(runs.cleanup)

  it("refuses a journal of another spec whose fields come through __index", function()
    -- A spec built over a table of defaults (setmetatable({}, {__index = base})): the run
    -- reads its fields; the fingerprint must see the same fields, or a journal of one
    -- spec is taken for another's.
    local sb, path = runs.sandbox(), runs.journal_path()
    local first = setmetatable({}, { __index = runs.spec() })
    local crash = runs.crashing(sb, 12, "die")
    pcall(workflow.snapshot_and_publish, runs.client(crash), first, { journal = path })
    local calls = #sb.calls
    local other = setmetatable({}, { __index = runs.spec { cleanup = "terminate", image = { Name = "other-env" } } })
    local res, err = workflow.snapshot_and_publish(runs.client(sb), other, { journal = path })
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.equal(calls, #sb.calls)
    -- the plain spec (the same own fields as it fingerprints) still resumes the first run
    local plain = runs.spec()
    local done = assert(workflow.snapshot_and_publish(runs.client(sb), plain, { journal = path }))
    assert.same({}, runs.problems(sb, done, path))
  end)

  it("refuses, without raising or hanging, a spec that has no stable fingerprint", function()
    local sb = runs.sandbox()
    local c = runs.client(sb)
    local doubling = {}                        -- 2^40 paths through 40 shared tables
    local at = doubling
    for _ = 1, 40 do
      local n = {}
      at.a, at.b, at = n, n, n
    end
    local cyclic = {}
    cyclic.a, cyclic.b = cyclic, cyclic
    local bad = {
      runs.spec { instance = runs.with(runs.INSTANCE, { [true] = 1, [false] = 2 }) },
      runs.spec { image = { Name = "x", [{}] = 1, [{}] = 2 } },
    }
    for i, spec in ipairs(bad) do
      local ok, res, err = pcall(workflow.snapshot_and_publish, c, spec, { journal = runs.journal_path() })
      assert.is_true(ok, tostring(res))
      assert.is_nil(res, i)
      assert.equal("validation", err.kind, i)
      assert.equal("spec", err.step, i)
    end
    for i, params in ipairs { runs.with(runs.INSTANCE, { Disks = { doubling } }),
                              runs.with(runs.INSTANCE, { Disks = { cyclic } }),
                              runs.with(runs.INSTANCE, { [true] = 1, [false] = 2 }) } do
      local ok, res, err = pcall(workflow.create_instance, c, params, { journal = runs.journal_path() })
      assert.is_true(ok, tostring(res))
      assert.is_nil(res, i)
      assert.equal("validation", err.kind, i)
    end
    assert.equal(0, #sb.calls)
    assert.is_nil(journal.fingerprint(doubling))
    assert.matches("cyclic", select(2, journal.fingerprint(cyclic)))
    local deep_a, deep_b = "a", "b"
    for _ = 1, 40 do deep_a, deep_b = { deep_a }, { deep_b } end
    assert.is_nil(journal.fingerprint(deep_a))  -- not "..." for both: two different specs alike
    assert.is_nil(journal.fingerprint(deep_b))
    assert.equal(journal.fingerprint { [false] = 1, [true] = 2, x = 3, [1] = 4 },
      journal.fingerprint { x = 3, [1] = 4, [true] = 2, [false] = 1 })
  end)
end)

describe("a journal edited by hand", function()
  after_each(runs.cleanup)

  it("is refused, with 0 requests and no traceback, when an entry is null or of the wrong kind", function()
    local spec = runs.spec()
    local fp = journal.fingerprint(spec)
    local cases = {
      { instance_claim = json_null }, { UHostId = json_null }, { UHostId = "" }, { UHostId = 42 },
      { image_claim = "not-a-claim" }, { CompShareImageId = false }, { published = "yes" }, { stop_at = "soon" },
    }
    for i, entries in ipairs(cases) do
      local sb, path = runs.sandbox(), runs.journal_path()
      local state = { journal = 1, workflow = "snapshot_and_publish", fingerprint = fp }
      for k, v in pairs(entries) do state[k] = v end
      runs.write_journal(path, state)
      local ok, res, err = pcall(workflow.snapshot_and_publish, runs.client(sb), spec, { journal = path })
      assert.is_true(ok, tostring(res))
      assert.is_nil(res, i)
      assert.equal("validation", err.kind, i)
      assert.equal("journal", err.step, i)
      assert.matches("nothing was sent", err.message)
      assert.equal(0, #sb.calls, i)
    end
  end)

  it("resumes once the entry is removed, as the hint says", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local crash = runs.crashing(sb, 1, "before")   -- dies after the claim was written, before the create
    assert.has_error(function() workflow.snapshot_and_publish(runs.client(crash), runs.spec(), { journal = path }) end)
    local rec = runs.read_journal(path)
    assert.matches("^cs%-claim:", rec.instance_claim)
    rec.instance_claim = json_null                 -- "set to null" is refused, not taken for a claim
    runs.write_journal(path, rec)
    local _, err = workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path })
    assert.equal("journal", err.step)
    rec.instance_claim = nil
    runs.write_journal(path, rec)
    local res = assert(workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path }))
    assert.same({}, runs.problems(sb, res, path))
  end)
end)

describe("a snapshot_and_publish spec", function()
  after_each(runs.cleanup)

  it("with a misspelt field is refused before anything is sent (cleanup, max_lifetime)", function()
    local sb = runs.sandbox()
    for _, extra in ipairs { { clean_up = "stop" }, { max_lifetme = 600 }, { Cleanup = "stop" }, { [1] = "x" } } do
      local spec = runs.spec(extra)
      if not extra[1] then spec.cleanup = nil end
      local res, err = workflow.snapshot_and_publish(runs.client(sb), spec)
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.equal("spec", err.step)
      assert.matches("is not a field of the spec", err.message)
    end
    local _, err = workflow.snapshot_and_publish(runs.client(sb), runs.spec { clean_up = "stop" })
    assert.matches("did you mean cleanup", err.message)
    assert.equal(0, #sb.calls)
    assert.equal(0, unsafe_calls(sb))
  end)
end)
