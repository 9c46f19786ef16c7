# hero-logic: the two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

STATE_DIR ?= $(CURDIR)/.devcluster
KUBECONFIG_FILE := $(STATE_DIR)/kubeconfig
OPERATOR_JAR := operator/target/quarkus-app/quarkus-run.jar
MVN ?= mvn -B -q
KEEP ?= 0
# The local operator's UI and API: loopback only, and not 8080, which is kubectl's fallback server when
# KUBECONFIG does not resolve (our UI would then answer kubectl with a misleading NotFound).
UI_PORT ?= 8180
UI_URL := http://127.0.0.1:$(UI_PORT)
# make demo-agent: the scripted fake LLM as a host process (devcluster's Pods share the host network).
FAKE_LLM_PORT ?= 18090
FAKE_LLM_URL := http://127.0.0.1:$(FAKE_LLM_PORT)
# make kubectl-plugin: where `kubectl-herologic` is installed (a directory on PATH, so `kubectl herologic` works).
PLUGIN_DIR ?= $(HOME)/.local/bin
# Where it is assembled first (tests give their own, so that two builds never share it).
PLUGIN_BUILD ?= target/kubectl-plugin

.PHONY: help build operator crds cluster-up cluster-down operator-up operator-down fake-llm-up fake-llm-down demo demo-agent kubectl-plugin deps test test-flows test-ui test-devcluster test-operator test-helm bench bench-memory bench-running chaos test-chaos

help:
	@echo "make demo    build, start devcluster and the operator, run a hello Play, print its span tree (KEEP=1 leaves it running)"
	@echo "make demo-agent  the same, but the built-in LLM agent creates an event in the demo calendar, with a scripted fake LLM"
	@echo "make test    every test suite: flows (pytest), devcluster (go test), operator (JUnit, on devcluster), Helm chart"
	@echo "make chaos   100 Plays + 3 hostile ones through operator SIGKILLs and API server / node agent restarts; checks nothing is lost (target/chaos/results.json)"
	@echo "make bench   Plays against plain Pods and Jobs, API requests per Play, operator cost, SDK vs OpenTelemetry (target/bench/results.json; BENCH_N=1000)"
	@echo "make bench-memory  the operator's start-up time and memory with 5,000 finished Plays in its namespace (target/bench/results.json, \"memory\")"
	@echo "make bench-running  500 Plays running at once (20 spans over 60 s each): operator RSS and threads, span end -> status latency; an agent-sized Play's stored size (\"running\", \"stored\")"
	@echo "make kubectl-plugin  install kubectl-herologic into PLUGIN_DIR (default ~/.local/bin): kubectl herologic run|tree|logs|rerun|cancel"
	@echo "make build | crds | cluster-up | cluster-down | operator-up | operator-down"

## Build ------------------------------------------------------------------------------------------

build: operator
	$(MAKE) -s -C devcluster build

operator:
	$(MVN) -pl operator -am install -DskipTests

# Regenerate crds/ (and the chart's copy) from operator/model: the build writes them, this copies them into place.
crds:
	$(MVN) -pl operator/model install -DskipTests
	cp operator/model/target/crds/*-v1.yml crds/
	cp crds/*-v1.yml helm/hero-logic/crds/

# One executable file: the SDK as a Python zip application whose entry point is the plugin
# (flows/herologic/kubectl_plugin.py), so it keeps working wherever this checkout moves.
kubectl-plugin:
	rm -rf $(PLUGIN_BUILD) && mkdir -p $(PLUGIN_BUILD)/app
	cp -r flows/herologic $(PLUGIN_BUILD)/app/ && rm -rf $(PLUGIN_BUILD)/app/herologic/__pycache__
	printf 'import sys\nfrom herologic.kubectl_plugin import main\nsys.exit(main())\n' > $(PLUGIN_BUILD)/app/__main__.py
	python3 -m zipapp $(PLUGIN_BUILD)/app -p '/usr/bin/env python3' -o $(PLUGIN_BUILD)/kubectl-herologic
	mkdir -p "$(PLUGIN_DIR)" && install -m 0755 $(PLUGIN_BUILD)/kubectl-herologic "$(PLUGIN_DIR)/kubectl-herologic"
	@case ":$$PATH:" in *":$(abspath $(PLUGIN_DIR)):"*) ;; *) echo "note: $(PLUGIN_DIR) is not on PATH; add it so kubectl finds the plugin";; esac
	@echo "installed $(PLUGIN_DIR)/kubectl-herologic: try kubectl herologic --help"

## Local cluster and operator -----------------------------------------------------------------------

cluster-up:
	$(MAKE) -s -C devcluster up STATE_DIR=$(STATE_DIR)

cluster-down: operator-down fake-llm-down
	$(MAKE) -s -C devcluster down STATE_DIR=$(STATE_DIR)

# The operator as a local process against devcluster, watching and seeding the `default` namespace,
# behind the chart's admission policies (rendered by helm for that watch list; see "Security model").
operator-up:
	KUBECONFIG=$(KUBECONFIG_FILE) kubectl apply --server-side --force-conflicts -f crds/ >/dev/null
	set -o pipefail; bash helm/test/helm.sh template hero-logic helm/hero-logic --namespace default --set 'watchNamespaces={default}' --set image.repository=unused \
	  --show-only templates/admission.yaml | KUBECONFIG=$(KUBECONFIG_FILE) kubectl apply --server-side --force-conflicts -f - >/dev/null
	@mkdir -p $(STATE_DIR)/logs
	@if [[ -f $(STATE_DIR)/operator.pid ]] && kill -0 $$(cat $(STATE_DIR)/operator.pid) 2>/dev/null; then echo "operator already running"; else \
	  KUBECONFIG=$(KUBECONFIG_FILE) QUARKUS_OPERATOR_SDK_NAMESPACES=default HEROLOGIC_UI_AUTH=none QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT=$(UI_PORT) nohup java -jar $(OPERATOR_JAR) > $(STATE_DIR)/logs/operator.log 2>&1 & echo $$! > $(STATE_DIR)/operator.pid; fi
	@for i in $$(seq 1 120); do curl -sf $(UI_URL)/q/health/ready >/dev/null && break; \
	  kill -0 $$(cat $(STATE_DIR)/operator.pid) 2>/dev/null || { echo "operator exited:"; tail -30 $(STATE_DIR)/logs/operator.log; exit 1; }; sleep 0.5; done
	@echo "operator ready: UI $(UI_URL)/  log $(STATE_DIR)/logs/operator.log"

operator-down:
	@if [[ -f $(STATE_DIR)/operator.pid ]]; then kill $$(cat $(STATE_DIR)/operator.pid) 2>/dev/null || true; rm -f $(STATE_DIR)/operator.pid; fi

# The scripted fake LLM (flows/examples/fake_llm) for make demo-agent. When it is already running (KEEP=1) its
# script is rewound, so every run gets the same replies instead of "script exhausted".
fake-llm-up:
	@mkdir -p $(STATE_DIR)/logs
	@if [[ -f $(STATE_DIR)/fake-llm.pid ]] && kill -0 $$(cat $(STATE_DIR)/fake-llm.pid) 2>/dev/null; then \
	  curl -sf -X POST $(FAKE_LLM_URL)/admin/reset >/dev/null || { echo "fake LLM on $(FAKE_LLM_URL) does not answer"; exit 1; }; \
	else \
	  nohup python3 flows/examples/fake_llm/fake_llm_server.py --port $(FAKE_LLM_PORT) --api-key demo-key \
	    --script flows/examples/fake_llm/calendar-demo.json > $(STATE_DIR)/logs/fake-llm.log 2>&1 & echo $$! > $(STATE_DIR)/fake-llm.pid; \
	  for i in $$(seq 1 40); do curl -sf $(FAKE_LLM_URL)/healthz >/dev/null && break; \
	    kill -0 $$(cat $(STATE_DIR)/fake-llm.pid) 2>/dev/null || { echo "fake LLM exited:"; tail -20 $(STATE_DIR)/logs/fake-llm.log; exit 1; }; sleep 0.25; done; \
	fi

fake-llm-down:
	@if [[ -f $(STATE_DIR)/fake-llm.pid ]]; then kill $$(cat $(STATE_DIR)/fake-llm.pid) 2>/dev/null || true; rm -f $(STATE_DIR)/fake-llm.pid; fi

## The main job end to end ---------------------------------------------------------------------------

demo: build cluster-up operator-up
	@trap '[[ "$(KEEP)" == 1 ]] || $(MAKE) -s cluster-down' EXIT; \
	export KUBECONFIG=$(KUBECONFIG_FILE); \
	kubectl wait --for=jsonpath='{.status.ready}'=true workflow/hello --timeout=60s >/dev/null && \
	kubectl delete play hello-demo --ignore-not-found >/dev/null && \
	kubectl apply -f flows/examples/hello-play.yaml && \
	kubectl get plays && \
	cd flows && python3 -m herologic tree --watch "kubectl get play hello-demo -o json" && cd .. && \
	kubectl get plays; \
	status=$$?; [[ "$(KEEP)" == 1 ]] && echo "still running: export KUBECONFIG=$(KUBECONFIG_FILE); UI $(UI_URL)/; make cluster-down to stop"; exit $$status

# The built-in agent (Workflow service-agent-v3) on devcluster: the demo calendar as a Pod + Service, the namespace's
# herologic-llm Secret pointing at the fake LLM, the example Play; prints the tree, exits 0 when the Play succeeds.
demo-agent: build cluster-up operator-up fake-llm-up
	@trap '[[ "$(KEEP)" == 1 ]] || $(MAKE) -s cluster-down' EXIT; set -eo pipefail; \
	export KUBECONFIG=$(KUBECONFIG_FILE); \
	kubectl create secret generic herologic-llm --from-literal=baseUrl=$(FAKE_LLM_URL)/v1 --from-literal=model=fake-model \
	  --from-literal=apiKey=demo-key --dry-run=client -o yaml | kubectl apply -f - >/dev/null; \
	kubectl apply -f flows/examples/calendar/calendar.yaml >/dev/null; \
	kubectl wait --for=jsonpath='{.status.ready}'=true workflow/service-agent-v3 --timeout=60s >/dev/null; \
	for i in $$(seq 1 120); do curl -sf http://127.0.0.1:18431/healthz >/dev/null && break; sleep 0.5; done; \
	curl -sf http://127.0.0.1:18431/healthz >/dev/null || { echo "the calendar Pod does not answer on 127.0.0.1:18431"; kubectl describe pod calendar | tail -20; exit 1; }; \
	play=$$(kubectl create -f flows/examples/service_agent/play.yaml -o name); play=$${play#*/}; \
	echo "$$play: $$(kubectl get play $$play -o jsonpath='{.spec.inputs.prompt}')"; \
	status=0; (cd flows && python3 -m herologic tree --watch "kubectl get play $$play -o json") || status=$$?; \
	[[ "$(KEEP)" == 1 ]] && echo "still running: export KUBECONFIG=$(KUBECONFIG_FILE); UI $(UI_URL)/; make cluster-down to stop"; exit $$status

## Tests ------------------------------------------------------------------------------------------

test: deps test-flows test-ui test-devcluster test-operator test-helm test-chaos

# What the suites need beyond Java, Maven, Go, Python and Node: pytest, and Chromium for the browser
# tests (Debian's package, driven by playwright-core; no browser download). Installed when running
# as root on Debian, otherwise named with the command that installs it.
deps:
	@python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest 2>/dev/null || python3 -m pip install -q --break-system-packages pytest \
	  || { echo "make test needs pytest: python3 -m pip install pytest"; exit 1; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [[ $$(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Chromium from Debian for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make test needs Chromium for the browser tests: sudo apt-get install chromium"; exit 1; fi; }

test-flows:
	cd flows && python3 -m pytest -q

# Unit tests of the UI's pure scripts (the browser tests run as UiIT in test-operator).
test-ui:
	cd operator/src/test/ui && { [[ -d node_modules ]] || npm ci --silent --no-audit --no-fund; } && npm test --silent

test-devcluster:
	$(MAKE) -s -C devcluster test

# Unit tests, CRD drift, and the *IT suites against a devcluster the JUnit extension starts. OtlpExportIT
# reads spans back from a real Jaeger, built from its Go module into the devcluster cache.
test-operator:
	$(MAKE) -s -C devcluster jaeger
	$(MVN) install

test-helm:
	bash helm/test/check-chart.sh

## Benchmark: Plays against plain Pods and against Jobs (the same Pod spec, run by kube-controller-manager's Job
## controller), API requests and patches per Play, operator cost, a 10,000-span Play, SDK vs OpenTelemetry per span
## (BENCH_N=200; BENCH_N=1000 for the large run). Writes target/bench/results.json and table.txt. Builds through the
## reactor like test-chaos (no `mvn install`, which would put this worktree's SNAPSHOTs in the shared ~/.m2).
bench:
	$(MAKE) -s -C devcluster build
	@mkdir -p target/bench
	@[[ -x target/bench/venv/bin/python ]] || python3 -m venv target/bench/venv
	@target/bench/venv/bin/pip install -q --disable-pip-version-check -r flows/bench/requirements.txt || echo "bench: could not install opentelemetry-sdk; the OpenTelemetry rows will be missing"
	$(MVN) -pl operator -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test -Dmdep.outputFile=$(CURDIR)/target/bench/classpath.txt
	java -Xmx512m -Dherologic.repo.root=$(CURDIR) -classpath operator/target/test-classes:operator/target/classes:$$(cat target/bench/classpath.txt) \
	  io.herologic.operator.bench.PlayBenchmark

## Memory: BENCH_FINISHED_PLAYS (5,000) finished Plays, BENCH_LARGE_PLAYS (500) of them with BENCH_LARGE_SPANS (2,000)
## spans, created through the API with their status (no Pods), on a devcluster of its own; then the operator starts.
## Prints start-to-ready time, RSS (at ready, peak, settled), heap after a full GC, and the UI's read of a large
## Play; adds "memory" to target/bench/results.json. Builds through the reactor like test-chaos (no `mvn install`).
bench-memory:
	$(MAKE) -s -C devcluster build
	@mkdir -p target/bench
	$(MVN) -pl operator -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test -Dmdep.outputFile=$(CURDIR)/target/bench/classpath.txt
	java -Xmx1g -Dherologic.repo.root=$(CURDIR) -classpath operator/target/test-classes:operator/target/classes:$$(cat target/bench/classpath.txt) \
	  io.herologic.operator.bench.MemoryBenchmark

## Running: BENCH_RUNNING_N (500) Plays of flows/bench/running_spans.py at once (20 spans over 60 s each), on a
## devcluster of its own, after one real run of the built-in agent (fake LLM, demo calendar; BENCH_AGENT=0 skips it).
## Prints how many ran at once, the operator's RSS, heap and threads, span end -> status latency, Play -> Succeeded,
## API writes per Play, and the stored size of a hello, an agent-sized and a 10,000-span Play; adds "running" and
## "stored" to target/bench/results.json. Stops early (and says so) when the machine's available memory falls below
## BENCH_MIN_AVAILABLE_MIB (2048). Builds through the reactor like test-chaos (no `mvn install`).
bench-running:
	$(MAKE) -s -C devcluster build
	@mkdir -p target/bench
	$(MVN) -pl operator -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test -Dmdep.outputFile=$(CURDIR)/target/bench/classpath.txt
	java -Xmx512m -Dherologic.repo.root=$(CURDIR) -classpath operator/target/test-classes:operator/target/classes:$$(cat target/bench/classpath.txt) \
	  io.herologic.operator.bench.RunningBenchmark

## Chaos: 100 Plays (and 3 hostile ones) while the operator is SIGKILLed 5 times and the kube-apiserver and
## the node agent restart once each, on a devcluster of its own. Checks that no Play is stuck, no span or log line
## is lost or doubled, no Play gets a second Pod, and the operator stays within the chart's memory limit; prints a
## table, writes target/chaos/results.json, exits non-zero when a check fails. CHAOS_SEED=n repeats a fault schedule.
chaos: test-chaos

# Builds what it runs through the reactor (no `mvn install`): the operator jar, the test classes, their classpath.
test-chaos:
	$(MAKE) -s -C devcluster build
	@mkdir -p target/chaos
	$(MVN) -pl operator -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test -Dmdep.outputFile=$(CURDIR)/target/chaos/classpath.txt
	java -Xmx512m -Dherologic.repo.root=$(CURDIR) -classpath operator/target/test-classes:operator/target/classes:$$(cat target/chaos/classpath.txt) \
	  io.herologic.operator.bench.ChaosSuite
