local compshare = require "compshare"
local core = require "compshare.core"
local sandbox = require "compshare.sandbox"
local stub = require "compshare.stub"
local workflow = require "compshare.workflow"

local CONTAINER = "compshareImage-sys-ubuntu2204-cuda121"
local VM = "compshareImage-sys-ubuntu2204-vm"
local DURATIONS = { instance_boot = 60, instance_start = 20, instance_stop = 15, instance_reboot = 30, image_make = 300 }

local INSTANCE = {
  CompShareImageId = CONTAINER, MachineType = "G", GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536,
  Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } },
}

--- A client on a fresh sandbox, and workflow options on its instant clock.
local function setup(opts)
  opts = opts or {}
  opts.durations = opts.durations or DURATIONS
  local c, sb = sandbox.client(opts)
  return c, sb, { sleep = sb.sleep, now = sb.clock }
end

local with, real_sleeps = require("support.fixtures").with, require("support.fixtures").real_sleeps

local function count(sb, action)
  local n = 0
  for _, call in ipairs(sb.calls) do if call.action == action then n = n + 1 end end
  return n
end

local function instance_state(c, id)
  local res = assert(c:call("DescribeCompShareInstance", { UHostIds = { id } }))
  return res.UHostSet[1] and res.UHostSet[1].State
end

local function image_status(c, id)
  local res = assert(c:call("DescribeCompShareCustomImages", { CompShareImageId = id }))
  return res.ImageSet[1] and res.ImageSet[1].Status
end

--- A full spec with `extra` merged in; names in `drop` are removed.
local function spec_for(extra, drop)
  local s = with({
    instance = INSTANCE,
    image = { Name = "my-env", Description = "pytorch ready" },
    publish = { Price = 0, Description = "shared env", Tags = { "demo" } },
    cleanup = "stop",
  }, extra)
  for _, name in ipairs(drop or {}) do s[name] = nil end
  return s
end

--- A stub client and fake time whose sleeps are recorded.
local function stubbed(answers)
  local t = stub.new(answers)
  local c = compshare.new { transport = t, public_key = "pk", private_key = "sk", region = "cn-wlcb", zone = "z" }
  local now, sleeps = 0, {}
  local opts = {
    now = function() return now end,
    sleep = function(s) sleeps[#sleeps + 1] = s; now = now + s end,
  }
  return c, t, opts, sleeps
end

local function described(id, state) return { UHostSet = { { UHostId = id, State = state } }, TotalCount = 1 } end

describe("compshare.workflow", function()
  describe("wait_instance", function()
    it("waits until Running, reporting each state once", function()
      local c, sb, opts = setup()
      local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
      local seen = {}
      local inst, err = workflow.wait_instance(c, id, "Running", with(opts, {
        on_progress = function(pct, info)
          assert.is_nil(pct)
          assert.equal("instance", info.what)
          assert.equal(id, info.id)
          seen[#seen + 1] = info.state
        end }))
      assert.is_nil(err)
      assert.equal("Running", inst.State)
      assert.same({ "Initializing", "Running" }, seen)
      assert.is_true(sb.clock() - 1767225600 >= DURATIONS.instance_boot)
    end)

    it("sleeps growth x the time waited, between interval and max_interval", function()
      local answers = {}
      for i = 1, 8 do answers[i] = described("u1", "Initializing") end
      answers[9] = described("u1", "Running")
      local c, t, opts, sleeps = stubbed(answers)
      local inst = assert(workflow.wait_instance(c, "u1", "Running",
        with(opts, { interval = 2, max_interval = 10, growth = 0.5 })))
      assert.equal("Running", inst.State)
      -- waited 0, 2, 4 s: interval; 6, 9, 13.5 s: half of it; 20.25 s and on: max_interval
      assert.same({ 2, 2, 2, 3, 4.5, 6.75, 10, 10 }, sleeps)
      assert.equal(0, t:remaining())
      assert.same({ "u1" }, { t.requests[1].params["UHostIds.0"] })
    end)

    it("accepts a list of target states", function()
      local c, _, opts = stubbed { described("u1", "Stopped") }
      assert.equal("Stopped", assert(workflow.wait_instance(c, "u1", { "Running", "Stopped" }, opts)).State)
    end)

    it("stops at once on Install Fail", function()
      local c, sb, opts = setup { fail = { instance = "Install Fail" } }
      local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
      local inst, err = workflow.wait_instance(c, id, "Running", opts)
      assert.is_nil(inst)
      assert.equal("workflow", err.kind)
      assert.equal("Install Fail", err.last_state)
      assert.matches("Install Fail", tostring(err))
      assert.is_true(sb.clock() - 1767225600 < DURATIONS.instance_boot + 20)
    end)

    it("times out with the last state", function()
      local c, sb, opts = setup { durations = with(DURATIONS, { instance_boot = 10000 }) }
      local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
      local start = sb.clock()
      local _, err = workflow.wait_instance(c, id, "Running", with(opts, { timeout = 120 }))
      assert.equal("workflow", err.kind)
      assert.equal(120, err.timeout)
      assert.equal("Initializing", err.last_state)
      assert.matches("timed out after 120s", err.message)
      assert.equal(120, sb.clock() - start)
    end)

    it("reports an instance that disappears", function()
      local c, _, opts = stubbed { described("u1", "Initializing"), { UHostSet = {}, TotalCount = 0 },
        { UHostSet = {}, TotalCount = 0 } }
      local _, err = workflow.wait_instance(c, "u1", "Running", opts)
      assert.equal("workflow", err.kind)
      assert.is_true(err.disappeared)
      assert.matches("disappeared", err.message)
    end)

    it("rides out transient failures but not too many", function()
      local c, _, opts = stubbed { { status = 503, body = "busy" }, { error = { kind = "timeout", message = "slow" } },
        described("u1", "Running") }
      assert.equal("Running", assert(workflow.wait_instance(c, "u1", "Running", opts)).State)
      local c2, _, opts2 = stubbed { { status = 503 }, { status = 503 }, { status = 503 } }
      local _, err = workflow.wait_instance(c2, "u1", "Running", with(opts2, { poll_errors = 2 }))
      assert.equal("http", err.kind)
      assert.equal(503, err.code)
    end)

    it("returns a non-retryable call failure as it is", function()
      local c, t, opts = stubbed { { RetCode = 230, Message = "bad zone" } }
      local _, err = workflow.wait_instance(c, "u1", "Running", opts)
      assert.equal("api", err.kind)
      assert.equal(230, err.code)
      assert.equal(1, #t.requests)
    end)

    it("raises on programming mistakes", function()
      local c = setup()
      assert.has_error(function() workflow.wait_instance(nil, "u1", "Running") end)
      assert.has_error(function() workflow.wait_instance(c, nil, "Running") end)
      assert.has_error(function() workflow.wait_instance(c, "u1") end)
    end)
  end)

  describe("wait_image", function()
    local function making(c, sb)
      local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
      sb:advance(DURATIONS.instance_boot)
      return assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "img" })).CompShareImageId, id
    end

    it("waits until Available, reporting rising percentages", function()
      local c, sb, opts = setup()
      local img = making(c, sb)
      local pcts = {}
      local image = assert(workflow.wait_image(c, img, with(opts, {
        on_progress = function(pct, info)
          assert.equal("image", info.what)
          pcts[#pcts + 1] = pct
        end })))
      assert.equal("Available", image.Status)
      assert.is_true(#pcts >= 3)
      for i = 2, #pcts do assert.is_true(pcts[i] > pcts[i - 1]) end
      assert.equal(100, pcts[#pcts])
    end)

    it("fails with the FailedReason when the image ends UnAvailable", function()
      local c, sb, opts = setup { fail = { image = { reason = "disk quota exceeded", at = 30 } } }
      local img = making(c, sb)
      local last
      local _, err = workflow.wait_image(c, img, with(opts, { on_progress = function(p) last = p end }))
      assert.equal("workflow", err.kind)
      assert.equal("UnAvailable", err.last_state)
      assert.matches("disk quota exceeded", err.message)
      assert.is_nil(last)
    end)

    it("times out", function()
      local c, sb, opts = setup()
      local img = making(c, sb)
      local _, err = workflow.wait_image(c, img, with(opts, { timeout = 60 }))
      assert.equal("workflow", err.kind)
      assert.equal("Making", err.last_state)
      assert.matches("timed out", err.message)
    end)

    it("reports an image that disappears while it is made", function()
      local c, sb, opts = setup()
      local img = making(c, sb)
      local polls = 0
      local _, err = workflow.wait_image(c, img, with(opts, { on_progress = function()
        polls = polls + 1
        if polls == 2 then assert(c:call("TerminateCompShareCustomImage", { CompShareImageId = img })) end
      end }))
      assert.equal("workflow", err.kind)
      assert.is_true(err.disappeared)
    end)

    it("fails on a status that is neither Making nor a target", function()
      local c, t, opts = stubbed { { Process = 100 },
        { ImageSet = { { CompShareImageId = "i1", Status = "Offline" } }, TotalCount = 1 } }
      local _, err = workflow.wait_image(c, "i1", opts)
      assert.matches("is Offline; expected Available", err.message)
      assert.equal(0, t:remaining())
    end)
  end)

  describe("how often the waits poll", function()
    --- A client on a fake image service and fake time: progress(t) gives the
    -- GetCompShareImageCreateProgress answer, status(t) the image's Status.
    local function image_service(progress, status)
      local now, calls, sleeps = 0, {}, {}
      local function send(req)
        local action = core.form_decode(req.body).Action
        calls[#calls + 1] = action
        if action == "GetCompShareImageCreateProgress" then return stub.answer(progress(now), req) end
        return stub.answer({ ImageSet = { { CompShareImageId = "i1", Status = status(now) } }, TotalCount = 1 }, req)
      end
      local c = compshare.new { transport = send, public_key = "pk", private_key = "sk", region = "r", zone = "z" }
      local opts = { now = function() return now end,
                     sleep = function(s) sleeps[#sleeps + 1] = s; now = now + s end }
      return c, opts, calls, sleeps
    end

    local function linear(total)
      return function(t) return { Process = math.min(100, t / total * 100) } end,
             function(t) return t >= total and "Available" or "Making" end
    end

    local P, D = "GetCompShareImageCreateProgress", "DescribeCompShareCustomImages"

    it("polls only the progress of a Making image, sleeping until the finish its rate predicts", function()
      local c, opts, calls, sleeps = image_service(linear(400))
      local image = assert(workflow.wait_image(c, "i1", opts))
      assert.equal("Available", image.Status)
      -- 0.5 % after 2 s predicts 398 s more, but the look-ahead is at most 2 x the time waited
      -- and at most max_interval (120 s); at 70.5 % after 282 s, 118 s are left
      assert.same({ 2, 4, 12, 36, 108, 120, 118 }, sleeps)
      assert.same({ P, P, P, P, P, P, P, P, D }, calls)
    end)

    it("keeps every sleep within interval and max_interval", function()
      local c, opts, calls, sleeps = image_service(linear(400))
      assert(workflow.wait_image(c, "i1", with(opts, { max_interval = 50, interval = 3, lookahead = 1 })))
      assert.same({ 3, 3, 6, 12, 24, 48, 50, 50, 50, 50, 50, 50, 4 }, sleeps)
      assert.equal(#sleeps + 2, #calls)  -- a progress poll before each sleep and after the last, one status check
      assert.equal(D, calls[#calls])
    end)

    it("confirms the status when the progress stalls, fails, goes back or says nothing is left", function()
      local making = { ImageSet = { { CompShareImageId = "i1", Status = "Making" } }, TotalCount = 1 }
      local c, t, opts = stubbed {
        { Process = 10 }, { Process = 20 },
        { Process = 20 }, making,                               -- stalled after rising
        { RetCode = 8000, Message = "try later" }, making,      -- the progress call failed
        { Process = 5 }, making,                                -- went back
        { Process = 50, RemainingDuration = "0" },              -- not done, yet nothing left
        { ImageSet = { { CompShareImageId = "i1", Status = "UnAvailable", FailedReason = "disk full" } } },
      }
      local _, err = workflow.wait_image(c, "i1", opts)
      assert.equal("workflow", err.kind)
      assert.matches("UnAvailable %(disk full%)", err.message)
      assert.equal(0, t:remaining())
    end)

    it("checks the status of an image whose progress never moves on every second poll", function()
      local c, t, opts = stubbed { { Process = 0 }, { Process = 0 }, { Process = 0 },
        { ImageSet = { { CompShareImageId = "i1", Status = "UnAvailable" } } } }
      local _, err = workflow.wait_image(c, "i1", opts)
      assert.equal("UnAvailable", err.last_state)
      assert.equal(0, t:remaining())
    end)

    -- calls and lateness bounds for the sandbox, whose Process is a whole number (1 % steps)
    for _, case in ipairs { { make = 30, calls = 6 }, { make = 120, calls = 7 }, { make = 1800, calls = 31 },
                            { make = 3000, calls = 45 } } do
      it(("notices an image made in %ds within one percent step, in at most %d calls"):format(case.make, case.calls),
        function()
          local c, sb, opts = setup { durations = with(DURATIONS, { image_make = case.make }) }
          local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
          sb:advance(DURATIONS.instance_boot)
          local img = assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "img" })).CompShareImageId
          local start, before = sb.clock(), #sb.calls
          assert(workflow.wait_image(c, img, opts))
          local late = sb.clock() - start - case.make
          assert.is_true(late >= 0 and late <= math.max(2, case.make / 100), "late by " .. late)
          assert.is_true(#sb.calls - before <= case.calls, (#sb.calls - before) .. " calls")
          assert.equal("DescribeCompShareCustomImages", sb.calls[#sb.calls].action)
        end)
    end

    it("notices a Running instance at most growth x the wait late, in calls growing with the log of it", function()
      for _, boot in ipairs { 10, 60, 300, 800 } do
        local c, sb, opts = setup { durations = with(DURATIONS, { instance_boot = boot }) }
        local id = assert(c:call("CreateCompShareInstance", INSTANCE)).UHostIds[1]
        local start, before = sb.clock(), #sb.calls
        assert(workflow.wait_instance(c, id, "Running", opts))
        local late, calls = sb.clock() - start - boot, #sb.calls - before
        assert.is_true(late <= math.max(2, 0.2 * boot), ("boot %d: late by %g"):format(boot, late))
        -- 2 s polls for the first 10 s, then each sleep 1.2 x the last
        local bound = 6 + math.ceil(math.log(boot / 10) / math.log(1.2))
        assert.is_true(calls <= bound, ("boot %d: %d calls, bound %d"):format(boot, calls, bound))
      end
    end)
  end)

  describe("create_instance, snapshot, publish", function()
    it("create_instance returns a Running instance", function()
      local c, sb, opts = setup()
      local id, inst = workflow.create_instance(c, INSTANCE, opts)
      assert.matches("^uhost%-", id)
      assert.equal("Running", inst.State)
      assert.equal(1, count(sb, "CreateCompShareInstance"))
    end)

    it("create_instance reports a create with an unknown outcome that made nothing, without repeating it", function()
      local c, sb, opts = setup { fail = { actions = { CreateCompShareInstance = {
        error = { kind = "transport", message = "connection reset", sent = true } } } } }
      local id, err = workflow.create_instance(c, INSTANCE, opts)
      assert.is_nil(id)
      assert.equal("transport", err.kind)
      assert.is_true(err.maybe_applied)
      assert.matches("no instance whose Remark carries cs%-claim:%x+ is listed", err.hint)
      assert.matches("never sent again", err.hint)
      assert.equal(1, count(sb, "CreateCompShareInstance"))
      assert.equal(0, assert(c:call("DescribeCompShareInstance", {})).TotalCount)
    end)

    describe("an instance whose create had an unknown outcome", function()
      local NAMED = with(INSTANCE, { Name = "trainer" })
      -- the sandbox's failure injection: the next create times out, after doing its work when `apply`
      local function lost_create(apply)
        return { CreateCompShareInstance = {
          error = { kind = "timeout", message = "no answer", sent = true }, apply = apply, times = 1 } }
      end

      it("is found by its claim and waited for, without a second create", function()
        local c, sb, opts = setup()
        assert(c:call("CreateCompShareInstance", with(INSTANCE, { Name = "other" })))
        sb.fail.actions = lost_create(true)
        local id, inst = workflow.create_instance(c, NAMED, opts)
        assert.matches("^uhost%-", id)
        assert.equal("Running", inst.State)
        assert.equal("trainer", inst.Name)
        assert.equal(2, count(sb, "CreateCompShareInstance"))   -- "other", and the lost one
        assert.equal(2, assert(c:call("DescribeCompShareInstance", {})).TotalCount)
      end)

      it("is not mistaken for an older instance with the same Name", function()
        local c, sb, opts = setup()
        local old = assert(c:call("CreateCompShareInstance", NAMED)).UHostIds[1]
        sb.fail.actions = lost_create(false)
        local id, err = workflow.create_instance(c, NAMED, opts)
        assert.is_nil(id)
        assert.is_true(err.maybe_applied)
        assert.matches("no instance whose Remark carries cs%-claim:%x+ is listed %(1 listed%)", err.hint)
        assert.not_matches(old, err.hint)
        assert.equal(2, count(sb, "CreateCompShareInstance"))
      end)

      it("stops when more than one instance carries its claim", function()
        local claim
        local c, t, opts, sleeps = stubbed {
          function(req)
            claim = req.params.Remark
            return { error = { kind = "timeout", message = "slow", sent = true } }
          end,
          function()
            return { UHostSet = { { UHostId = "u0", Name = "trainer" }, { UHostId = "u1", Remark = claim },
              { UHostId = "u2", Remark = "mine " .. claim } }, TotalCount = 3 }
          end }
        local _, err = workflow.create_instance(c, NAMED, opts)
        assert.equal("timeout", err.kind)
        assert.matches("^cs%-claim:%x+$", claim)
        assert.matches("2 instances carry cs%-claim:%x+ in their Remark %(u1, u2%)", err.hint)
        assert.same({ require("compshare.recover").SETTLE }, sleeps)
        assert.equal(0, t:remaining())
      end)

      it("lets snapshot_and_publish go on with it", function()
        local c, sb, opts = setup { fail = { actions = lost_create(true) } }
        local res = assert(workflow.snapshot_and_publish(c, spec_for { instance = NAMED }, opts))
        assert.is_true(res.steps[1].recovered)
        assert.equal(res.UHostId, res.steps[1].UHostId)
        assert.equal(1, count(sb, "CreateCompShareInstance"))
        assert.equal("Reviewing", image_status(c, res.CompShareImageId))
      end)
    end)

    it("create_instance names the instance when the wait fails", function()
      local c, _, opts = setup { fail = { instance = "Install Fail" } }
      local _, err = workflow.create_instance(c, INSTANCE, opts)
      assert.equal("workflow", err.kind)
      assert.matches("^uhost%-", err.partial.UHostId)
    end)

    it("create_instance makes exactly one instance", function()
      local c, sb = setup()
      local _, err = workflow.create_instance(c, with(INSTANCE, { MaxCount = 2 }))
      assert.equal("validation", err.kind)
      assert.equal(0, count(sb, "CreateCompShareInstance"))
    end)

    it("snapshot returns an Available image, and names it when the wait fails", function()
      local c, _, opts = setup()
      local uhost = assert(workflow.create_instance(c, INSTANCE, opts))
      local img, image = workflow.snapshot(c, uhost, { Name = "snap" }, opts)
      assert.equal("Available", image.Status)
      assert.equal(img, image.CompShareImageId)
      local _, err = workflow.snapshot(c, uhost, { Name = "snap2" }, with(opts, { image_timeout = 30 }))
      assert.equal("workflow", err.kind)
      assert.matches("^compshareImage%-", err.partial.CompShareImageId)
    end)

    it("snapshot passes the service's refusal through", function()
      local c, sb, opts = setup()
      local uhost = assert(workflow.create_instance(c, INSTANCE, opts))
      assert(c:call("StopCompShareInstance", { UHostId = uhost }))
      sb:advance(DURATIONS.instance_stop)
      local _, err = workflow.snapshot(c, uhost, { Name = "snap" }, opts)
      assert.equal("api", err.kind)
      assert.equal(sandbox.CODES.wrong_state, err.code)
    end)

    it("publish moves the image to Reviewing", function()
      local c, _, opts = setup()
      local uhost = assert(workflow.create_instance(c, INSTANCE, opts))
      local img = assert(workflow.snapshot(c, uhost, { Name = "snap" }, opts))
      assert(workflow.publish(c, img, { Price = 0 }))
      assert.equal("Reviewing", image_status(c, img))
      local _, err = workflow.publish(c, img, { Price = 0 })
      assert.equal("api", err.kind)
    end)
  end)

  describe("snapshot_and_publish", function()
    it("creates, snapshots, publishes and stops, instantly", function()
      local c, sb, opts = setup()
      local names = {}
      local sleeps, res, err = real_sleeps(function()
        return workflow.snapshot_and_publish(c, spec_for(), with(opts, {
          on_step = function(name) names[#names + 1] = name end }))
      end)
      assert.is_nil(err)
      assert.matches("^uhost%-", res.UHostId)
      assert.matches("^compshareImage%-", res.CompShareImageId)
      local steps = {}
      for i, s in ipairs(res.steps) do steps[i] = s.step end
      assert.same({ "create_instance", "wait_instance", "snapshot", "wait_image", "publish", "cleanup" }, steps)
      assert.same(steps, names)
      assert.equal("Reviewing", image_status(c, res.CompShareImageId))
      assert.equal("Stopped", instance_state(c, res.UHostId))
      assert.is_true(sb.clock() - 1767225600 >= DURATIONS.instance_boot + DURATIONS.image_make)
      assert.equal(0, sleeps)   -- every wait was on the sandbox's clock
    end)

    it("terminates the instance, or leaves it running", function()
      local c, _, opts = setup()
      local res = assert(workflow.snapshot_and_publish(c, spec_for { cleanup = "terminate" }, opts))
      assert.is_nil(instance_state(c, res.UHostId))
      local c2, _, opts2 = setup()
      local res2 = assert(workflow.snapshot_and_publish(c2, spec_for(nil, { "cleanup", "publish" }), opts2))
      assert.equal("Running", instance_state(c2, res2.UHostId))
      assert.equal("Available", image_status(c2, res2.CompShareImageId))
      assert.equal(4, #res2.steps)
    end)

    local function fails_at(step, setup_opts, spec_extra, wf_opts)
      local c, sb, opts = setup(setup_opts)
      local res, err = workflow.snapshot_and_publish(c, spec_for(spec_extra), with(opts, wf_opts))
      assert.is_nil(res)
      assert.equal(step, err.step)
      assert.is_table(err.partial)
      return err, c, sb, opts
    end

    it("fails at create_instance with nothing made", function()
      local err = fails_at("create_instance",
        { fail = { actions = { CreateCompShareInstance = { RetCode = 8000, Message = "sold out" } } } })
      assert.equal("api", err.kind)
      assert.equal(8000, err.code)
      assert.same({}, err.partial)
      assert.matches("at step create_instance", tostring(err))
    end)

    it("stops when a create may have been applied and nothing carries its claim, and never repeats it", function()
      local err, c, sb = fails_at("create_instance", { fail = { actions = { CreateCompShareInstance = {
        error = { kind = "timeout", message = "no answer", sent = true } } } } })
      assert.is_true(err.maybe_applied)
      assert.matches("never sent again", err.hint)
      assert.equal(1, count(sb, "CreateCompShareInstance"))
      assert.equal(0, assert(c:call("DescribeCompShareInstance", {})).TotalCount)
    end)

    it("fails at wait_instance on Install Fail, naming the instance", function()
      local err = fails_at("wait_instance", { fail = { instance = "Install Fail" } })
      assert.equal("workflow", err.kind)
      assert.matches("^uhost%-", err.partial.UHostId)
      assert.is_nil(err.partial.CompShareImageId)
    end)

    it("fails at wait_instance on timeout", function()
      local err = fails_at("wait_instance", nil, nil, { instance_timeout = 30 })
      assert.matches("timed out after 30s", err.message)
    end)

    it("fails at snapshot", function()
      local err = fails_at("snapshot", { fail = { actions = { CreateCompShareCustomImage = { RetCode = 252,
        Message = "busy" } } } })
      assert.equal("api", err.kind)
      assert.matches("^uhost%-", err.partial.UHostId)
    end)

    it("fails at wait_image when the image ends UnAvailable, or on timeout", function()
      local err = fails_at("wait_image", { fail = { image = { reason = "no space" } } })
      assert.matches("no space", err.message)
      assert.matches("^uhost%-", err.partial.UHostId)
      assert.matches("^compshareImage%-", err.partial.CompShareImageId)
      err = fails_at("wait_image", nil, nil, { image_timeout = 100 })
      assert.matches("timed out after 100s", err.message)
    end)

    it("fails at publish, and at publish for a VM image", function()
      local err = fails_at("publish", { fail = { actions = { PublishCompShareImage = { RetCode = 8010,
        Message = "review queue full" } } } })
      assert.equal(8010, err.code)
      assert.matches("^compshareImage%-", err.partial.CompShareImageId)
      err = fails_at("publish", nil, { instance = with(INSTANCE, { CompShareImageId = VM }) })
      assert.equal(sandbox.CODES.not_allowed, err.code)
    end)

    it("fails at cleanup", function()
      local err, c = fails_at("cleanup", { fail = { actions = { StopCompShareInstance = { RetCode = 8020,
        Message = "nope" } } } })
      assert.equal(8020, err.code)
      assert.equal("Reviewing", image_status(c, err.partial.CompShareImageId))
    end)

    it("resumes from err.partial without creating anything again", function()
      local err, c, sb, opts = fails_at("publish", { fail = { actions = { PublishCompShareImage = {
        RetCode = 8010, Message = "try later", times = 1 } } } })
      local res = assert(workflow.snapshot_and_publish(c, spec_for {
        uhost_id = err.partial.UHostId, image_id = err.partial.CompShareImageId }, opts))
      assert.equal(err.partial.UHostId, res.UHostId)
      assert.equal(err.partial.CompShareImageId, res.CompShareImageId)
      assert.equal(1, count(sb, "CreateCompShareInstance"))
      assert.equal(1, count(sb, "CreateCompShareCustomImage"))
      assert.equal("wait_image", res.steps[1].step)
      assert.equal("Reviewing", image_status(c, res.CompShareImageId))
    end)

    it("resumes after an instance timeout with the instance it made", function()
      local err, c, sb, opts = fails_at("wait_instance", nil, nil, { instance_timeout = 30 })
      local res = assert(workflow.snapshot_and_publish(c, spec_for { uhost_id = err.partial.UHostId }, opts))
      assert.equal(err.partial.UHostId, res.UHostId)
      assert.equal(1, count(sb, "CreateCompShareInstance"))
      assert.equal("wait_instance", res.steps[1].step)
    end)

    it("finds a publish whose answer was lost by the image's status, and does not send it again", function()
      local c, sb, opts = setup { fail = { actions = { PublishCompShareImage = {
        error = { kind = "timeout", message = "answer lost", sent = true }, apply = true, times = 1 } } } }
      local res = assert(workflow.snapshot_and_publish(c, spec_for(), opts))
      assert.equal("publish", res.steps[5].step)
      assert.is_true(res.steps[5].already)
      assert.equal("Reviewing", image_status(c, res.CompShareImageId))
      assert.equal(1, count(sb, "PublishCompShareImage"))
      assert.equal("cleanup", res.steps[#res.steps].step)
    end)

    it("stops when a publish with an unknown outcome left the image Available, and never repeats it", function()
      local err, c, sb = fails_at("publish", { fail = { actions = { PublishCompShareImage = {
        error = { kind = "timeout", message = "answer lost", sent = true }, times = 1 } } } })
      assert.is_true(err.maybe_applied)
      assert.matches("PublishCompShareImage is never sent again; image compshareImage%-sbx%d+ is Available", err.hint)
      assert.equal("Available", image_status(c, err.partial.CompShareImageId))
      assert.equal(1, count(sb, "PublishCompShareImage"))
    end)

    it("skips publishing an image it is given that was already published", function()
      local c, sb, opts = setup()
      local first = assert(workflow.snapshot_and_publish(c, spec_for(nil, { "cleanup" }), opts))
      local res = assert(workflow.snapshot_and_publish(c, spec_for {
        uhost_id = first.UHostId, image_id = first.CompShareImageId }, opts))
      assert.equal(1, count(sb, "PublishCompShareImage"))
      assert.is_true(res.steps[2].already)
      assert.equal("cleanup", res.steps[#res.steps].step)
    end)

    it("snapshots a Stopped VM instance it is given, and does not stop it again", function()
      local c, sb, opts = setup()
      local uhost = assert(workflow.create_instance(c, with(INSTANCE, { CompShareImageId = VM }), opts))
      assert(c:call("StopCompShareInstance", { UHostId = uhost }))
      sb:advance(DURATIONS.instance_stop)
      local res = assert(workflow.snapshot_and_publish(c, spec_for({ uhost_id = uhost }, { "publish" }), opts))
      assert.equal("Available", image_status(c, res.CompShareImageId))
      assert.equal(1, count(sb, "StopCompShareInstance"))
    end)

    it("returns a validation error for a bad spec and raises without a client", function()
      local c = setup()
      local _, err = workflow.snapshot_and_publish(c, { instance = INSTANCE })
      assert.equal("validation", err.kind)
      assert.equal("spec", err.step)
      _, err = workflow.snapshot_and_publish(c, spec_for { cleanup = "delete" })
      assert.matches("cleanup", err.message)
      _, err = workflow.snapshot_and_publish(c, { image = { Name = "x" } })
      assert.matches("instance", err.message)
      assert.has_error(function() workflow.snapshot_and_publish({}, spec_for()) end)
    end)
  end)
end)

describe("examples on the sandbox", function()
  local lua = jit and "luajit" or "lua5.4"
  local function run(script, args, vars)
    local cmd = ("env -u UCLOUD_PUBLIC_KEY -u UCLOUD_PRIVATE_KEY %s %s examples/%s %s 2>&1"):format(vars or "", lua,
      script, args or "")
    local p = assert(io.popen(cmd))
    local out = p:read("*a")
    local ok, _, code = p:close()
    return out, (ok == true or code == 0)
  end

  it("snapshot_and_publish.lua prints the ids it made", function()
    local out, ok = run("snapshot_and_publish.lua", "spec-env")
    assert.is_true(ok, out)
    assert.matches("instance: uhost%-sbx%d+ %(stopped%)", out)
    assert.matches("image:    compshareImage%-sbx%d+ %(published", out)
    assert.matches("Making +%d+%%", out)
    assert.matches("step max_lifetime", out)
  end)

  it("snapshot_and_publish.lua treats empty variables as unset, and writes the journal it is given", function()
    local path = os.tmpname()
    os.remove(path)
    local out, ok = run("snapshot_and_publish.lua", "spec-env-2", ("COMPSHARE_UHOST_ID= COMPSHARE_RESUME_IMAGE_ID= "
      .. "COMPSHARE_IMAGE_ID= COMPSHARE_GPU_TYPE= COMPSHARE_MAX_LIFETIME= COMPSHARE_JOURNAL=%s"):format(path))
    assert.is_true(ok, out)
    assert.matches("journal: " .. path:gsub("%p", "%%%0"), out)
    local f = assert(io.open(path, "rb"))
    local rec = require("compshare.json").decode(f:read("*a"))
    f:close()
    os.remove(path)
    os.remove(path .. ".lock")
    assert.matches("^uhost%-sbx", rec.UHostId)
    assert.is_true(rec.published and rec.cleaned)
  end)

  it("list_images.lua pages through every image", function()
    local out, ok = run("list_images.lua", "4")
    assert.is_true(ok, out)
    assert.matches("6 System images %(2 pages%)", out)
    assert.matches("4 App images %(1 pages%)", out)
  end)

  it("fleet.lua starts and stops N instances", function()
    local out, ok = run("fleet.lua", "2")
    assert.is_true(ok, out)
    assert.matches("all stopped: uhost%-sbx%d+ uhost%-sbx%d+\n", out)
  end)
end)
