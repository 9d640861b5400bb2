--- The create -> snapshot -> publish workflows, resumable from a journal.
--
-- Every function takes a client first and returns its result, or nil, err where
-- err is a compshare.errors table: the error of the call that failed, kind
-- "workflow" when a wait failed (timeout, bad state, gone) or the journal could
-- not be written, kind "validation" for a bad spec (step "spec") or a journal
-- written for another run (step "journal"; nothing is sent then).
-- Options (opts), besides the waiters' (compshare.wait):
--   journal        a file path: the run is recorded there and resumed from it
--   sleep, now     default: the transport's sleep/clock when it has them (the sandbox), else real time
--   time()         Unix seconds for StopTime (max_lifetime); same default, else os.time
--   settle         seconds before looking for a create whose outcome is unknown (recover.SETTLE)
--   instance_timeout, image_timeout, on_step(name, info)
--
-- The rule for every unsafe call (CreateCompShareInstance,
-- CreateCompShareCustomImage, PublishCompShareImage): the journal is written
-- before it is sent (with its claim token) and after its outcome is known. A
-- call whose outcome is unknown is never sent again: the instance or image is
-- looked for by its claim (compshare.recover), a publish by the image's status.
-- @module compshare.workflow
local api = require "compshare.api"
local errors = require "compshare.errors"
local journal = require "compshare.journal"
local recover = require "compshare.recover"
local validate = require "compshare.validate"
local wait = require "compshare.wait"

local invoke, option, check_client, check_id = wait.invoke, wait.option, wait.check_client, wait.check_id

local workflow = { DEFAULTS = wait.DEFAULTS }

--- A copy of opts with sleep, now and time filled (recover.timing).
local function timed(client, opts)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.sleep, o.now, o.time = recover.timing(client, o)
  return o
end

local function with_timeout(opts, name)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  if o.timeout == nil then o.timeout = option(o, name) end
  return o
end

--- wait_instance(client, uhost_id, target_state, opts) -> instance | nil, err (see compshare.wait)
-- @see compshare.wait.instance
function workflow.wait_instance(client, uhost_id, target_state, opts)
  check_client(client, "wait_instance")
  return wait.instance(client, uhost_id, target_state, timed(client, opts))
end

--- wait_image(client, image_id, opts) -> image | nil, err (see compshare.wait)
-- @see compshare.wait.image
function workflow.wait_image(client, image_id, opts)
  check_client(client, "wait_image")
  return wait.image(client, image_id, timed(client, opts))
end

-- A run ------------------------------------------------------------------------

--- A copy of t's own fields (next: no __index or __pairs), so that the journal's
-- fingerprint (raw reads) and the run read the same spec.
local function raw(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

--- { client, opts, j (the journal), rec (its state) } for `what` done to `subject`,
-- or nil, err when the journal cannot be used (nothing is sent then).
local function start_run(client, opts, what, subject)
  opts = timed(client, opts)
  local fingerprint, ferr = journal.fingerprint(subject)
  if not fingerprint then return nil, errors.new { kind = "validation", step = "spec", message = ferr, partial = {} } end
  local j, why = journal.open(opts.journal, fingerprint, what)
  if not j then return nil, errors.new { kind = "validation", step = "journal", message = why, partial = {} } end
  return { client = client, opts = opts, j = j, rec = j.state }
end

--- Close the run's journal (its lock goes), then return what body returned, or raise
-- what it raised.
local function ended(j, ok, ...)
  j:close()
  if not ok then error((...), 0) end
  return ...
end

--- body(r) for a run of `what` done to `subject`, with the journal held (locked) while it
-- runs, however it ends; or nil, err when the journal cannot be used.
local function in_run(client, opts, what, subject, body)
  local r, rerr = start_run(client, opts, what, subject)
  if not r then return nil, rerr end
  return ended(r.j, pcall(body, r))
end

--- Write to the run's journal; a workflow error when it cannot.
local function saved(r, ...)
  local ok, why = r.j:write(...)
  if ok then return true end
  return nil, errors.new { kind = "workflow", message = why, journal = r.j.path }
end

--- The error for an unsafe call an earlier run sent without recording its outcome.
local function unrecorded(action)
  return errors.new { kind = "workflow", action = action, maybe_applied = true,
    message = ("%s was sent by an earlier run, which ended before its outcome was recorded"):format(action) }
end

--- The create step for kind "instance" or "image": the id in the journal; or
-- the one carrying the claim an earlier run sent; or a new create carrying a
-- claim written to the journal first. Returns id, recovered | nil, err.
local function create_step(r, kind, params)
  local k = recover.KINDS[kind]
  local claim_key = kind .. "_claim"
  if r.rec[k.id] then return r.rec[k.id], false end
  params = wait.with_zone(params, r.opts)
  local o = { sleep = r.opts.sleep, settle = r.opts.settle, retry_key = r.j.path and claim_key,
              where = { Region = params.Region, Zone = params.Zone, ProjectId = params.ProjectId } }
  local id, how
  if r.rec[claim_key] then
    id, how = recover.find(r.client, kind, r.rec[claim_key], unrecorded(k.action), o)
    if id then how = true end
  else
    o.before_send = function(claim) return saved(r, claim_key, claim) end
    id, how = recover.create(r.client, kind, params, o)
  end
  if not id then
    if not how.maybe_applied and r.rec[claim_key] then r.j:write(claim_key, nil) end  -- certainly not made
    return nil, how
  end
  local ok, jerr = saved(r, k.id, id)
  if not ok then return nil, jerr end
  return id, how
end

--- After a create step: nil, err when it failed; else wait() and return id, item,
-- or nil, err with err.partial = { [key] = id } when the wait failed.
local function then_wait(id, err, key, wait_for)
  if not id then
    err.partial = err.partial or {}
    return nil, err
  end
  local item, werr = wait_for()
  if not item then
    werr.partial = { [key] = id }
    return nil, werr
  end
  return id, item
end

--- The listed image (false when it is not listed), or nil, err.
local function listed_image(r, image_id)
  local res, err = invoke(r.client, "DescribeCompShareCustomImages", { CompShareImageId = image_id }, r.opts)
  if not res then return nil, err end
  for _, img in ipairs(res.ImageSet or {}) do
    if img.CompShareImageId == image_id then return img end
  end
  return false
end

--- Has this image been published? It is in review, or it has a publish time.
local function published(img)
  return img.Status == "Reviewing" or (tonumber(img.PubTime) or 0) > 0
end

--- After a publish whose outcome is unknown: wait settle, then ask the image.
local function confirm_published(r, image_id, err)
  r.opts.sleep(r.opts.settle or recover.SETTLE)
  local img, lerr = listed_image(r, image_id)
  if img and published(img) then
    local ok, jerr = saved(r, "published", true)
    if not ok then return nil, jerr end
    return { CompShareImageId = image_id, already = true }
  end
  err.maybe_applied = true
  err.hint = ("PublishCompShareImage is never sent again; image %s is %s%s"):format(image_id,
    img and tostring(img.Status) or (img == false and "not listed" or ("unknown (" .. tostring(lerr) .. ")")),
    r.j.path and ("; if you know it was not published, remove \"publish_sent\" from the journal %s"):format(r.j.path)
      or "; look at its Status before publishing it yourself")
  return nil, err
end

--- The publish step: skipped when the journal or the image (`image`, just seen) says it was done.
-- Returns { CompShareImageId =, already =, response = } | nil, err.
local function publish_step(r, image_id, params, image)
  if r.rec.published then return { CompShareImageId = image_id, already = true } end
  if image and published(image) then
    local ok, jerr = saved(r, "published", true)
    if not ok then return nil, jerr end
    return { CompShareImageId = image_id, already = true }
  end
  if r.rec.publish_sent then return confirm_published(r, image_id, unrecorded("PublishCompShareImage")) end
  local ok, jerr = saved(r, "publish_sent", true)
  if not ok then return nil, jerr end
  local p = { CompShareImageId = image_id }
  for k, v in next, params or {} do p[k] = v end
  local res, err = invoke(r.client, "PublishCompShareImage", p, r.opts)
  if not res then
    if not err.maybe_applied then
      r.j:write("publish_sent", nil)
      return nil, err
    end
    return confirm_published(r, image_id, err)
  end
  ok, jerr = saved(r, "published", true)
  if not ok then return nil, jerr end
  return { CompShareImageId = image_id, response = res }
end

--- The instance's State, false when it is not listed, or nil, err.
local function instance_state(r, uhost_id)
  local res, err = invoke(r.client, "DescribeCompShareInstance", { UHostIds = { uhost_id } }, r.opts)
  if not res then return nil, err end
  for _, inst in ipairs(res.UHostSet or {}) do
    if inst.UHostId == uhost_id then return inst.State end
  end
  return false
end

local SETTLED = { Running = true, Stopped = true, ["Install Fail"] = true }

--- Send a stop or terminate unless the instance's state shows it is done or under
-- way; an error is checked against the state too (the answer may have been lost).
local function ensure(r, action, uhost_id, state, done)
  if done[state] then return true end
  if not SETTLED[state] then
    local inst, werr = wait.instance(r.client, uhost_id, { "Running", "Stopped", "Install Fail" },
      with_timeout(r.opts, "instance_timeout"))
    if not inst then return nil, werr end
    if done[inst.State] then return true end
  end
  local _, err = invoke(r.client, action, { UHostId = uhost_id }, r.opts)
  if not err then return true end
  local now, serr = instance_state(r, uhost_id)
  if now == nil then return nil, serr end
  if done[now] then return true end
  return nil, err
end

local STOP_DONE = { Stopping = true, Stopped = true, [false] = true }
local TERMINATE_DONE = { [false] = true }

--- The cleanup step: the instance stopped (and Stopped) or terminated. The state
-- is read first, so what an earlier run did is not done again.
local function cleanup_step(r, how, uhost_id)
  local state, err = instance_state(r, uhost_id)
  if state == nil then return nil, err end
  local info = { UHostId = uhost_id, how = how, already = state == false or (how == "stop" and state == "Stopped") }
  if how == "terminate" then
    local ok, terr = ensure(r, "TerminateCompShareInstance", uhost_id, state, TERMINATE_DONE)
    if not ok then return nil, terr end
  elseif state ~= false then
    local ok, serr = ensure(r, "StopCompShareInstance", uhost_id, state, STOP_DONE)
    if not ok then return nil, serr end
    local inst, werr = wait.instance(r.client, uhost_id, "Stopped", with_timeout(r.opts, "instance_timeout"))
    if not inst then return nil, werr end
  end
  local ok, jerr = saved(r, "cleaned", true)
  if not ok then return nil, jerr end
  return info
end

-- The single steps ------------------------------------------------------------------

--- create_instance(client, params, opts) -> uhost_id, instance | nil, err
-- Creates one instance and waits until it is Running. When the wait fails,
-- err.partial = { UHostId = ... } names the instance that was made.
-- A create whose outcome is unknown is not sent again: the instance is looked for by Name first.
-- @tparam compshare.client client
-- @tparam table params CreateCompShareInstance params (one instance: MaxCount 1 or none)
-- @tparam[opt] table opts as for the waiters, plus `instance_timeout`
-- @treturn[1] string the UHostId
-- @treturn[1] table the instance, Running
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error, with `partial = { UHostId = }` when the instance exists
-- @raise when client or params is missing
function workflow.create_instance(client, params, opts)
  check_client(client, "create_instance")
  if type(params) ~= "table" then error("compshare.workflow.create_instance: params must be a table", 2) end
  params = raw(params)
  return in_run(client, opts, "create_instance", params, function(r)
    local id, err = create_step(r, "instance", params)
    return then_wait(id, err, "UHostId", function()
      return wait.instance(client, id, "Running", with_timeout(r.opts, "instance_timeout"))
    end)
  end)
end

--- snapshot(client, uhost_id, image_params, opts) -> image_id, image | nil, err
-- Makes a custom image of the instance and waits until it is Available.
-- When the wait fails, err.partial = { CompShareImageId = ... }.
-- @tparam compshare.client client
-- @tparam string uhost_id
-- @tparam table image_params CreateCompShareCustomImage params (Name, Description, ...)
-- @tparam[opt] table opts as for the waiters, plus `image_timeout`
-- @treturn[1] string the CompShareImageId
-- @treturn[1] table the image, Available
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error, with `partial = { CompShareImageId = }` when the image exists
function workflow.snapshot(client, uhost_id, image_params, opts)
  check_client(client, "snapshot")
  check_id(uhost_id, "uhost_id", "snapshot")
  if type(image_params) ~= "table" then error("compshare.workflow.snapshot: image_params must be a table", 2) end
  image_params = raw(image_params)
  return in_run(client, opts, "snapshot", { uhost_id, image_params }, function(r)
    local p = { UHostId = uhost_id }
    for k, v in next, image_params do p[k] = v end
    local id, err = create_step(r, "image", p)
    return then_wait(id, err, "CompShareImageId", function()
      return wait.image(client, id, with_timeout(r.opts, "image_timeout"))
    end)
  end)
end

--- publish(client, image_id, params [, opts]) -> response | nil, err
-- Publishes an Available custom container image; it then goes to Reviewing.
-- @tparam compshare.client client
-- @tparam string image_id
-- @tparam[opt] table params PublishCompShareImage params without the id
-- @tparam[opt] table opts `zone`
-- @treturn[1] table the response
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error (`kind`, `message`, ...; see `compshare.errors`)
-- With a journal, a publish it records as done (or whose image shows it was
-- published) is not sent again; the result is then { already = true }.
function workflow.publish(client, image_id, params, opts)
  check_client(client, "publish")
  check_id(image_id, "image_id", "publish")
  params = raw(params or {})
  return in_run(client, opts, "publish", { image_id, params }, function(r)
    local info, err = publish_step(r, image_id, params, nil)
    if not info then return nil, err end
    return info.response or { already = true }
  end)
end

-- snapshot_and_publish ----------------------------------------------------------

local CLEANUP = { stop = true, terminate = true }

local function bad_id(v)
  return v ~= nil and (type(v) ~= "string" or v == "")
end

local SPEC_KEYS = { "cleanup", "image", "image_id", "instance", "max_lifetime", "publish", "uhost_id" }

--- The first key of spec that is not one of SPEC_KEYS, as a message (a misspelt
-- cleanup or max_lifetime would leave an instance running and billed), or nil.
local function unknown_key(spec)
  local known = {}
  for _, k in ipairs(SPEC_KEYS) do known[k] = true end
  for k in next, spec do
    if not known[k] then
      local best, dist = validate.closest(tostring(k), SPEC_KEYS)
      return ("spec.%s is not a field of the spec%s"):format(tostring(k):sub(1, 40),
        best and dist <= math.max(2, math.floor(#tostring(k) / 3)) and (" (did you mean %s?)"):format(best)
          or (" (fields: " .. table.concat(SPEC_KEYS, ", ") .. ")"))
    end
  end
end

--- What is wrong with a snapshot_and_publish spec, or nil.
local function check_spec(spec)
  if type(spec) ~= "table" then return "spec must be a table" end
  local unknown = unknown_key(spec)
  if unknown then return unknown end
  if bad_id(spec.uhost_id) then return "spec.uhost_id must be a non-empty string (or nil)" end
  if bad_id(spec.image_id) then return "spec.image_id must be a non-empty string (or nil)" end
  if spec.uhost_id == nil and spec.image_id == nil and type(spec.instance) ~= "table" then
    return "spec needs instance (CreateCompShareInstance params), uhost_id or image_id"
  end
  if type(spec.instance) == "table" and spec.instance.MaxCount ~= nil and spec.instance.MaxCount ~= 1 then
    return "spec.instance makes one instance (MaxCount 1 or nil)"
  end
  if spec.image_id == nil and type(spec.image) ~= "table" then
    return "spec.image (CreateCompShareCustomImage params: Name, Description, ...) is required"
  end
  if spec.publish ~= nil and type(spec.publish) ~= "table" then return "spec.publish must be a table" end
  if spec.cleanup ~= nil and not CLEANUP[spec.cleanup] then
    return ("spec.cleanup must be \"stop\", \"terminate\" or nil, got %q"):format(tostring(spec.cleanup))
  end
  local life = spec.max_lifetime
  if life ~= nil and (type(life) ~= "number" or not (life >= 1 and life < 2 ^ 31)) then
    return "spec.max_lifetime must be seconds (a number from 1 to 2^31)"
  end
end

-- The calls a spec makes with its params, checked before anything is sent (so that a
-- bad publish is not found out after an instance and an image were paid for).
local PLANNED = {
  { "instance", "CreateCompShareInstance" },
  { "image", "CreateCompShareCustomImage", "UHostId" },
  { "publish", "PublishCompShareImage", "CompShareImageId" },
}

--- The validation error of the first planned call whose params are refused, or nil.
local function check_params(client, spec, opts)
  for _, planned in ipairs(PLANNED) do
    local name, action, id = planned[1], planned[2], planned[3]
    if type(spec[name]) == "table" then
      local params = {}
      for k, v in next, spec[name] do params[k] = v end
      if id and params[id] == nil then params[id] = "pending" end  -- filled in by the workflow
      local ok, err = api.prepare(client, action, wait.with_zone(params, opts))
      if not ok then
        err.message = ("spec.%s: %s"):format(name, err.message)
        return err
      end
    end
  end
end

--- The steps of snapshot_and_publish, in order. Each returns the step's info
-- (it is recorded), false (nothing to do: not recorded), or nil, err.
local STEPS = {
  { "create_instance", function(r)
    if r.rec.UHostId then return false end
    local id, recovered = create_step(r, "instance", r.spec.instance)
    if not id then return nil, recovered end
    return { UHostId = id, recovered = recovered }
  end },
  { "max_lifetime", function(r)   -- the dead man's switch, as soon as the instance exists
    local life = r.spec.max_lifetime
    if not life or r.rec.stop_at or not r.rec.UHostId then return false end
    local at = math.floor(r.opts.time() + life)
    local res, err = invoke(r.client, "UpdateCompShareStopScheduler", { UHostId = r.rec.UHostId, StopTime = at }, r.opts)
    if not res then return nil, err end
    local ok, jerr = saved(r, "stop_at", at)
    if not ok then return nil, jerr end
    return { UHostId = r.rec.UHostId, StopTime = at }
  end },
  { "wait_instance", function(r)
    if r.rec.CompShareImageId then return false end
    local inst, err = wait.instance(r.client, r.rec.UHostId, { "Running", "Stopped" },
      with_timeout(r.opts, "instance_timeout"))
    if not inst then return nil, err end
    return { UHostId = r.rec.UHostId, State = inst.State }
  end },
  { "snapshot", function(r)
    if r.rec.CompShareImageId then return false end
    local p = { UHostId = r.rec.UHostId }
    for k, v in next, r.spec.image do p[k] = v end
    local id, recovered = create_step(r, "image", p)
    if not id then return nil, recovered end
    r.made_image = true
    return { CompShareImageId = id, recovered = recovered }
  end },
  { "wait_image", function(r)
    local o = with_timeout(r.opts, "image_timeout")
    if not r.made_image then o.target = { "Available", "Reviewing" } end  -- it may be published already
    local image, err = wait.image(r.client, r.rec.CompShareImageId, o)
    if not image then return nil, err end
    r.image = image
    return { CompShareImageId = r.rec.CompShareImageId, Status = image.Status }
  end },
  { "publish", function(r)
    if not r.spec.publish or r.rec.published then return false end
    return publish_step(r, r.rec.CompShareImageId, r.spec.publish, r.image)
  end },
  { "cleanup", function(r)
    if not r.spec.cleanup or not r.rec.UHostId then return false end
    return cleanup_step(r, r.spec.cleanup, r.rec.UHostId)
  end },
}

local run_steps

--- snapshot_and_publish(client, spec, opts) -> { UHostId =, CompShareImageId =, steps = {...} } | nil, err
-- spec = { instance = <CreateCompShareInstance params> | uhost_id = "...",
--          image = { Name =, Description =, ... }, image_id = "..." (resume),
--          publish = { <PublishCompShareImage params without the id> } | nil,
--          cleanup = "stop" | "terminate" | nil,
--          max_lifetime = seconds | nil (UpdateCompShareStopScheduler as soon as the instance exists) }
-- On failure err.step names the step and err.partial holds every id known so
-- far. With opts.journal, run the same spec with the same journal to resume.
-- @tparam compshare.client client
-- @tparam table spec what to do (above)
-- @tparam[opt] table opts as for the waiters, plus `instance_timeout`, `image_timeout`, `on_step`, `journal`
-- @treturn[1] table `{ UHostId =, CompShareImageId =, steps = { { name =, info = }, ... } }`
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error, with `step` (the step that failed) and
--   `partial = { UHostId =, CompShareImageId = }` (every id made so far: pass them back to resume)
function workflow.snapshot_and_publish(client, spec, opts)
  check_client(client, "snapshot_and_publish")
  if type(spec) == "table" then spec = raw(spec) end  -- what is fingerprinted is what is run
  local problem = check_spec(spec)
  local refused = not problem and check_params(client, spec, opts)
  if problem or refused then
    refused = refused or errors.new { kind = "validation", message = problem }
    refused.step, refused.partial = "spec", {}
    return nil, refused
  end
  return in_run(client, opts, "snapshot_and_publish", spec, function(r) return run_steps(r, spec) end)
end

--- The STEPS of snapshot_and_publish in a run: the result, or nil, err (with step and partial).
function run_steps(r, spec)
  r.spec, r.rec.UHostId, r.rec.CompShareImageId = spec, r.rec.UHostId or spec.uhost_id,
    r.rec.CompShareImageId or spec.image_id
  local steps = {}
  for _, step in ipairs(STEPS) do
    local name = step[1]
    local info, err = step[2](r)
    if info == nil then
      err.step, err.journal = name, r.j.path
      err.partial = { UHostId = r.rec.UHostId, CompShareImageId = r.rec.CompShareImageId }
      return nil, err
    end
    if info then
      info.step = name
      steps[#steps + 1] = info
      if r.opts.on_step then r.opts.on_step(name, info) end
    end
  end
  return { UHostId = r.rec.UHostId, CompShareImageId = r.rec.CompShareImageId, steps = steps, journal = r.j.path }
end

return workflow
