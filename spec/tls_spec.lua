--- TLS through the libcurl transport against https servers on 127.0.0.1 (nginx).
-- Certificates are made for this run under build/ with openssl:
--   good:  a self-signed certificate for IP 127.0.0.1, the address we connect to;
--   other: a self-signed certificate for another name (elsewhere.invalid), so
--          trusting it still fails the host check.
-- Checked: verification is on by default (an untrusted certificate is a
-- transport error, reason "tls", that was never sent); cainfo trusts a CA file;
-- the host name is verified too; insecure = true connects and says so.
local compshare = require "compshare"
local nginx = require "support.nginx"

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function exec_ok(cmd)
  local a = os.execute(cmd)
  return a == true or a == 0
end

local function make_cert(dir, name, subject, san)
  local cert, key = dir .. "/" .. name .. ".pem", dir .. "/" .. name .. ".key"
  local cmd = ("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj %s -addext %s -keyout %s -out %s >%s 2>&1")
    :format(sh_quote(subject), sh_quote("subjectAltName=" .. san), sh_quote(key), sh_quote(cert),
      sh_quote(dir .. "/openssl.log"))
  assert(exec_ok(cmd), "openssl could not make a certificate (see " .. dir .. "/openssl.log)")
  return cert, key
end

local BODY = [[{"RetCode":0,"Action":"DescribeCompShareInstanceResponse","TotalCount":0}]]

local function https_server(port, cert, key)
  return table.concat({
    "  server {",
    ("    listen 127.0.0.1:%d ssl;"):format(port),
    ("    ssl_certificate %s;"):format(cert),
    ("    ssl_certificate_key %s;"):format(key),
    "    default_type application/json;",
    ("    location / { return 200 '%s'; }"):format(BODY),
    "  }",
  }, "\n")
end

describe("TLS", function()
  local dir, good, other, srv, good_url, other_url

  setup(function()
    assert(exec_ok("mkdir -p build"))
    local p = assert(io.popen("mktemp -d \"$PWD/build/tls.XXXXXX\""))
    dir = p:read("*l")
    p:close()
    assert(dir and dir ~= "", "mktemp -d failed")
    local good_key, other_key
    good, good_key = make_cert(dir, "good", "/CN=127.0.0.1", "IP:127.0.0.1")
    other, other_key = make_cert(dir, "other", "/CN=elsewhere.invalid", "DNS:elsewhere.invalid")
    -- The harness listens on one plain port; the two https servers go in http {}.
    -- A clash on their ports is retried with fresh ones.
    local why
    for _ = 1, 3 do
      local p1, p2 = nginx.free_port(), nginx.free_port()
      local ok, s = pcall(nginx.start, {
        http = https_server(p1, good, good_key) .. "\n" .. https_server(p2, other, other_key),
        server = "    location / { return 404; }",
      })
      if ok then
        srv = s
        good_url = ("https://127.0.0.1:%d/"):format(p1)
        other_url = ("https://127.0.0.1:%d/"):format(p2)
        break
      end
      why = s
    end
    assert(srv, why)
  end)

  teardown(function()
    if srv then srv.stop() end
    if dir then exec_ok("rm -rf " .. sh_quote(dir)) end
  end)

  local function client(opts)
    local lines = {}
    opts.public_key, opts.private_key = "tls-public", "tls-private-key-never-shown"
    opts.region, opts.timeout = "cn-wlcb", 5
    opts.logger = function(line) lines[#lines + 1] = line end
    local c = compshare.new(opts)
    return c, lines
  end

  local function call(c)
    return c:call("DescribeCompShareInstance", { Limit = 1 })
  end

  local function assert_tls_failure(res, err)
    assert.is_nil(res)
    assert.are.equal("transport", err.kind)
    assert.are.equal("tls", err.reason)
    assert.is_false(err.maybe_applied)
    assert.is_truthy(err.message:find("SSL", 1, true) or err.message:find("certificate", 1, true), err.message)
    assert.is_nil(tostring(err):find("tls-private-key-never-shown", 1, true))
  end

  it("verifies the peer by default: a self-signed certificate is a TLS transport error", function()
    local c, lines = client { base_url = good_url }
    local res, err = call(c)
    assert_tls_failure(res, err)
    assert.matches("certificate", err.message)
    for _, line in ipairs(lines) do assert.is_nil(line:find("TLS verification is off", 1, true)) end
  end)

  it("trusts a CA bundle given as cainfo", function()
    local c = client { base_url = good_url, cainfo = good }
    local res, err = call(c)
    assert.is_nil(err)
    assert.are.equal(0, res.RetCode)
    assert.are.equal("DescribeCompShareInstanceResponse", res.Action)
  end)

  it("verifies the new connection a create gets (retry_safe = false) like any other", function()
    local c = client { base_url = good_url, cainfo = good }
    assert(call(c))
    local res, err = c:call("CreateCompShareInstance", { Name = "tls" })
    assert.is_nil(err)
    assert.are.equal(0, res.RetCode)
    res, err = client({ base_url = good_url }):call("CreateCompShareInstance", { Name = "tls" })
    assert_tls_failure(res, err)
  end)

  it("verifies the host: a trusted certificate for another name fails", function()
    local c = client { base_url = other_url, cainfo = other }
    assert_tls_failure(call(c))
  end)

  it("does not trust a certificate outside the cainfo bundle", function()
    local c = client { base_url = good_url, cainfo = other }
    assert_tls_failure(call(c))
  end)

  it("fails clearly when the cainfo file does not exist", function()
    local c = client { base_url = good_url, cainfo = dir .. "/missing.pem" }
    assert_tls_failure(call(c))
  end)

  it("reports reason 'tls', never sent, from the curl transport itself", function()
    local cases = {
      { url = good_url },                                         -- untrusted peer
      { url = other_url, cainfo = other },                        -- wrong host name
      { url = good_url, cainfo = dir .. "/missing.pem" },         -- unreadable CA file
    }
    for _, case in ipairs(cases) do
      local t = require("compshare.transport.curl").new { cainfo = case.cainfo }
      local res, err = t { url = case.url, method = "POST", headers = {}, body = "", timeout = 5 }
      assert.is_nil(res)
      assert.are.same({ "transport", "tls", false }, { err.kind, err.reason, err.sent })
      t.close()
    end
    local t = require("compshare.transport.curl").new { cainfo = good }
    local res = assert(t { url = good_url, method = "POST", headers = {}, body = "", timeout = 5 })
    assert.are.equal(200, res.status)
    t.close()
  end)

  it("warns on stderr about insecure = true when there is no logger", function()
    local real, written = io.stderr, {}
    local function capture(_, ...) for _, s in ipairs { ... } do written[#written + 1] = s end end
    io.stderr = { write = capture } -- luacheck: ignore 122
    local ok, res = pcall(function()
      local c = compshare.new { public_key = "tls-public", private_key = "tls-private-key-never-shown",
        region = "cn-wlcb", timeout = 5, base_url = good_url, insecure = true }
      return call(c)
    end)
    io.stderr = real -- luacheck: ignore 122
    assert(ok, res)
    assert.are.equal(0, res.RetCode)
    assert.matches("WARNING: TLS verification is off", table.concat(written))
  end)

  it("connects with insecure = true and logs a warning", function()
    for _, url in ipairs { good_url, other_url } do
      local c, lines = client { base_url = url, insecure = true }
      local res, err = call(c)
      assert.is_nil(err)
      assert.are.equal(0, res.RetCode)
      local warned = false
      for _, line in ipairs(lines) do
        if line:find("WARNING", 1, true) and line:find("TLS verification is off", 1, true) then warned = true end
      end
      assert.is_true(warned, "no warning in: " .. table.concat(lines, " | "))
    end
  end)
end)
