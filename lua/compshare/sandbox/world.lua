--- The sandbox's state: instances and images, their lifecycles on a simulated
-- clock, and the service's rules about which state allows what.
-- Every rule violation raises a refusal (world.refuse) that the transport
-- front turns into a RetCode answer.
local world = {}

--- RetCodes the sandbox answers with (the service does not document its codes;
-- these are ours, all below 2000 so clients do not retry them).
world.CODES = {
  missing_action = 160, unsupported_action = 160,
  signature = 171, missing_param = 230, invalid_param = 231,
  not_found = 250, wrong_state = 251, busy = 252, not_allowed = 253, duplicate = 254,
}

--- Seconds each lifecycle step takes (override any with opts.durations).
world.DURATIONS = {
  instance_boot = 60, instance_start = 30, instance_stop = 20, instance_reboot = 40,
  image_make = 120,
}

--- Instance operations: from which states, through which state, to which.
world.INSTANCE_OPS = {
  StopCompShareInstance = { from = { "Running" }, via = "Stopping", to = "Stopped", duration = "instance_stop" },
  StartCompShareInstance = { from = { "Stopped" }, via = "Starting", to = "Running", duration = "instance_start" },
  RebootCompShareInstance = { from = { "Running" }, via = "Rebooting", to = "Running", duration = "instance_reboot" },
  TerminateCompShareInstance = { from = { "Running", "Stopped", "Install Fail" } },
}

--- Which instance states allow a custom image, by the kind of the instance's image.
world.SNAPSHOT_STATES = {
  container = { "Running" },
  vm = { "Running", "Stopped" },
}

local Refusal = {}
Refusal.__index = Refusal
Refusal.__tostring = function(r) return ("sandbox refusal %d: %s"):format(r.code, r.message) end

--- Stop the current action with RetCode CODES[name] and `message`.
function world.refuse(name, message, ...)
  local code = assert(world.CODES[name], "unknown refusal " .. tostring(name))
  error(setmetatable({ code = code, message = message:format(...) }, Refusal), 0)
end

function world.is_refusal(v)
  return getmetatable(v) == Refusal
end

local function contains(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end
world.contains = contains

local function image(id, name, kind, container, extra)
  local img = {
    CompShareImageId = id, Name = name, ImageType = kind, Container = container and "True" or "False",
    Status = "Available", Author = "CompShare", ImageOwnerAlias = "CompShare", IsOfficial = true,
    Size = 40, Price = 0, Visibility = 1, CreateTime = 1700000000, Tags = {},
  }
  for k, v in pairs(extra or {}) do img[k] = v end
  return img
end

--- The catalogue of system and app images the sandbox starts with.
function world.catalogue()
  return {
    image("compshareImage-sys-ubuntu2204-cuda121", "Ubuntu 22.04 CUDA 12.1", "System", true, { Tags = { "ubuntu", "cuda" } }),
    image("compshareImage-sys-ubuntu2204-cuda124", "Ubuntu 22.04 CUDA 12.4", "System", true, { Tags = { "ubuntu", "cuda" } }),
    image("compshareImage-sys-ubuntu2004-cuda118", "Ubuntu 20.04 CUDA 11.8", "System", true, { Tags = { "ubuntu", "cuda" } }),
    image("compshareImage-sys-ubuntu2204-vm", "Ubuntu 22.04 (VM)", "System", false, { Tags = { "ubuntu", "vm" } }),
    image("compshareImage-sys-centos79-vm", "CentOS 7.9 (VM)", "System", false, { Tags = { "centos", "vm" } }),
    image("compshareImage-sys-windows2022-vm", "Windows Server 2022 (VM)", "System", false, { Tags = { "windows", "vm" } }),
    image("compshareImage-app-pytorch21", "PyTorch 2.1", "App", true, { Tags = { "pytorch" } }),
    image("compshareImage-app-comfyui", "ComfyUI", "App", true, { Tags = { "stable-diffusion" } }),
    image("compshareImage-app-ollama", "Ollama", "App", true, { Tags = { "llm" } }),
    image("compshareImage-app-jupyter", "JupyterLab", "App", true, { Tags = { "notebook" } }),
  }
end

local World = {}
World.__index = World

--- new{ now = function() -> seconds, durations = {...}, fail = {...} }
function world.new(opts)
  local durations = {}
  for k, v in pairs(world.DURATIONS) do durations[k] = v end
  for k, v in pairs(opts.durations or {}) do
    if durations[k] == nil then error("compshare.sandbox: unknown duration " .. tostring(k), 3) end
    if type(v) ~= "number" or v < 0 then error("compshare.sandbox: duration " .. k .. " must be seconds >= 0", 3) end
    durations[k] = v
  end
  local self = setmetatable({
    now = opts.now, durations = durations, fail = opts.fail,
    instances = {}, instance_order = {},   -- id -> entity; creation order of ids
    images = {}, image_order = {},         -- custom images, same shape
    catalogue = world.catalogue(), serial = 0,
  }, World)
  return self
end

function World:next_id(prefix)
  self.serial = self.serial + 1
  return ("%s-sbx%05d"):format(prefix, self.serial)
end

--- A failure plan from opts.fail[key]: a value, or a function of the entity's fields.
function World:plan(key, fields)
  local f = self.fail and self.fail[key]
  if type(f) == "function" then return f(fields) end
  return f
end

-- Instances ----------------------------------------------------------------

--- Bring every entity up to the current simulated time.
function World:settle()
  local now = self.now()
  for _, id in ipairs(self.instance_order) do
    local inst = self.instances[id]
    if inst and inst.pending and now >= inst.pending.at then
      inst.fields.State = inst.pending.to
      inst.pending = nil
    end
    if inst and inst.fields.StopSchedulerTime and now >= inst.fields.StopSchedulerTime then
      self:scheduled_stop(inst)
    end
  end
  for _, id in ipairs(self.image_order) do
    local img = self.images[id]
    if img and img.fields.Status == "Making" then self:settle_image(img, now) end
  end
end

--- Put an instance into `via` now and into `to` after durations[duration] seconds.
function World:transition(inst, via, to, duration)
  local wait = self.durations[duration]
  if wait == 0 then
    inst.fields.State, inst.pending = to, nil
  else
    inst.fields.State = via
    inst.pending = { to = to, at = self.now() + wait }
  end
end

function World:instance(id)
  local inst = id and self.instances[id]
  if not inst then world.refuse("not_found", "instance %s does not exist", tostring(id)) end
  return inst
end

--- Create one instance from an Available image; returns its id.
function World:create_instance(fields, source)
  local id = self:next_id("uhost")
  fields.UHostId = id
  fields.CompShareImageId = source.CompShareImageId
  fields.CompShareImageName = source.Name
  fields.CompShareImageType = source.ImageType
  fields.CompShareImageStatus = source.Status
  fields.CreateTime = math.floor(self.now())
  local inst = { fields = fields, container = source.Container == "True" }
  local failed_state = self:plan("instance", fields)
  self.instances[id] = inst
  self.instance_order[#self.instance_order + 1] = id
  self:transition(inst, "Initializing", failed_state or "Running", "instance_boot")
  return id
end

--- Apply an instance operation from INSTANCE_OPS by action name.
function World:operate(action, id)
  local op = world.INSTANCE_OPS[action]
  local inst = self:instance(id)
  if not contains(op.from, inst.fields.State) then
    world.refuse("wrong_state", "instance %s is %s; %s needs it to be %s", id, inst.fields.State, action,
      table.concat(op.from, " or "))
  end
  if op.to then
    self:transition(inst, op.via, op.to, op.duration)
  else
    self.instances[id] = nil
  end
end

--- UpdateCompShareStopScheduler: stop the instance at `at` (seconds on the clock).
function World:schedule_stop(id, at)
  self:instance(id).fields.StopSchedulerTime = at
end

--- The scheduled time has come: a Running instance is stopped, and the task is done.
-- One still booting or starting is stopped once it is Running; one already stopped keeps its state.
function World:scheduled_stop(inst)
  if inst.pending and inst.fields.State ~= "Stopping" then return end
  inst.fields.StopSchedulerTime = nil
  if inst.fields.State ~= "Running" then return end
  local op = world.INSTANCE_OPS.StopCompShareInstance
  self:transition(inst, op.via, op.to, op.duration)
end

--- Instances in creation order (live ones only), as API field tables.
function World:list_instances()
  local out = {}
  for _, id in ipairs(self.instance_order) do
    local inst = self.instances[id]
    if inst then out[#out + 1] = inst.fields end
  end
  return out
end

-- Images -------------------------------------------------------------------

function World:settle_image(img, now)
  local total = self.durations.image_make
  local pct = total == 0 and 100 or math.min(100, (now - img.started) / total * 100)
  local failure = img.failure
  if failure and pct >= (failure.at or 50) then
    img.progress = failure.at or 50
    img.fields.Status = failure.status or "UnAvailable"
    img.fields.FailedReason = failure.reason or "image creation failed"
  elseif pct >= 100 then
    img.progress = 100
    img.fields.Status = "Available"
  else
    img.progress = pct
  end
  if img.fields.Status ~= "Making" then
    local inst = self.instances[img.source]
    if inst and inst.image_task == img.fields.CompShareImageId then inst.image_task = nil end
  end
end

--- A custom image by id (refuses when there is none).
function World:image(id)
  local img = id and self.images[id]
  if not img then world.refuse("not_found", "custom image %s does not exist", tostring(id)) end
  return img
end

--- Any image an instance can boot from: catalogue or custom.
function World:bootable(id)
  for _, img in ipairs(self.catalogue) do
    if img.CompShareImageId == id then return img end
  end
  local img = self.images[id]
  if not img then world.refuse("not_found", "image %s does not exist", tostring(id)) end
  return img.fields
end

--- Start making a custom image of instance `uhost_id`; returns the image id.
function World:snapshot(uhost_id, fields)
  local inst = self:instance(uhost_id)
  local kind = inst.container and "container" or "vm"
  local allowed = world.SNAPSHOT_STATES[kind]
  if not contains(allowed, inst.fields.State) then
    world.refuse("wrong_state", "instance %s is %s; a %s instance must be %s to make an image", uhost_id,
      inst.fields.State, kind, table.concat(allowed, " or "))
  end
  if inst.image_task then
    world.refuse("busy", "instance %s already has an image task (%s); one image at a time per instance",
      uhost_id, inst.image_task)
  end
  for _, other in pairs(self.images) do
    if other.fields.Name == fields.Name then
      world.refuse("duplicate", "an image named %q already exists (%s)", fields.Name, other.fields.CompShareImageId)
    end
  end
  local id = self:next_id("compshareImage")
  fields.CompShareImageId = id
  fields.ImageType = "Custom"
  fields.Status = "Making"
  fields.Container = inst.container and "True" or "False"
  fields.SourceGpuType = inst.fields.GpuType
  fields.Author, fields.ImageOwnerAlias, fields.IsOfficial = "sandbox", "sandbox", false
  fields.CreateTime = math.floor(self.now())
  fields.Size, fields.Price, fields.Visibility = 40, 0, 0
  local img = { fields = fields, source = uhost_id, started = self.now(), progress = 0 }
  img.failure = self:plan("image", fields)
  self.images[id] = img
  self.image_order[#self.image_order + 1] = id
  inst.image_task = id
  self:settle_image(img, self.now())
  return id
end

--- Forget a custom image (frees its instance's image task).
function World:delete_image(id)
  local img = self:image(id)
  local inst = self.instances[img.source]
  if inst and inst.image_task == id then inst.image_task = nil end
  self.images[id] = nil
end

--- Custom images in creation order, as API field tables.
function World:list_images()
  local out = {}
  for _, id in ipairs(self.image_order) do
    local img = self.images[id]
    if img then out[#out + 1] = img.fields end
  end
  return out
end

return world
