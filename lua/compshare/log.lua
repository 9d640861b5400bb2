--- Log lines for opts.logger, with secrets taken out.
-- Redacted: the values of Signature, PublicKey, Password, PrivateKey and
-- SecurityToken (form fields, at any nesting depth, and JSON string members),
-- and the private key itself wherever it appears. Redaction happens before a
-- long body is shortened, so a cut never leaves part of a secret behind.
local json = require "compshare.json"

local log = {}

log.MAX_BODY = 4096   -- bytes of a body shown in one line
log.MASK = "***"

local SECRET_FIELDS = { Signature = true, PublicKey = true, Password = true,
                        PrivateKey = true, SecurityToken = true }

local function plain(s)
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

local function url_encoded(s)
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

--- Replace every occurrence of `secret` (raw, percent-encoded or JSON-escaped) in `text`.
function log.scrub(text, secret)
  if type(secret) ~= "string" or secret == "" then return text end
  local forms = { secret, url_encoded(secret), (json.encode(secret) or ""):sub(2, -2) }
  for i, form in ipairs(forms) do
    if form ~= "" and (i == 1 or form ~= secret) and text:find(form, 1, true) then
      text = text:gsub(plain(form), log.MASK)
    end
  end
  return text
end

--- Scrub `secret` out of every string reachable from table `t` (in place); returns t.
function log.scrub_table(t, secret, seen)
  seen = seen or {}
  if type(t) ~= "table" or seen[t] or type(secret) ~= "string" or secret == "" then return t end
  seen[t] = true
  for k, v in pairs(t) do
    if type(v) == "string" then
      t[k] = log.scrub(v, secret)
    elseif type(v) == "table" then
      log.scrub_table(v, secret, seen)
    end
  end
  return t
end

--- A form body with secret field values masked (`Disks.0.Password` counts too).
-- Linear in the body's size: field names are short, so long keys are not looked at.
function log.redact_form(body)
  return (body:gsub("[^&]+", function(pair)
    local eq = pair:find("=", 1, true)
    if not eq or eq == #pair or eq > 128 then return nil end
    local key = pair:sub(1, eq - 1)
    if SECRET_FIELDS[key:match("[^.]*$")] then return key .. "=" .. log.MASK end
  end))
end

--- JSON text with the string values of secret members masked.
function log.redact_json(text)
  local out, pos = {}, 1
  while true do
    local s, e, name = text:find('"([%w_]+)"%s*:%s*"', pos)
    if not s then break end
    -- the end of the string value: the first quote not escaped by a backslash
    local q = e + 1
    while true do
      local c = text:find('[\\"]', q)
      if not c then q = #text + 1 break end
      if text:sub(c, c) == "\\" then q = c + 2 else q = c break end
    end
    out[#out + 1] = text:sub(pos, e)
    out[#out + 1] = SECRET_FIELDS[name] and log.MASK or text:sub(e + 1, q - 1)
    pos = q
  end
  out[#out + 1] = text:sub(pos)
  return table.concat(out)
end

--- A body ready for one log line: redacted, scrubbed, then shortened.
function log.body(text, secret)
  if text == nil then return "" end
  text = tostring(text)
  text = log.scrub(log.redact_json(log.redact_form(text)), secret)
  if text:find("[\r\n]") then text = text:gsub("[\r\n]+", " ") end
  if #text > log.MAX_BODY then
    text = text:sub(1, log.MAX_BODY) .. ("... (%d bytes)"):format(#text)
  end
  return text
end

--- The line for a request about to be sent.
function log.request(req, attempt, secret)
  return log.scrub(("compshare -> %s %s %s attempt %d timeout %ss body: %s"):format(
    req.method or "POST", tostring(req.url), tostring(req.action), attempt,
    tostring(req.timeout), log.body(req.body, secret)), secret)
end

--- The line for what came back: a response, or a transport failure.
-- elapsed: seconds the attempt took (nil when unknown, e.g. in a batch).
function log.response(action, res, terr, elapsed, secret)
  local took = elapsed and (" in %.0f ms"):format(elapsed * 1000) or ""
  if not res then
    local what = type(terr) == "table" and
      ("%s (sent=%s): %s"):format(tostring(terr.reason or terr.kind), tostring(terr.sent), tostring(terr.message))
      or tostring(terr)
    return log.scrub(("compshare <- %s failed%s: %s"):format(tostring(action), took, what), secret)
  end
  local h = res.headers or {}
  local id = h["x-ucloud-request-uuid"] or h["X-UCLOUD-REQUEST-UUID"]
  return log.scrub(("compshare <- %s HTTP %s%s%s body: %s"):format(
    tostring(action), tostring(res.status), took, id and (" request " .. id) or "",
    log.body(res.body, secret)), secret)
end

--- The line for a failed attempt and what happens next.
function log.outcome(err, wait, secret)
  local next_step = wait and ("retrying in %.3f s"):format(wait) or "giving up"
  return log.scrub(("compshare !! %s; %s"):format(tostring(err), next_step), secret)
end

log.SECRET_FIELDS = SECRET_FIELDS
return log
