--- Shell, file and process helpers shared by the specs and the server harnesses.
local socket = require "socket"

local sh = {}

--- Quote s for /bin/sh.
function sh.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The whole file, or "" when it cannot be read.
function sh.read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end

--- Write text to path (raises when it cannot).
function sh.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- Does path exist (and is it readable)?
function sh.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

--- A command's standard output, trailing white space removed.
function sh.capture(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

--- Run a command; true when it exits 0 (os.execute differs on 5.1 and 5.4).
function sh.run(cmd)
  local a = os.execute(cmd)
  return a == true or a == 0
end

--- Is process pid running and not a zombie (a daemon's zombie waits for init to reap it)?
function sh.alive(pid)
  if not pid then return false end
  local stat = sh.capture("ps -o stat= -p " .. pid .. " 2>/dev/null")
  return stat ~= "" and not stat:find("^Z")
end

--- Poll pred every 20 ms until it is true or `seconds` have passed; its last answer.
function sh.wait_until(pred, seconds)
  local deadline = socket.gettime() + seconds
  repeat
    if pred() then return true end
    socket.sleep(0.02)
  until socket.gettime() > deadline
  return pred()
end

--- A value whose collection (at the latest when Lua closes) calls fn. LuaJIT's tables have
-- no __gc, so there it is a newproxy.
function sh.on_collect(fn)
  if newproxy then
    local p = newproxy(true)
    getmetatable(p).__gc = fn
    return p
  end
  return setmetatable({}, { __gc = fn })
end

return sh
