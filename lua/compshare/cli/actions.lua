--- `compshare-lua actions`: every action of the spec, one a line (with its summary on a terminal).
-- @module compshare.cli.actions
local fields = require "compshare.cli.fields"

local actions = {}

actions.summary = "list the actions"
actions.usage = [[
usage: compshare-lua actions [--long]

Every action name, one a line. --long adds each one's summary, and marks those that cost money.
]]

function actions.run(_, opts)
  local spec = fields.load()
  for _, name in ipairs(fields.action_names(spec)) do
    local a = fields.action(spec, name)
    if opts.long then
      io.stdout:write(("%-42s %s%s\n"):format(name, a.spends and "[spends] " or "", a.summary or ""))
    else
      io.stdout:write(name, "\n")
    end
  end
  return 0
end

return actions
