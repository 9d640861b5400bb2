--- The command line's words: global options (before or after the command, `--opt value` or
-- `--opt=value`), the command and its arguments. For `run`, every word after the script belongs
-- to the script. An option given twice is an error, as is a value that does not fit the option.
-- @module compshare.cli.args
local errors = require "compshare.errors"

local args = {}

--- Options taking a value -> a checker turning the text into the value (nil, message when bad).
args.VALUED = {
  profile = tostring, region = tostring, zone = tostring, json = tostring, query = tostring,
  ["base-url"] = tostring,
  output = function(v)
    if v == "json" or v == "table" then return v end
    return nil, "must be json or table"
  end,
  timeout = function(v)
    local n = tonumber(v)
    if n and n > 0 and n < math.huge then return n end
    return nil, "must be a number of seconds > 0"
  end,
  ["max-retries"] = function(v)
    local n = tonumber(v)
    if n and n >= 0 and n <= 100 and n == math.floor(n) then return math.tointeger and math.tointeger(n) or n end
    return nil, "must be a whole number from 0 to 100"
  end,
}

--- Options that are flags.
args.FLAGS = { sandbox = true, help = true, version = true, yes = true, debug = true, ["dry-run"] = true, long = true,
               all = true }

local SHORT = { ["-h"] = "help", ["-y"] = "yes" }

--- A usage error (exit 2).
function args.usage_error(msg)
  return errors.new { kind = "validation", message = msg, usage = true }
end

-- Sets option `name` from the word at argv[i] (and argv[i + 1] for a separate value); returns the
-- index of the last word used, or nil, err.
local function take_option(cmd, argv, i, name, value)
  if cmd.opts[name] ~= nil then return nil, args.usage_error("option --" .. name .. " is given twice") end
  local check = args.VALUED[name]
  if check then
    if value == nil then
      i = i + 1
      value = argv[i]
      if value == nil then return nil, args.usage_error("option --" .. name .. " needs a value") end
    end
    local v, why = check(value)
    if v == nil then return nil, args.usage_error(("option --%s %s, got %q"):format(name, why, value)) end
    cmd.opts[name] = v
  elseif args.FLAGS[name] and value == nil then
    cmd.opts[name] = true
  elseif args.FLAGS[name] then
    return nil, args.usage_error("option --" .. name .. " takes no value")
  else
    return nil, args.usage_error("unknown option --" .. name)
  end
  return i
end

--- parse(argv) -> `{ command=, args={...}, opts={...} }`, or nil, usage error.
function args.parse(argv)
  local cmd = { args = {}, opts = {} }
  local i = 1
  while i <= #argv do
    local a, err = argv[i], nil  -- luacheck: ignore err
    if cmd.command == "run" and #cmd.args >= 1 then
      cmd.args[#cmd.args + 1] = a
    elseif a:sub(1, 2) == "--" and #a > 2 then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      i, err = take_option(cmd, argv, i, name or a:sub(3), value)
      if not i then return nil, err end
    elseif SHORT[a] then
      i, err = take_option(cmd, argv, i, SHORT[a])
      if not i then return nil, err end
    elseif not cmd.command then
      cmd.command = a
    else
      cmd.args[#cmd.args + 1] = a
    end
    i = i + 1
  end
  return cmd
end

return args
