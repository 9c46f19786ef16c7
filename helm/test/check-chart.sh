#!/usr/bin/env bash
# Checks the hero-logic Helm chart end to end, and exits non-zero on the first failure:
#   1. the chart's crds/ are byte-identical to the repository's crds/ (the generated ones);
#   2. `helm lint --strict` with every scenario below (the defaults plus the one required value, image.repository);
#   3. `helm template` for each scenario, and that contradictory values are refused;
#   4. every rendered object (CRDs included) is validated by a real API server with
#      `kubectl apply --dry-run=server` (schema, RBAC escalation rules, Pod Security warnings,
#      the admission policies' CEL),
#      and the validated objects are checked against what the scenario promises (check_rendered.py);
#   5. `helm package` puts the CRDs into the archive.
# Cluster: the one KUBECONFIG names, else a devcluster started in a temporary STATE_DIR and
# stopped on exit. The namespaces the chart installs into are created for real (with unique
# names, deleted on exit) since a server-side dry run needs them.
#
#   helm/test/check-chart.sh            # from anywhere
#   KEEP_RENDERED=1 helm/test/check-chart.sh   # keep the rendered manifests (path printed)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CHART="$REPO/helm/hero-logic"
HELM="$HERE/helm.sh"
KUBECTL="${KUBECTL:-kubectl}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hero-logic-chart.XXXXXX")"
STATE_DIR=""
NAMESPACES=()
CHECKS=0

say() { printf '%s\n' "$*"; }
ok() { CHECKS=$((CHECKS + 1)); printf '  ok  %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local status=$?
  set +e
  if ((${#NAMESPACES[@]})) && [[ -n "${KUBECONFIG:-}" ]]; then
    "$KUBECTL" delete namespace "${NAMESPACES[@]}" --wait=false >/dev/null 2>&1
  fi
  if [[ -n "$STATE_DIR" ]]; then
    make -s -C "$REPO/devcluster" down STATE_DIR="$STATE_DIR" >/dev/null 2>&1
    rm -rf "$STATE_DIR"
  fi
  if [[ -n "${KEEP_RENDERED:-}" ]]; then
    say "rendered manifests kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT

# ---- 1. CRDs ------------------------------------------------------------------------------------
say "== CRDs: helm/hero-logic/crds/ against crds/"
# Copies, not symlinks: the chart folder must stand alone (helm package, GitOps tools reading the
# chart from git, checkouts without symlink support), and helm warns on every symlink it follows.
repo_crds=$(cd "$REPO/crds" && ls -- *.yml *.yaml 2>/dev/null | sort || true)
chart_crds=$(cd "$CHART/crds" && ls -- *.yml *.yaml 2>/dev/null | sort || true)
[[ -n "$repo_crds" ]] || fail "no CRDs in $REPO/crds"
if [[ "$repo_crds" != "$chart_crds" ]]; then
  fail "helm/hero-logic/crds/ does not hold the same files as crds/:
$(diff <(echo "$repo_crds") <(echo "$chart_crds") | sed 's/^/    /')
  refresh it: rm -f helm/hero-logic/crds/* && cp crds/*.yml helm/hero-logic/crds/"
fi
for f in $repo_crds; do
  cmp -s "$REPO/crds/$f" "$CHART/crds/$f" \
    || fail "helm/hero-logic/crds/$f differs from crds/$f (the chart would install a stale CRD); refresh it: cp crds/$f helm/hero-logic/crds/"
  ok "crds/$f is byte-identical in the chart"
done

# ---- Scenarios --------------------------------------------------------------------------------------
# Unique namespace names, so the checks can share a cluster with other work.
suffix="$(printf '%04x' $((RANDOM % 65536)))"
NS_SYS="hlc-$suffix-system"
NS_A="hlc-$suffix-team-a"
NS_B="hlc-$suffix-team-b"

# Each scenario is a set of helm arguments. Release name "hl" throughout; the release namespace is NS_SYS.
# image.repository has no default (the chart refuses to render without it), so every render names one;
# a later --set (the namespaces scenario's) wins.
IMAGE=(--set image.repository=registry.example.com/hero-logic-operator)
SCENARIOS=(default namespaces all minimal)
scenario_args() {
  printf '%s\n' "${IMAGE[@]}"
  case "$1" in
    default) ;;
    namespaces) # a watch list, two replicas (leader election), a custom image, the flow runner and the LLM Secret on
      printf '%s\n' --set "watchNamespaces={$NS_A,$NS_B}" --set replicas=2 \
        --set image.repository=registry.example.com/platform/hero-logic-operator --set image.tag=1.2.3 \
        --set flowRunner.enabled=true --set flowImage=registry.example.com/python:3.12-slim \
        --set flowResources.requests.cpu=250m --set flowResources.limits.memory=1Gi \
        --set llmSecretName=team-llm --set llmSecret.create=true --set llmSecret.model=gpt-4o-mini --set playTtlSecondsAfterFinished=600 \
        --set maxRunningPlays=50 --set maxRunningPlaysPerNamespace=10 ;;
    all) # every namespace, seeding one, the flow runner off, an image by digest
      printf '%s\n' --set watchAllNamespaces=true --set "seedNamespaces={$NS_A}" --set flowRunner.enabled=false \
        --set image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
        --set flowUser=1000 \
        --set 'extraEnv[0].name=QUARKUS_OPERATOR_SDK_CONCURRENT_RECONCILIATION_THREADS' --set-string 'extraEnv[0].value=10' \
        --set tracing.otlp.endpoint=https://tempo.example:4317 --set tracing.otlp.protocol=grpc \
        --set tracing.otlp.headersSecret.name=tempo-auth --set tracing.otlp.tls.secretName=tempo-tls \
        --set 'tracing.traceUrlTemplate=https://grafana.example/trace/{traceId}' ;;
    minimal) # no seeding, no flow runner, an existing ServiceAccount, no admission policies
      printf '%s\n' --set seedBuiltinFlows=false --set flowRunner.enabled=false \
        --set serviceAccount.create=false --set serviceAccount.name=preexisting-operator --set admission.enabled=false ;;
  esac
}

render() { # scenario -> $WORK/<scenario>.yaml (CRDs included)
  local s=$1 args
  mapfile -t args < <(scenario_args "$s")
  "$HELM" template hl "$CHART" --namespace "$NS_SYS" --include-crds ${args[@]+"${args[@]}"} > "$WORK/$s.yaml" \
    || fail "helm template ($s) failed"
}

# ---- 2. lint ------------------------------------------------------------------------------------------
say "== helm lint --strict ($("$HELM" version --short))"
for s in "${SCENARIOS[@]}"; do
  mapfile -t args < <(scenario_args "$s")
  out=$("$HELM" lint --strict "$CHART" --namespace "$NS_SYS" ${args[@]+"${args[@]}"} 2>&1) \
    || fail "helm lint ($s):
$out"
  grep -q '\[WARNING\]\|\[ERROR\]' <<<"$out" && fail "helm lint ($s) warns:
$out"
  ok "lint: $s"
done

# ---- 3. template ----------------------------------------------------------------------------------------
say "== helm template"
for s in "${SCENARIOS[@]}"; do
  render "$s"
  ok "template: $s ($(grep -c '^kind:' "$WORK/$s.yaml") objects)"
done
refused() { # description, expected message, helm args...
  local what=$1 expect=$2
  shift 2
  local out
  if out=$("$HELM" template hl "$CHART" --namespace "$NS_SYS" "${IMAGE[@]}" "$@" 2>&1); then
    fail "helm template accepted $what"
  fi
  grep -qF -- "$expect" <<<"$out" || fail "helm template refused $what, but without saying '$expect':
$out"
  ok "template refuses $what"
}
refused "an empty image.repository (no operator image is published, so there is no default)" \
  "image.repository is required: build the operator image from the repository's Dockerfile" --set image.repository=
if out=$("$HELM" template hl "$CHART" --namespace "$NS_SYS" 2>&1); then
  fail "helm template rendered without image.repository"
fi
grep -qF "image.repository is required" <<<"$out" || fail "without image.repository helm failed, but not saying it is required:
$out"
ok "template refuses to render the default values (no image.repository), saying what to set"
refused "watchAllNamespaces together with watchNamespaces" "set either watchAllNamespaces or watchNamespaces" \
  --set watchAllNamespaces=true --set "watchNamespaces={x}"
refused "a replica count that is not a number" "replicas" --set-string replicas=two
refused "a namespace name that is not a DNS label" "watchNamespaces" --set "watchNamespaces={Team_A}"
refused "an unknown top-level value (a typo)" "watchNamespace" --set "watchNamespace={x}"
refused "the old name of the flow runner's values (agent)" "additional properties 'agent' not allowed" --set agent.enabled=false
refused "a flow Pod resource that is not a quantity" "/flowResources/requests/cpu" --set flowResources.requests.cpu=lots
refused "a misspelt flow Pod resource field" "additional properties 'request' not allowed" --set flowResources.request.cpu=1
refused "an LLM Secret name that is not a Secret name (it is put into a CEL string)" "llmSecretName" --set "llmSecretName=a'b"
refused "an OTLP protocol other than http/protobuf or grpc" "protocol" --set tracing.otlp.endpoint=http://c:4318 --set tracing.otlp.protocol=http/json
refused "an OTLP endpoint that is not an http(s) URL" "endpoint" --set tracing.otlp.endpoint=collector:4317
refused "a client certificate for OTLP without its key" "tracing.otlp.tls.clientCertificate and tracing.otlp.tls.clientKey go together" \
  --set tracing.otlp.endpoint=https://c:4318 --set tracing.otlp.tls.secretName=t --set tracing.otlp.tls.clientCertificate=tls.crt
# Shards (README, "Sharding"): one Deployment per shard, each with its own Plays and Lease; overlaps refused.
refused "two shards that claim one namespace" "belongs to both a and b" --set "watchNamespaces={$NS_A,$NS_B}" \
  --set 'shards[0].name=a' --set "shards[0].namespaces={$NS_A}" --set 'shards[1].name=b' --set "shards[1].namespaces={$NS_A}"
refused "a shard namespace the chart does not watch" "not in watchNamespaces" --set "watchNamespaces={$NS_A}" \
  --set 'shards[0].name=a' --set "shards[0].namespaces={$NS_B}"
refused "a shard with neither namespaces nor a playSelector" "needs namespaces or a playSelector" --set 'shards[0].name=a'
refused "namespace shards mixed with selector shards" "either every shard lists its namespaces or none does" \
  --set "watchNamespaces={$NS_A,$NS_B}" --set 'shards[0].name=a' --set "shards[0].namespaces={$NS_A}" \
  --set 'shards[1].name=b' --set 'shards[1].playSelector=herologic.io/shard=b'
refused "a shard name used twice" "the name a is used twice" --set 'shards[0].name=a' --set 'shards[0].playSelector=x=1' \
  --set 'shards[1].name=a' --set 'shards[1].playSelector=x=2'
shards_of() { # helm args... -> one line per Deployment: name|pod shard label|namespaces|shard env|selector|seed
  "$HELM" template hl "$CHART" --namespace "$NS_SYS" "${IMAGE[@]}" --show-only templates/deployment.yaml "$@" | python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if not d or d["kind"] != "Deployment":
        continue
    env = {e["name"]: e.get("value") for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
    label = d["spec"]["template"]["metadata"]["labels"].get("herologic.io/shard", "")
    assert d["spec"]["selector"]["matchLabels"].get("herologic.io/shard", "") == label, d["metadata"]["name"]
    print("|".join([d["metadata"]["name"], label, env["QUARKUS_OPERATOR_SDK_NAMESPACES"], env.get("HEROLOGIC_SHARD_NAME", ""),
                    env.get("HEROLOGIC_SHARD_PLAY_SELECTOR", ""), env["HEROLOGIC_SEED_BUILTIN_FLOWS"]]))'
}
got=$(shards_of --set "watchNamespaces={$NS_A,$NS_B}" --set 'shards[0].name=a' --set "shards[0].namespaces={$NS_A}" \
  --set 'shards[1].name=b' --set "shards[1].namespaces={$NS_B}")
want="hl-hero-logic-a|a|$NS_A|a||true
hl-hero-logic-b|b|$NS_B|b||true"
[[ "$got" == "$want" ]] || fail "namespace shards should render one Deployment per shard, each watching its own namespace:
$got"
ok "template: namespace shards are one Deployment each, each watching and seeding only its namespaces"
got=$(shards_of --set 'shards[0].name=a' --set 'shards[0].playSelector=herologic.io/shard=a' \
  --set 'shards[1].name=rest' --set 'shards[1].playSelector=!herologic.io/shard')
want="hl-hero-logic-a|a|JOSDK_WATCH_CURRENT|a|herologic.io/shard=a|true
hl-hero-logic-rest|rest|JOSDK_WATCH_CURRENT|rest|!herologic.io/shard|false"
[[ "$got" == "$want" ]] || fail "selector shards should share the namespaces, split the Plays by selector, and seed once:
$got"
ok "template: selector shards split the Plays of shared namespaces, and only the first seeds"
[[ "$(shards_of)" == "hl-hero-logic||JOSDK_WATCH_CURRENT|||true" ]] || fail "without shards: one Deployment, no shard settings: $(shards_of)"
ok "template: no shards, one Deployment as before"
# Several releases in one cluster: each would refuse the others' namespaces, so that part can go alone.
policies=$("$HELM" template hl "$CHART" --namespace "$NS_SYS" "${IMAGE[@]}" --set admission.refuseUnwatchedNamespaces=false \
  --show-only templates/admission.yaml | grep -A2 '^kind: ValidatingAdmissionPolicy$' | sed -n 's/^  name: //p' | sort | tr '\n' ' ')
[[ "$policies" == "hl-hero-logic-plays hl-hero-logic-playschedules hl-hero-logic-workflows hl-hero-logic-workflowversions " ]] \
  || fail "admission.refuseUnwatchedNamespaces=false should keep exactly the four permission policies, got: $policies"
ok "template: admission.refuseUnwatchedNamespaces=false drops only the unwatched-namespace policy"

# ---- 4. server-side validation ---------------------------------------------------------------------------
say "== kubectl apply --dry-run=server"
if [[ -z "${KUBECONFIG:-}" ]]; then
  STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/hero-logic-chart-cluster.XXXXXX")"
  say "  (no KUBECONFIG: starting a devcluster in $STATE_DIR)"
  make -s -C "$REPO/devcluster" up STATE_DIR="$STATE_DIR" >"$WORK/devcluster-up.log" 2>&1 \
    || { cat "$WORK/devcluster-up.log" >&2; fail "could not start a devcluster"; }
  export KUBECONFIG="$STATE_DIR/kubeconfig"
fi
say "  API server $("$KUBECTL" version -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])') at $("$KUBECTL" config view --minify -o jsonpath='{.clusters[0].cluster.server}')"

# The release namespace and the watched ones exist for real. Pod Security "restricted" in warn
# mode makes the API server report any Deployment whose Pod template breaks the profile.
for ns in "$NS_SYS" "$NS_A" "$NS_B"; do
  "$KUBECTL" create namespace "$ns" >/dev/null
  NAMESPACES+=("$ns")
  "$KUBECTL" label namespace "$ns" pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted >/dev/null
done
ok "namespaces $NS_SYS, $NS_A, $NS_B created (Pod Security restricted)"

for s in "${SCENARIOS[@]}"; do
  # Server-side apply: client-side apply would store each CRD whole in an annotation. Forcing
  # conflicts only matters when the CRDs are already installed by another manager; it is a dry run.
  if ! "$KUBECTL" apply --dry-run=server --server-side --force-conflicts --field-manager=hero-logic-chart-check \
      -o json -f "$WORK/$s.yaml" >"$WORK/$s.json" 2>"$WORK/$s.err"; then
    cat "$WORK/$s.err" >&2
    fail "the API server rejected the $s manifests"
  fi
  # Anything the API server warns about (deprecated fields, duplicate env, Pod Security) fails;
  # kubectl's own client/server version-skew notice is not about the manifests.
  if grep -v 'version difference between client' "$WORK/$s.err" | grep -qi 'warning'; then
    cat "$WORK/$s.err" >&2
    fail "the API server warned about the $s manifests"
  fi
  ok "dry-run=server: $s ($(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get("items", [d])))' "$WORK/$s.json") objects accepted, no warnings)"
  python3 "$HERE/check_rendered.py" "$s" "$WORK/$s.json" "$NS_SYS" "$NS_A" "$NS_B" \
    || fail "the $s manifests do not do what the scenario promises (above)"
  ok "contents: $s"
done

# The Pod Security check above must be able to fail: a privileged variant has to draw the warning.
"$HELM" template hl "$CHART" --namespace "$NS_SYS" "${IMAGE[@]}" --set securityContext.allowPrivilegeEscalation=true \
  --set securityContext.readOnlyRootFilesystem=false --show-only templates/deployment.yaml >"$WORK/insecure.yaml"
"$KUBECTL" apply --dry-run=server --server-side --force-conflicts --field-manager=hero-logic-chart-check -f "$WORK/insecure.yaml" >/dev/null 2>"$WORK/insecure.err" \
  || { cat "$WORK/insecure.err" >&2; fail "the privileged variant was rejected outright (expected only a warning)"; }
grep -q 'would violate PodSecurity' "$WORK/insecure.err" \
  || fail "the API server did not warn about a Deployment with allowPrivilegeEscalation=true: the Pod Security check proves nothing"
ok "Pod Security check is live: a privilege-escalating variant draws 'would violate PodSecurity \"restricted\"'"

# The API server compiles every CEL expression of a policy on apply: a broken one must be refused,
# or the dry runs above prove nothing about the admission policies.
"$HELM" template hl "$CHART" --namespace "$NS_SYS" "${IMAGE[@]}" --show-only templates/admission.yaml \
  | sed "s/request.operation == 'CREATE'/request.operation == 1 + 'CREATE'/" >"$WORK/broken-cel.yaml"
if "$KUBECTL" apply --dry-run=server --server-side --force-conflicts --field-manager=hero-logic-chart-check -f "$WORK/broken-cel.yaml" >/dev/null 2>"$WORK/broken-cel.err"; then
  fail "the API server accepted a policy whose CEL does not compile: the dry run does not check the policies' expressions"
fi
grep -q 'compilation failed' "$WORK/broken-cel.err" || { cat "$WORK/broken-cel.err" >&2; fail "a broken policy was refused, but not for its CEL"; }
ok "CEL check is live: a policy with an expression that does not compile is refused"

# ---- 5. package ------------------------------------------------------------------------------------------
say "== helm package"
"$HELM" package "$CHART" -d "$WORK" >/dev/null || fail "helm package failed"
tgz="$(ls "$WORK"/hero-logic-*.tgz)"
for f in $repo_crds; do
  tar -xzOf "$tgz" "hero-logic/crds/$f" | cmp -s - "$REPO/crds/$f" || fail "$(basename "$tgz") does not carry crds/$f unchanged"
done
ok "$(basename "$tgz") carries the CRDs unchanged"

say "chart OK: $CHECKS checks passed"
