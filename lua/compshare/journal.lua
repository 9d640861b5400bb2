--- The workflow journal: one small JSON file that says how far a run got, so
-- that a run killed at any moment is resumed without sending a create twice.
--
--   local j, err = journal.open("run.json", journal.fingerprint(spec), "snapshot_and_publish")
--   j.state.UHostId                    -- what earlier runs recorded
--   j:write("UHostId", id)             -- set and save, atomically; nil, err when it cannot
--
-- A path of nil gives a journal kept in memory only (write never fails), so the
-- workflow has one code path. Saving is atomic and durable: the text goes to
-- `<path>.tmp` in the same directory (mode 0600), which is fsync'ed and renamed
-- over the journal (core.write_private, c/fsinfo.c), and the directory is
-- fsync'ed (core.fsync, c/fsync.c). A reader sees the old journal or the new
-- one, never a part.
--
-- The journal holds ids, claim tokens and step flags, and the fingerprint (a
-- SHA-1) of what it was written for; never parameters, keys or passwords.
-- One journal serves one run at a time: open takes an exclusive lock on
-- `<path>.lock` (core.lock, flock(2)), held until close() or the process ends,
-- and refuses a journal another run holds.
local core = require "compshare.core"
local json = require "compshare.json"

local journal = { VERSION = 1 }

local Journal = {}
Journal.__index = Journal

local MAX_DEPTH = 32        -- nesting of tables in a fingerprinted value
local MAX_VALUES = 100000  -- table entries walked in all (a shared subtable counts each time)

-- Keys in a stable order: by type (booleans, numbers, strings), then by value.
local KEY_RANK = { boolean = 1, number = 2, string = 3 }
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return KEY_RANK[ta] < KEY_RANK[tb] end
  if ta == "boolean" then return not a and b end
  return a < b
end

--- A canonical text of a value: table keys sorted, raw reads only (no
-- __pairs/__index), fields called Password left out, functions as "function".
-- Raises (a message without a position) for what has no stable text: a cycle,
-- nesting deeper than MAX_DEPTH, more than MAX_VALUES entries, a key that is
-- not a string, number or boolean (a table's address differs from run to run).
local function canonical(v, depth, path, budget)
  local t = type(v)
  if t == "string" then return ("%q"):format(v) end
  if t == "number" then return ("%.17g"):format(v) end
  if t ~= "table" then return t == "boolean" and tostring(v) or t end
  if depth > MAX_DEPTH then error("it is nested deeper than " .. MAX_DEPTH .. " levels", 0) end
  if path[v] then error("it is a cyclic table (it contains itself)", 0) end
  path[v] = true
  local keys = {}
  for k in next, v do
    if not KEY_RANK[type(k)] then
      error(("it has a key of type %s, which has no stable text"):format(type(k)), 0)
    end
    budget.left = budget.left - 1
    if budget.left < 0 then error("it holds more than " .. MAX_VALUES .. " values", 0) end
    if k ~= "Password" then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  local parts = {}
  for i, k in ipairs(keys) do
    parts[i] = canonical(k, depth + 1, path, budget) .. "=" .. canonical(rawget(v, k), depth + 1, path, budget)
  end
  path[v] = nil
  return "{" .. table.concat(parts, ",") .. "}"
end

--- The fingerprint of a value (a spec): 40 hex digits, equal for equal specs;
-- or nil, message when the value has no stable text (a cycle, too deep, too
-- big, a key that is a table or a function).
function journal.fingerprint(value)
  local ok, text = pcall(canonical, value, 0, {}, { left = MAX_VALUES })
  if not ok then return nil, "cannot fingerprint the spec: " .. tostring(text) end
  return core.sign({ spec = text }, "")
end

--- The entries a run records, by kind of value. A journal edited by hand (its
-- hints say which entry to remove) must still hold these kinds, or be refused:
-- a `null` or a number where an id belongs would be taken for one.
journal.ENTRIES = {
  UHostId = "id", CompShareImageId = "id", instance_claim = "claim", image_claim = "claim",
  stop_at = "number", publish_sent = "flag", published = "flag", cleaned = "flag",
}

local KIND_TEXT = { id = "an id (a non-empty string)", claim = "a claim (cs-claim: and hex digits)",
                    number = "a finite number", flag = "true or false" }

local function is_entry(kind, v)
  if kind == "id" then return type(v) == "string" and v ~= "" end
  if kind == "claim" then return type(v) == "string" and v:match("^cs%-claim:%x+$") ~= nil end
  if kind == "number" then return type(v) == "number" and v == v and v > -math.huge and v < math.huge end
  return type(v) == "boolean"
end

--- "<entry> = <value>" of the first entry of `state` that is not of its kind, or nil.
local function bad_entry(state)
  local names = {}
  for name in pairs(journal.ENTRIES) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local v = rawget(state, name)
    if v ~= nil and not is_entry(journal.ENTRIES[name], v) then
      local shown = v == json.null and "null" or (type(v) == "string" and ("%q"):format(v:sub(1, 60)) or tostring(v))
      return ("%q = %s, which is not %s"):format(name, shown, KIND_TEXT[journal.ENTRIES[name]])
    end
  end
end

local function dir_of(path)
  local dir = path:match("^(.*)/[^/]*$")
  if dir == nil then return "." end
  return dir == "" and "/" or dir
end

local read

--- open(path, fingerprint, what) -> journal | nil, message
-- Reads the journal at path when there is one: it must be a journal for `what`
-- (e.g. "snapshot_and_publish") with the same fingerprint. A missing file is a
-- new journal (nothing is written until the first write).
function journal.open(path, fingerprint, what)
  local fresh = { journal = journal.VERSION, workflow = what, fingerprint = fingerprint }
  if path == nil then return setmetatable({ state = fresh }, Journal) end
  if type(path) ~= "string" or path == "" then return nil, "the journal must be a file path (a non-empty string)" end
  -- One run per journal: two runs on one journal would each send the creates the other has
  -- not recorded yet. A lock that cannot be made (a directory that is missing or read-only)
  -- is no lock: the journal cannot be written there either, so no unsafe call is sent.
  local lock, lerr, busy, refused = core.lock(path .. ".lock")
  if busy then
    return nil, ("the journal %s is in use by another run (%s); nothing was sent. Wait for that run to end, "
      .. "or use another journal path"):format(path, tostring(lerr))
  end
  if refused then  -- e.g. a symlink planted at PATH.lock: running unlocked would let two runs in
    return nil, ("the journal's lock cannot be taken (%s); nothing was sent. Remove it if it is "
      .. "not a lock file of a run, or use another journal path"):format(tostring(lerr))
  end
  local j, err = read(path, fingerprint, what, fresh)
  if not j then
    if lock then lock:unlock() end
    return nil, err
  end
  j.lock = lock
  return j
end

--- The journal at path (or a fresh one when there is none), or nil, message.
function read(path, fingerprint, what, fresh)
  local f, oerr, code = io.open(path, "rb")
  if not f then
    if code ~= 2 then return nil, ("cannot read the journal: %s"):format(tostring(oerr)) end  -- 2: ENOENT
    return setmetatable({ path = path, state = fresh }, Journal)
  end
  local text = f:read("*a")
  f:close()
  local state = json.decode(text)
  if type(state) ~= "table" or state.journal ~= journal.VERSION then
    return nil, ("%s is not a compshare journal (version %d)"):format(path, journal.VERSION)
  end
  if state.workflow ~= what or state.fingerprint ~= fingerprint then
    return nil, ("the journal %s was written for another run (%s %s, this is %s %s); nothing was sent. "
      .. "Use another journal path for this spec, or run the spec it was written for to finish that run")
      :format(path, tostring(state.workflow), tostring(state.fingerprint), what, fingerprint)
  end
  local bad = bad_entry(state)
  if bad then
    return nil, ("the journal %s has %s; nothing was sent. Remove that entry (or the whole line) "
      .. "to let the run decide again"):format(path, bad)
  end
  return setmetatable({ path = path, state = state, resumed = true }, Journal)
end

--- Save the state: core.write_private (PATH.tmp, mode 0600, fsync, rename over
-- the journal), then fsync the directory so that the rename is durable too.
function Journal:save()
  if not self.path then return true end
  local ok, err = core.write_private(self.path, assert(json.pretty(self.state)) .. "\n")
  if ok then ok, err = core.fsync(dir_of(self.path)) end
  if not ok then return nil, ("cannot write the journal: %s"):format(tostring(err)) end
  return true
end

--- close(): let another run use the journal (its lock is released).
function Journal:close()
  if self.lock then self.lock:unlock() end
  self.lock = nil
end

--- write(key, value [, key2, value2 ...]) -> true | nil, message: set (nil removes) and save.
function Journal:write(...)
  for i = 1, select("#", ...), 2 do
    local k, v = select(i, ...)
    self.state[k] = v
  end
  return self:save()
end

return journal
