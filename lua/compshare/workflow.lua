--- Waiters and the create -> snapshot -> publish workflows.
--
-- Every function takes a client first and returns its result, or nil, err where
-- err is a compshare.errors table: the api/transport/... error of the call that
-- failed, or kind "workflow" when a wait failed (timeout, bad state, gone).
-- Options shared by all of them (opts):
--   sleep(s), now()        injectable; default compshare.util.sleep / .monotonic
--   timeout                seconds for one wait (default 900 for instances, 3600 for images)
--   interval, max_interval the shortest and the longest sleep between two polls (2 s, 120 s)
--   growth                 with nothing to predict from, sleep growth x the time waited so far (0.2)
--   lookahead              a predicted finish is slept to, but at most lookahead x the time waited (2)
--   on_progress(pct, info) called when the state or percentage changes; pct is nil for
--                          instances; info = { what = "instance"|"image", id =, state =, elapsed = }
--   zone                   Zone for every call (default: the client's)
--
-- How long to sleep: an instance gives no hint of when it will be ready, so the
-- sleeps grow with the time waited (a change is noticed at most ~growth late,
-- and the polls grow with the log of the duration). An image reports its
-- progress: while it is Making only GetCompShareImageCreateProgress is polled,
-- the rate of progress predicts the finish and the next poll is made then;
-- DescribeCompShareCustomImages is asked once at 100 % (or when the progress
-- stalls, fails or looks wrong) to confirm Available or UnAvailable.
local errors = require "compshare.errors"
local recover = require "compshare.recover"

local workflow = {}

workflow.DEFAULTS = {
  interval = 2, max_interval = 120, growth = 0.2, lookahead = 2,
  instance_timeout = 900, image_timeout = 3600,
  missing_polls = 2,     -- consecutive polls without the resource before it counts as gone
  poll_errors = 5,       -- consecutive retryable call failures tolerated while polling
  settle = 2,            -- seconds before looking for an instance whose create had an unknown outcome
}

local INSTANCE_FAIL_STATES = { ["Install Fail"] = true }
local IMAGE_FAIL_STATES = { UnAvailable = true }

local function option(opts, name)
  if opts[name] ~= nil then return opts[name] end
  return workflow.DEFAULTS[name]
end

local function clock(opts)
  if opts.sleep and opts.now then return opts.sleep, opts.now end
  local util = require "compshare.util"
  return opts.sleep or util.sleep, opts.now or util.monotonic
end

--- Call `action` through the typed wrapper when there is one.
local function invoke(client, action, params, opts)
  params = params or {}
  if opts and opts.zone and params.Zone == nil then
    local p = {}
    for k, v in pairs(params) do p[k] = v end
    p.Zone = opts.zone
    params = p
  end
  local typed = client[action]
  if type(typed) == "function" then return typed(client, params) end
  return client:call(action, params)
end

local function set_of(v)
  local s = {}
  for _, x in ipairs(type(v) == "table" and v or { v }) do s[x] = true end
  return s
end

local function names(set)
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list)
  return table.concat(list, " or ")
end

local function wait_error(message, fields)
  fields = fields or {}
  fields.kind, fields.message = "workflow", message
  return errors.new(fields)
end

local function check_client(client, fname)
  if type(client) ~= "table" or type(client.call) ~= "function" then
    error(("compshare.workflow.%s: the first argument must be a client"):format(fname), 3)
  end
end

local function check_id(id, what, fname)
  if type(id) ~= "string" or id == "" then
    error(("compshare.workflow.%s: %s must be a non-empty string"):format(fname, what), 3)
  end
end

--- Seconds to sleep before the next poll, `elapsed` seconds into a wait.
-- remaining: the predicted seconds to the change, or nil when there is no prediction.
local function next_delay(opts, elapsed, remaining)
  local delay = option(opts, "growth") * elapsed
  if remaining then delay = math.min(remaining, option(opts, "lookahead") * elapsed) end
  return math.max(option(opts, "interval"), math.min(delay, option(opts, "max_interval")))
end

--- The polling loop shared by the waiters.
-- look() -> { state =, item =, pct =, remaining = } | nil (not found) | nil, err (call failed)
--   remaining: predicted seconds until the wait is over, when look can tell
-- judge(seen) -> "done" | "fail" | "wait"
local function poll(what, id, look, judge, opts, timeout)
  local sleep, now = clock(opts)
  local start = now()
  local missing, failures = 0, 0
  local last_state, last_pct, reported
  while true do
    local seen, err = look()
    local remaining = seen and seen.remaining
    local elapsed = now() - start
    if err then
      failures = failures + 1
      if not err.retryable or failures > option(opts, "poll_errors") then return nil, err end
    elseif not seen then
      missing = missing + 1
      if missing >= option(opts, "missing_polls") then
        return nil, wait_error(("%s %s disappeared (it is no longer listed)"):format(what, id),
          { id = id, last_state = last_state, disappeared = true })
      end
    else
      missing, failures = 0, 0
      last_state = seen.state
      if opts.on_progress and (not reported or seen.state ~= reported.state or seen.pct ~= last_pct) then
        reported = { what = what, id = id, state = seen.state, elapsed = elapsed, item = seen.item }
        opts.on_progress(seen.pct, reported)
      end
      last_pct = seen.pct
      local verdict, message = judge(seen)
      if verdict == "done" then return seen.item end
      if verdict == "fail" then
        return nil, wait_error(message, { id = id, last_state = seen.state })
      end
    end
    if elapsed >= timeout then
      return nil, wait_error(("timed out after %gs waiting for %s %s (last state: %s)"):format(
        timeout, what, id, tostring(last_state or "unknown")), { id = id, last_state = last_state, timeout = timeout })
    end
    sleep(math.min(next_delay(opts, elapsed, remaining), timeout - elapsed))
  end
end

--- wait_instance(client, uhost_id, target_state, opts) -> instance | nil, err
-- target_state: a state or a list of states ("Running", {"Running", "Stopped"}).
-- Fails at once on Install Fail, or when the instance disappears.
function workflow.wait_instance(client, uhost_id, target_state, opts)
  check_client(client, "wait_instance")
  check_id(uhost_id, "uhost_id", "wait_instance")
  if target_state == nil then error("compshare.workflow.wait_instance: target_state is required", 2) end
  opts = opts or {}
  local targets = set_of(target_state)
  local function look()
    local res, err = invoke(client, "DescribeCompShareInstance", { UHostIds = { uhost_id } }, opts)
    if not res then return nil, err end
    for _, inst in ipairs(res.UHostSet or {}) do
      if inst.UHostId == uhost_id then return { state = inst.State, item = inst } end
    end
    return nil
  end
  local function judge(seen)
    if targets[seen.state] then return "done" end
    if INSTANCE_FAIL_STATES[seen.state] then
      return "fail", ("instance %s is %s, it will not become %s"):format(uhost_id, seen.state, names(targets))
    end
    return "wait"
  end
  return poll("instance", uhost_id, look, judge, opts, option(opts, "timeout") or workflow.DEFAULTS.instance_timeout)
end

--- Follows an image's progress and predicts its finish from the rate of progress.
-- tracker.seen(pct, reported_remaining) -> { state = "Making", pct =, remaining = }, or nil when the
-- answer calls for a look at the image's status: 100 %, no usable number, going back, "0 s
-- remaining" below 100 %, a stall after progress was seen, or every second poll of a stall before.
local function progress_tracker(now)
  -- first pct read and when, the last pct, whether it ever rose, polls in a row without a rise
  local first, first_at, last, moved, stalls
  local tracker = {}
  function tracker.seen(pct, reported_remaining)
    if not pct or pct < 0 or pct >= 100 or (last and pct < last)
      or (reported_remaining == 0) then return nil end
    local t = now()
    if last == nil then first, first_at = pct, t end
    if last == nil or pct > last then
      last, stalls, moved = pct, 0, last ~= nil
      -- the rate over all the time watched: coarse (whole-number) percentages blur it least
      local rate = moved and (pct - first) / math.max(t - first_at, 1e-9)
      return { state = "Making", pct = pct, remaining = rate and (100 - pct) / rate }
    end
    stalls = stalls + 1
    -- A stall after progress was seen may mean the image stopped; before that, check every other poll.
    if moved or stalls % 2 == 0 then return nil end
    return { state = "Making", pct = pct }
  end
  --- The status said Making although the progress was odd: start measuring again from here.
  function tracker.restart(pct)
    last, stalls = pct or last, 0
    first, first_at = last, now()
    return last
  end
  return tracker
end

--- wait_image(client, image_id, opts) -> image | nil, err
-- Waits until the custom image is Available (opts.target: a status or list),
-- reporting GetCompShareImageCreateProgress's Process through on_progress.
-- While the image is Making only the progress is polled, at the finish its rate
-- predicts; DescribeCompShareCustomImages confirms the status at 100 % or when
-- the progress fails, stalls or looks wrong.
-- Fails at once when the image is UnAvailable (with its FailedReason), in any
-- other status that is neither Making nor a target, or when it disappears.
function workflow.wait_image(client, image_id, opts)
  check_client(client, "wait_image")
  check_id(image_id, "image_id", "wait_image")
  opts = opts or {}
  local targets = set_of(opts.target or "Available")
  local _, now = clock(opts)
  local tracker = progress_tracker(now)
  local function status(pct)
    local res, err = invoke(client, "DescribeCompShareCustomImages", { CompShareImageId = image_id }, opts)
    if not res then return nil, err end
    local image
    for _, img in ipairs(res.ImageSet or {}) do
      if img.CompShareImageId == image_id then image = img end
    end
    if not image then return nil end
    if image.Status == "Making" then return { state = "Making", item = image, pct = tracker.restart(pct) } end
    return { state = image.Status, item = image, pct = targets[image.Status] and 100 or nil }
  end
  local function look()
    local prog = invoke(client, "GetCompShareImageCreateProgress", { CompShareImageId = image_id }, opts)
    local pct = prog and tonumber(prog.Process)
    local seen = prog and tracker.seen(pct, tonumber(prog.RemainingDuration))
    if seen then return seen end
    return status(pct and pct >= 0 and pct <= 100 and pct or nil)
  end
  local function judge(seen)
    if targets[seen.state] then return "done" end
    if seen.state == "Making" then return "wait" end
    local why = IMAGE_FAIL_STATES[seen.state] and seen.item.FailedReason
    return "fail", ("image %s is %s%s; expected %s"):format(image_id, tostring(seen.state),
      (why and why ~= "") and (" (" .. why .. ")") or "", names(targets))
  end
  return poll("image", image_id, look, judge, opts, option(opts, "timeout") or workflow.DEFAULTS.image_timeout)
end

local function with_timeout(opts, name)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  if o.timeout == nil then o.timeout = option(o, name) end
  return o
end

local function not_repeated(err, action, look_for)
  if err.maybe_applied then
    err.hint = ("%s may have been applied; %s, and resume with its id instead of creating again"):format(
      action, look_for)
  end
  return err
end

--- After a create whose outcome is unknown: the one instance called params.Name
-- that was not in `before`, or nil and why not.
local function find_created(client, params, before, where, opts)
  local sleep = clock(opts)
  sleep(option(opts, "settle"))
  local after, err = recover.instances_named(client, params.Name, where)
  if not after then return nil, ("looking for it failed (%s)"):format(tostring(err)) end
  local found = recover.new_ids(before, after)
  if #found == 1 then return found[1] end
  if #found == 0 then return nil, ("no new instance named %q is listed yet"):format(params.Name) end
  return nil, ("%d new instances are named %q (%s)"):format(#found, params.Name, table.concat(found, ", "))
end

--- Send CreateCompShareInstance; returns the new id (and true when it was found
-- after an unknown outcome rather than returned) or nil, err. Never repeated:
-- when params has a Name, the instances so named are listed before the create,
-- and after an unknown outcome the one new instance with that Name is the answer.
local function start_instance(client, params, opts)
  local where, before = { Region = params.Region, Zone = params.Zone or opts.zone, ProjectId = params.ProjectId }
  if type(params.Name) == "string" and params.Name ~= "" then
    before = recover.instances_named(client, params.Name, where)   -- nil when listing fails: no recovery then
  end
  local res, err = invoke(client, "CreateCompShareInstance", params, opts)
  if not res then
    local look_for = "look for the instance with DescribeCompShareInstance"
    if err.maybe_applied and before then
      local id, why = find_created(client, params, before, where, opts)
      if id then return id, true end
      look_for = why .. "; " .. look_for
    end
    return nil, not_repeated(err, "CreateCompShareInstance", look_for)
  end
  local id = type(res.UHostIds) == "table" and res.UHostIds[1]
  if type(id) ~= "string" then
    return nil, errors.new { kind = "decode", action = "CreateCompShareInstance", maybe_applied = true,
      message = "CreateCompShareInstance answered without UHostIds" }
  end
  return id
end

--- Send CreateCompShareCustomImage; returns the new image id or nil, err (never repeated).
local function start_image(client, uhost_id, image_params, opts)
  local params = { UHostId = uhost_id }
  for k, v in pairs(image_params) do params[k] = v end
  local res, err = invoke(client, "CreateCompShareCustomImage", params, opts)
  if not res then
    return nil, not_repeated(err, "CreateCompShareCustomImage",
      ("look for an image named %q with DescribeCompShareCustomImages"):format(tostring(params.Name)))
  end
  local id = res.CompShareImageId
  if type(id) ~= "string" or id == "" then
    return nil, errors.new { kind = "decode", action = "CreateCompShareCustomImage", maybe_applied = true,
      message = "CreateCompShareCustomImage answered without CompShareImageId" }
  end
  return id
end

--- After a start step: nil, err when it failed; else wait() and return id, item,
-- or nil, err with err.partial = { [key] = id } when the wait failed.
local function then_wait(id, err, key, wait)
  if not id then return nil, err end
  local item, werr = wait()
  if not item then
    werr.partial = { [key] = id }
    return nil, werr
  end
  return id, item
end

--- create_instance(client, params, opts) -> uhost_id, instance | nil, err
-- Creates one instance and waits until it is Running. When the wait fails,
-- err.partial = { UHostId = ... } names the instance that was made.
function workflow.create_instance(client, params, opts)
  check_client(client, "create_instance")
  if type(params) ~= "table" then error("compshare.workflow.create_instance: params must be a table", 2) end
  if params.MaxCount ~= nil and params.MaxCount ~= 1 then
    return nil, errors.new { kind = "validation", action = "CreateCompShareInstance",
      message = "create_instance makes one instance; for several, call CreateCompShareInstance with MaxCount "
        .. "and wait_instance for each id" }
  end
  opts = opts or {}
  local id, err = start_instance(client, params, opts)
  return then_wait(id, err, "UHostId", function()
    return workflow.wait_instance(client, id, "Running", with_timeout(opts, "instance_timeout"))
  end)
end

--- snapshot(client, uhost_id, image_params, opts) -> image_id, image | nil, err
-- Makes a custom image of the instance and waits until it is Available.
-- When the wait fails, err.partial = { CompShareImageId = ... }.
function workflow.snapshot(client, uhost_id, image_params, opts)
  check_client(client, "snapshot")
  check_id(uhost_id, "uhost_id", "snapshot")
  if type(image_params) ~= "table" then error("compshare.workflow.snapshot: image_params must be a table", 2) end
  local id, err = start_image(client, uhost_id, image_params, opts)
  return then_wait(id, err, "CompShareImageId", function()
    return workflow.wait_image(client, id, with_timeout(opts, "image_timeout"))
  end)
end

--- publish(client, image_id, params [, opts]) -> response | nil, err
-- Publishes an Available custom container image; it then goes to Reviewing.
function workflow.publish(client, image_id, params, opts)
  check_client(client, "publish")
  check_id(image_id, "image_id", "publish")
  local p = { CompShareImageId = image_id }
  for k, v in pairs(params or {}) do p[k] = v end
  local res, err = invoke(client, "PublishCompShareImage", p, opts)
  if not res then
    return nil, not_repeated(err, "PublishCompShareImage", "check the image's Status (Reviewing means it was published)")
  end
  return res
end

local CLEANUP = { stop = true, terminate = true }

local function check_spec(spec)
  if type(spec) ~= "table" then return "spec must be a table" end
  if spec.uhost_id == nil and spec.image_id == nil and type(spec.instance) ~= "table" then
    return "spec needs instance (CreateCompShareInstance params), uhost_id or image_id"
  end
  if spec.image_id == nil and type(spec.image) ~= "table" then
    return "spec.image (CreateCompShareCustomImage params: Name, Description, ...) is required"
  end
  if spec.publish ~= nil and type(spec.publish) ~= "table" then return "spec.publish must be a table" end
  if spec.cleanup ~= nil and not CLEANUP[spec.cleanup] then
    return ("spec.cleanup must be \"stop\", \"terminate\" or nil, got %q"):format(tostring(spec.cleanup))
  end
end

--- The cleanup step: stop (and wait for Stopped) or terminate the instance.
local function cleanup(client, how, uhost_id, state, opts)
  if how == "stop" and state == "Stopped" then return true end
  if how == "terminate" then
    return invoke(client, "TerminateCompShareInstance", { UHostId = uhost_id }, opts)
  end
  local res, err = invoke(client, "StopCompShareInstance", { UHostId = uhost_id }, opts)
  if not res then return nil, err end
  return workflow.wait_instance(client, uhost_id, "Stopped", with_timeout(opts, "instance_timeout"))
end

--- snapshot_and_publish(client, spec, opts) -> { UHostId =, CompShareImageId =, steps = {...} } | nil, err
-- spec = { instance = <CreateCompShareInstance params> | uhost_id = "...",
--          image = { Name =, Description =, ... }, image_id = "..." (resume),
--          publish = { <PublishCompShareImage params without the id> } | nil,
--          cleanup = "stop" | "terminate" | nil }
-- Steps: create_instance, wait_instance, snapshot, wait_image, publish, cleanup.
-- On failure err.step names the step and err.partial holds every id known so
-- far; run again with spec.uhost_id / spec.image_id set from it to resume.
-- opts: as for the waiters, plus instance_timeout, image_timeout and
-- on_step(name, info) called after each step.
function workflow.snapshot_and_publish(client, spec, opts)
  check_client(client, "snapshot_and_publish")
  opts = opts or {}
  local problem = check_spec(spec)
  if problem then
    return nil, errors.new { kind = "validation", message = problem, step = "spec", partial = {} }
  end
  local ids = { UHostId = spec.uhost_id, CompShareImageId = spec.image_id }
  local steps = {}
  local function record(name, info)
    info.step = name
    steps[#steps + 1] = info
    if opts.on_step then opts.on_step(name, info) end
  end
  local function failed(name, err)
    err.step = name
    err.partial = { UHostId = ids.UHostId, CompShareImageId = ids.CompShareImageId }
    return nil, err
  end

  if not ids.UHostId and not ids.CompShareImageId then
    local id, recovered = start_instance(client, spec.instance, opts)   -- or nil, err
    if not id then return failed("create_instance", recovered) end
    ids.UHostId = id
    record("create_instance", { UHostId = ids.UHostId, recovered = recovered })
  end

  local image_opts = with_timeout(opts, "image_timeout")
  local state
  if not ids.CompShareImageId then
    local inst, err = workflow.wait_instance(client, ids.UHostId, { "Running", "Stopped" },
      with_timeout(opts, "instance_timeout"))
    if not inst then return failed("wait_instance", err) end
    state = inst.State
    record("wait_instance", { UHostId = ids.UHostId, State = state })

    local id, cerr = start_image(client, ids.UHostId, spec.image, opts)
    if not id then return failed("snapshot", cerr) end
    ids.CompShareImageId = id
    record("snapshot", { CompShareImageId = ids.CompShareImageId })
  else
    -- Resuming with an image: it may already be published (Reviewing).
    image_opts.target = { "Available", "Reviewing" }
  end

  local image, werr = workflow.wait_image(client, ids.CompShareImageId, image_opts)
  if not image then return failed("wait_image", werr) end
  record("wait_image", { CompShareImageId = ids.CompShareImageId, Status = image.Status })

  if spec.publish and image.Status ~= "Reviewing" then
    local _, perr = workflow.publish(client, ids.CompShareImageId, spec.publish, opts)
    if perr then return failed("publish", perr) end
    record("publish", { CompShareImageId = ids.CompShareImageId })
  end

  if spec.cleanup and ids.UHostId then
    local _, cerr = cleanup(client, spec.cleanup, ids.UHostId, state, opts)
    if cerr then return failed("cleanup", cerr) end
    record("cleanup", { UHostId = ids.UHostId, how = spec.cleanup })
  end

  return { UHostId = ids.UHostId, CompShareImageId = ids.CompShareImageId, steps = steps }
end

return workflow
