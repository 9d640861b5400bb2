-- `compshare-lua sandbox --listen`: the sandbox over real HTTP, for our client
-- (libcurl), a raw signed curl script, JSON bodies, the control endpoint and
-- --state across restarts. Every server binds 127.0.0.1 on a free port.
local compshare = require "compshare"
local core = require "compshare.core"
local json = require "compshare.json"
local workflow = require "compshare.workflow"
local sh = require "support.sh"
local srv = require "support.sandbox_server"

local IMAGE = "compshareImage-sys-ubuntu2204-cuda121"
local INSTANCE = { CompShareImageId = IMAGE, GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536,
  Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } }, Name = "over-http" }

local function client(url)
  return compshare.new { base_url = url, public_key = "my_public_key", private_key = "my_private_key",
    region = "cn-wlcb", zone = "cn-wlcb-01", max_retries = 0 }
end

local function control(s, what)
  local status, _, body = srv.raw(s.port, ("POST /_sandbox/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"):format(what))
  assert.equal(200, status, body)
  return json.decode(body)
end

-- A POSIX shell client: signs a form body as the SDKs do (sorted keys, k..v, the private key, SHA-1).
local CURL_SCRIPT = [=[
set -e
URL=$1
call() {
  sts=$(for kv in "$@" PublicKey=my_public_key; do printf '%s\n' "$kv"; done | LC_ALL=C sort | tr -d '=\n')
  sig=$(printf '%s%s' "$sts" my_private_key | sha1sum | cut -d' ' -f1)
  body=$(printf '%s&' "$@")
  curl -s -X POST "$URL" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "${body}PublicKey=my_public_key&Signature=$sig"
}
advance() { curl -s -X POST "${URL}_sandbox/advance?seconds=$1" >/dev/null; }
field() { sed -n "s/.*\"$1\":\[*\"\([^\"]*\)\".*/\1/p"; }
R="Region=cn-wlcb"; Z="Zone=cn-wlcb-01"
uhost=$(call Action=CreateCompShareInstance $R $Z CompShareImageId=compshareImage-sys-ubuntu2204-cuda121 \
  GpuType=4090 GPU=1 CPU=16 Memory=65536 Disks.0.IsBoot=true Disks.0.Size=200 Disks.0.Type=CLOUD_SSD | field UHostIds)
advance 10
state=$(call Action=DescribeCompShareInstance $R $Z UHostIds.0=$uhost | field State)
image=$(call Action=CreateCompShareCustomImage $R $Z UHostId=$uhost Name=from-curl | field CompShareImageId)
advance 10
progress=$(call Action=GetCompShareImageCreateProgress $R $Z CompShareImageId=$image)
published=$(call Action=PublishCompShareImage $R $Z CompShareImageId=$image Tags.0=curl VersionName=v1.0)
status=$(call Action=DescribeCompShareCustomImages $R $Z CompShareImageId=$image | field Status)
echo "uhost=$uhost state=$state image=$image status=$status"
echo "progress=$progress"
echo "published=$published"
]=]

describe("compshare-lua sandbox --listen", function()
  local s
  -- 2 s boots take 20 ms; the review lasts an hour, so "Reviewing" is still seen right after a publish
  -- on a loaded machine (with the quick 5 s review, 50 ms at x100, it was sometimes over already)
  before_each(function() s = srv.start { "--speed", "100", "--duration", "image_review=3600" } end)
  after_each(function() if s then s.stop() end end)

  it("binds 127.0.0.1 and prints the seed pages' keys", function()
    local log = sh.read(s.log)
    assert.matches("listening on http://127%.0%.0%.1:%d+", log)
    assert.matches("public my_public_key, private my_private_key", log)
  end)

  it("runs create -> snapshot -> publish for our client over libcurl, with X-UCLOUD-REQUEST-UUID", function()
    local c = client(s.url)
    local _, err = c:call("StopCompShareInstance", { UHostId = "uhost-none" })
    assert.equal(250, err.code)
    assert.matches("^sandbox%-sbx%-%d+$", err.request_id)     -- from the X-UCLOUD-REQUEST-UUID header
    local out = assert(workflow.snapshot_and_publish(c, {
      instance = INSTANCE, image = { Name = "from-libcurl" }, publish = { Tags = { "http" } },
    }, { interval = 0.01, max_interval = 0.05, timeout = 60 }))
    local img = assert(c:DescribeCompShareCustomImages { CompShareImageId = out.CompShareImageId }).ImageSet[1]
    assert.equal("Reviewing", img.Status)
    assert.same({ "http" }, img.Tags)
  end)

  it("runs the same flow for a raw signed curl script", function()
    local script = os.tmpname()
    sh.write(script, CURL_SCRIPT)
    local out = sh.capture("sh " .. sh.quote(script) .. " " .. sh.quote(s.url) .. " 2>&1")
    os.remove(script)
    assert.matches("uhost=uhost%-sbx%d+ state=Running image=compshareImage%-sbx%d+ status=Reviewing", out)
    assert.matches('progress={[^\n]*"Process":100', out)
    assert.matches('published={[^\n]*"RetCode":0', out)
  end)

  it("answers signed JSON bodies (flattened or Go's JSON mode) and refuses a bad signature", function()
    local params = { Action = "DescribeCompShareImages", Region = "cn-wlcb", ImageType = "App", Limit = 2,
      PublicKey = "my_public_key" }
    local flat = {}
    for _, p in ipairs(core.flatten(params)) do flat[p[1]] = p[2] end
    params.Signature = core.sign(flat, "my_private_key")
    local body = assert(json.encode(params))
    local status, headers, answer = srv.raw(s.port, ("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      .. "Content-Length: %d\r\n\r\n%s"):format(#body, body))
    assert.equal(200, status)
    assert.matches("^sandbox%-", headers["x-ucloud-request-uuid"])
    local res = json.decode(answer)
    assert.equal(0, res.RetCode)
    assert.equal(2, #res.ImageSet)
    -- Go's JSON mode signs nested values without index keys: UHostIds + "uhost-1uhost-2"
    local go = { Action = "DescribeCompShareInstance", Region = "cn-wlcb", Zone = "cn-wlcb-01",
      UHostIds = { "uhost-1", "uhost-2" }, PublicKey = "my_public_key" }
    go.Signature = sh.capture("printf %s " .. sh.quote("ActionDescribeCompShareInstancePublicKeymy_public_key"
      .. "Regioncn-wlcbUHostIdsuhost-1uhost-2Zonecn-wlcb-01my_private_key") .. " | sha1sum | cut -d' ' -f1")
    local gbody = assert(json.encode(go))
    local _, _, ganswer = srv.raw(s.port, ("POST / HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\n"
      .. "Content-Length: %d\r\n\r\n%s"):format(#gbody, gbody))
    assert.equal(0, json.decode(ganswer).RetCode, ganswer)
    params.Signature = "0000"
    body = assert(json.encode(params))
    local _, _, bad = srv.raw(s.port, ("POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s")
      :format(#body, body))
    assert.equal(171, json.decode(bad).RetCode)
  end)

  it("bounds and refuses what is not a request", function()
    assert.equal(405, (srv.raw(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")))
    assert.equal(400, (srv.raw(s.port, "BLAH\r\n\r\n")))
    assert.equal(413, (srv.raw(s.port, "POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")))
    assert.equal(431, (srv.raw(s.port, "POST / HTTP/1.1\r\nX: " .. ("a"):rep(20000) .. "\r\n\r\n")))
    assert.equal(501, (srv.raw(s.port, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")))
    local status, _, body = srv.raw(s.port, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab=cd")
    assert.equal(200, status)
    assert.equal(160, json.decode(body).RetCode)
    assert.equal(404, (srv.raw(s.port, "POST /_sandbox/nope HTTP/1.1\r\nContent-Length: 0\r\n\r\n")))
    -- still serving after all that
    assert(client(s.url):DescribeCompShareInstance {})
  end)

  it("injects faults through the control endpoint", function()
    local c = client(s.url)
    control(s, "fault?kind=http&status=503&times=2")
    control(s, "fault?kind=throttle&retry_after=3")
    control(s, "fault?kind=malformed")
    control(s, "fault?kind=retcode&code=8000&message=sold+out")
    control(s, "fault?kind=reset")
    local function e() local _, err = c:call("DescribeCompShareInstance", {}) return err end
    local e1, e2 = e(), e()
    assert.same({ "http", 503, "http", 503 }, { e1.kind, e1.code, e2.kind, e2.code })
    local e3 = e()
    assert.same({ "http", 429, 3 }, { e3.kind, e3.code, e3.retry_after })
    assert.equal("decode", e().kind)
    local e5 = e()
    assert.same({ "api", 8000, "sold out" }, { e5.kind, e5.code, e5.message:match("sold out") })
    assert.equal("transport", e().kind)
    assert.is_nil(e())
    local bad = srv.raw(s.port, "POST /_sandbox/fault?kind=nope HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    assert.equal(400, bad)
  end)

  it("resets and advances the world through the control endpoint", function()
    local c = client(s.url)
    local id = assert(c:CreateCompShareInstance(INSTANCE)).UHostIds[1]
    local before = json.decode(select(3, srv.raw(s.port, "GET /_sandbox/state HTTP/1.1\r\n\r\n")))
    assert.equal(1, before.counts.instances)
    control(s, "advance?seconds=3600")
    assert.equal("Running", assert(c:DescribeCompShareInstance { UHostIds = { id } }).UHostSet[1].State)
    control(s, "reset")
    assert.equal(0, assert(c:DescribeCompShareInstance {}).TotalCount)
  end)
end)

describe("compshare-lua sandbox options", function()
  it("--key replaces the default keys and never prints a private key", function()
    local s = srv.start { "--key", "alice=alice-secret", "--key", "bob=bob-secret" }
    local c = compshare.new { base_url = s.url, public_key = "alice", private_key = "alice-secret",
      region = "cn-wlcb", zone = "cn-wlcb-01" }
    assert(c:DescribeCompShareInstance {})
    local _, err = client(s.url):call("DescribeCompShareInstance", {})
    assert.equal(171, err.code)
    local log = s.stop()
    assert.matches("public alice, bob", log)
    assert.is_nil(log:find("secret", 1, true))
  end)

  it("refuses bad options with exit code 2", function()
    for _, words in ipairs { "--listen nowhere", "--listen 127.0.0.1:0 --speed 0", "--listen 127.0.0.1:0 --duration boot=1",
      "--listen 127.0.0.1:0 --key nokey", "--listen 127.0.0.1:0 --account-level 7", "--listen 127.0.0.1:0 --max-body -1",
      "--listen 127.0.0.1:0 --bogus", "" } do
      local out = sh.capture(srv.RUNTIME .. " sandbox " .. words .. " 2>&1; echo rc=$?")
      assert.matches("rc=2$", out, 1, false)
    end
  end)

  it("holds an answer back for a slow fault, within bounds", function()
    local s = srv.start()
    local c = client(s.url)
    control(s, "fault?kind=slow&delay=0.2")
    assert(c:DescribeCompShareInstance {})
    assert.equal(400, (srv.raw(s.port, "POST /_sandbox/fault?kind=slow&delay=3600 HTTP/1.1\r\nContent-Length: 0\r\n\r\n")))
    s.stop()
  end)
end)

describe("compshare-lua sandbox --state", function()
  it("keeps the world across a restart, and stops cleanly on SIGTERM and SIGINT", function()
    local file = os.tmpname()
    os.remove(file)
    local s = srv.start { "--state", file, "--seed", "restart" }
    local c = client(s.url)
    local id = assert(c:CreateCompShareInstance(INSTANCE)).UHostIds[1]
    control(s, "advance?seconds=100")
    local img = assert(c:CreateCompShareCustomImage { UHostId = id, Name = "kept" }).CompShareImageId
    assert.matches("stopped on SIGTERM", s.stop("TERM"))
    assert.is_true(sh.exists(file))
    assert.is_nil(sh.read(file):find("my_private_key", 1, true))

    local s2 = srv.start { "--state", file, "--seed", "restart" }
    local c2 = client(s2.url)
    local inst = assert(c2:DescribeCompShareInstance { UHostIds = { id } }).UHostSet[1]
    assert.equal("Running", inst.State)
    assert.equal("kept", assert(c2:DescribeCompShareCustomImages { CompShareImageId = img }).ImageSet[1].Name)
    local again = assert(c2:CreateCompShareInstance(INSTANCE)).UHostIds[1]
    assert.are_not.equal(id, again)
    assert.matches("stopped on SIGINT", s2.stop("INT"))
    os.remove(file)
  end)

  it("refuses a state file it cannot write", function()
    local out = sh.capture(srv.RUNTIME .. " sandbox --listen 127.0.0.1:0 --state /nonexistent/dir/world.json 2>&1; echo rc=$?")
    assert.matches("cannot write the state file /nonexistent/dir/world.json", out, 1, true)
    assert.matches("rc=1$", out)
  end)

  it("refuses a state file that is not one", function()
    local file = os.tmpname()
    sh.write(file, "not json")
    local out = sh.capture(srv.RUNTIME .. " sandbox --listen 127.0.0.1:0 --state " .. sh.quote(file) .. " 2>&1; echo rc=$?")
    os.remove(file)
    assert.matches("is not JSON", out)
    assert.matches("rc=1$", out)
  end)
end)
