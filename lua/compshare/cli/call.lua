--- `compshare-lua call ACTION [Key=Value ...]`: one validated call, printed as JSON or tables.
-- @module compshare.cli.call
local api = require "compshare.api"
local log = require "compshare.log"
local args = require "compshare.cli.args"
local consent = require "compshare.cli.consent"
local fields = require "compshare.cli.fields"
local output = require "compshare.cli.output"
local params = require "compshare.cli.params"
local query = require "compshare.cli.query"
local session = require "compshare.cli.session"
local term = require "compshare.cli.term"

local call = {}

call.summary = "make one call and print the response"
call.usage = [[
usage: compshare-lua call ACTION [Key=Value ...] [options]

  Key=Value            a request field; dotted keys build nested tables, indexes from 0
                       (Disks.0.Size=200 Disks.0.IsBoot=true); values are typed from the spec
  --json '{...}'       fields as a JSON object (Key=Value words go on top of it)
  --output json|table  tables for *Set lists; JSON by default when stdout is not a terminal
  --query PATH         print only PATH of the response: UHostSet[].UHostId, TotalCount, ImageSet[0].Name
  --all                follow the pages of a paginated action and print every item
  --dry-run            validate and sign, print the request that would go out (redacted), send nothing
  --yes                go ahead with an action that costs money without asking
  --debug              every request and response on stderr, secrets redacted
  --sandbox, --profile, --region, --zone, --base-url, --timeout, --max-retries  (see --help)

Each field is described by `compshare-lua help ACTION`.
]]

--- The params for the words after ACTION, or nil, usage error.
local function build_params(spec, action, words, opts)
  local p, perr = params.build(words, opts.json, spec and function(parts)
    return fields.type_at(spec, action, parts)
  end)
  if not p then return nil, args.usage_error(perr) end
  return p
end

-- The request that would go out, as one redacted line per part.
local function print_dry_run(req)
  local lines = { "dry run: nothing was sent", ("%s %s"):format(req.method or "POST", tostring(req.url)) }
  local names = {}
  for k in pairs(req.headers or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do lines[#lines + 1] = k .. ": " .. tostring(req.headers[k]) end
  lines[#lines + 1] = ""
  local body = log.redact_form(req.body or "")
  for pair in body:gmatch("[^&]+") do lines[#lines + 1] = pair end
  io.stdout:write(table.concat(lines, "\n"), "\n")
end

-- Every item of every page, as one response `{ [items] = {...}, TotalCount = n }`.
local function all_pages(client, action, p, a)
  local pg = a.pagination
  if not pg then return nil, args.usage_error(action .. " is not paginated, so --all does not apply") end
  local items = {}
  for item, err in client:paginate(action, p) do
    if item == false then return nil, err end
    items[#items + 1] = item
  end
  return { [pg.items] = items, TotalCount = #items }
end

local function show(res, opts)
  local value = res
  if opts.query then
    local err
    value, err = query.run(opts.query, res)
    if err then return nil, args.usage_error("--query: " .. err) end
  end
  local format = opts.output or (term.isatty(1) and "table" or "json")
  if opts.query and format == "table" and type(value) ~= "table" then
    io.stdout:write(output.cell(value), "\n")
  else
    output.print(value, format)
  end
  return 0
end

-- Validated params (the typed wrapper's check; an action the spec does not know is sent as is).
local function validated(client, a, action, p)
  if not a then return p end
  return api.prepare(client, action, p)
end

--- Runs the command; returns an exit code, or nil, err.
function call.run(words, opts)
  local action = words[1]
  if not action then return nil, args.usage_error("call needs an ACTION (see `compshare-lua actions`)") end
  local spec = fields.load()
  local a = fields.action(spec, action)
  if not a then return nil, fields.unknown_action(spec, action) end
  local keeper = consent.keeper { yes = opts.yes }
  local client, err = session.client(opts, keeper)       -- missing credentials: the first message
  if not client then return nil, err end
  local p
  p, err = build_params(spec, action, { table.unpack(words, 2) }, opts)
  if not p then return nil, err end
  if opts.query and select(2, query.compile(opts.query)) then
    return nil, args.usage_error("--query: " .. select(2, query.compile(opts.query)))
  end
  p, err = validated(client, a, action, p)
  if not p then return nil, err end
  if opts["dry-run"] then
    local req, rerr = client:prepare(action, p)
    if not req then return nil, rerr end
    print_dry_run(req)
    return 0
  end
  if not opts.sandbox then
    local ok, cerr = keeper(action)
    if not ok then return nil, cerr end
  end
  local res
  if opts.all then res, err = all_pages(client, action, p, a or {}) else res, err = client:call(action, p) end
  if not res then return nil, err end
  return show(res, opts)
end

return call
