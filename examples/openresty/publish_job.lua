--- A background job for examples/openresty/nginx.conf: runs
-- compshare.workflow.snapshot_and_publish in an ngx.timer, logs its progress to
-- the nginx error log, and keeps its state in `lua_shared_dict compshare_jobs`
-- so any worker can report it.
--
-- COST on the real service: one GPU instance, billed from its creation until the job stops it, its
-- disks while they exist, and the custom image's storage. Nothing asks first inside nginx: only
-- send specs you mean to pay for.
--
--   local job_id, err = require("publish_job").start(spec)   -- spec: see snapshot_and_publish
--   require("publish_job").status(job_id) -> { id, state = "running"|"done"|"failed", steps, ... }
--
-- In a timer, compshare uses cosockets and the workflow's waits use ngx.sleep:
-- the worker keeps serving requests while the job waits for the instance and the image.
local workflow = require "compshare.workflow"
local json = require "compshare.json"

local publish_job = {}

--- Workflow options (see compshare.workflow); change them with configure().
local options = { interval = 2, max_interval = 15 }

--- configure{ interval =, max_interval =, instance_timeout =, image_timeout =, client = fn }
-- client: a function returning the compshare client to use (default: handler's).
function publish_job.configure(opts)
  for k, v in pairs(opts) do options[k] = v end
end

local function jobs()
  local dict = ngx.shared.compshare_jobs
  if not dict then error("publish_job needs `lua_shared_dict compshare_jobs 1m;` in nginx.conf", 0) end
  return dict
end

local function key(id)
  id = tonumber(id)
  return id and id == math.floor(id) and ("job:%d"):format(id)
end

local function save(job)
  jobs():set(key(job.id), json.encode(job))
end

--- The job's state as a table, or nil when there is no such job.
function publish_job.status(id)
  local k = key(id)
  local text = k and jobs():get(k)
  return text and json.decode(text)
end

local function log(job, fmt, ...)
  ngx.log(ngx.NOTICE, ("compshare job %d: "):format(job.id), fmt:format(...))
end

local function run(premature, job, spec)
  if premature then
    job.state, job.error = "failed", "nginx shut down before the job started"
    return save(job)
  end
  local client = (options.client or require("handler").client)()
  local opts = {
    on_step = function(name, info)
      job.steps[#job.steps + 1] = name
      log(job, "step %s done %s", name, info.CompShareImageId or info.UHostId or "")
      save(job)
    end,
    on_progress = function(pct, info)
      if info.what == "image" then job.progress = pct end
      log(job, "%s %s %s%s", info.what, info.id, tostring(info.state), pct and (" " .. pct .. "%") or "")
      save(job)
    end,
  }
  for k, v in pairs(options) do if k ~= "client" then opts[k] = v end end
  log(job, "started")
  local ran, result, err = pcall(workflow.snapshot_and_publish, client, spec, opts)
  if not ran then  -- a bad spec (e.g. a JSON null as a value) raises
    job.state, job.error = "failed", tostring(result)
    log(job, "failed: %s", job.error)
  elseif result then
    job.state, job.UHostId, job.CompShareImageId = "done", result.UHostId, result.CompShareImageId
    log(job, "done: instance %s, image %s published", result.UHostId, result.CompShareImageId)
  else
    -- partial holds the ids made so far: POST them back (uhost_id/image_id) to resume
    job.state, job.error, job.step, job.partial = "failed", tostring(err), err.step, err.partial
    log(job, "failed: %s", tostring(err))
  end
  save(job)
end

--- Start the workflow in a timer; returns the job id, or nil, message.
function publish_job.start(spec)
  local id = jobs():incr("next_id", 1, 0)
  local job = { id = id, state = "running", steps = {} }
  save(job)
  local ok, err = ngx.timer.at(0, run, job, spec)
  if not ok then
    job.state, job.error = "failed", "could not start a timer: " .. tostring(err)
    save(job)
    return nil, job.error
  end
  return id
end

return publish_job
