--- `compshare-lua help [COMMAND|ACTION]`: the usage, a command's usage, or an action's summary,
-- request fields (types, flags, descriptions with units), rules, pagination and response fields.
-- The spec's provenance (seed pages, SDK decisions) stays in docs/API.md.
-- @module compshare.cli.help
local fields = require "compshare.cli.fields"

local help = {}

help.summary = "the usage, a command's options, or an action's fields and rules"
help.usage = [[
usage: compshare-lua help [COMMAND | ACTION]

  help              the global usage
  help COMMAND      a command's options (the same as COMMAND --help)
  help ACTION       an action: what it does, its request fields with types, units and rules,
                    whether it is safe to retry or costs money, and its response fields
]]

local function section(out, title, lines)
  if #lines == 0 then return end
  out[#out + 1] = ""
  out[#out + 1] = title
  for _, l in ipairs(lines) do out[#out + 1] = l end
end

--- The help text of action `name` (a list of lines).
function help.action_lines(spec, name)
  local a = fields.action(spec, name)
  local out = { name .. (a.summary and (" - " .. a.summary) or "") }
  out[#out + 1] = a.retry_safe == false and ("  not safe to retry: " .. tostring(a.retry_reason))
    or "  safe to retry"
  if a.spends then out[#out + 1] = "  costs money on the real service: " .. a.spends_reason end
  if a.pagination then
    local p = a.pagination
    out[#out + 1] = ("  paginated: %s/%s, items in %s (--all follows the pages)"):format(p.offset, p.limit, p.items)
  end
  section(out, "request fields:", fields.describe(spec, fields.request(spec, name), "", {}, a.nested_docs))
  section(out, "rules (checked before sending):", fields.rules(spec, name))
  section(out, "response fields:", fields.describe(spec, fields.response(spec, name), "", {}))
  return out
end

--- Runs the command; ctx (from compshare.cli) has the commands and the global usage.
function help.run(words, _, ctx)
  local name = words[1]
  if not name then io.stdout:write(ctx.usage()) return 0 end
  if ctx.commands[name] then io.stdout:write(ctx.commands[name].usage) return 0 end
  local spec = fields.load()
  if not fields.action(spec, name) then return nil, fields.unknown_action(spec, name) end
  io.stdout:write(table.concat(help.action_lines(spec, name), "\n"), "\n")
  return 0
end

return help
