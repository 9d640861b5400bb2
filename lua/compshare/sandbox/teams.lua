--- Teams, as far as their fields allow: an account owns at most one team
-- (UpdateCompShareTeam names none), invites members (Pending -> Joined,
-- Rejected or Canceled), and is invited to one other team from the start.
-- Every create of an instance is an order; team order actions list them.
-- Each change is written to the team's operate log.
local world = require "compshare.sandbox.world"
local query = require "compshare.sandbox.query"
local catalog = require "compshare.sandbox.catalog"

local refuse = world.refuse

local teams = { actions = {} }
local A = teams.actions

local FOREIGN = 900001   -- the team of another company that invites this account

local function state(w)
  local t = w.data.teams
  if not t then
    local me = w.data.account.id
    t = { next = 1, own = nil, members = {}, logs = {}, orders = {},
      invited = { TeamId = FOREIGN, TeamName = "partner-lab", UserCompanyId = me, VirtualCompanyId = me + 1,
        RemarkName = "", Status = "Pending", CreateTime = 1767225600, IsPersonalAccount = true } }
    w.data.teams = t
  end
  return t
end

local function log(w, kind, content)
  local t = state(w)
  t.logs[#t.logs + 1] = { OperateType = kind, Content = content, Status = "Success", CreateTime = math.floor(w.now()) }
end

local function own(w, id)
  local t = state(w)
  if not t.own then refuse("not_found", "this account has no team (CreateCompShareTeam makes one)") end
  if id ~= nil and tonumber(id) ~= t.own.Id then refuse("not_found", "team %s does not exist", tostring(id)) end
  return t.own
end

function A.CreateCompShareTeam(w, p)
  local t = state(w)
  if t.own then refuse("duplicate", "this account already owns team %d (%s)", t.own.Id, t.own.Name) end
  t.own = { Id = t.next, Name = p.Name, Description = p.Description or "", CompanyId = w.data.account.id,
    MemberCount = 1, Deleted = 0 }
  t.next = t.next + 1
  log(w, "CreateTeam", "created team " .. p.Name)
  return { Message = "team created" }
end

function A.UpdateCompShareTeam(w, p)
  local team = own(w)
  team.Name, team.Description = p.Name or team.Name, p.Description or team.Description
  log(w, "UpdateTeam", "updated team " .. team.Name)
  return { Message = "team updated" }
end

function A.DeleteCompShareTeam(w, p)
  local team, t = own(w, p.TeamId), state(w)
  t.own, t.members = nil, {}
  log(w, "DeleteTeam", "deleted team " .. team.Name)
  return { Message = "team deleted" }
end

function A.ListCompShareTeam(w)
  local t = state(w)
  local out = {}
  if t.own then
    local joined = 1
    for _, m in ipairs(t.members) do if m.Status == "Joined" then joined = joined + 1 end end
    t.own.MemberCount = joined
    out[1] = { Id = t.own.Id, Name = t.own.Name, Description = t.own.Description, CompanyId = t.own.CompanyId,
      MemberCount = joined }
  end
  return { Teams = out }
end

function A.GetCompShareTeamInfo(w, p)
  local team, t = own(w, p.TeamId), state(w)
  return { Team = { Id = team.Id, Name = team.Name, Description = team.Description, CompanyId = team.CompanyId, Deleted = 0 },
    TeamRelation = t.members, Message = "" }
end

function A.CreateCompShareTeamRelation(w, p)
  local team, t = own(w, p.TeamId), state(w)
  local errors = {}
  for _, u in ipairs(p.UserInfo or {}) do
    local id = u.UserCompanyId
    local dup = false
    for _, m in ipairs(t.members) do if m.UserCompanyId == id and m.Status ~= "Canceled" then dup = true end end
    if id == nil or id <= 0 or id == w.data.account.id then errors[tostring(id)] = "invalid company id"
    elseif dup then errors[tostring(id)] = "already invited"
    else
      t.members[#t.members + 1] = { TeamId = team.Id, TeamName = team.Name, UserCompanyId = id, VirtualCompanyId = id + 1,
        RemarkName = u.RemarkName or "", Status = "Pending", CreateTime = math.floor(w.now()), AllocateAmount = 0,
        AvailableAmount = 0 }
      log(w, "Invite", "invited " .. id)
    end
  end
  return { ErrorMap = next(errors) and require("compshare.json").encode(errors) or "" }
end

function A.ListCompShareTeamInvite(w, p)
  local t = state(w)
  local out = {}
  for _, m in ipairs(t.members) do
    if p.TeamId == nil or p.TeamId == m.TeamId then
      out[#out + 1] = { TeamId = m.TeamId, TeamName = m.TeamName, UserCompanyId = m.UserCompanyId,
        VirtualCompanyId = m.VirtualCompanyId, RemarkName = m.RemarkName, Status = m.Status, CreateTime = m.CreateTime }
    end
  end
  return { Invites = out, Message = "" }
end

function A.ListCompShareTeamJoined(w, p)
  local inv = state(w).invited
  return { JoinedTeams = (p.Status == nil or p.Status == inv.Status) and { inv } or {} }
end

-- SetCompShareTeamRelation: Agree/Reject answer an invitation to this account
-- (the invited team); Cancel/UpdateRemarkName act on a member of its own team.
local ANSWER = { Agree = "Joined", Reject = "Rejected" }

function A.SetCompShareTeamRelation(w, p)
  local t = state(w)
  local rel
  if tonumber(p.TeamId) == FOREIGN and not p.UserCompanyId then
    rel = t.invited
  else
    own(w, p.TeamId)
    for _, m in ipairs(t.members) do if tostring(m.UserCompanyId) == tostring(p.UserCompanyId) then rel = m end end
    if not rel then refuse("not_found", "company %s is not a member of team %s", tostring(p.UserCompanyId), p.TeamId) end
  end
  if p.Status == "UpdateRemarkName" then
    rel.RemarkName = p.RemarkName or ""
  else
    if rel.Status ~= "Pending" then refuse("wrong_state", "the invitation is %s; %s needs it Pending", rel.Status, p.Status) end
    if ANSWER[p.Status] and rel ~= t.invited then
      refuse("not_allowed", "%s answers an invitation; only the invited company can", p.Status)
    end
    if p.Status == "Cancel" and rel == t.invited then refuse("not_allowed", "only the inviting team can cancel") end
    rel.Status = ANSWER[p.Status] or "Canceled"
  end
  log(w, "SetRelation", p.Status .. " " .. tostring(rel.UserCompanyId))
  return { Message = "ok" }
end

function A.ListCompShareTeamOperateLog(w, p)
  own(w, p.TeamId)
  local items = {}
  for _, l in ipairs(state(w).logs) do
    if l.CreateTime >= p.BeginTime and l.CreateTime <= p.EndTime
      and (not p.OperateType or world.contains(p.OperateType, l.OperateType))
      and (not p.Status or world.contains(p.Status, l.Status)) then items[#items + 1] = l end
  end
  if p.OrderByASC == false then
    local rev = {}
    for i = #items, 1, -1 do rev[#rev + 1] = items[i] end
    items = rev
  end
  local set, total = query.page("ListCompShareTeamOperateLog", p, items)
  return { Logs = set, Total = total, OperateTypeList = { "CreateTeam", "UpdateTeam", "DeleteTeam", "Invite", "SetRelation" },
    StatusList = { "Success" } }
end

-- Orders ---------------------------------------------------------------------------

--- An instance was created: its order.
function teams.record_order(w, f)
  local t = state(w)
  local amount = tostring((catalog.price(f.ChargeType, f.GpuType, f.GPU, 0)))
  t.orders[#t.orders + 1] = {
    OrderNo = ("order-%s"):format(f.UHostId), ResourceId = f.UHostId, ResourceType = "ucompshare", ChargeType = f.ChargeType,
    OrderType = "Buy", OrderState = "Paid", Amount = amount, AmountReal = amount, AmountCoupon = "0", AmountFree = "0",
    OriginalPrice = amount, Count = 1, Quantity = "1", RegionId = "1000009", ProjectName = "Default", TradeNo = "",
    CreateTime = f.CreateTime, StartTime = f.CreateTime, EndTime = f.ExpireTime, UpdateTime = f.CreateTime,
    OrderDetail = { { ProductName = "GPU", Value = f.GpuType .. " x" .. f.GPU } }, OrderDetailOld = {}, ResourceTag = {},
    SpotDiscount = "", RemarkName = "", VirtualCompanyId = w.data.account.id + 1,
  }
end

local function orders(w, p)
  own(w, p.TeamId)
  local out = {}
  for _, o in ipairs(state(w).orders) do
    if o.CreateTime >= (p.BeginTime or 0) and o.CreateTime <= (p.EndTime or math.huge)
      and (type(p.OrderNos) ~= "table" or world.contains(p.OrderNos, o.OrderNo))
      and (type(p.ResourceIds) ~= "table" or world.contains(p.ResourceIds, o.ResourceId))
      and (type(p.ChargeTypes) ~= "table" or world.contains(p.ChargeTypes, o.ChargeType)) then out[#out + 1] = o end
  end
  return out
end

local function sum(list)
  local s = 0
  for _, o in ipairs(list) do s = s + (tonumber(o.Amount) or 0) end
  return tostring(s)
end

function A.DescribeTeamMemberOrder(w, p)
  local set, total = query.page("DescribeTeamMemberOrder", p, orders(w, p))
  return { OrderInfos = set, Total = total, Offset = p.Offset or 0, Limit = p.Limit or 25 }
end

function A.DescribeTeamMemberOrderCount(w, p)
  local list = orders(w, { TeamId = p.TeamId, BeginTime = p.BeginTime, EndTime = p.EndTime })
  local s = sum(list)
  return { TotalCount = #list, Amount = s, AmountReal = s, AmountCoupon = "0", AmountFree = "0" }
end

-- Every order is paid at once in the sandbox: the unpaid lists are empty.
function A.DescribeTeamMemberUnpaidOrder(w, p)
  own(w, p.TeamId)
  return { OrderInfos = {}, Total = 0, Offset = p.Offset or 0, Limit = p.Limit or 25 }
end

function A.DescribeTeamMemberUnpaidOrderCount(w, p)
  own(w, p.TeamId)
  return { TotalCount = 0, Amount = "0" }
end

function A.DownloadTeamOrder(w, p)
  local list = orders(w, p)
  local o = list[1] or {}
  return { OrderNo = o.OrderNo or "", ResourceId = o.ResourceId or "", ResourceType = o.ResourceType or "",
    ChargeType = o.ChargeType or "", OrderType = o.OrderType or "", Amount = sum(list), AmountReal = sum(list),
    AmountCoupon = "0", AmountFree = "0", CreateTime = o.CreateTime or 0, StartTime = o.StartTime or 0,
    EndTime = o.EndTime or 0, RemarkName = "", VirtualCompanyId = o.VirtualCompanyId or 0 }
end

function A.ListMemberProductType(w, p)
  return { ProductTypeList = #orders(w, p) > 0 and { "ucompshare" } or {} }
end

return teams
