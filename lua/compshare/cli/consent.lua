--- Consent before spending: an action the spec marks `spends` (creates, resizes, reinstalls, charge
-- changes...) is sent to the real service only after a yes. On a terminal the CLI asks once; with
-- stdin not a terminal it needs `--yes`, and fails otherwise (exit 2, nothing sent). The sandbox
-- never asks.
-- @module compshare.cli.consent
local errors = require "compshare.errors"
local fields = require "compshare.cli.fields"
local term = require "compshare.cli.term"

local consent = {}

--- Why `action` costs money, or nil when it does not (from the spec's `spends`).
function consent.spends(action)
  local a = fields.action(fields.load(), action)
  if a and a.spends then return a.spends_reason or "it costs money" end
  return nil
end

local function refusal(action, why, asked)
  return errors.new { kind = "validation", usage = true, action = action, message = asked
    and ("%s not sent: it costs money on the real service (%s), and the answer was not yes"):format(action, why)
    or ("%s costs money on the real service (%s); nothing was sent. Run again with --yes to go ahead "
      .. "(or try it with --sandbox first)"):format(action, why) }
end

--- A consent keeper for one command: `keeper(action)` -> true, or nil, usage error. It asks at
-- most once (a yes covers the rest of the command); `yes` (the --yes flag) answers for it.
-- @tparam table o `{ yes = bool, ask = fn(question) -> answer|nil, interactive = bool }`
function consent.keeper(o)
  local granted = o.yes == true
  local interactive = o.interactive
  if interactive == nil then interactive = term.isatty(0) end
  local ask = o.ask or term.ask
  return function(action)
    local why = consent.spends(action)
    if not why or granted then return true end
    if not interactive then return nil, refusal(action, why, false) end
    local answer = ask(("%s costs money on the real CompShare service (%s). Go ahead? [y/N] "):format(action, why))
    if answer and (answer:lower():match("^%s*y%s*$") or answer:lower():match("^%s*yes%s*$")) then
      granted = true
      return true
    end
    return nil, refusal(action, why, true)
  end
end

--- The transport `inner` behind a consent check: a spending request is refused (raised, so that a
-- script stops there) unless `keeper` agrees. Batches are checked request by request, first.
function consent.guard(inner, keeper)
  local function check(req)
    local ok, err = keeper(req.action)
    if not ok then error(err, 0) end
  end
  local t = type(inner) == "table" and inner or {}
  local guarded = {}
  if t.batch then
    guarded.batch = function(reqs, concurrency)
      for _, req in ipairs(reqs) do check(req) end
      return inner.batch(reqs, concurrency)
    end
  end
  if t.close then guarded.close = function(...) return t.close(...) end end
  return setmetatable(guarded, {
    __call = function(_, req)
      check(req)
      return inner(req)
    end,
    __index = t,
  })
end

return consent
