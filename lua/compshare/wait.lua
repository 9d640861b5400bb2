--- The waiters: poll an instance or an image until it reaches a state.
--
-- wait.instance(client, uhost_id, target_state, opts) and wait.image(client,
-- image_id, opts) return the listed item, or nil, err where err is the call's
-- error or kind "workflow" (timeout, bad state, gone). compshare.workflow
-- exposes them as wait_instance and wait_image (and fills opts.sleep/now).
-- Options (opts):
--   sleep(s), now()        default compshare.util.sleep / .monotonic
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
-- @module compshare.wait
local errors = require "compshare.errors"

local wait = {}

wait.DEFAULTS = {
  interval = 2, max_interval = 120, growth = 0.2, lookahead = 2,
  instance_timeout = 900, image_timeout = 3600,
  missing_polls = 2,     -- consecutive polls without the resource before it counts as gone
  poll_errors = 5,       -- consecutive retryable call failures tolerated while polling
}

local INSTANCE_FAIL_STATES = { ["Install Fail"] = true }
local IMAGE_FAIL_STATES = { UnAvailable = true }

local function option(opts, name)
  if opts[name] ~= nil then return opts[name] end
  return wait.DEFAULTS[name]
end

local function clock(opts)
  if opts.sleep and opts.now then return opts.sleep, opts.now end
  local util = require "compshare.util"
  return opts.sleep or util.sleep, opts.now or util.monotonic
end

--- params with opts.zone as Zone when they name none (a copy of the raw keys then).
local function with_zone(params, opts)
  if not (opts and opts.zone) or params.Zone ~= nil then return params end
  local p = {}
  for k, v in next, params do p[k] = v end
  p.Zone = opts.zone
  return p
end

--- Call `action` through the typed wrapper when there is one.
local function invoke(client, action, params, opts)
  params = with_zone(params or {}, opts)
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

--- instance(client, uhost_id, target_state, opts) -> instance | nil, err
-- target_state: a state or a list of states ("Running", {"Running", "Stopped"}).
-- Fails at once on Install Fail, or when the instance disappears.
-- @tparam compshare.client client
-- @tparam string uhost_id
-- @tparam string|{string,...} target_state
-- @tparam[opt] table opts see the module (timeout, interval, on_progress, sleep, now, zone)
-- @treturn[1] table the instance (an item of DescribeCompShareInstance's UHostSet) in a target state
-- @treturn[2] nil
-- @treturn[2] compshare.errors the call's error, or a `workflow` error (timeout, a failed state, gone) with
--   `id`, `last_state`
-- @raise when client, uhost_id or target_state is missing
function wait.instance(client, uhost_id, target_state, opts)
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
  return poll("instance", uhost_id, look, judge, opts, option(opts, "timeout") or wait.DEFAULTS.instance_timeout)
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

--- image(client, image_id, opts) -> image | nil, err
-- Waits until the custom image is Available (opts.target: a status or list),
-- reporting GetCompShareImageCreateProgress's Process through on_progress.
-- While the image is Making only the progress is polled, at the finish its rate
-- predicts; DescribeCompShareCustomImages confirms the status at 100 % or when
-- the progress fails, stalls or looks wrong.
-- Fails at once when the image is UnAvailable (with its FailedReason), in any
-- other status that is neither Making nor a target, or when it disappears.
-- @tparam compshare.client client
-- @tparam string image_id
-- @tparam[opt] table opts as for instance, plus `target` (default "Available")
-- @treturn[1] table the image (an item of DescribeCompShareCustomImages's ImageSet)
-- @treturn[2] nil
-- @treturn[2] compshare.errors the call's error, or a `workflow` error (timeout, a failed state, gone) with
--   `id`, `last_state`
-- @raise when client or image_id is missing
function wait.image(client, image_id, opts)
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
  return poll("image", image_id, look, judge, opts, option(opts, "timeout") or wait.DEFAULTS.image_timeout)
end

wait.invoke, wait.with_zone, wait.option, wait.check_client, wait.check_id = invoke, with_zone, option, check_client,
  check_id
return wait
