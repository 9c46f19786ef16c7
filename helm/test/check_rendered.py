#!/usr/bin/env python3
"""Checks the objects of one check-chart.sh scenario, as the API server accepted them.

    check_rendered.py <scenario> <kubectl-apply-output.json> <release-ns> <team-a-ns> <team-b-ns>

Prints one line per problem and exits 1 if there is any. The operator's expected permissions are
written out here on purpose, a second time: a rule added to the chart without a reason in the
code fails this check (and RbacIT) until someone looks at it.
"""
import json
import sys

OPERATOR_RULES = {
    ("herologic.io", "plays"): {"get", "list", "watch", "create", "delete", "patch"},
    ("herologic.io", "playschedules"): {"get", "list", "watch"},
    ("herologic.io", "workflows"): {"get", "list", "watch", "create", "update"},
    ("herologic.io", "workflowversions"): {"get", "list", "watch", "create"},
    ("herologic.io", "plays/status"): {"patch"},
    ("herologic.io", "workflows/status"): {"patch"},
    ("herologic.io", "workflowversions/status"): {"patch"},
    ("herologic.io", "playschedules/status"): {"patch"},
    ("", "pods"): {"get", "list", "watch", "create", "delete"},
    ("", "pods/log"): {"get"},
    ("", "configmaps"): {"get", "list", "watch", "create", "patch"},
    ("", "serviceaccounts"): {"get"},
    ("", "services"): {"list"},
    ("", "events"): {"create"},
}
# Without seeding the operator creates no Workflow or WorkflowVersion and updates no Workflow.
OPERATOR_RULES_NO_SEED = dict(OPERATOR_RULES)
OPERATOR_RULES_NO_SEED[("herologic.io", "workflows")] = {"get", "list", "watch"}
OPERATOR_RULES_NO_SEED[("herologic.io", "workflowversions")] = {"get", "list", "watch"}

FLOW_RUNNER_RULES = {
    ("", "services"): {"get", "list", "watch"},
    ("herologic.io", "plays"): {"create", "get", "list", "watch"},
}
FLOW_RUNNER = "herologic-flow-runner"
LEASE_RULES = {("coordination.k8s.io", "leases"): {"get", "create", "update", "patch"}}
# The UI asks who a viewer is and what they may read, in every watch mode (cluster-scoped APIs).
REVIEW_RULES = {
    ("authentication.k8s.io", "tokenreviews"): {"create"},
    ("authorization.k8s.io", "subjectaccessreviews"): {"create"},
}
CRDS = {"plays.herologic.io", "workflows.herologic.io", "workflowversions.herologic.io", "playschedules.herologic.io"}

problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def rules_of(role):
    """(apiGroup, resource) -> verbs; a wildcard or a nonResourceURL is a problem."""
    granted = {}
    for rule in role.get("rules", []):
        for field in ("apiGroups", "resources", "verbs"):
            check("*" not in rule.get(field, []), f"{role['kind']} {role['metadata']['name']}: wildcard in {field}: {rule}")
        check(not rule.get("nonResourceURLs"), f"{role['kind']} {role['metadata']['name']}: nonResourceURLs {rule}")
        for group in rule.get("apiGroups", []):
            for resource in rule.get("resources", []):
                granted.setdefault((group, resource), set()).update(rule.get("verbs", []))
    return granted


def main():
    scenario, path, ns_sys, ns_a, ns_b = sys.argv[1:6]
    doc = json.load(open(path))
    objects = doc["items"] if doc.get("kind") == "List" else [doc]

    def find(kind, name=None, namespace=None):
        return [o for o in objects if o["kind"] == kind
                and (name is None or o["metadata"]["name"] == name)
                and (namespace is None or o["metadata"].get("namespace") == namespace)]

    fullname = "hl-hero-logic"
    seeding = scenario != "minimal"
    sa_name = "preexisting-operator" if scenario == "minimal" else fullname
    expected_operator = OPERATOR_RULES if seeding else OPERATOR_RULES_NO_SEED

    # --- CRDs
    check({o["metadata"]["name"] for o in find("CustomResourceDefinition")} == CRDS, "the four CRDs are rendered")

    # --- the UI's reviews: one small ClusterRole in every watch mode
    review_roles = find("ClusterRole", fullname + "-reviews")
    review_bindings = find("ClusterRoleBinding", fullname + "-reviews")
    check(len(review_roles) == 1 and rules_of(review_roles[0]) == REVIEW_RULES,
          f"the reviews ClusterRole grants exactly {REVIEW_RULES}: {review_roles}")
    check(len(review_bindings) == 1 and review_bindings[0]["roleRef"]["name"] == fullname + "-reviews"
          and review_bindings[0]["subjects"] == [{"kind": "ServiceAccount", "name": sa_name, "namespace": ns_sys}],
          f"the reviews ClusterRoleBinding binds it to {ns_sys}/{sa_name}: {review_bindings}")

    # --- where the operator's permissions live
    watch = {"default": [ns_sys], "namespaces": [ns_a, ns_b], "all": None, "minimal": [ns_sys]}[scenario]
    if watch is None:
        cluster_roles = find("ClusterRole", fullname)
        check(len(cluster_roles) == 1, "one ClusterRole when watching all namespaces")
        for role in cluster_roles:
            granted = rules_of(role)
            check(granted == expected_operator, f"ClusterRole rules: {granted}")
        bindings = find("ClusterRoleBinding", fullname)
        check(len(bindings) == 1 and bindings[0]["roleRef"]["name"] == fullname
              and bindings[0]["subjects"] == [{"kind": "ServiceAccount", "name": sa_name, "namespace": ns_sys}],
              f"ClusterRoleBinding binds the ClusterRole to {ns_sys}/{sa_name}: {bindings}")
        check(not find("Role", fullname), "no namespaced operator Role when watching all namespaces")
    else:
        cluster_wide = [o for o in find("ClusterRole") + find("ClusterRoleBinding") if o["metadata"]["name"] != fullname + "-reviews"]
        check(not cluster_wide, f"nothing cluster-wide but the reviews when watching {watch}: {[o['metadata']['name'] for o in cluster_wide]}")
        roles = find("Role", fullname)
        check(sorted(r["metadata"]["namespace"] for r in roles) == sorted(watch), f"operator Roles in exactly {watch}: {[r['metadata']['namespace'] for r in roles]}")
        for role in roles:
            granted = rules_of(role)
            check(granted == expected_operator, f"Role {role['metadata']['namespace']}/{fullname} rules: {granted}")
        bindings = find("RoleBinding", fullname)
        check(sorted(b["metadata"]["namespace"] for b in bindings) == sorted(watch), "a RoleBinding per watched namespace")
        for b in bindings:
            check(b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": fullname}
                  and b["subjects"] == [{"kind": "ServiceAccount", "name": sa_name, "namespace": ns_sys}],
                  f"RoleBinding {b['metadata']['namespace']} binds the Role to {ns_sys}/{sa_name}: {b}")

    # --- leader election
    lease_roles = find("Role", fullname + "-leader-election")
    if scenario == "namespaces":
        check(len(lease_roles) == 1 and lease_roles[0]["metadata"]["namespace"] == ns_sys
              and rules_of(lease_roles[0]) == LEASE_RULES, f"leases Role in {ns_sys}: {lease_roles}")
        check(len(find("RoleBinding", fullname + "-leader-election", ns_sys)) == 1, "leases RoleBinding")
    else:
        check(not lease_roles, "no leases Role with one replica")

    # --- the flow runner (an identity for flows of one's own that start child Plays)
    runner_ns = {"default": [ns_sys], "namespaces": [ns_a, ns_b], "all": [], "minimal": []}[scenario]
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        found = sorted(o["metadata"]["namespace"] for o in find(kind, FLOW_RUNNER))
        check(found == sorted(runner_ns), f"flow runner {kind} in {runner_ns}, found in {found}")
    for role in find("Role", FLOW_RUNNER):
        granted = rules_of(role)
        check(granted == FLOW_RUNNER_RULES, f"flow runner Role rules: {granted}")
    for b in find("RoleBinding", FLOW_RUNNER):
        ns = b["metadata"]["namespace"]
        check(b["subjects"] == [{"kind": "ServiceAccount", "name": FLOW_RUNNER, "namespace": ns}], f"flow runner RoleBinding subject in {ns}")

    for sa in find("ServiceAccount", FLOW_RUNNER):
        check(sa["metadata"].get("labels", {}).get("herologic.io/flow-runner") == "true",
              f"flow runner ServiceAccount in {sa['metadata']['namespace']} carries the opt-in label herologic.io/flow-runner=true")

    # --- the LLM Secret: only when asked for, in the seeded namespaces, with only the keys given
    llm_ns = {"namespaces": [ns_a, ns_b]}.get(scenario, [])
    llm_secrets = [o for o in find("Secret") if o["metadata"]["name"] in ("herologic-llm", "team-llm")]
    check(sorted(o["metadata"]["namespace"] for o in llm_secrets) == sorted(llm_ns), f"LLM Secret in {llm_ns}: {llm_secrets}")
    for secret in llm_secrets:
        check(secret["metadata"]["name"] == "team-llm", "the LLM Secret is named llmSecretName")
        check(set(secret.get("data", {})) == {"model"}, f"LLM Secret keys: only those given ({secret.get('data')})")

    check_admission(scenario, find, fullname, watch)

    # --- the operator's ServiceAccount
    sas = [o for o in find("ServiceAccount") if o["metadata"]["name"] != FLOW_RUNNER]
    if scenario == "minimal":
        check(not sas, "serviceAccount.create=false creates none")
    else:
        check([(s["metadata"]["namespace"], s["metadata"]["name"]) for s in sas] == [(ns_sys, fullname)], f"operator ServiceAccount: {sas}")

    # --- the Deployment
    deployments = find("Deployment", fullname, ns_sys)
    check(len(deployments) == 1, "one Deployment in the release namespace")
    if deployments:
        check_deployment(scenario, deployments[0], sa_name, ns_sys, ns_a, ns_b)

    # --- the Service
    services = find("Service", fullname, ns_sys)
    check(len(services) == 1, "one Service")
    if services and deployments:
        svc = services[0]["spec"]
        check([(p["name"], p["port"], p["targetPort"]) for p in svc["ports"]] == [("http", 8080, "http")], f"Service port: {svc['ports']}")
        pod_labels = deployments[0]["spec"]["template"]["metadata"]["labels"]
        check(all(pod_labels.get(k) == v for k, v in svc["selector"].items()), "the Service selects the operator's Pods")

    for p in problems:
        print(f"  {scenario}: {p}")
    return 1 if problems else 0


def check_admission(scenario, find, fullname, watch):
    """The ValidatingAdmissionPolicies: one per kind with its binding, the unwatched-namespace one
    exactly when the release watches a list, none at all with admission.enabled=false."""
    policies = {p["metadata"]["name"]: p for p in find("ValidatingAdmissionPolicy")}
    bindings = {b["metadata"]["name"]: b for b in find("ValidatingAdmissionPolicyBinding")}
    if scenario == "minimal":  # admission.enabled=false
        check(not policies and not bindings, f"admission.enabled=false renders no policy: {sorted(policies) + sorted(bindings)}")
        return
    kinds = {"plays": ["plays"], "workflows": ["workflows"], "workflowversions": ["workflowversions"],
             "playschedules": ["playschedules"]}
    if watch is not None:
        kinds["unwatched-namespaces"] = ["plays", "workflows", "workflowversions", "playschedules"]
    expected = {f"{fullname}-{k}" for k in kinds}
    check(set(policies) == expected, f"policies {sorted(expected)}, got {sorted(policies)}")
    check(set(bindings) == expected, f"bindings {sorted(expected)}, got {sorted(bindings)}")
    for suffix, resources in kinds.items():
        name = f"{fullname}-{suffix}"
        policy, binding = policies.get(name), bindings.get(name)
        if not policy or not binding:
            continue
        spec = policy["spec"]
        check(spec.get("failurePolicy") == "Fail", f"{name}: failurePolicy Fail (an error must not let a request through)")
        (rule,) = spec["matchConstraints"]["resourceRules"]
        check(rule["apiGroups"] == ["herologic.io"] and sorted(rule["resources"]) == sorted(resources), f"{name} matches {resources}: {rule}")
        # Refusing new objects is enough where nothing watches; updates and deletes of leftovers must work.
        operations = ["CREATE"] if suffix == "unwatched-namespaces" else ["CREATE", "UPDATE"]
        check(rule["operations"] == operations, f"{name}: operations {operations}, got {rule['operations']}")
        check(all(v.get("messageExpression") and v.get("reason") == "Forbidden" for v in spec["validations"]),
              f"{name}: every validation explains itself (messageExpression) and answers 403")
        check(binding["spec"]["policyName"] == name and binding["spec"]["validationActions"] == ["Deny"], f"{name}: binding denies")
        selector = binding["spec"].get("matchResources", {}).get("namespaceSelector")
        if suffix == "unwatched-namespaces":
            check(selector == {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": watch}]},
                  f"{name}: binds every namespace but {watch}: {selector}")
        else:
            check(selector in (None, {}), f"{name}: binds every namespace: {selector}")
    workflow_rules = " ".join(v["expression"] for v in policies.get(f"{fullname}-workflows", {}).get("spec", {}).get("validations", []))
    check("serviceAccount" in workflow_rules, "the Workflow policy checks serviceAccountName")
    schedule_rules = " ".join(v["expression"] for v in policies.get(f"{fullname}-playschedules", {}).get("spec", {}).get("validations", []))
    check("resource('plays')" in schedule_rules and "mayCreatePods" in schedule_rules,
          "the PlaySchedule policy asks its author for creating Plays and checks the template's image")


def check_deployment(scenario, deployment, sa_name, ns_sys, ns_a, ns_b):
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    check(pod["serviceAccountName"] == sa_name, f"Pod runs as {sa_name}")
    check(pod["securityContext"].get("runAsNonRoot") is True, "pod runAsNonRoot")
    check(pod["securityContext"].get("seccompProfile") == {"type": "RuntimeDefault"}, "pod seccomp RuntimeDefault")
    (c,) = pod["containers"]
    sc = c["securityContext"]
    check(sc.get("runAsNonRoot") is True, "container runAsNonRoot")
    check(sc.get("allowPrivilegeEscalation") is False, "no privilege escalation")
    check(sc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], "drops ALL capabilities")
    tmp = [v for v in pod["volumes"] if v["name"] == "tmp"]
    check(len(tmp) == 1 and "emptyDir" in tmp[0], "an emptyDir volume for /tmp")
    check({"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"], "/tmp mounted")
    check([(p["name"], p["containerPort"]) for p in c["ports"]] == [("http", 8080)], f"container port: {c['ports']}")
    check(c["livenessProbe"]["httpGet"] == {"path": "/q/health/live", "port": "http", "scheme": "HTTP"}, f"liveness: {c['livenessProbe']}")
    check(c["readinessProbe"]["httpGet"] == {"path": "/q/health/ready", "port": "http", "scheme": "HTTP"}, f"readiness: {c['readinessProbe']}")
    check("requests" in c.get("resources", {}) and "limits" in c.get("resources", {}), "resources set")
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    want = {
        "default": {"QUARKUS_OPERATOR_SDK_NAMESPACES": "JOSDK_WATCH_CURRENT", "HEROLOGIC_SEED_BUILTIN_FLOWS": "true",
                    "HEROLOGIC_FLOW_IMAGE": "python:3.12-slim", "HEROLOGIC_LLM_SECRET_NAME": "herologic-llm",
                    "HEROLOGIC_OPERATOR_SERVICE_ACCOUNT": f"{ns_sys}/{sa_name}",
                    "HEROLOGIC_PLAY_TTL_SECONDS_AFTER_FINISHED": "604800",
                    "HEROLOGIC_FLOW_RESOURCES": '{"limits":{"memory":"512Mi"},"requests":{"cpu":"100m","memory":"128Mi"}}'},
        "namespaces": {"QUARKUS_OPERATOR_SDK_NAMESPACES": f"{ns_a},{ns_b}", "QUARKUS_PROFILE": "prod,leader-election",
                       "HEROLOGIC_FLOW_IMAGE": "registry.example.com/python:3.12-slim", "HEROLOGIC_LLM_SECRET_NAME": "team-llm",
                       "HEROLOGIC_PLAY_TTL_SECONDS_AFTER_FINISHED": "600",
                       "HEROLOGIC_FLOW_RESOURCES": '{"limits":{"memory":"1Gi"},"requests":{"cpu":"250m","memory":"128Mi"}}',
                       "HEROLOGIC_MAX_RUNNING_PLAYS": "50", "HEROLOGIC_MAX_RUNNING_PLAYS_PER_NAMESPACE": "10"},
        "all": {"QUARKUS_OPERATOR_SDK_NAMESPACES": "JOSDK_ALL_NAMESPACES", "HEROLOGIC_SEED_NAMESPACES": ns_a,
                "HEROLOGIC_FLOW_USER": "1000", "QUARKUS_OPERATOR_SDK_CONCURRENT_RECONCILIATION_THREADS": "10",
                "HEROLOGIC_OTLP_ENDPOINT": "https://tempo.example:4317", "HEROLOGIC_OTLP_PROTOCOL": "grpc",
                "HEROLOGIC_OTLP_CERTIFICATE": "/etc/herologic/otlp-tls/ca.crt",
                "HEROLOGIC_TRACE_URL_TEMPLATE": "https://grafana.example/trace/{traceId}"},
        "minimal": {"HEROLOGIC_SEED_BUILTIN_FLOWS": "false"},
    }[scenario]
    for name, value in want.items():
        check(env.get(name) == value, f"env {name}={value!r}, got {env.get(name)!r}")
    if scenario != "namespaces":
        check("QUARKUS_PROFILE" not in env, "no leader-election profile with one replica")
        check(spec.get("strategy", {}).get("type") == "Recreate", "one replica without leader election: Recreate, never two at once")
    if scenario != "namespaces":
        check("HEROLOGIC_MAX_RUNNING_PLAYS" not in env and "HEROLOGIC_MAX_RUNNING_PLAYS_PER_NAMESPACE" not in env,
              "no concurrency maxima unless set (null: no limit)")
    if scenario != "all":
        check("HEROLOGIC_SEED_NAMESPACES" not in env, "HEROLOGIC_SEED_NAMESPACES only when watching all namespaces")
    if scenario == "all":  # tracing: headers from the Secret (never a literal value), the TLS Secret mounted read-only
        headers = [e for e in c.get("env", []) if e["name"] == "HEROLOGIC_OTLP_HEADERS"]
        check(len(headers) == 1 and headers[0].get("valueFrom", {}).get("secretKeyRef") == {"name": "tempo-auth", "key": "headers"},
              f"HEROLOGIC_OTLP_HEADERS from Secret tempo-auth, got {headers}")
        check({"name": "otlp-tls", "mountPath": "/etc/herologic/otlp-tls", "readOnly": True} in c["volumeMounts"], "OTLP TLS Secret mounted")
        check({"name": "otlp-tls", "secret": {"secretName": "tempo-tls", "defaultMode": 420}} in pod["volumes"], f"OTLP TLS volume: {pod['volumes']}")
    else:
        check(not any(n.startswith("HEROLOGIC_OTLP_") for n in env), "no OTLP export unless an endpoint is set")
    names = [e["name"] for e in c.get("env", [])]
    check(len(names) == len(set(names)), f"no environment variable set twice: {names}")
    image = {"default": "registry.example.com/hero-logic-operator:0.1.0",
             "namespaces": "registry.example.com/platform/hero-logic-operator:1.2.3",
             "all": "registry.example.com/hero-logic-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "minimal": "registry.example.com/hero-logic-operator:0.1.0"}[scenario]
    check(c["image"] == image, f"image {image}, got {c['image']}")
    check(spec["replicas"] == (2 if scenario == "namespaces" else 1), f"replicas {spec['replicas']}")


if __name__ == "__main__":
    sys.exit(main())
