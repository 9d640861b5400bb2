--- Injected faults: a queue the next requests take from (sb:inject{...} in
-- process, POST /_sandbox/fault over HTTP). Each fault:
--   kind      "http" (status, default 503) | "throttle" (429 with Retry-After) |
--             "reset" (the connection drops, no answer) | "slow" (delay seconds,
--             then the real answer) | "malformed" (a body that is not JSON) |
--             "retcode" (code, message: an API error)
--   times     how many requests it hits (default 1)
--   action    only requests of this action (default any)
--   apply     true: carry the action out first ("done, but the answer was lost")
local faults = {}

faults.MAX_DELAY = 60   -- seconds a "slow" fault may hold an answer back

faults.KINDS = { http = true, throttle = true, reset = true, slow = true, malformed = true, retcode = true }

--- A checked copy of a fault description; raises on a bad one.
function faults.check(f)
  if type(f) ~= "table" or not faults.KINDS[f.kind] then
    error("compshare.sandbox: a fault needs kind = http|throttle|reset|slow|malformed|retcode", 3)
  end
  local out = {}
  for k, v in pairs(f) do out[k] = v end
  out.times = require("compshare.sandbox.world").whole(f.times or 1) or 1
  if out.times < 1 then error("compshare.sandbox: fault times must be >= 1", 3) end
  local delay = tonumber(f.delay or 1)
  if f.kind == "slow" and not (delay and delay >= 0 and delay <= faults.MAX_DELAY) then
    error(("compshare.sandbox: a slow fault's delay is 0 to %d seconds"):format(faults.MAX_DELAY), 3)
  end
  return out
end

--- The next fault for `action` from `queue` (consumed), or nil.
function faults.take(queue, action)
  for i, f in ipairs(queue) do
    if f.action == nil or f.action == action then
      f.times = f.times - 1
      if f.times <= 0 then table.remove(queue, i) end
      return f
    end
  end
end

--- The transport answer for a fault: res, or nil, err (reset); `answer(fields)`
-- builds a JSON answer. A "slow" fault returns nil: answer normally (after res.delay).
function faults.answer(f, answer)
  if f.kind == "http" then
    return { status = tonumber(f.status) or 503, headers = { ["content-type"] = "text/plain" },
      body = f.body or "injected HTTP failure" }
  elseif f.kind == "throttle" then
    return { status = 429, headers = { ["content-type"] = "text/plain", ["retry-after"] = tostring(f.retry_after or 1) },
      body = "too many requests (injected)" }
  elseif f.kind == "reset" then
    return nil, { kind = "transport", message = "connection reset by peer (injected by the sandbox)", sent = true, reset = true }
  elseif f.kind == "malformed" then
    return { status = 200, headers = { ["content-type"] = "application/json" }, body = f.body or '{"RetCode":0,"UHost' }
  elseif f.kind == "retcode" then
    return answer { RetCode = tonumber(f.code) or 2001, Message = f.message or "injected error" }
  end
  return nil
end

return faults
