--- `compshare-lua completion bash|zsh`: a completion script generated from the spec (commands,
-- options, action names, and each action's field names as `Name=`).
-- @module compshare.cli.completion
local args = require "compshare.cli.args"
local fields = require "compshare.cli.fields"

local completion = {}

completion.summary = "print a bash or zsh completion script"
completion.usage = [[
usage: compshare-lua completion bash|zsh

  bash:  eval "$(compshare-lua completion bash)"      (or save it in ~/.local/share/bash-completion/completions/compshare-lua)
  zsh:   eval "$(compshare-lua completion zsh)"       (after compinit; shows descriptions)

Completes commands, options, action names after call/help, and an action's field names (Name=)
after `call ACTION`, nested ones as Disks.0.Size=.
]]

-- Field words of an action: `Name=` for each field, `Disks.0.Size=` for nested ones, with their
-- descriptions: { {word, doc}, ... }.
local function field_words(spec, name)
  local words = {}
  for _, p in ipairs(fields.paths(spec, name)) do
    words[#words + 1] = { (p.path:gsub("%.N%.", ".0.")) .. "=", p.doc or "" }
  end
  return words
end

local function words_only(list)
  local out = {}
  for i, w in ipairs(list) do out[i] = w[1] end
  return table.concat(out, " ")
end

-- A zsh array of 'word:description' items (single-quoted; colons in words escaped).
local function zsh_items(list)
  local out = {}
  for i, w in ipairs(list) do
    local item = w[1]:gsub(":", "\\:") .. ":" .. w[2]:gsub("[\r\n]", " ")
    out[i] = "'" .. item:gsub("'", "'\\''") .. "'"
  end
  return table.concat(out, " ")
end

local function option_words()
  local words = {}
  for name in pairs(args.VALUED) do words[#words + 1] = "--" .. name end
  for name in pairs(args.FLAGS) do words[#words + 1] = "--" .. name end
  table.sort(words)
  return table.concat(words, " ")
end

--- The bash script (zsh loads it through bashcompinit).
function completion.bash(commands)
  local spec = fields.load()
  local names = fields.action_names(spec)
  local cases = {}
  for _, name in ipairs(names) do
    cases[#cases + 1] = ("    %s) fields=%q ;;"):format(name, words_only(field_words(spec, name)))
  end
  return table.concat({
    "# compshare-lua completion (generated from the spec by `compshare-lua completion bash`)",
    "_compshare_lua_fields() {",
    "  local fields=''",
    '  case "$1" in',
    table.concat(cases, "\n"),
    "  esac",
    '  printf %s "$fields"',
    "}",
    "_compshare_lua() {",
    '  local cur=${COMP_WORDS[COMP_CWORD]} cmd="" action="" i w',
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    w=${COMP_WORDS[i]}',
    '    case "$w" in -*) continue ;; esac',
    '    if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $action ]]; then action=$w; fi',
    "  done",
    '  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "' .. option_words() .. '" -- "$cur")); return; fi',
    '  if [[ -z $cmd ]]; then COMPREPLY=($(compgen -W "' .. table.concat(commands, " ") .. '" -- "$cur")); return; fi',
    '  case "$cmd" in',
    '    call|help) if [[ -z $action ]]; then',
    '        COMPREPLY=($(compgen -W "' .. table.concat(names, " ") .. '" -- "$cur"))',
    "      elif [[ $cmd == call ]]; then",
    "        compopt -o nospace 2>/dev/null",
    '        COMPREPLY=($(compgen -W "$(_compshare_lua_fields "$action")" -- "$cur"))',
    "      fi ;;",
    '    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;',
    '    wait) [[ -z $action ]] && COMPREPLY=($(compgen -W "instance image" -- "$cur")) ;;',
    '    configure) [[ -z $action ]] && COMPREPLY=($(compgen -W "list use" -- "$cur")) ;;',
    '    run) COMPREPLY=($(compgen -f -- "$cur")) ;;',
    "  esac",
    "}",
    "complete -F _compshare_lua compshare-lua",
    "",
  }, "\n")
end

--- The zsh script: the same completions, with each command's, action's and field's description.
function completion.zsh(commands, summaries)
  local spec = fields.load()
  local cmds, acts, cases = {}, {}, {}
  for i, name in ipairs(commands) do cmds[i] = { name, summaries[name] or "" } end
  for _, name in ipairs(fields.action_names(spec)) do
    local a = fields.action(spec, name)
    acts[#acts + 1] = { name, (a.spends and "[costs money] " or "") .. (a.summary or "") }
    cases[#cases + 1] = ("    %s) flds=(%s) ;;"):format(name, zsh_items(field_words(spec, name)))
  end
  return table.concat({
    "#compdef compshare-lua",
    "# compshare-lua completion (generated from the spec by `compshare-lua completion zsh`)",
    "_compshare_lua() {",
    "  local -a cmds acts flds",
    "  cmds=(" .. zsh_items(cmds) .. ")",
    "  acts=(" .. zsh_items(acts) .. ")",
    "  local cmd='' action='' i",
    "  for (( i = 2; i < CURRENT; i++ )); do",
    "    [[ ${words[i]} == -* ]] && continue",
    "    if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $action ]]; then action=${words[i]}; fi",
    "  done",
    "  if [[ ${words[CURRENT]} == -* ]]; then compadd -- " .. option_words() .. "; return; fi",
    "  if [[ -z $cmd ]]; then _describe command cmds; return; fi",
    "  case $cmd in",
    "    call|help)",
    "      if [[ -z $action ]]; then _describe action acts",
    "      elif [[ $cmd == call ]]; then",
    "        case $action in",
    table.concat(cases, "\n"),
    "        esac",
    "        _describe -S '' field flds",
    "      fi ;;",
    "    completion) compadd bash zsh ;;",
    "    wait) [[ -z $action ]] && compadd instance image ;;",
    "    configure) [[ -z $action ]] && compadd list use ;;",
    "    run) _files ;;",
    "  esac",
    "}",
    "compdef _compshare_lua compshare-lua",
    "",
  }, "\n")
end

--- Runs the command; ctx (from compshare.cli) has the command names and tables.
function completion.run(words, _, ctx)
  local shell = words[1]
  local summaries = {}
  for name, c in pairs(ctx.commands) do summaries[name] = c.summary end
  if shell == "bash" then
    io.stdout:write(completion.bash(ctx.names))
  elseif shell == "zsh" then
    io.stdout:write(completion.zsh(ctx.names, summaries))
  else
    return nil, args.usage_error("completion needs bash or zsh")
  end
  return 0
end

return completion
