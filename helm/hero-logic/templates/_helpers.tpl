{{/* Names ------------------------------------------------------------------------------------- */}}

{{- define "hero-logic.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name when it already says hero-logic, else release-chart. */}}
{{- define "hero-logic.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hero-logic.serviceAccountName" -}}
{{- default (include "hero-logic.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "hero-logic.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hero-logic.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hero-logic.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hero-logic.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hero-logic
{{- end -}}

{{/* No default image exists anywhere (none is published), so an unset repository is refused with what to do. */}}
{{- define "hero-logic.image" -}}
{{- if not .Values.image.repository -}}
{{- fail "image.repository is required: build the operator image from the repository's Dockerfile, push it to a registry your cluster pulls from, and pass --set image.repository=<registry>/hero-logic-operator (see the chart's README, \"Build and push the operator image\")" -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* What the operator watches ---------------------------------------------------------------- */}}

{{/* "all", "list" or "current"; fails on a contradictory setting. */}}
{{- define "hero-logic.watchMode" -}}
{{- if and .Values.watchAllNamespaces .Values.watchNamespaces -}}
{{- fail "set either watchAllNamespaces or watchNamespaces, not both" -}}
{{- else if .Values.watchAllNamespaces -}}
all
{{- else if .Values.watchNamespaces -}}
list
{{- else -}}
current
{{- end -}}
{{- end -}}

{{/* QUARKUS_OPERATOR_SDK_NAMESPACES: JOSDK_ALL_NAMESPACES, JOSDK_WATCH_CURRENT or a comma list. */}}
{{- define "hero-logic.watchNamespacesEnv" -}}
{{- $mode := include "hero-logic.watchMode" . -}}
{{- if eq $mode "all" -}}
JOSDK_ALL_NAMESPACES
{{- else if eq $mode "list" -}}
{{- join "," (uniq .Values.watchNamespaces) -}}
{{- else -}}
JOSDK_WATCH_CURRENT
{{- end -}}
{{- end -}}

{{/* The namespaces that get a namespaced Role for the operator (none when it watches all). */}}
{{- define "hero-logic.roleNamespaces" -}}
{{- $mode := include "hero-logic.watchMode" . -}}
{{- if eq $mode "list" -}}
{{- join "," (uniq .Values.watchNamespaces) -}}
{{- else if eq $mode "current" -}}
{{- .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/* The namespaces the operator seeds, as a comma list: where the agent's ServiceAccount goes. */}}
{{- define "hero-logic.seededNamespaces" -}}
{{- $mode := include "hero-logic.watchMode" . -}}
{{- if eq $mode "all" -}}
{{- join "," (default (list .Release.Namespace) .Values.seedNamespaces | uniq) -}}
{{- else -}}
{{- include "hero-logic.roleNamespaces" . -}}
{{- end -}}
{{- end -}}

{{- define "hero-logic.leaderElection" -}}
{{- if kindIs "bool" .Values.leaderElection.enabled -}}
{{- ternary "true" "" .Values.leaderElection.enabled -}}
{{- else -}}
{{- ternary "true" "" (gt (int .Values.replicas) 1) -}}
{{- end -}}
{{- end -}}

{{/* The operator's RBAC rules: exactly the API calls its code makes, nothing else.
     Kept in one place so the ClusterRole and the per-namespace Roles cannot drift apart. */}}
{{- define "hero-logic.operatorRules" -}}
# Plays: reconciled from an informer; deleted when their time to live is up; created by PlaySchedules
# (admission makes the schedule's author pass the checks a Play of theirs would); patched for one
# annotation, herologic.io/otlp-exported-lines (how far OTLP export got, so a restarted operator sends
# no span twice).
- apiGroups: ["herologic.io"]
  resources: ["plays"]
  verbs: ["get", "list", "watch", "create", "delete", "patch"]
# PlaySchedules: reconciled from an informer.
- apiGroups: ["herologic.io"]
  resources: ["playschedules"]
  verbs: ["get", "list", "watch"]
# Workflows: watched (a Play waiting for its Workflow wakes when it appears); the seeder creates the
# built-in ones and moves the pin of one it still owns.
- apiGroups: ["herologic.io"]
  resources: ["workflows"]
  verbs: ["get", "list", "watch"{{ if .Values.seedBuiltinFlows }}, "create", "update"{{ end }}]
# WorkflowVersions: watched; the seeder creates the built-in ones.
- apiGroups: ["herologic.io"]
  resources: ["workflowversions"]
  verbs: ["get", "list", "watch"{{ if .Values.seedBuiltinFlows }}, "create"{{ end }}]
# Only the status subresource is written, by (server-side apply) patch.
- apiGroups: ["herologic.io"]
  resources: ["plays/status", "workflows/status", "workflowversions/status", "playschedules/status"]
  verbs: ["patch"]
# One Pod per Play: created, watched, deleted on cancel; never updated.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "delete"]
# The span events travel on the flow Pod's stdout.
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
# The SDK and the flow sources, published as immutable ConfigMaps; a WorkflowVersion reading its
# source from a ConfigMap is watched; a shared source ConfigMap gets one more ownerReference (patch).
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch"]
# A Workflow's service account must exist and carry the flow-runner label before its Pod is created.
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get"]
# Workflows with discoverServices are handed the labelled Services of their namespace at launch.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["list"]
# Play Started/Succeeded/Failed Events for `kubectl describe`.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}

{{/* Shards (README, "Sharding"), as a JSON list of {name, namespaces, playSelector, seed}; [] when unsharded.
     Either every shard lists namespaces of its own (disjoint, within the chart's), or none does and each
     takes the Plays its playSelector matches in all of the chart's namespaces. */}}
{{- define "hero-logic.shards" -}}
{{- $mode := include "hero-logic.watchMode" . -}}
{{- $out := list -}}
{{- $names := dict -}}
{{- $claimed := dict -}}
{{- $withNamespaces := 0 -}}
{{- $seeded := false -}}
{{- range $i, $s := .Values.shards -}}
{{- if not (and (kindIs "string" $s.name) (regexMatch "^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$" $s.name)) -}}
{{- fail (printf "shards[%d].name must be a DNS label of at most 30 characters (it names the shard's Deployment and Lease), got %v" $i $s.name) -}}
{{- end -}}
{{- if hasKey $names $s.name -}}
{{- fail (printf "shards: the name %s is used twice" $s.name) -}}
{{- end -}}
{{- $_ := set $names $s.name true -}}
{{- $ns := $s.namespaces | default list -}}
{{- if $ns -}}
{{- $withNamespaces = add1 $withNamespaces -}}
{{- if eq $mode "current" -}}
{{- fail (printf "shards[%d] (%s) lists namespaces, but the chart watches only its own namespace: set watchNamespaces or watchAllNamespaces" $i $s.name) -}}
{{- end -}}
{{- range $n := $ns -}}
{{- if and (eq $mode "list") (not (has $n $.Values.watchNamespaces)) -}}
{{- fail (printf "shards[%d] (%s) lists namespace %s, which is not in watchNamespaces" $i $s.name $n) -}}
{{- end -}}
{{- if hasKey $claimed $n -}}
{{- fail (printf "shards: namespace %s belongs to both %s and %s; a namespace belongs to one shard" $n (get $claimed $n) $s.name) -}}
{{- end -}}
{{- $_ := set $claimed $n $s.name -}}
{{- end -}}
{{- else if not $s.playSelector -}}
{{- fail (printf "shards[%d] (%s) needs namespaces or a playSelector: without either it would reconcile every Play, as the other shards do" $i $s.name) -}}
{{- end -}}
{{- $seed := true -}}
{{- if not $ns -}}
{{- $seed = not $seeded -}}
{{- $seeded = true -}}
{{- end -}}
{{- $out = append $out (dict "name" $s.name "namespaces" $ns "playSelector" ($s.playSelector | default "") "seed" $seed) -}}
{{- end -}}
{{- if and (gt $withNamespaces 0) (lt $withNamespaces (len .Values.shards)) -}}
{{- fail "shards: either every shard lists its namespaces or none does (then each needs a playSelector); a mix would reconcile some Plays twice" -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
