--- Replies for the CLI's `wait` specs inside the verify server: an instance that is Running, and
-- an image whose progress goes 50 -> 100 (counted per nginx worker) and that is then Available.
local progress = 0
return function(params)
  local action = params.Action
  if action == "DescribeCompShareInstance" then
    return { TotalCount = 1, UHostSet = { { UHostId = params["UHostIds.0"], State = "Running", Name = "w" } } }
  elseif action == "GetCompShareImageCreateProgress" then
    progress = math.min(100, progress + 50)
    return { Process = progress }
  elseif action == "DescribeCompShareCustomImages" then
    return { TotalCount = 1, ImageSet = { { CompShareImageId = params.CompShareImageId,
      Status = progress >= 100 and "Available" or "Making", Name = "img" } } }
  end
  return {}
end
