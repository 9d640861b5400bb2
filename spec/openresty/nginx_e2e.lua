-- The cosocket transport inside a real nginx (Debian's nginx + lua module),
-- driven from outside. Run by `make test-openresty` (busted -p _e2e):
--
--   upstream nginx: the signature-verifying API stand-in (support.verify_server)
--     on http, the same on https (a throwaway self-signed cert made here),
--     /slow (answers after 500 ms);
--   `compshare-lua sandbox --listen`: the sandbox over HTTP, for the example handler
--     (as README's "Try everything offline" points examples/openresty at it);
--   nginx under test: one process (a single worker), spec/openresty/e2e_app.lua
--     and the example handler from examples/openresty/, credentials and base URL
--     through `env` directives.
--
-- Both nginx are stopped in teardown, also when a check fails.
local socket = require "socket"
local json = require "cjson"
local nginx = require "support.nginx"
local sandbox_server = require "support.sandbox_server"

local PUBLIC_KEY, PRIVATE_KEY = "my_public_key", "my_private_key"

local run, capture = require("support.sh").run, require("support.sh").capture

--- A throwaway self-signed certificate for 127.0.0.1 in `dir`.
local function make_cert(dir)
  local cert, key = dir .. "/cert.pem", dir .. "/key.pem"
  assert(run(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
    .. "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1 "
    .. "-keyout %s -out %s >/dev/null 2>&1"):format(key, cert)), "openssl could not make a certificate")
  return cert, key
end

--- Send a request and leave the answer unread: returns the socket.
local function send_request(port, method, path, body)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(10)
  body = body or ""
  assert(c:send(("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s")
    :format(method, path, #body, body)))
  return c
end

local function send_get(port, path)
  return send_request(port, "GET", path)
end

--- Read the answer of a send_get: status, decoded JSON body (or raw text).
local function read_answer(c)
  local raw = c:receive("*a") or ""
  c:close()
  local status = tonumber(raw:match("^HTTP/%d%.%d (%d+)"))
  local body = raw:match("\r\n\r\n(.*)$") or ""
  local ok, data = pcall(json.decode, body)
  return status, ok and data or body
end

--- GET path -> status, JSON, seconds taken (measured here, in the driver).
local function get(port, path)
  local t0 = socket.gettime()
  local status, data = read_answer(send_get(port, path))
  return status, data, socket.gettime() - t0
end

local function wait_for(pred, seconds)
  local deadline = socket.gettime() + seconds
  while socket.gettime() < deadline do
    local v = pred()
    if v then return v end
    socket.sleep(0.01)
  end
  return pred()
end

describe("compshare inside nginx (cosockets)", function()
  local upstream, under_test, dir, port, sandbox

  setup(function()
    local root = capture("pwd -P")
    dir = capture("mktemp -d \"$PWD/build/openresty-e2e.XXXXXX\"")
    assert(dir ~= "", "mktemp failed")
    local cert, key = make_cert(dir)
    local tls_port = nginx.free_port()
    local handle = ("content_by_lua_block { require('support.verify_server').handle({ [%q] = %q }) }")
      :format(PUBLIC_KEY, PRIVATE_KEY)
    upstream = nginx.start_verify {
      tmpdir = dir,  -- the nginx prefixes go under build/ too
      keys = { [PUBLIC_KEY] = PRIVATE_KEY },
      server = table.concat({
        ("listen 127.0.0.1:%d ssl;"):format(tls_port),
        ("ssl_certificate %s; ssl_certificate_key %s;"):format(cert, key),
        "location = /slow { access_by_lua_block { ngx.sleep(0.5) } " .. handle .. " }",
        "location = /fixed { default_type application/json;",
        "  return 200 '{\"Action\":\"DescribeCompShareImagesResponse\",\"RetCode\":0,\"Fixed\":true}'; }",
      }, "\n"),
    }
    local base = upstream.url
    sandbox = sandbox_server.start { "--duration", "instance_boot=0.3", "--duration", "instance_stop=0.2",
      "--duration", "image_make=1" }
    local ok, srv = pcall(nginx.start, {
      tmpdir = dir,
      main = table.concat({
        "env UCLOUD_PUBLIC_KEY=" .. PUBLIC_KEY .. ";",
        "env UCLOUD_PRIVATE_KEY=" .. PRIVATE_KEY .. ";",
        "env UCLOUD_REGION=cn-wlcb;",
        "env UCLOUD_ZONE=cn-wlcb-01;",
        "env UCLOUD_API_BASE_URL=" .. sandbox.url .. ";",
        "env E2E_VERIFY_URL=" .. base .. ";",
        ("env E2E_TLS_URL=https://127.0.0.1:%d/;"):format(tls_port),
      }, "\n"),
      http = table.concat({
        "lua_shared_dict e2e 1m;",
        "lua_shared_dict compshare_jobs 1m;",
        "init_by_lua_block {",
        ("  package.path = %q .. package.path"):format(root .. "/examples/openresty/?.lua;"),
        ("  require('openresty.e2e_app').init(%q)"):format(base),
        "  require('publish_job').configure { interval = 0.05, max_interval = 0.2 }",
        "}",
      }, "\n"),
      server = table.concat({
        "location = /call { content_by_lua_block { require('openresty.e2e_app').call() } }",
        "location = /init-call { content_by_lua_block { require('openresty.e2e_app').init_call() } }",
        "location = /slow { content_by_lua_block { require('openresty.e2e_app').slow() } }",
        "location = /ping { content_by_lua_block { require('openresty.e2e_app').ping() } }",
        "location = /batch { content_by_lua_block { require('openresty.e2e_app').batch() } }",
        "location = /tls { content_by_lua_block { require('openresty.e2e_app').tls() } }",
        -- the example's handler, as examples/openresty/nginx.conf has it
        "location = /images { content_by_lua_block { require('handler').images() } }",
        "location = /publish { content_by_lua_block { require('handler').publish() } }",
        "location = /jobs { content_by_lua_block { require('handler').job() } }",
        "location = /tls-trusted {",
        "  lua_ssl_trusted_certificate " .. cert .. ";",
        "  content_by_lua_block { require('openresty.e2e_app').tls() }",
        "}",
      }, "\n"),
    })
    if not ok then upstream.stop() sandbox.stop() error(srv, 0) end
    under_test, port = srv, srv.port
  end)

  teardown(function()
    if under_test then under_test.stop() end
    if upstream then upstream.stop() end
    if sandbox then sandbox.stop() end
    if dir and dir:find("/build/openresty%-e2e%.") then run("rm -rf '" .. dir .. "'") end
  end)

  it("runs both nginx from prefixes under build/", function()
    for _, srv in ipairs { upstream, under_test } do
      assert.matches("/build/openresty%-e2e%.[%w]+/compshare%-nginx%.", srv.prefix)
    end
  end)

  it("calls through cosockets, signatures verify, connections are kept alive", function()
    local status, data = get(port, "/call?n=3")
    assert.equal(200, status)
    assert.equal("content", data.phase)
    local conns = {}
    for i, call in ipairs(data.calls) do
      assert.is_true(call.ok, call.error and call.error.text)
      assert.equal(0, call.response.RetCode)
      assert.equal("my_public_key", call.response.Params.PublicKey)
      assert.equal("cn-wlcb", call.response.Params.Region)
      conns[i] = call.response.Connection
    end
    assert.equal(1, data.calls[1].cosockets)      -- through ngx.socket.tcp
    assert.equal(conns[1], conns[2])               -- the pooled connection again
    assert.equal(conns[1], conns[3])
    local calls = upstream.calls()
    assert.is_true(#calls >= 3)
    for _, c in ipairs(calls) do assert.is_true(c.verified) end
  end)

  it("reads Content-Length answers as well as chunked ones", function()
    -- verify_server answers chunked (ngx.say, no length); these have a length
    local _, data = get(port, "/call?path=fixed&n=2")
    for _, call in ipairs(data.calls) do
      assert.is_true(call.ok, call.error and call.error.text)
      assert.is_true(call.response.Fixed)
    end
    _, data = get(port, "/call?path=nope")
    local call = data.calls[1]
    assert.is_false(call.ok)
    assert.equal("http", call.error.kind)
    assert.matches("HTTP 404", call.error.message)
    assert.matches("404 Not Found", call.error.message)
  end)

  it("a wrong private key gets the server's signature error", function()
    upstream.reset()
    local _, data = get(port, "/call?key=not_the_key")
    local call = data.calls[1]
    assert.is_false(call.ok)
    assert.equal("api", call.error.kind)
    assert.matches("171", call.error.text)
    assert.is_false(upstream.calls()[1].verified)
    assert.not_matches("not_the_key", call.error.text, 1, true)
  end)

  it("times out by the call's timeout; a refused connection was not sent", function()
    local _, data = get(port, "/call?path=slow&timeout=0.2")
    local call = data.calls[1]
    assert.equal("timeout", call.error.kind)
    assert.is_true(call.error.maybe_applied)
    -- /slow answers after 0.5 s: a timeout, not an answer, says the 0.2 s limit ended the call
    _, data = get(port, ("/call?base=http://127.0.0.1:%d/"):format(nginx.free_port()))
    call = data.calls[1]
    assert.equal("transport", call.error.kind)
    assert.matches("connect to 127.0.0.1:%d+: connection refused", call.error.message)
    assert.is_false(call.error.maybe_applied)
  end)

  it("falls back to libcurl in init_by_lua, where cosockets cannot run", function()
    local _, data = get(port, "/init-call")
    assert.equal("init", data.phase)
    assert.is_true(data.ok, data.error and data.error.text)
    assert.equal(0, data.cosockets)
  end)

  it("keeps the worker serving while 20 calls wait 500 ms on the upstream", function()
    local pending = {}
    for i = 1, 20 do pending[i] = send_get(port, "/slow") end
    -- all 20 have reached the handler and wait on the upstream ...
    assert.is_true(wait_for(function() return select(2, get(port, "/ping")).inflight == 20 end, 0.4),
      "the 20 calls were never all in flight")
    -- ... and meanwhile another location on the same worker answers, while all 20 still
    -- wait (counted, not timed: a blocked worker could answer only once they were done)
    local ping_status, ping = get(port, "/ping")
    assert.equal(200, ping_status)
    assert.equal(20, ping.inflight)
    for _, c in ipairs(pending) do
      local s, outcome = read_answer(c)
      assert.equal(200, s)
      assert.is_true(outcome.ok, outcome.error and outcome.error.text)
    end
    assert.equal(0, select(2, get(port, "/ping")).real_sleeps)
  end)

  it("client:batch runs its calls concurrently on cosocket threads", function()
    local status, data = get(port, "/batch?n=20")
    assert.equal(200, status)
    assert.same({}, data.errors)
    assert.equal(20, data.ok)
    for i = 1, 20 do assert.equal(i, data.offsets[i]) end  -- results in order
    assert.is_true(data.cosockets >= 20)
    assert.equal(20, data.most_open)   -- all 20 connections open at once: the calls overlapped
  end)

  describe("the example handler (examples/openresty/)", function()
    it("lists images as JSON", function()
      local status, data = get(port, "/images?limit=3")
      assert.equal(200, status)
      assert.is_number(data.TotalCount)
      assert.is_true(#data.Images > 0 and #data.Images <= 3)
      assert.is_string(data.Images[1].CompShareImageId)
    end)

    it("runs snapshot-and-publish to the end in an ngx.timer, logging progress", function()
      local _, images = get(port, "/images?limit=100")
      local boot
      for _, img in ipairs(images.Images) do
        if img.Container == "True" and img.Status == "Available" then boot = img.CompShareImageId break end
      end
      assert.is_string(boot, "the sandbox has no container system image")
      local spec = json.encode {
        instance = { CompShareImageId = boot, MachineType = "G", ChargeType = "Dynamic", GpuType = "4090",
                     GPU = 1, CPU = 16, Memory = 65536, Name = "e2e",
                     Disks = { { IsBoot = true, Type = "CLOUD_SSD", Size = 200 } } },
        image = { Name = "e2e-env", Description = "made in an nginx timer" },
        publish = { Price = 0, Description = "e2e" },
        cleanup = "stop",
      }
      local status, started = read_answer(send_request(port, "POST", "/publish", spec))
      assert.equal(202, status, json.encode(started))
      local job
      local finished = wait_for(function()
        local _, j = get(port, ("/jobs?id=%d"):format(started.job))
        job = j
        -- the worker stays responsive while the job waits: it never sleeps for real
        assert.equal(0, select(2, get(port, "/ping")).real_sleeps)
        return j.state ~= "running"
      end, 20)
      assert.is_true(finished, "the job did not finish: " .. json.encode(job))
      assert.equal("done", job.state, job.error)
      assert.same({ "create_instance", "wait_instance", "snapshot", "wait_image", "publish", "cleanup" }, job.steps)
      assert.equal(100, job.progress)
      local log = under_test.error_log()
      local prefix = ("compshare job %d: "):format(started.job)
      assert.matches(prefix .. "started", log, 1, true)
      assert.matches(prefix .. "step wait_image done " .. job.CompShareImageId, log, 1, true)
      assert.matches((prefix .. "image " .. job.CompShareImageId):gsub("%p", "%%%0") .. " Making %d+%%", log)
      assert.matches(prefix .. "done: instance " .. job.UHostId, log, 1, true)
    end)

    it("nginx.conf passes `nginx -t` once its paths point at this tree", function()
      local root = capture("pwd -P")
      local text = assert(io.open("examples/openresty/nginx.conf")):read("a")
      text = text:gsub("/path/to/compshare%-lua", root):gsub("listen 127%.0%.0%.1:8080", "listen 127.0.0.1:"
        .. nginx.free_port())
      assert(run("mkdir -p '" .. dir .. "/example/logs'"))
      local f = assert(io.open(dir .. "/example/nginx.conf", "w"))
      f:write(text)
      f:close()
      local out = capture(("nginx -t -p '%s/example/' -c '%s/example/nginx.conf' -e logs/error.log 2>&1")
        :format(dir, dir))
      assert.matches("test is successful", out)
    end)
  end)

  -- Order matters here: a connection verified in /tls-trusted would go to the
  -- worker's pool and be reused by /tls (pools are per worker, not per location).
  describe("TLS", function()
    it("fails verification of a self-signed certificate by default", function()
      local _, data = get(port, "/tls")
      assert.is_table(data, tostring(data) .. under_test.error_log():sub(-3000))
      assert.is_false(data.ok)
      assert.equal("transport", data.error.kind)
      assert.matches("TLS handshake", data.error.message)
      assert.matches("certificate", data.error.message)
    end)

    it("verifies with lua_ssl_trusted_certificate set to that certificate", function()
      local _, data = get(port, "/tls-trusted")
      assert.is_true(data.ok, data.error and data.error.text)
      assert.equal(0, data.response.RetCode)
    end)

    it("insecure = true connects and logs a warning", function()
      local _, data = get(port, "/tls?insecure=1")
      assert.is_true(data.ok, data.error and data.error.text)
      assert.matches("TLS verification is off", under_test.error_log(), 1, true)
    end)
  end)

  it("never writes the private key to the error log", function()
    assert.not_matches(PRIVATE_KEY, under_test.error_log(), 1, true)
    assert.not_matches(PRIVATE_KEY, upstream.error_log(), 1, true)
  end)
end)
