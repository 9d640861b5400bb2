-- A crash at every call boundary of snapshot_and_publish, then a resume from
-- the journal. For each N the run dies right after its N-th request was
-- applied by the sandbox and before the answer arrives (or the answer is lost
-- and the run lives on, or it dies just before the N-th request is sent). A new
-- client then runs the same spec with the same journal. Every N must end with
-- one instance, one image, one publish, one stop, the instance Stopped, the
-- image in review, and nothing else left in the sandbox.
local runs = require "support.runs"
local workflow = require "compshare.workflow"

local SPEC = runs.spec { max_lifetime = 7200 }
local TERMINATE = runs.spec { cleanup = "terminate" }
local UNSAFE = { CreateCompShareInstance = "instance_claim", CreateCompShareCustomImage = "image_claim",
                 PublishCompShareImage = "publish_sent" }

--- The number of requests of a run without a crash.
local function requests_of_a_clean_run(spec)
  local sb = runs.sandbox()
  local t = runs.crashing(sb, math.huge, "die")
  local path = runs.journal_path()
  local res = assert(workflow.snapshot_and_publish(runs.client(t), spec, { journal = path }))
  local problems = runs.problems(sb, res, path, spec.cleanup)
  assert(#problems == 0, table.concat(problems, "; "))
  return t.requests
end

local K, KT = requests_of_a_clean_run(SPEC), requests_of_a_clean_run(TERMINATE)

--- Run until the crash at request n, then resume. Returns sb, the resumed result
-- (or nil, err), the crashing transport and the journal path.
local function crash_and_resume(n, mode, spec)
  spec = spec or SPEC
  local sb, path = runs.sandbox(), runs.journal_path()
  local t = runs.crashing(sb, n, mode)
  local ok, res, err = pcall(workflow.snapshot_and_publish, runs.client(t), spec, { journal = path })
  if mode == "lost" then
    assert(ok, res)
  else
    assert(not ok and res == runs.CRASH, ("request %d: expected the crash, got %s"):format(n, tostring(res or err)))
  end
  local resumed, rerr = workflow.snapshot_and_publish(runs.client(sb), spec, { journal = path })
  return sb, resumed, rerr, t, path
end

describe("snapshot_and_publish killed at every call boundary, resumed from the journal", function()
  after_each(runs.cleanup)

  it("has a clean run of more than 20 requests to crash in", function()
    assert.is_true(K > 20, K .. " requests")
  end)

  for n = 1, K do
    it(("ends with one of everything and no orphan after a crash right after request %d of %d was applied"):format(n, K),
      function()
        local sb, res, err, t = crash_and_resume(n, "die")
        assert(res, ("request %d (%s): %s"):format(n, tostring(t.crashed_at), tostring(err)))
        assert.same({}, runs.problems(sb, res))
      end)

    it(("ends with one of everything when the answer to request %d was lost"):format(n), function()
      local sb, res, err, t = crash_and_resume(n, "lost")
      assert(res, ("request %d (%s): %s"):format(n, tostring(t.crashed_at), tostring(err)))
      assert.same({}, runs.problems(sb, res))
    end)

    it(("never sends request %d again when the run died just before sending it"):format(n), function()
      local sb, res, err, t, path = crash_and_resume(n, "before")
      local key = UNSAFE[t.crashed_at]
      if not key then
        assert(res, ("request %d (%s): %s"):format(n, tostring(t.crashed_at), tostring(err)))
        assert.same({}, runs.problems(sb, res))
        return
      end
      -- An unsafe call the journal says may have been sent: nothing is found, so it is not sent
      -- again; the run stops with maybe_applied and says what to remove from the journal.
      assert.is_nil(res)
      assert.is_true(err.maybe_applied)
      assert.matches(key, err.hint)
      assert.equal(0, runs.count(sb, t.crashed_at))
      local rec = runs.read_journal(path)
      rec[key] = nil
      runs.write_journal(path, rec)
      res = assert(workflow.snapshot_and_publish(runs.client(sb), SPEC, { journal = path }))
      assert.same({}, runs.problems(sb, res))
    end)
  end

  for n = 1, KT do
    it(("terminates once, after a crash right after request %d of %d was applied (cleanup = terminate)"):format(n, KT),
      function()
        local sb, res, err, t = crash_and_resume(n, "die", TERMINATE)
        assert(res, ("request %d (%s): %s"):format(n, tostring(t.crashed_at), tostring(err)))
        assert.same({}, runs.problems(sb, res, nil, "terminate"))
      end)
  end
end)
