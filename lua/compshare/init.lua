--- compshare-lua: a Lua SDK and runtime for the CompShare GPU cloud OpenAPI.
-- local compshare = require "compshare"
-- local client = compshare.new{ public_key = ..., private_key = ..., region = "cn-wlcb" }
-- local res, err = client:DescribeCompShareImages{ ImageType = "System", Limit = 10 }
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
function compshare.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("compshare.new expects a table of options", 2) end
  return Client.new(config.resolve(opts))
end

return compshare
