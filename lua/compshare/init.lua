--- compshare-lua: a Lua SDK and runtime for the CompShare GPU cloud OpenAPI.
-- local compshare = require "compshare"
-- local client = compshare.new{ public_key = ..., private_key = ..., region = "cn-wlcb" }
-- local res, err = client:DescribeCompShareImages{ ImageType = "System", Limit = 10 }
local compshare = {
  _VERSION = "0.1.0",
  errors = require "compshare.errors",
}

--- new(opts) -> client.
-- opts: public_key, private_key, region, zone, project_id, base_url, timeout,
-- max_retries, transport, logger, profile, insecure, cainfo.
function compshare.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("compshare.new expects a table of options", 2) end
  opts = require("compshare.config").resolve(opts)
  local client = require("compshare.client").new(opts, compshare._VERSION)
  require("compshare.api").attach(client)
  return client
end

return compshare
