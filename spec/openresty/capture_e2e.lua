-- compshare.transport.capture inside a real nginx (run by `make test-openresty`): the API
-- stand-in (support.verify_server) as the upstream of an internal location declared as
-- docs/OPENRESTY.md declares it, and spec/openresty/capture_app.lua calling through it.
local socket = require "socket"
local json = require "cjson"
local nginx = require "support.nginx"

local PUBLIC_KEY, PRIVATE_KEY = "my_public_key", "my_private_key"

-- The internal location of docs/OPENRESTY.md, for plain http to `upstream compshare_api`.
local LOCATION = [[
    location = /compshare_api {
      internal;
      set $compshare_header_content_type $compshare_header_content_type;
      set $compshare_header_user_agent $compshare_header_user_agent;
      set $compshare_header_u_timestamp_ms $compshare_header_u_timestamp_ms;
      proxy_pass_request_headers off;
      proxy_set_header Content-Type $compshare_header_content_type;
      proxy_set_header User-Agent $compshare_header_user_agent;
      proxy_set_header U-Timestamp-Ms $compshare_header_u_timestamp_ms;
      proxy_set_header Connection "";
      proxy_http_version 1.1;
      proxy_next_upstream off;
      proxy_pass http://compshare_api/;
    }
]]

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
  local upstream, under_test

  setup(function()
    upstream = nginx.start_verify { tmpdir = "build", keys = { [PUBLIC_KEY] = PRIVATE_KEY },
                                    reply = "openresty.capture_reply" }
    under_test = nginx.start {
      tmpdir = "build",
      http = table.concat({
        ("upstream compshare_api { server 127.0.0.1:%d; keepalive 8; }"):format(upstream.port),
        "init_by_lua_block {",
        ("  require('openresty.capture_app').init { public_key = %q, private_key = %q, base_url = %q }")
          :format(PUBLIC_KEY, PRIVATE_KEY, upstream.url),
        "}",
      }, "\n"),
      server = LOCATION .. [[
    location = /capture { content_by_lua_block { require('openresty.capture_app').call() } }
    location = /capture-timer { content_by_lua_block { require('openresty.capture_app').timer() } }
]],
    }
  end)

  teardown(function()
    if under_test then under_test.stop() end
    if upstream then upstream.stop() end
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

  it("refuses an answer larger than max_body", function()
    local call = get(under_test.port, "/capture?max_body=16").calls[1]
    assert.is_false(call.ok)
    assert.equal("transport", call.error.kind)
    assert.matches("larger than 16 bytes", call.error.message, 1, true)
  end)
end)
