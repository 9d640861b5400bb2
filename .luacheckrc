std = "max"
globals = { "ngx" }
read_globals = { "jit" }
max_line_length = 140
exclude_files = { "build/**", "lua/compshare/spec.lua" }
files["spec/**/*.lua"] = { std = "+busted" }
