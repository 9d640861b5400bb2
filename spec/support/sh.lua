--- Shell and file helpers shared by the specs and the nginx harness.
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

return sh
