#!/usr/bin/env bash
# Runs the pinned helm, building it first from its Go module when the cache does not hold it.
#   helm/test/helm.sh template ...     # any helm command
#   helm/test/helm.sh --path           # only make sure it is built; print its path
# There is no helm package on these machines and nothing but the package registries is reachable,
# so helm comes from the Go module proxy, at a version pinned here (bump it deliberately).
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.21.4}"
HELM_CACHE="${HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hero-logic/helm-${HELM_VERSION}}"
HELM_BIN="$HELM_CACHE/helm"

build_helm() {
  command -v go >/dev/null || { echo "helm.sh: go is needed to build helm $HELM_VERSION" >&2; exit 1; }
  echo "helm.sh: building helm $HELM_VERSION into $HELM_CACHE (once; later runs reuse it)" >&2
  mkdir -p "$HELM_CACHE"
  local tmp started
  tmp="$(mktemp -d "$HELM_CACHE/.build.XXXXXX")"
  started=$SECONDS
  # The same ldflags as helm's own Makefile: its version, and the Kubernetes version that
  # `helm template` and `helm lint` assume (helm's Makefile derives it from its client-go, v0.36).
  local pkg=helm.sh/helm/v3
  local ldflags="-s -w -X $pkg/internal/version.version=$HELM_VERSION -X $pkg/internal/version.gitTreeState=clean \
    -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=36 \
    -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=36"
  GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS="-buildvcs=false -p=${GO_PARALLEL:-2}" \
    go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv -f "$tmp/helm" "$HELM_BIN" # atomic: a concurrent caller sees no binary or a whole one
  rmdir "$tmp"
  echo "helm.sh: built helm $HELM_VERSION in $((SECONDS - started))s" >&2
}

if [[ ! -x "$HELM_BIN" ]]; then
  # Two callers at once (make test running the script and an IT) build it only once.
  mkdir -p "$HELM_CACHE"
  exec 9>"$HELM_CACHE/.lock"
  flock 9
  [[ -x "$HELM_BIN" ]] || build_helm
  flock -u 9
fi

if [[ "${1:-}" == "--path" ]]; then
  echo "$HELM_BIN"
  exit 0
fi
exec "$HELM_BIN" "$@"
