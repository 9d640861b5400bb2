--- Properties checked on every fuzz input by fuzz_form.c: form_decode takes
-- any bytes into a table of strings; form_encode of that table uses only
-- unreserved bytes, '+', '%XX', '=' and '&', and decodes back to the same table.
local core = require "compshare.core"

local function check(cond, fmt, ...)
  if not cond then error(fmt:format(...), 2) end
end

return function(body)
  local decoded = core.form_decode(body)
  local n = 0
  for k, v in pairs(decoded) do
    check(type(k) == "string" and type(v) == "string", "a non-string pair")
    n = n + 1
  end
  local encoded = core.form_encode(decoded)
  check(not encoded:find("[^%w%-_%.~+%%=&]"), "form_encode wrote a reserved byte: %q", encoded)
  for esc in encoded:gmatch("%%(.?.?)") do
    check(esc:find("^[0-9A-F][0-9A-F]$"), "malformed escape %%%s in %q", esc, encoded)
  end
  local again, m = core.form_decode(encoded), 0
  for k, v in pairs(again) do
    check(decoded[k] == v, "key %q: %q became %q", k, tostring(decoded[k]), v)
    m = m + 1
  end
  check(m == n, "%d keys became %d", n, m)
end
