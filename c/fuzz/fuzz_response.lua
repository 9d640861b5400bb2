--- Properties checked on every fuzz input by fuzz_response.c: a 200 answer
-- with any body maps to a response (RetCode 0) or to a decode/api error whose
-- tostring is one line; interpret never raises.
local client = require "compshare.client"
local errors = require "compshare.errors"

local function check(cond, fmt, ...)
  if not cond then error(fmt:format(...), 2) end
end

return function(body)
  local res, err = client.interpret("DescribeCompShareInstance", { status = 200, headers = {}, body = body })
  if res then
    check(type(res) == "table" and res.RetCode == 0, "a response with RetCode %s", tostring(res.RetCode))
    check(err == nil, "both a response and an error")
    return
  end
  check(errors.is(err), "not a compshare error: %s", tostring(err))
  check(err.kind == "decode" or err.kind == "api", "unexpected kind %s", tostring(err.kind))
  check(err.kind ~= "api" or (type(err.code) == "number" and err.code ~= 0), "api error with code %s", tostring(err.code))
  local line = tostring(err)
  check(type(line) == "string" and not line:find("[\r\n]"), "tostring(err) is not one line")
end
