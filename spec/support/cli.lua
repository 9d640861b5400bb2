--- Running the compshare-lua binary from specs, with a clean environment: no LUA_PATH, no
-- COMPSHARE_* or UCLOUD_*, HOME in a temp dir that does not exist unless env gives one.
local sh = require "support.sh"

local cli = {}

cli.BIN = "build/bin/compshare-lua"

local function slurp(path)
  local s = sh.read(path)
  os.remove(path)
  return s
end

--- run(args, env, raw) -> exit code, stdout, stderr. `raw`: args[1] is the program to run instead.
-- `env.STDIN`, when given, is written to the command's stdin.
function cli.run(args, env, raw)
  local tmp = os.tmpname()
  local parts = { "env -i PATH=/usr/bin:/bin HOME=" .. sh.quote(tmp .. ".home") }
  local stdin
  for k, v in pairs(env or {}) do
    if k == "STDIN" then stdin = v else parts[#parts + 1] = k .. "=" .. sh.quote(v) end
  end
  if not raw then parts[#parts + 1] = cli.BIN end
  for _, a in ipairs(args) do parts[#parts + 1] = sh.quote(a) end
  local input = "/dev/null"
  if stdin then
    input = tmp .. ".in"
    sh.write(input, stdin)
  end
  local cmd = table.concat(parts, " ") .. " <" .. input .. " >" .. tmp .. ".out 2>" .. tmp .. ".err; echo $?"
  local p = assert(io.popen(cmd))
  local code = tonumber(p:read("*a"))
  p:close()
  os.remove(tmp)
  if stdin then os.remove(input) end
  return code, slurp(tmp .. ".out"), slurp(tmp .. ".err")
end

--- A temporary script file with `text`; returns its path.
function cli.write_script(text)
  local path = os.tmpname() .. ".lua"
  sh.write(path, text)
  return path
end

--- The shell command line for the binary with `env` and `args` (for support.pty).
function cli.command_line(args, env)
  local parts = { "env -i PATH=/usr/bin:/bin TERM=xterm" }
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. sh.quote(v) end
  parts[#parts + 1] = cli.BIN
  for _, a in ipairs(args) do parts[#parts + 1] = sh.quote(a) end
  return table.concat(parts, " ")
end

return cli
