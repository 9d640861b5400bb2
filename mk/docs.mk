# docs.mk - the LDoc reference of the Lua API (config.ld lists the modules).
#   make docs        build/doc/index.html; fails on any LDoc warning or error
# Part of make test: a doc comment LDoc cannot read fails the build.
LDOC          ?= ldoc
DEBIAN_PKGS   += lua-ldoc
TEST_TARGETS  += docs

.PHONY: docs
docs:
	@rm -rf build/doc && mkdir -p build/doc
	@$(LDOC) --fatalwarnings --testing -c config.ld -d build/doc . >build/doc/ldoc.log 2>&1 \
	  || { cat build/doc/ldoc.log; echo "docs: LDoc reported problems (above)"; exit 1; }
	@if grep -E ':[0-9]+: ' build/doc/ldoc.log; then echo "docs: LDoc reported problems (above)"; exit 1; fi
	@test -s build/doc/index.html
	@# the shapes people look for are in it: batch results, workflow results and partial ids, errors
	@grep -q 'ok = false, error' build/doc/modules/compshare.batch.html
	@grep -q 'partial = { UHostId =, CompShareImageId = }' build/doc/modules/compshare.workflow.html
	@grep -q 'maybe_applied' build/doc/modules/compshare.errors.html
	@echo "docs: build/doc/index.html ($$(ls build/doc/modules | wc -l) modules)"
