--- `compshare-lua wait instance ID STATE` and `wait image ID`: the workflow waiters from the shell,
-- with the progress bar on a terminal (plain lines otherwise).
-- @module compshare.cli.wait
local workflow = require "compshare.workflow"
local args = require "compshare.cli.args"
local output = require "compshare.cli.output"
local progress = require "compshare.cli.progress"
local session = require "compshare.cli.session"
local term = require "compshare.cli.term"

local wait = {}

wait.summary = "wait for an instance to reach a state, or an image to be Available"
wait.usage = [[
usage: compshare-lua wait instance UHOST_ID STATE
       compshare-lua wait image COMPSHARE_IMAGE_ID

  instance   polls DescribeCompShareInstance until the instance is in STATE (Running, Stopped, ...);
             fails at once on Install Fail or when the instance disappears
  image      follows GetCompShareImageCreateProgress until the image is Available; fails when it
             becomes UnAvailable (with its FailedReason)

Progress goes to stderr: a bar on a terminal, one line per change otherwise. The waits give up after the
workflow's defaults (docs/WORKFLOWS.md). Exit 0 when reached, 1 when the wait failed.
On success the instance or image is printed (--output, --query as for call).
]]

local KINDS = { instance = 3, image = 2 }

--- Runs the command; returns an exit code, or nil, err.
function wait.run(words, opts)
  local kind = words[1]
  if not KINDS[kind] or #words ~= KINDS[kind] then
    return nil, args.usage_error("usage: compshare-lua wait instance UHOST_ID STATE | wait image IMAGE_ID")
  end
  if opts["dry-run"] then return nil, args.usage_error("--dry-run is for call") end
  local client, err = session.client(opts)
  if not client then return nil, err end
  local wopts = { on_progress = progress.printer(io.stderr, term.isatty(2) and os.getenv("TERM") ~= "dumb") }
  if opts.sandbox then wopts.sleep, wopts.now = client.transport.sleep, client.transport.clock end
  local item
  if kind == "instance" then
    item, err = workflow.wait_instance(client, words[2], words[3], wopts)
  else
    item, err = workflow.wait_image(client, words[2], wopts)
  end
  if not item then return nil, err end
  output.print(item, opts.output or (term.isatty(1) and "table" or "json"))
  return 0
end

return wait
