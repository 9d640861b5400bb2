--- The terminal: is a descriptor a terminal, a question answered on one line, a secret read
-- without echo (`stty -echo`, restored afterwards even when reading fails).
-- @module compshare.cli.term
local term = {}

local host do
  local ok, h = pcall(require, "compshare.host")   -- only inside the compshare-lua runtime
  host = ok and h or nil
end

--- Is descriptor `fd` (0 stdin, 1 stdout, 2 stderr) a terminal? False outside the runtime.
function term.isatty(fd)
  return host ~= nil and host.isatty(fd) == true
end

--- True when fd 1 is a terminal that can redraw a line (TERM set and not dumb).
function term.can_redraw()
  local t = os.getenv("TERM")
  return t ~= nil and t ~= "" and t ~= "dumb" and term.isatty(1)
end

--- Writes `question` on stderr and reads one line from stdin (nil at the end of input).
function term.ask(question, input)
  io.stderr:write(question)
  io.stderr:flush()
  return (input or io.stdin):read("l")
end

--- Like ask, with echo off while the line is typed (on a terminal).
function term.ask_secret(question)
  local quiet = os.execute("stty -echo 2>/dev/null")   -- before the prompt: typing may start at once
  io.stderr:write(question)
  io.stderr:flush()
  local ok, line = pcall(io.read, "l")
  if quiet == true or quiet == 0 then
    os.execute("stty echo 2>/dev/null")
    io.stderr:write("\n")
  end
  if not ok then return nil end
  return line
end

return term
