local compshare = require "compshare"
local core = require "compshare.core"
local json = require "cjson"

local PRIVATE = "batch-secret-private-key"

local function client_with(transport)
  return compshare.new { public_key = "my_public_key", private_key = PRIVATE, region = "cn-wlcb",
                         zone = "cn-wlcb-01", base_url = "http://127.0.0.1:1/", transport = transport }
end

-- An answer echoing the call's Action and tag (its Name, first UHostId or image
-- id), or the failure scripted for that tag.
local function answer(req, failures)
  local form = core.form_decode(req.body)
  local tag = form.Name or form["UHostIds.0"] or form.CompShareImageId
  local f = failures and failures[tag]
  if f then return f end
  return { status = 200, headers = { ["x-ucloud-request-uuid"] = "id-" .. tag },
           body = json.encode { RetCode = 0, Action = form.Action .. "Response", Name = tag } }
end

local CREATE = { CompShareImageId = "compshareImage-xxxx", GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536,
                 Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } }, Name = "lost" }

-- A transport with batch(): records the requests and concurrency it was given.
local function batching_transport(failures)
  local t = { batches = {}, singles = 0 }
  function t.batch(reqs, concurrency)
    t.batches[#t.batches + 1] = { reqs = reqs, concurrency = concurrency }
    local out = {}
    for i, req in ipairs(reqs) do out[i] = answer(req, failures) end
    return out
  end
  return setmetatable(t, { __call = function() t.singles = t.singles + 1 end })
end

local function calls_named(names)
  local calls = {}
  for i, name in ipairs(names) do
    calls[i] = { "DescribeCompShareImages", { ImageType = "System", Name = name } }
  end
  return calls
end

describe("client:batch", function()
  it("sends every call in one transport batch and returns the results in order", function()
    local t = batching_transport()
    local c = client_with(t)
    local results = c:batch({
      { "DescribeCompShareImages", { Name = "a" } },
      { action = "DescribeCompShareInstance", params = { UHostIds = { "b" } } },
      { "GetCompShareImageCreateProgress", { CompShareImageId = "c" } },
    }, { concurrency = 2 })
    assert.equal(1, #t.batches)
    assert.equal(0, t.singles)
    assert.equal(2, t.batches[1].concurrency)
    assert.equal(3, #results)
    local expect = { { "DescribeCompShareImagesResponse", "a" }, { "DescribeCompShareInstanceResponse", "b" },
                     { "GetCompShareImageCreateProgressResponse", "c" } }
    for i, e in ipairs(expect) do
      assert.is_true(results[i].ok)
      assert.equal(e[1], results[i].response.Action)
      assert.equal(e[2], results[i].response.Name)
    end
  end)

  it("sends signed requests with the client's defaults and timeout", function()
    local t = batching_transport()
    local c = client_with(t)
    c:batch(calls_named { "x" }, { timeout = 7 })
    local req = t.batches[1].reqs[1]
    local form = core.form_decode(req.body)
    assert.equal("POST", req.method)
    assert.equal("cn-wlcb", form.Region)
    assert.equal("cn-wlcb-01", form.Zone)
    assert.equal(7, req.timeout)
    local unsigned = {}
    for k, v in pairs(form) do if k ~= "Signature" then unsigned[k] = v end end
    assert.equal(core.sign(unsigned, PRIVATE), form.Signature)
  end)

  it("defaults to concurrency 8 and the client's timeout", function()
    local t = batching_transport()
    client_with(t):batch(calls_named { "x", "y" })
    assert.equal(8, t.batches[1].concurrency)
    assert.equal(30, t.batches[1].reqs[2].timeout)
  end)

  it("gives each failed call its own error and the others their responses", function()
    local t = batching_transport {
      timeout = { error = { kind = "timeout", message = "timed out after 1 s", sent = true } },
      api = { status = 200, headers = {}, body = '{"RetCode":8039,"Message":"image not found"}' },
      busy = { status = 503, headers = {}, body = "busy" },
      garbage = { status = 200, headers = {}, body = "<html>" },
    }
    local results = client_with(t):batch(calls_named { "ok1", "timeout", "api", "busy", "garbage", "ok2" })
    assert.equal(6, #results)
    assert.is_true(results[1].ok)
    assert.equal("ok1", results[1].response.Name)
    assert.same({ false, "timeout", true }, { results[2].ok, results[2].error.kind, results[2].error.maybe_applied })
    assert.same({ false, "api", 8039 }, { results[3].ok, results[3].error.kind, results[3].error.code })
    assert.same({ false, "http", 503, true }, { results[4].ok, results[4].error.kind, results[4].error.code,
                                               results[4].error.retryable })
    assert.same({ false, "decode" }, { results[5].ok, results[5].error.kind })
    assert.is_true(results[6].ok)
    assert.equal("ok2", results[6].response.Name)
    for _, r in ipairs(results) do
      if not r.ok then
        assert.equal("DescribeCompShareImages", r.error.action)
        assert.is_nil(tostring(r.error):find(PRIVATE, 1, true))
      end
    end
  end)

  it("never lets the private key into an error, even when the server echoes it", function()
    local t = batching_transport {
      echo = { status = 500, headers = {}, body = "bad request from key " .. PRIVATE },
      api = { status = 200, headers = {}, body = '{"RetCode":171,"Message":"key ' .. PRIVATE .. ' rejected"}' },
    }
    local results = client_with(t):batch {
      { "DescribeCompShareImages", { Name = "echo" } },
      { "DescribeCompShareImages", { Name = "api" } },
      { "DescribeCompShareImages", { Name = PRIVATE, Limit = 0 } },
    }
    for i = 1, 3 do
      assert.is_false(results[i].ok)
      assert.is_nil(tostring(results[i].error):find(PRIVATE, 1, true))
      assert.is_nil(require("cjson").encode(results[i].error):find(PRIVATE, 1, true))
    end
    assert.same({ "http", "api", "validation" }, { results[1].error.kind, results[2].error.kind, results[3].error.kind })
  end)

  it("marks a failure retryable only when the retry policy would send it again", function()
    local t = batching_transport {
      busy = { status = 503, headers = {}, body = "busy" },
      lost = { error = { kind = "timeout", message = "timed out", sent = true } },
    }
    local results = client_with(t):batch {
      { "DescribeCompShareImages", { Name = "busy" } },
      { "CreateCompShareInstance", CREATE },
    }
    assert.same({ true, 1 }, { results[1].error.retryable, results[1].error.attempts })
    assert.same({ false, true }, { results[2].error.retryable, results[2].error.maybe_applied })
  end)

  it("validates calls the spec knows, sends none that fail, and still sends the rest", function()
    local t = batching_transport()
    local results = client_with(t):batch {
      { "DescribeCompShareImages", { Name = "first" } },
      { "DescribeCompShareImages", "not a table" },
      { "DescribeCompShareImages", { Name = "third", Limit = 500 } },
      { "DescribeCompShareImages", { Name = "fourth", Colour = "red" } },
      { "CheckCompShareResourceCapacity", { Name = "unknown-to-spec" } },
      { "DescribeCompShareImages", { Name = "last" } },
    }
    local sent = {}
    for i, req in ipairs(t.batches[1].reqs) do sent[i] = core.form_decode(req.body).Name end
    assert.same({ "first", "unknown-to-spec", "last" }, sent)
    for _, i in ipairs { 2, 3, 4 } do
      assert.is_false(results[i].ok)
      assert.equal("validation", results[i].error.kind)
    end
    assert.truthy(results[3].error.message:find("Limit", 1, true))
    assert.truthy(results[4].error.message:find("Colour", 1, true))
    assert.equal("first", results[1].response.Name)
    assert.equal("unknown-to-spec", results[5].response.Name)
    assert.equal("last", results[6].response.Name)
  end)

  it("sends one call after the other through a transport without batch()", function()
    local seen = {}
    local function transport(req)
      seen[#seen + 1] = core.form_decode(req.body).Name
      if #seen == 2 then return nil, { kind = "transport", message = "connection refused", sent = false } end
      return answer(req)
    end
    local results = client_with(transport):batch(calls_named { "p", "q", "r" }, { concurrency = 50 })
    assert.same({ "p", "q", "r" }, seen)
    assert.is_true(results[1].ok)
    assert.same({ false, "transport", false }, { results[2].ok, results[2].error.kind, results[2].error.maybe_applied })
    assert.equal("r", results[3].response.Name)
  end)

  it("reports a missing answer from the transport's batch as a transport error", function()
    local t = batching_transport()
    local inner = t.batch
    t.batch = function(reqs, k)
      local out = inner(reqs, k)
      out[2] = nil
      return out
    end
    local results = client_with(t):batch(calls_named { "a", "b" })
    assert.is_true(results[1].ok)
    assert.equal("transport", results[2].error.kind)
  end)

  it("returns an empty list for no calls without touching the transport", function()
    local t = batching_transport()
    assert.same({}, client_with(t):batch {})
    assert.equal(0, #t.batches)
  end)

  it("raises on programming mistakes", function()
    local c = client_with(batching_transport())
    assert.has_error(function() c:batch("DescribeCompShareImages") end, "compshare: batch expects a list of calls, got string")
    assert.has_error(function() c:batch { "DescribeCompShareImages" } end,
      "compshare: batch call #1 must be a table {action, params}, got string")
    assert.has_error(function() c:batch { { params = {} } } end, "compshare: batch call #1 needs an action name (a string)")
    for _, k in ipairs { 0, -1, 1.5, "4" } do
      assert.has_error(function() c:batch(calls_named { "a" }, { concurrency = k }) end)
    end
  end)
end)

describe("client:batch through a transport that takes its requests as they are prepared", function()
  -- batch_feeds: its batch is given a function; it records, as each request comes, how many
  -- requests the client had prepared (logged) by then.
  local function feeding_transport(log_lines)
    local t = { batch_feeds = true, batches = {} }
    function t.batch(feed, concurrency)
      local got = { kind = type(feed), concurrency = concurrency, prepared = {} }
      t.batches[#t.batches + 1] = got
      local out = {}
      for req in feed do
        got.prepared[#got.prepared + 1] = #log_lines
        out[#out + 1] = answer(req)
      end
      return out
    end
    return t
  end

  local function logging_client(transport, lines)
    return compshare.new { public_key = "my_public_key", private_key = PRIVATE, region = "cn-wlcb",
                           zone = "cn-wlcb-01", base_url = "http://127.0.0.1:1/", transport = transport,
                           logger = function(line) if line:find("compshare ->", 1, true) then lines[#lines + 1] = line end end }
  end

  it("gets each request as soon as it is prepared, the refused ones left out and in place", function()
    local lines = {}
    local t = feeding_transport(lines)
    local calls = calls_named { "a", "b", "c" }
    table.insert(calls, 2, { "DescribeCompShareImages", { Limit = "many" } })
    local results = logging_client(t, lines):batch(calls, { concurrency = 3 })
    assert.equal(1, #t.batches)
    assert.same({ kind = "function", concurrency = 3, prepared = { 1, 2, 3 } }, t.batches[1])
    logging_client(t, {}):batch(calls, { concurrency = 1000 })  -- no more slots than calls
    assert.equal(4, t.batches[2].concurrency)
    assert.same({}, logging_client(t, {}):batch({}, { concurrency = 5 }))
    assert.equal(2, #t.batches)  -- no calls: the transport is not asked
    assert.same({ true, false, true, true }, { results[1].ok, results[2].ok, results[3].ok, results[4].ok })
    assert.same({ "a", "b", "c" }, { results[1].response.Name, results[3].response.Name, results[4].response.Name })
    assert.equal("validation", results[2].error.kind)
  end)

  it("gives a wrapper whose batch_feeds only comes through __index the list, all prepared first", function()
    local lines = {}
    local inner = feeding_transport(lines)
    local seen
    local wrapper = setmetatable({ batch = function(reqs, k)
      seen = { type(reqs), #reqs, #lines }
      local i = 0
      return inner.batch(function() i = i + 1 return reqs[i] end, k)
    end }, { __index = inner })
    local results = logging_client(wrapper, lines):batch(calls_named { "a", "b" })
    assert.same({ "table", 2, 2 }, seen)
    assert.same({ "a", "b" }, { results[1].response.Name, results[2].response.Name })
  end)

  it("raises what preparing a call raised once the requests already given are back", function()
    local lines, listed = {}, batching_transport()
    local function raising_logger(transport)
      local c = logging_client(transport, lines)
      c.logger = function(line)
        if line:find("compshare ->", 1, true) then
          lines[#lines + 1] = line
          if #lines == 2 then error("logger broke", 0) end
        end
      end
      return c
    end
    local t = feeding_transport(lines)
    assert.has_error(function() raising_logger(t):batch(calls_named { "a", "b", "c" }) end, "logger broke")
    assert.same({ 1 }, t.batches[1].prepared)  -- only the first was given, and its answer awaited
    lines = {}
    assert.has_error(function() raising_logger(listed):batch(calls_named { "a", "b", "c" }) end, "logger broke")
    assert.equal(0, #listed.batches)  -- a transport given the list gets nothing
  end)

  it("interprets the answers given to digest as they come, and the others once the batch is back", function()
    local lines, digested = {}, {}
    local t = { batch_feeds = true }
    function t.batch(feed, _, digest)
      local out = {}
      for req in feed do out[#out + 1] = answer(req, { b = { error = { kind = "transport", message = "reset" } } }) end
      for i = 1, #out, 2 do digested[#digested + 1] = digest(i, out[i]) end  -- 1 and 3 now
      return out
    end
    local c = logging_client(t, lines)
    local results = c:batch(calls_named { "a", "b", "c", "d" })
    assert.same({ true, true }, digested)
    assert.same({ true, false, true, true }, { results[1].ok, results[2].ok, results[3].ok, results[4].ok })
    assert.same({ "a", "c", "d" }, { results[1].response.Name, results[3].response.Name, results[4].response.Name })
    assert.same({ "transport", 1 }, { results[2].error.kind, results[2].error.attempts })
  end)

  it("raises what interpreting an answer given to digest raised, once the batch is back", function()
    local finished = false
    local t = { batch_feeds = true }
    function t.batch(feed, _, digest)
      local out = {}
      for req in feed do out[#out + 1] = answer(req) end
      for i = 1, #out do digest(i, out[i]) end
      finished = true
      return out
    end
    local c = client_with(t)
    c.logger = function(line) if line:find("compshare <-", 1, true) then error("logger broke", 0) end end
    assert.has_error(function() c:batch(calls_named { "a", "b" }) end, "logger broke")
    assert.is_true(finished)
  end)

  it("is fed through the default transport, which gives the list to one that does not take a function", function()
    local got
    package.loaded["compshare.transport.ngx"] = { new = function()
      return setmetatable({ batch = function(reqs) got = reqs return {} end }, { __call = function() end })
    end }
    _G.ngx = { get_phase = function() return "content" end }
    local ok, err = pcall(function()
      local t = require("compshare.transport").default {}
      assert.is_true(rawget(t, "batch_feeds"))
      local reqs = { { url = "a" }, { url = "b" } }
      local i = 0
      t.batch(function() i = i + 1 return reqs[i] end, 2)
    end)
    _G.ngx, package.loaded["compshare.transport.ngx"] = nil, nil
    assert.is_true(ok, err)
    assert.same({ { url = "a" }, { url = "b" } }, got)
  end)
end)

describe("client:batch over HTTP (libcurl multi) to nginx", function()
  local nginx = require "support.nginx"
  local srv

  setup(function()
    -- Each call holds 50 ms; the handler records how many calls were in flight at once.
    srv = nginx.start {
      http = "lua_shared_dict flight 1m;",
      server = [[
        location = / {
          content_by_lua_block {
            local flight = ngx.shared.flight
            local now = flight:incr("now", 1, 0)
            if now > (flight:get("max") or 0) then flight:set("max", now) end
            ngx.req.read_body()
            local offset = ngx.req.get_post_args().Offset
            ngx.sleep(0.05)
            flight:incr("now", -1)
            if offset == "7" then
              ngx.print('{"RetCode":8000,"Message":"no such page"}')
            else
              ngx.print('{"RetCode":0,"Action":"DescribeCompShareImagesResponse","Offset":' .. offset .. '}')
            end
          }
        }
        location = /max {
          content_by_lua_block { ngx.print(ngx.shared.flight:get("max") or 0) ngx.shared.flight:set("max", 0) }
        }]],
    }
  end)

  teardown(function() if srv then srv.stop() end end)

  local function max_in_flight()
    local socket = require "socket"
    local c = assert(socket.connect("127.0.0.1", srv.port))
    c:send("GET /max HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    local raw = c:receive("*a")
    c:close()
    return tonumber(raw:match("\r\n\r\n(%d+)$"))
  end

  it("keeps the order, puts each error in its place, and has at most K calls in flight", function()
    local c = compshare.new { public_key = "my_public_key", private_key = PRIVATE, region = "cn-wlcb",
                              base_url = srv.url }
    local calls = {}
    for i = 1, 12 do calls[i] = { "DescribeCompShareImages", { Offset = i - 1 } } end
    local results = c:batch(calls, { concurrency = 4 })
    assert.equal(12, #results)
    for i, r in ipairs(results) do
      if i == 8 then
        assert.same({ false, "api", 8000 }, { r.ok, r.error.kind, r.error.code })
      else
        assert.is_true(r.ok)
        assert.equal(i - 1, r.response.Offset)
      end
    end
    local max = max_in_flight()
    assert.is_true(max >= 2 and max <= 4, "calls in flight at once: " .. tostring(max))
  end)
end)
