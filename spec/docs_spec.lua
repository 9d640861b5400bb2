-- make docs: LDoc (lua-ldoc) with --fatalwarnings fails on a doc comment it cannot read, which is
-- what makes `make test` fail on one; and the reference of the tree builds clean.
local sh = require "support.sh"

describe("the LDoc reference", function()
  if not sh.run("command -v ldoc >/dev/null 2>&1") then
    pending("ldoc is not installed (make deps installs lua-ldoc)")
    return
  end

  local dir
  before_each(function() dir = sh.capture("mktemp -d /tmp/compshare-ldoc.XXXXXX") end)
  after_each(function() sh.run("rm -rf " .. sh.quote(dir)) end)

  local function ldoc(source)
    sh.write(dir .. "/m.lua", source)
    sh.write(dir .. "/config.ld", 'file = { "m.lua" }\nformat = "plain"\ndir = "out"\nnot_luadoc = true\n')
    return sh.run(("cd %s && ldoc --fatalwarnings . >log 2>&1"):format(sh.quote(dir))), sh.read(dir .. "/log")
  end

  it("refuses a doc comment it cannot read, and a parameter named wrong", function()
    local ok, log = ldoc("--- A module.\n-- @module m\nlocal m = {}\n--------------\n-- helpers\n\n--- f.\nfunction m.f() end\nreturn m\n")
    assert.is_false(ok)
    assert.matches("definition cannot be parsed", log)
    ok, log = ldoc("--- A module.\n-- @module m\nlocal m = {}\n--- g.\n-- @tparam string x\nfunction m.g(y) return y end\nreturn m\n")
    assert.is_false(ok)
    assert.matches("param and formal argument name mismatch", log)
    ok = ldoc("--- A module.\n-- @module m\nlocal m = {}\n--- g.\n-- @tparam string y\n-- @treturn string y\n"
      .. "function m.g(y) return y end\nreturn m\n")
    assert.is_true(ok)
  end)

  it("builds the tree's reference with no warning (config.ld)", function()
    local ok = sh.run(("ldoc --fatalwarnings -c config.ld -d %s . >%s/log 2>&1"):format(sh.quote(dir .. "/ref"), sh.quote(dir)))
    assert.is_true(ok, sh.read(dir .. "/log"))
    assert.matches("ok = false, error", sh.read(dir .. "/ref/modules/compshare.batch.html"))
  end)
end)
