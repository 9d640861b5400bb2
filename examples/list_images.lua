--- List the system and app images, page by page.
--
-- COST on the real service: nothing (read-only calls).
--
--   lua5.4 examples/list_images.lua [PAGE_SIZE]     (with LUA_PATH/LUA_CPATH set to the repo)
--   compshare-lua run examples/list_images.lua [PAGE_SIZE]
--
-- Runs on the offline sandbox unless UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY are set.
local sandbox = require "compshare.sandbox"

local client, _, where = sandbox.connect()
local page_size = tonumber(arg and arg[1]) or 4
print(("images on the %s, %d per page"):format(where, page_size))

for _, image_type in ipairs { "System", "App" } do
  print(image_type .. ":")
  local count = 0
  for img, err in client:paginate("DescribeCompShareImages", { ImageType = image_type, Limit = page_size }) do
    if not img then
      io.stderr:write("failed: ", tostring(err), "\n")
      os.exit(1)
    end
    count = count + 1
    print(("  %-42s %-30s %s"):format(img.CompShareImageId, img.Name,
      img.Container == "True" and "container" or "vm"))
  end
  print(("  %d %s images (%d pages)"):format(count, image_type, math.ceil(count / page_size)))
end
