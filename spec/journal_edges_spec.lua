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

describe("one run per journal", function()
  after_each(runs.cleanup)

  -- A transport on sb that, at its n-th request, first runs `inside()` (another run
  -- started while this one is under way: a second cron job, a second nginx timer).
  local function meanwhile(sb, n, inside)
    local t = { sleep = sb.sleep, clock = sb.clock, requests = 0 }
    return setmetatable(t, { __call = function(_, req)
      t.requests = t.requests + 1
      if t.requests == n then t.inside = { inside() } end
      return sb(req)
    end })
  end

  it("refuses a second run on a journal a run is using, at every request of the first; 1 of each", function()
    local clean = runs.sandbox()
    assert(workflow.snapshot_and_publish(runs.client(clean), runs.spec(), { journal = runs.journal_path() }))
    for n = 1, #clean.calls do
      local sb, path = runs.sandbox(), runs.journal_path()
      local t = meanwhile(sb, n, function()
        local before = #sb.calls
        local res, err = workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path })
        return res, err, #sb.calls - before
      end)
      local res = assert(workflow.snapshot_and_publish(runs.client(t), runs.spec(), { journal = path }))
      local _, err, sent = table.unpack(t.inside, 1, 3)
      assert.is_table(err, "request " .. n)
      assert.equal("journal", err.step)
      assert.matches("in use by another run", err.message)
      assert.equal(0, sent, "request " .. n)
      assert.same({}, runs.problems(sb, res, path), "request " .. n)
      -- the lock went with the run: a rerun resumes it, with reads only
      assert(workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path }))
      assert.same({}, runs.problems(sb, res, path))
    end
  end)

  it("lets two runs interleaved on one journal (coroutines, a request each in turn) make one of each", function()
    -- Without the lock both worked on the same instance: the second adopted the first's
    -- create by its claim, then both made an image of it (the sandbox refused the second
    -- with 252 busy and the first run failed; the service might make two images).
    local sb, path = runs.sandbox(), runs.journal_path()
    local function stepping()
      return setmetatable({ sleep = sb.sleep, clock = sb.clock },
        { __call = function(_, req) coroutine.yield() return sb(req) end })
    end
    local function job()
      return coroutine.create(function()
        return workflow.snapshot_and_publish(runs.client(stepping()), runs.spec(), { journal = path })
      end)
    end
    local cos, out = { job(), job() }, {}
    for _ = 1, 1000 do
      local live = false
      for i, co in ipairs(cos) do
        if coroutine.status(co) ~= "dead" then
          live = true
          local r = { coroutine.resume(co) }
          assert.is_true(r[1], tostring(r[2]))
          if coroutine.status(co) == "dead" then out[i] = { r[2], r[3] } end
        end
      end
      if not live then break end
    end
    local res = assert(out[1][1], tostring(out[1][2]))
    assert.is_nil(out[2][1])
    assert.equal("journal", out[2][2].step)
    assert.same({}, runs.problems(sb, res, path))
  end)

  it("lets the next run in after a run raised, and after a kill -9 of the process holding it", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local crash = runs.crashing(sb, 3, "die")
    assert.has_error(function() workflow.snapshot_and_publish(runs.client(crash), runs.spec(), { journal = path }) end)
    local res = assert(workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path }))
    assert.same({}, runs.problems(sb, res, path))
    -- another process holds the lock (a run under way), then dies by kill -9
    local lua = jit and "luajit" or "lua5.4"
    local child, signal = os.tmpname(), os.tmpname()
    os.remove(signal)
    local f = assert(io.open(child, "w"))
    f:write("local core = require 'compshare.core'\n",
            "local l = assert(core.lock(arg[1]))\n",
            "local s = assert(io.open(arg[2], 'w')) s:write('held') s:close()\n",
            "core.sleep(20) l:unlock()\n")    -- bounded: killed long before
    f:close()
    local p = assert(io.popen(("LUA_CPATH='%s' %s %s %s.lock %s > /dev/null 2>&1 & echo $!")
      :format((package.cpath:gsub("'", "")), lua, child, path, signal)))
    local pid = p:read("*l")
    p:close()
    assert.matches("^%d+$", pid)
    local held
    for _ = 1, 400 do                         -- the child has the lock within a few ms; 20 s at most
      local sf = io.open(signal, "rb")
      if sf then sf:close() held = true break end
      os.execute("sleep 0.05")
    end
    os.remove(child)
    os.remove(signal)
    assert.is_true(held, "the child never held the lock")
    local refused, why = journal.open(path, journal.fingerprint(runs.spec()), "snapshot_and_publish")
    assert.is_nil(refused)
    assert.matches("in use by another run", why)
    os.execute("kill -9 " .. pid)
    local j
    for _ = 1, 200 do
      j = journal.open(path, journal.fingerprint(runs.spec()), "snapshot_and_publish")
      if j then break end
      os.execute("sleep 0.05")
    end
    assert.is_table(j, "the lock outlived its process")
    j:close()
  end)

  it("refuses to run unlocked when a symlink stands at the lock's path (0 requests)", function()
    -- O_NOFOLLOW makes the lock's open fail; that must be a refusal, not a run without a lock
    local sb, path = runs.sandbox(), runs.journal_path()
    local target = os.tmpname()
    assert(os.execute(("ln -s %s %s.lock"):format(target, path)))
    local res, err = workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path })
    os.remove(path .. ".lock")
    os.remove(target)
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.equal("journal", err.step)
    assert.matches("lock cannot be taken", err.message)
    assert.equal(0, #sb.calls)
  end)
end)
