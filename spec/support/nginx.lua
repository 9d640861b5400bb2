--- Test harness: run Debian's nginx (with the lua module) on 127.0.0.1 for one spec.
--
--   local nginx = require "support.nginx"
--   local srv = nginx.start{
--     server = [[ location / { content_by_lua_block { ngx.say("hi") } } ]],  -- lines inside server {}
--     http   = [[ lua_shared_dict cache 1m; ]],   -- optional: lines in http {}, outside the server
--     main   = [[ env HOME; ]],                   -- optional: top-level lines
--     log_level = "notice",                       -- optional: error_log level
--     tmpdir = "build",                           -- optional: where the prefix is made (default /tmp)
--   }
--   srv.port, srv.url ("http://127.0.0.1:<port>/"), srv.prefix (its temp directory)
--   srv.error_log() -> the text of the error log so far
--   srv.stop()      -> TERM (fast shutdown), then KILL; waits for the process, removes the prefix
--
--   nginx.start_verify{ keys = { public = "private", ... }, server = [[ extra locations ]],
--                       reply = "module.name" }   -- optional: require(reply)(params) -> extra fields
--     starts a server whose "/" verifies signatures like the CompShare API (see
--     support/verify_server.lua); srv.calls() -> the recorded calls
--     ({params=, verified=, connection=, headers=}), srv.reset() forgets them.
--   nginx.free_port() -> a port that was free on 127.0.0.1 a moment ago.
--
-- A server a spec does not stop is stopped when the Lua state closes (busted's exit).
-- nginx runs as a single daemonised process (master_process off) with its pid, logs and
-- temp files under the prefix. Inside nginx, lua_package_path reaches the repo's lua/
-- and spec/ and lua_package_cpath its build/jit/, so `require "compshare"` works there.
local socket = require "socket"

local nginx = {}

local NGINX_BIN = "/usr/sbin/nginx"
local MODULES = "/usr/lib/nginx/modules/"

local sh = require "support.sh"
local sh_quote, read_file, write_file, command_output, run = sh.quote, sh.read, sh.write, sh.capture, sh.run

-- The repository root: two levels above this file.
local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/support/[^/]*$") or "."
  return command_output("cd " .. sh_quote(dir) .. " && pwd -P")
end

function nginx.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function accepts(port)
  local c = socket.tcp()
  c:settimeout(0.2)
  local ok = c:connect("127.0.0.1", port)
  c:close()
  return ok ~= nil
end

local alive, wait_until = sh.alive, sh.wait_until

local function config(opts, root, port)
  return table.concat({
    "daemon on;",
    "master_process off;",
    "pid logs/nginx.pid;",
    "error_log logs/error.log " .. (opts.log_level or "notice") .. ";",
    "load_module " .. MODULES .. "ndk_http_module.so;",
    "load_module " .. MODULES .. "ngx_http_lua_module.so;",
    opts.main or "",
    "events { worker_connections 256; }",
    "http {",
    "  access_log logs/access.log;",
    "  client_body_temp_path temp/body;",
    "  proxy_temp_path temp/proxy;",
    "  fastcgi_temp_path temp/fastcgi;",
    "  uwsgi_temp_path temp/uwsgi;",
    "  scgi_temp_path temp/scgi;",
    "  client_max_body_size 0;",
    "  client_body_buffer_size 1m;",
    ("  lua_package_path '%s/lua/?.lua;%s/lua/?/init.lua;%s/spec/?.lua;;';"):format(root, root, root),
    ("  lua_package_cpath '%s/build/jit/?.so;;';"):format(root),
    opts.http or "",
    "  server {",
    ("    listen 127.0.0.1:%d;"):format(port),
    opts.server or "",
    "  }",
    "}",
    "",
  }, "\n")
end

-- Servers not stopped yet; whatever a spec forgets is stopped when Lua closes.
local running = {}

local on_close = sh.on_collect

local function stop(srv)
  if srv.stopped then return end
  srv.stopped = true
  running[srv] = nil
  local pid = srv.pid
  if alive(pid) then
    for _, sig in ipairs { "TERM", "KILL" } do
      run("kill -" .. sig .. " " .. pid .. " 2>/dev/null")
      if wait_until(function() return not alive(pid) end, 3) then break end
    end
  end
  if not srv.keep then run("rm -rf " .. sh_quote(srv.prefix)) end
end

-- One attempt on one port: nil, reason when nginx did not come up.
local function try_start(opts, root, port)
  local prefix = command_output("mktemp -d " .. sh_quote((opts.tmpdir or "/tmp") .. "/compshare-nginx.XXXXXX"))
  assert(prefix ~= "", "support.nginx: mktemp -d failed")
  assert(run("mkdir -p " .. sh_quote(prefix .. "/logs") .. " " .. sh_quote(prefix .. "/conf")
    .. " " .. sh_quote(prefix .. "/temp")))
  write_file(prefix .. "/conf/nginx.conf", config(opts, root, port))
  local srv = { port = port, url = ("http://127.0.0.1:%d/"):format(port), prefix = prefix, keep = opts.keep }
  function srv.error_log() return read_file(prefix .. "/logs/error.log") end
  function srv.stop() return stop(srv) end
  local cmd = ("%s -p %s -c conf/nginx.conf -e logs/error.log >%s 2>&1"):format(
    NGINX_BIN, sh_quote(prefix .. "/"), sh_quote(prefix .. "/logs/stderr.log"))
  local started = run(cmd)
  local pid_of = function()
    srv.pid = tonumber(read_file(prefix .. "/logs/nginx.pid"):match("%d+"))
    return srv.pid
  end
  if started and wait_until(pid_of, 5) and wait_until(function() return accepts(port) end, 5) then
    running[srv] = true
    return srv
  end
  local why = read_file(prefix .. "/logs/stderr.log") .. srv.error_log()
  srv.keep = false
  stop(srv)
  return nil, why
end

nginx._stop_all_on_close = on_close(function()
  for srv in pairs(running) do stop(srv) end
end)

--- start(opts) -> srv. Raises when nginx cannot start (with its error log in the message).
function nginx.start(opts)
  opts = opts or {}
  local root = repo_root()
  local why
  for _ = 1, 5 do
    local srv
    srv, why = try_start(opts, root, nginx.free_port())
    if srv then return srv end
    if not why:find("Address already in use", 1, true) then break end
  end
  error("support.nginx: nginx did not start:\n" .. tostring(why), 2)
end

-- A tiny HTTP/1.0 GET/DELETE for the harness's own endpoints.
local function http_simple(method, port, path)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(5)
  c:send(("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"):format(method, path))
  local raw = c:receive("*a") or ""
  c:close()
  return raw:match("\r\n\r\n(.*)$") or ""
end

--- start_verify{ keys = {public = private}, server =, http =, reply = } -> srv with calls() and reset().
function nginx.start_verify(opts)
  local keys = {}
  for pub, priv in pairs(opts.keys or {}) do
    keys[#keys + 1] = ("[%q] = %q"):format(pub, priv)
  end
  local srv = nginx.start {
    main = opts.main, log_level = opts.log_level, keep = opts.keep, tmpdir = opts.tmpdir,
    http = "  lua_shared_dict verify_calls 16m;\n" .. (opts.http or ""),
    server = table.concat({
      "    location = /_calls {",
      "      content_by_lua_block { require('support.verify_server').calls() }",
      "    }",
      "    location = / {",
      ("      content_by_lua_block { require('support.verify_server').handle({ %s }, %s) }"):format(
        table.concat(keys, ", "), opts.reply and ("require(%q)"):format(opts.reply) or "nil"),
      "    }",
      opts.server or "",
    }, "\n"),
  }
  local json = require "cjson.safe"
  function srv.calls()
    return json.decode(http_simple("GET", srv.port, "/_calls")) or {}
  end
  function srv.reset()
    http_simple("DELETE", srv.port, "/_calls")
  end
  return srv
end

return nginx
