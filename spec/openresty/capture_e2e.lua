-- compshare.transport.capture inside a real nginx (run by `make test-openresty`): the API
-- stand-in (support.verify_server) as the upstream of an internal location declared as
-- docs/OPENRESTY.md declares it, and spec/openresty/capture_app.lua calling through it.
local socket = require "socket"
local json = require "cjson"
local nginx = require "support.nginx"

local PUBLIC_KEY, PRIVATE_KEY = "my_public_key", "my_private_key"

local run, capture = require("support.sh").run, require("support.sh").capture

--- A throwaway self-signed certificate for 127.0.0.1 in `dir`: cert, key.
local function make_cert(dir, name)
  local cert, key = ("%s/%s.pem"):format(dir, name), ("%s/%s.key"):format(dir, name)
  assert(run(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
    .. "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1 "
    .. "-keyout %s -out %s >/dev/null 2>&1"):format(key, cert)), "openssl could not make a certificate")
  return cert, key
end

-- The internal location of docs/OPENRESTY.md, for plain http to `upstream compshare_api`.
local LOCATION = require("support.capture_location")("http://compshare_api/")

-- The same location to https (upstream `up`) with a certificate to check against (`ca`).
-- nginx's kept-alive upstream connections belong to the upstream block, whichever location
-- made them: each trust setting gets its own upstream block.
local function tls_location(uri, up, ca)
  return LOCATION:gsub("location = /compshare_api", "location = " .. uri)
    :gsub("proxy_pass http://compshare_api/;", table.concat({
      "proxy_pass https://" .. up .. "/;",
      "proxy_ssl_verify on;",
      "proxy_ssl_trusted_certificate " .. ca .. ";",
      "proxy_ssl_verify_depth 5;",
      "proxy_ssl_server_name on;",
      "proxy_ssl_name 127.0.0.1;",
    }, "\n      "))
end

local function get(port, path, headers)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(20)
  c:send(("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n"):format(path, headers or ""))
  local raw = c:receive("*a") or ""
  c:close()
  local ok, data = pcall(json.decode, raw:match("\r\n\r\n(.*)$") or "")
  assert(ok, "not JSON: " .. raw:sub(1, 500))
  return data
end

describe("compshare.transport.capture inside nginx", function()
  local upstream, under_test, dir

  setup(function()
    dir = capture("mktemp -d \"$PWD/build/capture-e2e.XXXXXX\"")
    local cert, key = make_cert(dir, "cert")
    local other = make_cert(dir, "other")   -- a certificate the upstream does not have
    local tls_port = nginx.free_port()
    upstream = nginx.start_verify { tmpdir = dir, keys = { [PUBLIC_KEY] = PRIVATE_KEY },
                                    reply = "openresty.capture_reply",
                                    server = ("listen 127.0.0.1:%d ssl; ssl_certificate %s; ssl_certificate_key %s;")
                                      :format(tls_port, cert, key) }
    under_test = nginx.start {
      tmpdir = dir,
      http = table.concat({
        ("upstream compshare_api { server 127.0.0.1:%d; keepalive 8; }"):format(upstream.port),
        ("upstream verified { server 127.0.0.1:%d; keepalive 8; }"):format(tls_port),
        ("upstream untrusted { server 127.0.0.1:%d; keepalive 8; }"):format(tls_port),
        "init_by_lua_block {",
        ("  require('openresty.capture_app').init { public_key = %q, private_key = %q, base_url = %q }")
          :format(PUBLIC_KEY, PRIVATE_KEY, upstream.url),
        "}",
      }, "\n"),
      server = LOCATION .. tls_location("/compshare_api_verified", "verified", cert)
        .. tls_location("/compshare_api_untrusted", "untrusted", other) .. [[
    location = /capture { content_by_lua_block { require('openresty.capture_app').call() } }
    location = /capture-timer { content_by_lua_block { require('openresty.capture_app').timer() } }
]],
    }
  end)

  teardown(function()
    if under_test then under_test.stop() end
    if upstream then upstream.stop() end
    if dir and dir:find("/build/capture%-e2e%.") then run("rm -rf '" .. dir .. "'") end
  end)

  before_each(function() upstream.reset() end)

  it("sends a call through the location: signed, its headers set, kept-alive upstream, no cosocket", function()
    local data = get(under_test.port, "/capture?n=3", "Cookie: session=end-user\r\nX-User-Secret: s3cret\r\n")
    assert.equal("content", data.phase)
    local conns = {}
    for i, call in ipairs(data.calls) do
      assert.is_true(call.ok, call.error and call.error.text)
      assert.equal(0, call.cosockets)
      assert.equal("my_public_key", call.response.Params.PublicKey)
      -- the end user's own headers never reach the API
      assert.is_false(call.response.Cookie)
      assert.is_false(call.response.Secret)
      conns[i] = call.response.Connection
    end
    assert.equal(conns[1], conns[2])   -- nginx's keep-alive upstream connection again
    assert.equal(conns[1], conns[3])
    local calls = upstream.calls()
    assert.equal(3, #calls)
    for _, c in ipairs(calls) do
      assert.is_true(c.verified)
      assert.equal("application/x-www-form-urlencoded", c.headers["content-type"])
      assert.matches("^compshare%-lua/", c.headers["user-agent"])
      assert.matches("^%d+$", c.headers["u-timestamp-ms"])
    end
  end)

  it("sends an action that is not retry-safe once, through cosockets on a fresh connection", function()
    get(under_test.port, "/capture?n=1")   -- a kept-alive upstream connection exists
    upstream.reset()
    local data = get(under_test.port, "/capture?action=CreateCompShareInstance&name=x")
    local call = data.calls[1]
    assert.is_true(call.ok, call.error and call.error.text)
    assert.equal(1, call.cosockets)
    assert.equal(1, call.response.ConnectionRequests)   -- the first request on its connection
    assert.equal(1, #upstream.calls())
  end)

  it("with unsafe = \"capture\" sends it through the location too", function()
    local data = get(under_test.port, "/capture?action=CreateCompShareInstance&name=x&unsafe=capture")
    local call = data.calls[1]
    assert.is_true(call.ok, call.error and call.error.text)
    assert.equal(0, call.cosockets)
    assert.equal(1, #upstream.calls())
  end)

  it("falls back to cosockets in a timer, where there is no request for a subrequest", function()
    local data = get(under_test.port, "/capture-timer")
    assert.equal("timer", data.phase)
    assert.is_true(data.calls[1].ok, data.calls[1].error and data.calls[1].error.text)
    assert.equal(1, data.calls[1].cosockets)
  end)

  it("over https, verifies the API's certificate as the documented location says (proxy_ssl_verify on)", function()
    local call = get(under_test.port, "/capture?location=/compshare_api_untrusted").calls[1]
    assert.is_false(call.ok)
    assert.equal("transport", call.error.kind)
    assert.matches("nginx's upstream for /compshare_api_untrusted failed", call.error.message, 1, true)
    assert.matches("upstream SSL certificate verify error", under_test.error_log(), 1, true)
    call = get(under_test.port, "/capture?location=/compshare_api_verified&n=2").calls
    for _, c in ipairs(call) do
      assert.is_true(c.ok, c.error and c.error.text)
      assert.equal(0, c.cosockets)
    end
    assert.equal(call[1].response.Connection, call[2].response.Connection)   -- kept alive, over TLS
  end)

  it("refuses an answer larger than max_body", function()
    local call = get(under_test.port, "/capture?max_body=16").calls[1]
    assert.is_false(call.ok)
    assert.equal("transport", call.error.kind)
    assert.matches("larger than 16 bytes", call.error.message, 1, true)
  end)
end)
