--- compshare-lua: a Lua SDK and runtime for the CompShare GPU cloud OpenAPI.
-- local compshare = require "compshare"
-- local client = compshare.new{ public_key = ..., private_key = ..., region = "cn-wlcb" }
-- local res, err = client:DescribeCompShareImages{ ImageType = "System", Limit = 10 }
-- @module compshare
--
-- The top of the library's layers: it loads the client with everything the layers above it
-- install on the client class (compshare.api: the typed methods and paginate; compshare.batch:
-- batch). Loading does no I/O.
local Client = require "compshare.client"
local config = require "compshare.config"
local core = require "compshare.core"
require "compshare.api"
require "compshare.batch"

local compshare = {
  _VERSION = core.VERSION,
  errors = require "compshare.errors",
}

--- new(opts) -> client.
-- opts: public_key, private_key, region, zone, project_id, base_url, timeout,
-- max_retries, transport, logger, profile, insecure, cainfo.
-- Options left out come from `compshare.config` (environment, compshare-cli's and ucloud-cli's
-- files, defaults).
-- @tparam[opt] table opts `public_key`, `private_key`, `region`, `zone`, `project_id`, `base_url`
--   (default `https://api.compshare.cn`), `timeout` (seconds, 30), `max_retries` (0), `transport`,
--   `logger` (function(line)), `profile`, `insecure`, `cainfo`
-- @treturn compshare.client the client, with a typed method per action (`client:CreateCompShareInstance{...}`)
-- @raise when opts is not a table, or on a broken configuration (`compshare config: ...`: bad JSON, a
--   named profile that is nowhere, a timeout that is not a number)
function compshare.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("compshare.new expects a table of options", 2) end
  return Client.new(config.resolve(opts))
end

return compshare
