# Highlander — developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_MODULES := node_modules/.package-lock.json

.PHONY: help deps build image lint format typecheck test test-unit test-e2e cluster-up cluster-down \
        services-up services-down build-cluster chaos bench-failover bench-await bench-reconcile bench-startup clean \
        demo demo-down \
        deploy-manifests api-types

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES) ## install npm dependencies from the lockfile

build: deps ## compile the production code to dist/ (JavaScript and .d.ts; what the image runs)
	npm run build

image: ## build the container image with podman (installed when missing), reused while its inputs are unchanged
	bash scripts/image/build.sh

lint: deps ## ESLint (type-aware; floating promises are errors; layer boundaries) and Prettier's check
	npx eslint --max-warnings=0 .
	npx prettier --check --log-level warn .

format: deps ## rewrite the sources in Prettier's format
	npx prettier --write --log-level warn .

typecheck: deps ## TypeScript, strict, for the code and the e2e tests
	npx tsc -p tsconfig.json
	npx tsc -p e2e/tsconfig.json

demo: deps ## try it: local cluster, two replicas, one workload of each kind; Ctrl-C stops it
	bash e2e/demo/demo.sh

demo-down: ## stop a demo left running with DEMO_NO_WAIT=1
	bash e2e/demo/demo.sh down

test-unit: deps ## unit tests (no network)
	node scripts/run-tests.mjs unit

test-e2e: deps ## e2e tests; starts the cluster and servers if needed, stops what it started
	bash e2e/with-servers.sh node scripts/run-tests.mjs e2e

test: deps ## everything CI runs: lint, type-check, unit and e2e tests, one summary line
	@rm -rf .cluster/results
	$(MAKE) --no-print-directory lint typecheck test-unit test-e2e
	@node scripts/run-tests.mjs summary

chaos: deps ## chaos suite, one JSON line per store: ROUNDS=200, STORES=kubernetes,redis,db,spanner, SEED=n, SLOW=1 adds nodes NotReady
	bash e2e/with-servers.sh node --import tsx e2e/chaos/run.ts --rounds $(or $(ROUNDS),200) \
	  $(if $(STORES),--stores $(STORES)) $(if $(SEED),--seed $(SEED)) $(if $(SLOW),--slow)

bench-failover: deps ## failover benchmark on every lock store (JSON lines); ROUNDS=20
	bash e2e/with-servers.sh node --import tsx bench/failover.ts --rounds $(or $(ROUNDS),20)

bench-await: deps ## highlander await failover per lock store (SIGKILL, SIGTERM → next child started; JSON lines); ROUNDS=20
	bash e2e/with-servers.sh node --import tsx bench/await.ts --rounds $(or $(ROUNDS),20)

bench-reconcile: deps build ## reconcile benchmark: N CRs (CRS=1000) → children, Ready, takeover, idle requests, RSS (operators from dist/)
	bash e2e/with-servers.sh node --import tsx bench/reconcile.ts --crs $(or $(CRS),1000)

bench-startup: deps build ## start-up time (spawn → /healthz, → leader) and idle RSS, sources via tsx vs dist; ROUNDS=5
	bash e2e/with-servers.sh node --import tsx bench/startup.ts --rounds $(or $(ROUNDS),5)

build-cluster: ## build the control plane binaries into the cache (once per version)
	bash e2e/cluster/build.sh >/dev/null

api-types: deps ## regenerate api/generated.ts (the spec and status types) from crds/*.yaml
	node --import tsx api/generate.ts

deploy-manifests: ## render deploy/highlander.yaml and deploy/prometheus-rules.yaml from the chart; copy crds/ and the config schema into it
	bash scripts/render-deploy.sh

cluster-up: deps ## start the local control plane; kubeconfig at .cluster/kubeconfig
	bash e2e/cluster/up.sh

cluster-down: ## stop the local control plane and remove its state
	bash e2e/cluster/down.sh

services-up: deps ## start Redis, PostgreSQL and the Spanner emulator; see .cluster/services.env
	bash e2e/services/up.sh

services-down: ## stop the lock-store servers and remove their state
	bash e2e/services/down.sh

clean: cluster-down services-down ## stop everything and remove .cluster and dist/
	rm -rf .cluster dist
