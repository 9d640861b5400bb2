# Spec area: lua/compshare/spec.lua and docs/API.md are generated from compshare.json and field_docs.json.
#   make spec        regenerate both (commit the result)
#   make spec-check  regenerate into build/spec-check and fail on any difference
SHARED        ?= ../shared
SPEC_JSON     := $(SHARED)/api/compshare.json
FIELD_DOCS    := $(SHARED)/api/field_docs.json
SPEC_OUT      := lua/compshare/spec.lua
API_DOC       := docs/API.md

.PHONY: spec spec-check
spec:
	$(LUA54) tools/gen_spec.lua $(SPEC_JSON) $(SPEC_OUT) $(FIELD_DOCS)
	$(LUA54) tools/gen_docs.lua $(SPEC_OUT) $(API_DOC)

spec-check:
	@mkdir -p build/spec-check
	$(LUA54) tools/gen_spec.lua $(SPEC_JSON) build/spec-check/spec.lua $(FIELD_DOCS)
	$(LUA54) tools/gen_docs.lua build/spec-check/spec.lua build/spec-check/API.md
	@diff -u $(SPEC_OUT) build/spec-check/spec.lua && diff -u $(API_DOC) build/spec-check/API.md \
	  || { echo "spec-check: generated files differ from $(SPEC_JSON) + $(FIELD_DOCS); run 'make spec' and commit"; exit 1; }
	@echo "spec-check: $(SPEC_OUT) and $(API_DOC) match $(SPEC_JSON)"

TEST_TARGETS += spec-check
