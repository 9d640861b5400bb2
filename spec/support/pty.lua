--- Drive a command on a pseudo-terminal (script(1)) like a person: wait for each prompt, then
-- type the answer. Two FIFOs carry the keystrokes in and the terminal's output out; the command
-- runs under timeout(1), so a prompt that never comes ends the run instead of hanging the spec.
--
--   local out, code = pty.run(shell_command, { { expect = "key: ", send = "abc\n" }, ... })
local sh = require "support.sh"

local pty = {}

pty.TIMEOUT = 30   -- seconds before the command is killed

-- Reads from `f` one byte at a time until `text` has been seen; returns what was read (nil at EOF).
local function read_until(f, text, so_far)
  local buf = {}
  while true do
    local c = f:read(1)
    if not c then return nil, table.concat(buf) end
    buf[#buf + 1] = c
    if #buf >= #text and (so_far .. table.concat(buf)):sub(-#text) == text then return table.concat(buf) end
  end
end

--- run(command, steps) -> everything the terminal showed, the exit code (nil when unknown).
function pty.run(command, steps)
  local dir = sh.capture("mktemp -d /tmp/compshare-pty.XXXXXX")
  local fin, fout, fcode = dir .. "/in", dir .. "/out", dir .. "/code"
  assert(sh.run("mkfifo " .. sh.quote(fin) .. " " .. sh.quote(fout)))
  local inner = ("timeout %d script -qec %s /dev/null"):format(pty.TIMEOUT, sh.quote(command))
  assert(sh.run(("( %s <%s >%s 2>&1; echo $? >%s ) &"):format(inner, sh.quote(fin), sh.quote(fout),
    sh.quote(fcode))))
  local input = assert(io.open(fin, "w"))
  local output = assert(io.open(fout, "r"))
  local seen = ""
  for _, step in ipairs(steps or {}) do
    local got, rest = read_until(output, step.expect, seen)
    seen = seen .. (got or rest)
    if not got then break end
    input:write(step.send)
    input:flush()
  end
  seen = seen .. (output:read("a") or "")
  input:close()
  output:close()
  local code
  for _ = 1, 100 do                      -- the subshell writes the code just after script ends
    code = tonumber(sh.read(fcode))
    if code then break end
    sh.run("sleep 0.05")
  end
  sh.run("rm -rf " .. sh.quote(dir))
  return (seen:gsub("\r\n", "\n")), code
end

return pty
