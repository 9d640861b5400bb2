-- kill -9 at random moments: a real child process (lua5.4) runs
-- snapshot_and_publish with a journal against the sandbox served over HTTP by
-- nginx on 127.0.0.1; it is killed with SIGKILL at a random moment of its run,
-- then run again with the same journal until it finishes. Every trial must end
-- with one instance, one image, one publish, one stop, nothing else in the
-- sandbox (0 orphans, 0 duplicates). When the kill fell between writing the
-- journal and sending an unsafe call, the rerun stops (the call is never sent
-- again) and names the journal entry to remove; the spec does what it says.
-- COMPSHARE_KILL_SEED=n replays one set of moments; COMPSHARE_KILL_TRIALS=n
-- changes how many (default 10).
local http = require "socket.http"
local json = require "compshare.json"
local nginx = require "support.nginx"
local sh = require "support.sh"
local socket = require "socket"

local TRIALS = tonumber(os.getenv("COMPSHARE_KILL_TRIALS") or "") or 10
local SEED = tonumber(os.getenv("COMPSHARE_KILL_SEED") or "") or os.time()

local ROOT = sh.capture("pwd -P")

local function get(srv, what, method)
  local chunks = {}
  local _, status = http.request { url = srv.url .. what, method = method or "GET",
    sink = require("ltn12").sink.table(chunks) }
  assert(status == 200, ("%s: HTTP %s"):format(what, tostring(status)))
  return assert(json.decode(table.concat(chunks)))
end

--- Start the child (its shell prints its pid, then becomes lua5.4); returns its pipe and pid.
local function spawn(srv, path)
  local child = ("echo $$; exec env LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/5.4/?.so;;' "
    .. "lua5.4 spec/support/journal_child.lua %s %s"):format(sh.quote(srv.url), sh.quote(path))
  local p = assert(io.popen(("cd %s && sh -c %s 2>&1"):format(sh.quote(ROOT), sh.quote(child))))
  return p, p:read("*l")
end

local function finish(p)
  local out = p:read("*a")
  p:close()
  return out
end

--- Run the child to its end (and once more after removing what a stop names). Returns its output.
local function run_to_end(srv, path)
  local out = finish(spawn(srv, path))
  local key = out:match('remove "([%w_]+)" from the journal')
  if key then
    local f = assert(io.open(path, "rb"))
    local rec = assert(json.decode(f:read("*a")))
    f:close()
    rec[key] = nil
    f = assert(io.open(path, "wb"))
    local text = assert(json.pretty(rec))
    f:write(text)
    f:close()
    out = out .. finish(spawn(srv, path))
  end
  return out, key
end

--- The problems with the sandbox after a trial (a list; empty when all is well).
local function problems(state, out, path)
  local list = {}
  local function expect(ok, what) if not ok then list[#list + 1] = what end end
  local uhost, image = out:match("done (%S+) (%S+)")
  expect(uhost ~= nil, "the run did not finish: " .. out)
  expect(#state.instances == 1, #state.instances .. " instances were made")
  expect(#state.images == 1, #state.images .. " images were made")
  for _, action in ipairs { "CreateCompShareInstance", "CreateCompShareCustomImage", "PublishCompShareImage",
                            "StopCompShareInstance" } do
    expect(state.calls[action] == 1, ("%s arrived %s times"):format(action, tostring(state.calls[action])))
  end
  for _, inst in ipairs(state.instances) do
    expect(inst.UHostId == uhost, "orphan instance " .. inst.UHostId)
    expect(inst.State == "Stopped", inst.UHostId .. " is " .. inst.State)
  end
  for _, img in ipairs(state.images) do
    expect(img.CompShareImageId == image, "orphan image " .. img.CompShareImageId)
    expect(img.Status == "Reviewing", img.CompShareImageId .. " is " .. img.Status)
  end
  local f = io.open(path, "rb")
  local rec = f and json.decode(f:read("*a"))
  if f then f:close() end
  expect(rec and rec.UHostId == uhost and rec.CompShareImageId == image, "the journal names other ids")
  return list
end

describe("snapshot_and_publish in a child process killed with SIGKILL at random moments", function()
  local srv, dir
  setup(function()
    srv = nginx.start { server = [[ location / { content_by_lua_block { require("support.sandbox_http").serve() } } ]] }
    dir = sh.capture("mktemp -d /tmp/compshare-kill.XXXXXX")
  end)
  teardown(function()
    if srv then srv.stop() end
    if dir and dir ~= "" then sh.run("rm -rf " .. sh.quote(dir)) end
  end)

  it(("leaves 0 orphans and 0 duplicates in %d trials (seed %d)"):format(TRIALS, SEED), function()
    -- a run that is not killed: how long a run takes
    get(srv, "_reset", "POST")
    local started = socket.gettime()
    local out = run_to_end(srv, dir .. "/clean.json")
    local span = socket.gettime() - started
    assert.same({}, problems(get(srv, "_state"), out, dir .. "/clean.json"))
    math.randomseed(SEED)
    local report, failures = {}, {}
    for i = 1, TRIALS do
      get(srv, "_reset", "POST")
      local path = ("%s/trial-%d.json"):format(dir, i)
      local moment = span * (i - 1 + math.random()) / TRIALS
      local p, pid = spawn(srv, path)
      socket.sleep(moment)
      sh.run("kill -9 " .. pid .. " 2>/dev/null")
      local first = finish(p)
      local at = get(srv, "_state").ncalls
      local rest, removed = run_to_end(srv, path)
      local found = problems(get(srv, "_state"), rest, path)
      report[#report + 1] = ("%.2fs/%d calls%s%s"):format(moment, at, first:find("^done") and " (done before the kill)"
        or "", removed and (" (rerun stopped; removed " .. removed .. ")") or "")
      if #found > 0 then failures[#failures + 1] = ("trial %d at %.3fs: %s"):format(i, moment, table.concat(found, "; ")) end
    end
    print(("\nkill -9 trials (seed %d, a clean run %.2fs): %s"):format(SEED, span, table.concat(report, ", ")))
    assert.same({}, failures)
  end)
end)
