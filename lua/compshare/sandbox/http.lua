--- HTTP/1.1 on a luasocket connection, as much as the sandbox server needs: read
-- one request (bounded head and body, a deadline for the whole of it), write
-- one answer, and close. No keep-alive: every answer says Connection: close.
local http = {}

http.MAX_HEAD = 16 * 1024        -- bytes of request line + headers
http.MAX_HEADERS = 100
http.MAX_BODY = 1024 * 1024      -- bytes of body

http.REASONS = { [200] = "OK", [400] = "Bad Request", [404] = "Not Found", [405] = "Method Not Allowed",
  [408] = "Request Timeout", [411] = "Length Required", [413] = "Payload Too Large", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large", [500] = "Internal Server Error", [501] = "Not Implemented",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout" }

local function line(conn, budget)
  local l, err = conn:receive("*l")
  if not l then return nil, err end
  budget.left = budget.left - #l - 2
  if budget.left < 0 then return nil, "head" end
  return l
end

--- Read the head: method, target, headers (lower-cased names) or nil, status, why.
local function head(conn)
  local budget = { left = http.MAX_HEAD }
  local first, err = line(conn, budget)
  if not first then return nil, err == "head" and 431 or 408, "no request line (" .. tostring(err) .. ")" end
  local method, target, version = first:match("^(%u+) (%S+) HTTP/(%d%.%d)$")
  if not method then return nil, 400, "malformed request line" end
  local headers, n = {}, 0
  while true do
    local l, e = line(conn, budget)
    if not l then return nil, e == "head" and 431 or 408, "headers cut short (" .. tostring(e) .. ")" end
    if l == "" then break end
    n = n + 1
    if n > http.MAX_HEADERS then return nil, 431, "too many headers" end
    local name, value = l:match("^([^:%s]+):%s*(.-)%s*$")
    if not name then return nil, 400, "malformed header line" end
    headers[name:lower()] = value
  end
  return { method = method, target = target, version = version, headers = headers }
end

--- Read one request from conn: req { method, path, query, headers, body } or nil, status, why.
function http.read(conn)
  local req, status, why = head(conn)
  if not req then return nil, status, why end
  if req.headers["transfer-encoding"] then return nil, 501, "chunked bodies are not supported; send Content-Length" end
  local len = req.headers["content-length"]
  if len and not len:match("^%d+$") then return nil, 400, "bad Content-Length" end
  len = tonumber(len or "0")
  if len > http.MAX_BODY then return nil, 413, ("body of %d bytes is over the %d allowed"):format(len, http.MAX_BODY) end
  if len > 0 then
    local body, err, part = conn:receive(len)
    if not body then return nil, 408, ("body cut short after %d of %d bytes (%s)"):format(#(part or ""), len, tostring(err)) end
    req.body = body
  else
    req.body = ""
  end
  req.path, req.query = req.target:match("^([^?]*)%??(.*)$")
  return req
end

--- Write an answer { status, headers, body } and return true, or nil, err.
function http.write(conn, res)
  local body = res.body or ""
  local out = { ("HTTP/1.1 %d %s\r\n"):format(res.status, http.REASONS[res.status] or "Status") }
  local headers = { ["content-length"] = tostring(#body), connection = "close" }
  for k, v in pairs(res.headers or {}) do headers[k:lower()] = tostring(v) end
  headers["content-length"], headers.connection = tostring(#body), "close"
  local names = {}
  for k in pairs(headers) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local shown = k:gsub("^%l", string.upper):gsub("%-%l", string.upper)
    if k == "x-ucloud-request-uuid" then shown = "X-UCLOUD-REQUEST-UUID" end
    out[#out + 1] = shown .. ": " .. headers[k]:gsub("[\r\n]", " ") .. "\r\n"
  end
  out[#out + 1] = "\r\n"
  out[#out + 1] = body
  return conn:send(table.concat(out))
end

--- A plain-text answer.
function http.text(status, text)
  return { status = status, headers = { ["content-type"] = "text/plain; charset=utf-8" }, body = text .. "\n" }
end

return http
