--- Configuration: explicit options win over UCLOUD_* environment variables,
-- which win over the ~/.ucloud profile files.
local config = {}

local ENV = {
  public_key = "UCLOUD_PUBLIC_KEY", private_key = "UCLOUD_PRIVATE_KEY",
  region = "UCLOUD_REGION", zone = "UCLOUD_ZONE", project_id = "UCLOUD_PROJECT_ID",
  base_url = "UCLOUD_API_BASE_URL", timeout = "UCLOUD_TIMEOUT_SECOND",
}

--- resolve(opts) -> a new options table with the gaps filled in.
function config.resolve(opts, getenv)
  getenv = getenv or os.getenv
  local out = {}
  for k, v in pairs(opts) do out[k] = v end
  for key, var in pairs(ENV) do
    if out[key] == nil then
      local v = getenv(var)
      if v and v ~= "" then out[key] = key == "timeout" and tonumber(v) or v end
    end
  end
  return out
end

return config
