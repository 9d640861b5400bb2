--- Start `compshare-lua sandbox --listen 127.0.0.1:0` as a child process for a
-- spec, read the port from its banner, stop it by its pid.
local socket = require "socket"
local sh = require "support.sh"

local srv = {}

srv.RUNTIME = "build/bin/compshare-lua"

local alive, wait_until = sh.alive, sh.wait_until

--- start(args) -> { pid, port, url, log, stop = fn(signal) -> the log }. args: extra words.
function srv.start(args)
  local log = os.tmpname()
  local words = {}
  for i, a in ipairs(args or {}) do words[i] = sh.quote(a) end
  local pid = sh.capture(("%s sandbox --listen 127.0.0.1:0 %s >%s 2>&1 & echo $!"):format(
    srv.RUNTIME, table.concat(words, " "), sh.quote(log)))
  local port
  wait_until(function()
    port = sh.read(log):match("listening on http://127%.0%.0%.1:(%d+)")
    return port ~= nil or not alive(pid)
  end, 10)
  assert(port, "the sandbox server did not start: " .. sh.read(log))
  local s = { pid = pid, port = tonumber(port), url = "http://127.0.0.1:" .. port .. "/", log = log }
  function s.stop(signal)
    if alive(pid) then sh.run("kill -" .. (signal or "TERM") .. " " .. pid) end
    assert(wait_until(function() return not alive(pid) end, 10), "the sandbox server did not stop")
    local text = sh.read(log)
    os.remove(log)
    return text
  end
  return s
end

--- A raw HTTP exchange with the server: the status line, the headers (lower-case), the body.
function srv.raw(port, text)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(5)
  assert(c:send(text))
  local answer = c:receive("*a") or ""
  c:close()
  local head, body = answer:match("^(.-)\r\n\r\n(.*)$")
  local status = tonumber((head or answer):match("^HTTP/1%.1 (%d+)"))
  local headers = {}
  for k, v in (head or ""):gmatch("\r\n([^:]+):%s*([^\r]*)") do headers[k:lower()] = v end
  return status, headers, body
end

return srv
