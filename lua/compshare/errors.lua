--- Structured errors: every runtime failure of the SDK is one of these.
-- Fields: kind, code, message, action, request_id, retryable, and where they
-- apply maybe_applied, hint, problems (validation), step and partial (workflows).
--
-- `tostring(err)` reads `compshare <kind> error [code] [in Action]: message (request id) [may have
-- been applied] - hint`.
-- @module compshare.errors
local errors = {}

local KINDS = {
  validation = true, api = true, http = true, transport = true, timeout = true, decode = true,
  workflow = true,
}

local Error = {}
Error.__index = Error

function Error.__tostring(e)
  local parts = { "compshare " .. tostring(e.kind) .. " error" }
  if e.code ~= nil then parts[#parts + 1] = " " .. tostring(e.code) end
  if e.action then parts[#parts + 1] = " in " .. e.action end
  if e.step then parts[#parts + 1] = " at step " .. e.step end
  parts[#parts + 1] = ": " .. tostring(e.message or "unknown error")
  if e.request_id and e.request_id ~= "" then parts[#parts + 1] = " (request " .. e.request_id .. ")" end
  if e.maybe_applied then parts[#parts + 1] = " [may have been applied]" end
  if e.hint then parts[#parts + 1] = " - " .. e.hint end
  return (table.concat(parts):gsub("[\r\n]+", " "))
end

--- Make an error table. `fields.kind` must be one of the known kinds.
-- @tparam table fields `kind` (validation, api, http, transport, timeout, decode, workflow), `message`,
--   `code`, `action`, `request_id`, `retryable`, `maybe_applied`, `hint`, `problems`, `step`, `partial`
-- @treturn table the same table, now an error (`retryable` defaults to false)
-- @raise when kind is not a known kind
function errors.new(fields)
  assert(KINDS[fields.kind], "compshare: unknown error kind " .. tostring(fields.kind))
  if fields.retryable == nil then fields.retryable = false end
  return setmetatable(fields, Error)
end

--- True when `v` is an error made by errors.new.
-- @param v any value
-- @treturn boolean
function errors.is(v)
  return getmetatable(v) == Error
end

--- A validation error listing every problem ({path=, message=}).
-- @tparam string action
-- @tparam {table,...} problems `{ path = "Disks[1].Size", message = "..." }` each
-- @treturn table a `validation` error whose message joins the problems
function errors.validation(action, problems)
  local lines = {}
  for i, p in ipairs(problems) do
    lines[i] = (p.path and p.path ~= "" and (p.path .. ": ") or "") .. p.message
  end
  return errors.new {
    kind = "validation", action = action, problems = problems,
    message = table.concat(lines, "; "),
  }
end

errors.KINDS = KINDS
return errors
