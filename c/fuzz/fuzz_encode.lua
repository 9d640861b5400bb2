--- Properties checked on every fuzz input by fuzz_encode.c.
-- flatten, sign and encode accept and reject the same tables; a rejection is a
-- clean "compshare: ..." error; flatten is strictly sorted by key bytes; the
-- signature is SHA1(k1 v1 k2 v2 ... private_key); form_decode(body) gives back
-- exactly the flattened pairs plus Signature; form_encode of those pairs is the
-- body without its Signature.
local core = require "compshare.core"

local function check(cond, fmt, ...)
  if not cond then error(fmt:format(...), 2) end
end

return function(sha1hex, key, params)
  local okf, flat = pcall(core.flatten, params)
  local oke, body, sig = pcall(core.encode, params, key)
  local oks, sig2 = pcall(core.sign, params, key)
  check(okf == oke and oke == oks, "flatten/encode/sign disagree: %s %s %s (%s)",
    okf, oke, oks, tostring(okf and body or flat))
  if not okf then
    for _, msg in ipairs { flat, body, sig2 } do
      check(type(msg) == "string" and msg:find("compshare: ", 1, true), "unexpected error: %s", tostring(msg))
      -- built tables hold no nil: only a sparse table misread as an array said so (the quoted
      -- parameter name is left out: a fuzzed key may itself hold the words "is a nil")
      check(not msg:gsub("parameter '.*' ", "parameter "):find("is a nil", 1, true), "misleading error: %s", msg)
    end
    return
  end

  check(sig == sig2 and #sig == 40 and not sig:find("[^0-9a-f]"), "bad signature %q vs %q", sig, sig2)
  local map, parts, n = {}, {}, #flat
  for i, kv in ipairs(flat) do
    local k, v = kv[1], kv[2]
    check(type(k) == "string" and type(v) == "string", "pair %d is not two strings", i)
    check(i == 1 or flat[i - 1][1] < k, "pairs not strictly sorted at %q", k)
    map[k] = v
    parts[i] = k .. v
  end
  check(sha1hex(table.concat(parts) .. key) == sig, "signature is not SHA1 of the flattened pairs")

  local decoded = core.form_decode(body)
  check(decoded.Signature == sig, "decoded Signature %q ~= %q", tostring(decoded.Signature), sig)
  local seen = 0
  for k, v in pairs(decoded) do
    seen = seen + 1
    check(k == "Signature" or map[k] == v, "key %q decodes to %q, flattened %q", k, v, tostring(map[k]))
  end
  for k in pairs(map) do
    check(decoded[k] ~= nil, "key %q lost in the body", k)
  end
  check(seen == n + (map.Signature and 0 or 1), "body has %d keys, expected %d", seen, n + 1)

  local unsigned = core.form_encode(map)
  local expect = n > 0 and (unsigned .. "&Signature=" .. sig) or ("Signature=" .. sig)
  check(body == expect, "body differs from form_encode of its pairs")
end
