--- The progress printer for waits: `\r[#####     ] 42% image compshareImage-1: Making` redrawn on a
-- terminal, one plain line per change otherwise.
-- @module compshare.cli.progress
local progress = {}

local BAR = 30

--- "image compshareImage-1: Making" from what the workflows pass as info.
local function describe(info)
  if type(info) ~= "table" then return info and tostring(info) or "" end
  local id = info.id or info.CompShareImageId or info.UHostId
  local state = info.state or info.Status or info.State
  local head = table.concat({ info.what and tostring(info.what) or nil, id and tostring(id) or nil }, " ")
  if state == nil then return head end
  return head == "" and tostring(state) or (head .. ": " .. tostring(state))
end

--- printer(out, tty) -> function(pct, info) drawing a bar on a terminal (tty true), or one plain
-- line per change otherwise. A nil pct (a state change with no percentage) is printed as a line
-- of its own.
function progress.printer(out, tty)
  local last, open = nil, false
  return function(pct, info)
    local label = describe(info)
    if pct == nil then
      if label ~= last then out:write(open and "\n" or "", label, "\n") end
      last, open = label, false
      return out:flush()
    end
    pct = math.max(0, math.min(100, math.floor(tonumber(pct) or 0)))
    local line = ("%3d%% %s"):format(pct, label)
    if tty then
      local n = math.floor(pct * BAR / 100)
      out:write(("\r[%s%s] %s"):format(("#"):rep(n), (" "):rep(BAR - n), line))
      open = pct < 100
      if not open then out:write("\n") end
    elseif line ~= last then
      out:write(label ~= "" and (label .. " ") or "", pct, "%\n")
    end
    last = line
    out:flush()
  end
end

return progress
