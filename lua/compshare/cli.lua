--- The front end of the `compshare-lua` runtime: `main(argv)` returns an exit code.
--
--   compshare-lua [options] COMMAND [args]      (commands: see cli.COMMANDS; `help` lists them)
--
-- Each command lives in its own module under compshare.cli, which returns
-- `{ summary = "one line", usage = "text for --help", run = function(args, opts, ctx) -> code | nil, err }`;
-- ctx = { commands = name -> command table, names = sorted names, usage = fn() -> the global usage }.
-- Exit codes: 0 ok, 1 other, 2 validation or usage, 3 api, 4 transport/timeout/http/decode.
-- @module compshare.cli
local compshare = require "compshare"
local errors = require "compshare.errors"
local args = require "compshare.cli.args"
local output = require "compshare.cli.output"
local progress = require "compshare.cli.progress"
local term = require "compshare.cli.term"

local cli = {}

--- Command name -> the module that runs it (one line per command, so additions merge cleanly).
cli.COMMANDS = {
  actions = "compshare.cli.actions",
  call = "compshare.cli.call",
  completion = "compshare.cli.completion",
  configure = "compshare.cli.config_cmd",
  help = "compshare.cli.help",
  run = "compshare.cli.run",
  sandbox = "compshare.cli.sandbox",
  wait = "compshare.cli.wait",
}

cli.EXIT = output.EXIT
cli.exit_code = output.exit_code
cli.parse = args.parse

local OPTIONS = [[
options (before or after the command):
  --sandbox            talk to an offline sandbox of the service (no keys, nothing costs money)
  --profile NAME       the profile in compshare-cli's config.json (or ~/.ucloud)
  --region R, --zone Z, --base-url URL, --timeout SECONDS, --max-retries N
  --output json|table  (call) tables for *Set lists; JSON when stdout is not a terminal
  --query PATH         (call) print only PATH of the response, e.g. UHostSet[].UHostId
  --all                (call) follow the pages of a paginated action
  --dry-run            (call) validate and sign, print the redacted request, send nothing
  --yes, -y            go ahead with calls that cost money without asking
  --debug              every request and response on stderr, secrets redacted
  --help, -h           this text, or a command's (COMMAND --help)
  --version            the library, Lua and libcurl versions

Keys and defaults come from the flags, COMPSHARE_*, UCLOUD_*, compshare-cli's config file, then
~/.ucloud (docs/RELIABILITY.md). Actions that cost money ask first on a terminal, and need --yes
otherwise.

exit codes: 0 ok, 2 validation or usage, 3 API error, 4 transport/timeout/HTTP/decode, 1 other
]]

--- The command table for `name`, or nil (a module that is not there is no command).
function cli.command(name)
  local modname = cli.COMMANDS[name]
  if not modname then return nil end
  local ok, mod = pcall(require, modname)
  if ok and type(mod) == "table" and type(mod.run) == "function" then return mod end
  return nil
end

--- The command names, sorted.
function cli.command_names()
  local names = {}
  for name in pairs(cli.COMMANDS) do if cli.command(name) then names[#names + 1] = name end end
  table.sort(names)
  return names
end

--- The global usage text.
function cli.usage()
  local lines = { "usage: compshare-lua [options] COMMAND ...", "", "commands:" }
  for _, name in ipairs(cli.command_names()) do
    lines[#lines + 1] = ("  %-12s %s"):format(name, cli.command(name).summary or "")
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "`compshare-lua COMMAND --help` (or `help COMMAND`) shows a command's options;"
  lines[#lines + 1] = "`compshare-lua help ACTION` an action's fields."
  lines[#lines + 1] = ""
  return table.concat(lines, "\n") .. OPTIONS
end

--- The text of --version: this library's, Lua's and libcurl's versions, each labelled.
function cli.version()
  local core = require "compshare.core"
  return ("compshare-lua %s\n  Lua      %s%s\n  libcurl  %s\n"):format(compshare._VERSION, _VERSION,
    jit and (" (" .. jit.version .. ")") or "", tostring(core.curl_version))
end

cli.progress_printer = progress.printer

--- cli.progress(pct, info): an on_progress printer for stdout (a bar on a terminal).
function cli.progress(pct, info)
  cli.progress = progress.printer(io.stdout, term.can_redraw())
  return cli.progress(pct, info)
end

-- Runs command `name` with the parsed words; returns an exit code.
local function dispatch(cmd)
  local name = cmd.command
  local command = cli.command(name)
  if not command then
    return output.report(args.usage_error(("unknown command %s (`compshare-lua --help` lists them)"):format(name)))
  end
  if cmd.opts.help then io.stdout:write(command.usage or cli.usage()) return 0 end
  local ctx = { commands = {}, names = cli.command_names(), usage = cli.usage }
  for _, n in ipairs(ctx.names) do ctx.commands[n] = cli.command(n) end
  local ok, code, err = pcall(command.run, cmd.args, cmd.opts, ctx)
  if not ok then
    if errors.is(code) then return output.report(code) end
    io.stderr:write("compshare-lua: internal error: ", tostring(code), "\n")
    return cli.EXIT.other
  end
  if code == nil then return output.report(err) end
  return code
end

--- main(argv) -> exit code. argv[1..] are the words after the program name.
function cli.main(argv)
  if argv and argv[1] == "sandbox" then return require("compshare.cli.sandbox").main(argv, 2) end  -- its own options
  local cmd, perr = args.parse(argv or {})
  if not cmd then return output.report(perr) end
  if cmd.opts.version then io.stdout:write(cli.version()) return 0 end
  if not cmd.command then
    io.stdout:write(cli.usage())
    return cmd.opts.help and 0 or cli.EXIT.usage
  end
  return dispatch(cmd)
end

return cli
