-- The workflow journal (opts.journal): written atomically before each unsafe
-- call and after each outcome; a rerun resumes; a journal of another run is
-- refused before anything is sent; it never holds a secret. Also the claims
-- the creates carry, spec.max_lifetime, and a bad spec refused without a request.
local journal = require "compshare.journal"
local runs = require "support.runs"
local sandbox = require "compshare.sandbox"
local workflow = require "compshare.workflow"

local with, count = runs.with, runs.count

local function listed_instance(c, id)
  return assert(c:call("DescribeCompShareInstance", { UHostIds = { id } })).UHostSet[1]
end

local function listed_image(c, id)
  return assert(c:call("DescribeCompShareCustomImages", { CompShareImageId = id })).ImageSet[1]
end

local function unsafe_calls(sb)
  return count(sb, "CreateCompShareInstance") + count(sb, "CreateCompShareCustomImage")
    + count(sb, "PublishCompShareImage")
end

describe("compshare.journal", function()
  after_each(runs.cleanup)

  it("saves atomically: the whole new text replaces the old, and no temp file is left", function()
    for _, disk in ipairs { true, false } do
      local path = runs.journal_path(disk)
      local j = assert(journal.open(path, "fp", "test"))
      assert.is_nil(io.open(path, "rb"))   -- nothing is written before the first write
      assert(j:write("UHostId", "uhost-1", "instance_claim", "cs-claim:00"))
      assert(j:write("instance_claim", nil, "stop_at", 5))
      local rec = runs.read_journal(path)
      assert.same({ journal = 1, workflow = "test", fingerprint = "fp", UHostId = "uhost-1", stop_at = 5 }, rec)
      assert.is_nil(io.open(path .. ".tmp", "rb"))
      assert.equal(384, require("compshare.core").file_mode(path))   -- 0600
      j:close()                            -- a journal open is one run's until closed
      local again = assert(journal.open(path, "fp", "test"))
      again:close()
      assert.is_true(again.resumed)
      assert.equal("uhost-1", again.state.UHostId)
    end
  end)

  it("refuses a journal of another run, a file that is not a journal, and a bad path", function()
    local path = runs.journal_path()
    local first = assert(journal.open(path, "fp", "test"))
    assert(first:write("x", 1))
    first:close()
    local j, err = journal.open(path, "other", "test")
    assert.is_nil(j)
    assert.matches("written for another run", err)
    assert.is_nil(journal.open(path, "fp", "snapshot"))
    runs.write_journal(path, { hello = "world" })
    assert.matches("is not a compshare journal", select(2, journal.open(path, "fp", "test")))
    local f = assert(io.open(path, "wb")); f:write("{ half"); f:close()
    assert.matches("is not a compshare journal", select(2, journal.open(path, "fp", "test")))
    assert.matches("file path", select(2, journal.open("", "fp", "test")))
    assert.matches("file path", select(2, journal.open(42, "fp", "test")))
  end)

  it("reports a journal it cannot write", function()
    local j = assert(journal.open("/nonexistent-dir/run.json", "fp", "test"))
    local ok, err = j:write("x", 1)
    assert.is_nil(ok)
    assert.matches("cannot write the journal", err)
  end)

  it("fingerprints equal specs alike, whatever their key order, and ignores Password and metatables", function()
    local a = journal.fingerprint { instance = { GPU = 1, CPU = 16, Password = "one" }, cleanup = "stop" }
    local b = journal.fingerprint { cleanup = "stop", instance = { CPU = 16, GPU = 1, Password = "two" } }
    assert.equal(a, b)
    assert.matches("^%x+$", a)
    assert.equal(40, #a)
    assert.not_equal(a, journal.fingerprint { cleanup = "stop", instance = { CPU = 16, GPU = 2 } })
    local tricky = setmetatable({ cleanup = "stop", instance = { CPU = 16, GPU = 1 } },
      { __pairs = function() return next, {} end, __index = function() return "x" end })
    assert.equal(a, journal.fingerprint(tricky))
  end)
end)

describe("workflow with a journal", function()
  after_each(runs.cleanup)

  it("records ids, claims and steps, and never a key or a password", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local spec = runs.spec { instance = with(runs.INSTANCE, { Password = "s3cret-Passw0rd" }), max_lifetime = 3600 }
    local c = runs.client(sb)
    local res = assert(workflow.snapshot_and_publish(c, spec, { journal = path }))
    assert.equal(path, res.journal)
    local rec, text = runs.read_journal(path)
    assert.equal(res.UHostId, rec.UHostId)
    assert.equal(res.CompShareImageId, rec.CompShareImageId)
    assert.matches("^cs%-claim:%x+$", rec.instance_claim)
    assert.matches("^cs%-claim:%x+$", rec.image_claim)
    assert.is_true(rec.published and rec.publish_sent and rec.cleaned)
    assert.equal(journal.fingerprint(spec), rec.fingerprint)
    for _, secret in ipairs { "my_private_key", "s3cret-Passw0rd", "Password" } do
      assert.is_nil(text:find(secret, 1, true), secret)
    end
    assert.same({}, runs.problems(sb, res, path))
  end)

  it("carries its claims where the service lists them back, after the caller's own text", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local c = runs.client(sb)
    local id = assert(workflow.create_instance(c, runs.INSTANCE, { journal = path }))
    local claim = runs.read_journal(path).instance_claim
    assert.equal("driver:535 " .. claim, listed_instance(c, id).Remark)
    assert.equal("trainer", listed_instance(c, id).Name)
    local path2 = runs.journal_path()
    local img = assert(workflow.snapshot(c, id, { Name = "snap", Description = "mine" }, { journal = path2 }))
    local image_claim = runs.read_journal(path2).image_claim
    assert.equal("mine " .. image_claim, listed_image(c, img).Description)
    assert.equal("snap", listed_image(c, img).Name)
    assert.not_equal(claim, image_claim)
  end)

  it("resumes a finished run without sending anything that makes or publishes", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local first = assert(workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path }))
    local before = #sb.calls
    local again = assert(workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path }))
    assert.equal(first.UHostId, again.UHostId)
    assert.equal(first.CompShareImageId, again.CompShareImageId)
    assert.equal(3, unsafe_calls(sb))
    assert.equal(1, count(sb, "StopCompShareInstance"))
    for i = before + 1, #sb.calls do assert.matches("^[DG]e[st]", sb.calls[i].action) end   -- Describe*, Get*
    assert.is_true(again.steps[#again.steps].already)
  end)

  it("refuses a journal written for another spec, and sends nothing", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local t = runs.crashing(sb, 25, "die")
    assert.has_error(function() workflow.snapshot_and_publish(runs.client(t), runs.spec(), { journal = path }) end)
    local calls = #sb.calls
    local other = runs.spec { image = { Name = "another-env" } }
    local res, err = workflow.snapshot_and_publish(runs.client(sb), other, { journal = path })
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.equal("journal", err.step)
    assert.matches("written for another run", err.message)
    assert.equal(calls, #sb.calls)
    local _, e2 = workflow.create_instance(runs.client(sb), runs.INSTANCE, { journal = path })
    assert.matches("written for another run %(snapshot_and_publish", e2.message)
    assert.equal(calls, #sb.calls)
  end)

  it("sends nothing when the journal cannot be written before a create", function()
    local sb = runs.sandbox()
    local res, err = workflow.snapshot_and_publish(runs.client(sb), runs.spec(),
      { journal = "/nonexistent-dir/run.json" })
    assert.is_nil(res)
    assert.equal("workflow", err.kind)
    assert.equal("create_instance", err.step)
    assert.matches("cannot write the journal", err.message)
    assert.equal(0, #sb.calls)
    for _, bad in ipairs { "", 42, true } do
      local _, e = workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = bad })
      assert.equal("validation", e.kind)
      assert.equal("journal", e.step)
    end
    assert.equal(0, #sb.calls)
  end)

  it("does not send an in-flight create again when looking for it fails; a later run adopts it", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local t = runs.crashing(sb, 1, "die")
    assert.has_error(function() workflow.snapshot_and_publish(runs.client(t), runs.spec(), { journal = path }) end)
    assert.is_string(runs.read_journal(path).instance_claim)
    assert.is_nil(runs.read_journal(path).UHostId)
    sb.fail.actions = { DescribeCompShareInstance = { RetCode = 8000, Message = "try later", times = 1 } }
    local res, err = workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path })
    assert.is_nil(res)
    assert.equal("create_instance", err.step)
    assert.is_true(err.maybe_applied)
    assert.equal(8000, err.lookup_error.code)
    assert.matches("looking for the one whose Remark carries cs%-claim:%x+ failed", err.hint)
    assert.equal(1, count(sb, "CreateCompShareInstance"))
    res = assert(workflow.snapshot_and_publish(runs.client(sb), runs.spec(), { journal = path }))
    assert.is_true(res.steps[1].recovered)
    assert.same({}, runs.problems(sb, res, path))
  end)

  it("does not stop again an instance a killed cleanup stopped (no 8012)", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local first = runs.crashing(sb, math.huge, "die")
    assert(workflow.snapshot_and_publish(runs.client(first), runs.spec(), { journal = path }))
    local stop_at
    for i, call in ipairs(sb.calls) do if call.action == "StopCompShareInstance" then stop_at = i end end
    -- the same run again, killed right after its Stop was applied
    local sb2, path2 = runs.sandbox(), runs.journal_path()
    local t = runs.crashing(sb2, stop_at, "die")
    assert.has_error(function() workflow.snapshot_and_publish(runs.client(t), runs.spec(), { journal = path2 }) end)
    assert.equal("StopCompShareInstance", t.crashed_at)
    local res = assert(workflow.snapshot_and_publish(runs.client(sb2), runs.spec(), { journal = path2 }))
    assert.same({}, runs.problems(sb2, res, path2))
  end)

  it("does not stop again a Stopped instance it resumes with by id, without a journal", function()
    local sb = runs.sandbox()
    local c = runs.client(sb)
    local res = assert(workflow.snapshot_and_publish(c, runs.spec()))
    local again = assert(workflow.snapshot_and_publish(c, runs.spec {
      uhost_id = res.UHostId, image_id = res.CompShareImageId }))
    assert.equal(res.UHostId, again.UHostId)
    assert.equal(1, count(sb, "StopCompShareInstance"))
    assert.equal(1, count(sb, "PublishCompShareImage"))
  end)

  it("resumes the single steps from their journals", function()
    local sb = runs.sandbox()
    local ids = {}
    for _, case in ipairs {
      { action = "CreateCompShareInstance", run = function(c, p) return workflow.create_instance(c, runs.INSTANCE, p) end },
      { action = "CreateCompShareCustomImage", run = function(c, p)
          return workflow.snapshot(c, ids[1], { Name = "snap" }, p) end },
      { action = "PublishCompShareImage", run = function(c, p)
          return workflow.publish(c, ids[2], { Price = 0 }, p) end },
    } do
      local path = runs.journal_path()
      local before = count(sb, case.action)
      local t = runs.crashing(sb, 1, "die")   -- dies right after the step's first request was applied
      assert.has_error(function() case.run(runs.client(t), { journal = path }) end)
      assert.equal(case.action, t.crashed_at)
      local res = case.run(runs.client(sb), { journal = path })
      assert(res, case.action)
      assert.equal(before + 1, count(sb, case.action), case.action)
      ids[#ids + 1] = res
      if case.action == "PublishCompShareImage" then assert.is_true(res.already) end
    end
    local instances, images = runs.made(sb)
    assert.equal(1, instances)
    assert.equal(1, images)
    assert.equal("Reviewing", listed_image(runs.client(sb), ids[2]).Status)
  end)

  it("sets the stop scheduler as soon as the instance exists, so a dead run stops paying", function()
    local sb, path = runs.sandbox(), runs.journal_path()
    local t = runs.crashing(sb, 3, "die")   -- create, stop scheduler, then dies at the first poll
    assert.has_error(function()
      workflow.snapshot_and_publish(runs.client(t), runs.spec { max_lifetime = 600 }, { journal = path })
    end)
    assert.equal("UpdateCompShareStopScheduler", sb.calls[2].action)
    local rec = runs.read_journal(path)
    local c = runs.client(sb)
    local inst = listed_instance(c, rec.UHostId)
    assert.equal(rec.stop_at, inst.StopSchedulerTime)
    assert.equal(math.floor(sb.clock()) + 600, rec.stop_at)
    sb:advance(600 + runs.DURATIONS.instance_stop)
    assert.equal("Stopped", listed_instance(c, rec.UHostId).State)
  end)

  it("finishes README's snippet instantly on a sandbox client, on the sandbox's clock", function()
    local c, sb = sandbox.client { durations = runs.DURATIONS }
    local t0 = sb.clock()
    local sleeps, res = require("support.fixtures").real_sleeps(function()
      return workflow.snapshot_and_publish(c, runs.spec())
    end)
    assert(res)
    assert.matches("^uhost%-", res.UHostId)
    assert.is_true(sb.clock() - t0 >= runs.DURATIONS.instance_boot + runs.DURATIONS.image_make)
    assert.equal(0, sleeps)   -- no real sleep: the waits were on the sandbox's clock
  end)
end)

describe("a bad workflow spec", function()
  local BAD = {
    { "not a table", "spec must be a table" },
    { { uhost_id = "", image = { Name = "x" } }, "uhost_id must be a non%-empty string" },
    { { image_id = "" }, "image_id must be a non%-empty string" },
    { { uhost_id = 42, image = { Name = "x" } }, "uhost_id" },
    { { image = { Name = "x" } }, "spec needs instance" },
    { { instance = runs.INSTANCE }, "spec.image" },
    { runs.spec { instance = with(runs.INSTANCE, { MaxCount = 2 }) }, "MaxCount" },
    { runs.spec { cleanup = "delete" }, "cleanup" },
    { runs.spec { publish = "yes" }, "publish" },
    { runs.spec { max_lifetime = 0 }, "max_lifetime" },
    { runs.spec { max_lifetime = -60 }, "max_lifetime" },
    { runs.spec { max_lifetime = 0 / 0 }, "max_lifetime" },
    { runs.spec { max_lifetime = math.huge }, "max_lifetime" },
    { runs.spec { max_lifetime = "1h" }, "max_lifetime" },
    { runs.spec { instance = with(runs.INSTANCE, { GPU = 0 }) }, "spec.instance: GPU" },
    { runs.spec { instance = with(runs.INSTANCE, { CompShareImageId = "" }) }, "spec.instance: CompShareImageId" },
    { runs.spec { image = { Name = { "not", "a", "string" } } }, "spec.image: Name" },
    { runs.spec { publish = { Price = 0, Tags = { "a", "b", "c", "d" } } }, "spec.publish: Tags" },
    { runs.spec { publish = { Price = -1 } }, "spec.publish: Price" },
  }
  for i, case in ipairs(BAD) do
    it(("is refused with step spec and no request (%d: %s)"):format(i, case[2]), function()
      local sb = runs.sandbox()
      local ok, res, err = pcall(workflow.snapshot_and_publish, runs.client(sb), case[1])
      assert.is_true(ok, tostring(res))
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.equal("spec", err.step)
      assert.matches(case[2], err.message)
      assert.same({}, err.partial)
      assert.equal(0, #sb.calls)
    end)
  end
end)
