-- compshare-lua 0.1.0 (release rockspec; compshare-scm-1.rockspec builds the working tree).
--   make rock   (build/rock/compshare-0.1.0-1.src.rock from the tree; it holds v0.1.0.tar.gz)
--   luarocks --lua-version=5.4 install --deps-mode=none build/rock/compshare-0.1.0-1.src.rock
--   luarocks --lua-version=5.1 install --deps-mode=none build/rock/compshare-0.1.0-1.src.rock  (LuaJIT)
-- The build runs the repo's Makefile (targets rock-build / rock-install in mk/runtime.mk),
-- so the list of C sources and Lua modules lives in one place. For Lua 5.4 it also
-- builds and installs the `compshare-lua` runtime into the tree's bin/.
rockspec_format = "3.0"
package = "compshare"
version = "0.1.0-1"

source = {
  url = "https://github.com/compshare-lua/compshare-lua/archive/refs/tags/v0.1.0.tar.gz",
  dir = "compshare-lua-0.1.0",
}

description = {
  summary = "Lua SDK and runtime for the CompShare GPU cloud OpenAPI (UCloud)",
  detailed = [[
Signed calls in C (flatten, sort, SHA1 through OpenSSL, libcurl keep-alive sessions),
typed wrappers for every action with validation, workflows (create, snapshot, publish),
an offline sandbox of the service, and the `compshare-lua` command-line runtime.]],
  homepage = "https://github.com/compshare-lua/compshare-lua",
  license = "MIT",
}

dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}

external_dependencies = {
  CURL = { library = "curl" },      -- Debian keeps curl.h under a multiarch dir: no header probe
  OPENSSL = { header = "openssl/evp.h", library = "crypto" },
}

build = {
  type = "make",
  build_target = "rock-build",
  install_target = "rock-install",
  variables = {            -- passed to both the build and the install pass
    CC = "$(CC)",
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA = "$(LUA)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    CURL_INCDIR = "$(CURL_INCDIR)",
    CURL_LIBDIR = "$(CURL_LIBDIR)",
    OPENSSL_INCDIR = "$(OPENSSL_INCDIR)",
    OPENSSL_LIBDIR = "$(OPENSSL_LIBDIR)",
  },
  install_variables = {
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
    INST_BINDIR = "$(BINDIR)",
  },
}
