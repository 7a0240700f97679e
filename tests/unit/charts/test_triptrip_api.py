"""The API chart (charts/triptrip-api, spec 7.1.1): helm lint, and the objects each values file renders, checked
against spec 3.1.1 (Deployment), 4.1.1 (HPA) and 7.1.2 (production values), Pod Security `restricted`, and the
schemas of the custom resources the local cluster serves (tests/charts/*/crds)."""

from __future__ import annotations

import copy
import json
import subprocess

import jsonschema
import pytest
import yaml
from chartlib import restricted_violations

CHART = "charts/triptrip-api"
RELEASE = NAMESPACE = "triptrip-api"
KUBE_VERSION = "1.35.0"
VALUES_FILES = ["values.yaml", "values-staging.yaml", "values-production.yaml"]
SERVICE_MONITOR_API = "monitoring.coreos.com/v1/ServiceMonitor"

# Spec 4.1.1, verbatim: another program (playbooks/scaling_timeline.yml) reads it back from the rendered HPA.
SPEC_BEHAVIOR = {
    "scaleDown": {
        "stabilizationWindowSeconds": 300,
        "policies": [
            {"type": "Percent", "value": 10, "periodSeconds": 60},
            {"type": "Pods", "value": 5, "periodSeconds": 60},
        ],
        "selectPolicy": "Min",
    },
    "scaleUp": {
        "stabilizationWindowSeconds": 0,
        "policies": [
            {"type": "Percent", "value": 100, "periodSeconds": 15},
            {"type": "Pods", "value": 10, "periodSeconds": 15},
        ],
        "selectPolicy": "Max",
    },
}
# Spec 3.1.1's probes: path and timing fields.
SPEC_PROBES = {
    "startupProbe": ("/health/startup", {"initialDelaySeconds": 10, "periodSeconds": 5, "failureThreshold": 30}),
    "livenessProbe": (
        "/health/live",
        {"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
    ),
    "readinessProbe": (
        "/health/ready",
        {"initialDelaySeconds": 0, "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 3},
    ),
}


# --- helm ---------------------------------------------------------------------------------------------------------


def _helm(root, tool_env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / ".tools/bin/helm"), *args], cwd=root, env=tool_env, capture_output=True, text=True, check=False
    )


_RENDERED: dict[tuple[str, ...], list[dict]] = {}


@pytest.fixture(scope="module")
def render(root, tool_env):
    """helm template of the chart with one values file and extra flags, parsed; cached (helm costs CPU)."""

    def _render(values_file: str = "values.yaml", *extra: str, release: str = RELEASE) -> list[dict]:
        key = (values_file, release, *extra)
        if key not in _RENDERED:
            result = _helm(
                root, tool_env, "template", release, CHART, "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION,
                "--values", f"{CHART}/{values_file}", *extra,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            _RENDERED[key] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        return copy.deepcopy(_RENDERED[key])

    return _render


def objects(docs: list[dict], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[dict], kind: str, name: str = RELEASE) -> dict:
    found = [doc for doc in objects(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def pod_spec(docs: list[dict]) -> dict:
    return one(docs, "Deployment")["spec"]["template"]["spec"]


def container(docs: list[dict], name: str = "api") -> dict:
    return next(c for c in pod_spec(docs)["containers"] if c["name"] == name)


def merged_values(root, values_file: str) -> dict:
    """values.yaml with a values file over it, as Helm merges them (maps recursively, the rest replaced)."""

    def merge(base, over):
        if isinstance(base, dict) and isinstance(over, dict):
            return {**base, **{key: merge(base.get(key), value) for key, value in over.items()}}
        return over

    defaults = yaml.safe_load((root / CHART / "values.yaml").read_text())
    return merge(defaults, yaml.safe_load((root / CHART / values_file).read_text()))


# --- Pod Security `restricted`: podsecurity.restricted_violations ---------------------------------------------


def all_pod_specs(docs: list[dict]) -> dict[str, dict]:
    """Every pod the release makes: the Deployment's template and the chart-test pod."""
    specs = {"Deployment": pod_spec(docs)}
    specs.update({f"Pod/{pod['metadata']['name']}": pod["spec"] for pod in objects(docs, "Pod")})
    return specs


# --- schemas of the custom resources (tests/charts/*/crds, what the local cluster validates against) ------------


def crd_schema(root, crd_file: str, kind: str, version: str) -> dict:
    for doc in yaml.safe_load_all((root / crd_file).read_text()):
        if doc and doc.get("kind") == "CustomResourceDefinition" and doc["spec"]["names"]["kind"] == kind:
            return next(v for v in doc["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]
    raise AssertionError(f"{kind} not in {crd_file}")


def unknown_fields(obj, schema: dict, path: str = "") -> list[str]:
    """Fields the API server's strict field validation would reject (not declared in the structural schema)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    if isinstance(obj, dict) and schema.get("type") == "object":
        if "properties" not in schema:
            extra = schema.get("additionalProperties")
            return [p for k, v in obj.items() for p in unknown_fields(v, extra, f"{path}.{k}")] if extra else []
        found = []
        for key, value in obj.items():
            if path == "" and key in {"apiVersion", "kind", "metadata"}:
                continue
            if key not in schema["properties"]:
                found.append(f"{path}.{key}")
            else:
                found += unknown_fields(value, schema["properties"][key], f"{path}.{key}")
        return found
    if isinstance(obj, list) and "items" in schema:
        return [p for i, item in enumerate(obj) for p in unknown_fields(item, schema["items"], f"{path}[{i}]")]
    return []


def assert_valid_custom_resource(root, obj: dict, crd_file: str) -> None:
    schema = crd_schema(root, crd_file, obj["kind"], obj["apiVersion"].split("/")[1])
    jsonschema.validate(json.loads(json.dumps(obj)), schema)  # types, enums, required
    assert unknown_fields(obj, schema) == [], f"{obj['kind']} has fields the CRD does not declare"


# --- lint and render ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_helm_lint_strict_passes(root, tool_env, values_file):
    result = _helm(root, tool_env, "lint", "--strict", CHART, "--values", f"{CHART}/{values_file}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_release_triptrip_api_renders_objects_named_triptrip_api_selected_by_app(render, values_file):
    docs = render(values_file)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
        obj = one(docs, kind)
        assert obj["metadata"]["namespace"] == NAMESPACE
        labels = obj["metadata"]["labels"]
        assert labels["app"] == "triptrip-api"
        assert labels["app.kubernetes.io/component"] == "api"
        assert labels["app.kubernetes.io/part-of"] == "triptrip"
        assert labels["app.kubernetes.io/version"] == "v1.2.3"
        assert {"app.kubernetes.io/name", "app.kubernetes.io/instance", "helm.sh/chart"} <= set(labels)
    one(docs, "ConfigMap", "triptrip-api-config")
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "triptrip-api"}}
    assert one(docs, "Service")["spec"]["selector"] == {"app": "triptrip-api"}
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert template_labels["app"] == "triptrip-api"
    assert template_labels["version"] == "v1.2.3"  # image.tag "" means appVersion


def test_chart_refuses_kubernetes_older_than_1_33(root, tool_env):
    result = _helm(root, tool_env, "template", RELEASE, CHART, "--kube-version", "1.32.0")
    assert result.returncode != 0
    assert "kubeVersion" in result.stderr


def test_object_names_follow_release_name_and_overrides(render):
    assert one(render("values.yaml", release="blue"), "Deployment", "blue-triptrip-api")
    assert one(render("values.yaml", release="triptrip-api-blue"), "Deployment", "triptrip-api-blue")
    docs = render("values.yaml", "--set", "fullnameOverride=api")
    assert one(docs, "Deployment", "api")["spec"]["selector"]["matchLabels"] == {"app": "triptrip-api"}
    docs = render("values.yaml", "--set", "nameOverride=core", release="core")
    assert one(docs, "Deployment", "core")["spec"]["selector"]["matchLabels"] == {"app": "core"}


def test_image_tag_sets_the_version_label_and_the_image(render):
    docs = render("values-production.yaml", "--set", "image.tag=v2.0.0")
    api = container(docs)
    assert api["image"] == "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/triptrip-api:v2.0.0"
    assert api["imagePullPolicy"] == "Always"
    assert one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]["version"] == "v2.0.0"
    assert container(render("values.yaml"))["imagePullPolicy"] == "IfNotPresent"


# --- Deployment (spec 3.1.1) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_rolling_update_never_loses_a_ready_pod(render, values_file):
    spec = one(render(values_file), "Deployment")["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    assert spec["revisionHistoryLimit"] == 10


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_probes_have_the_spec_paths_and_timings(render, values_file):
    api = container(render(values_file))
    for probe, (path, timings) in SPEC_PROBES.items():
        assert api[probe]["httpGet"] == {"path": path, "port": "http"}, probe
        assert {key: api[probe].get(key) for key in timings} == timings, probe
    assert {p["name"]: p["containerPort"] for p in api["ports"]} == {"http": 3000, "metrics": 9090}


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_pods_drain_before_sigterm_and_write_only_to_scratch_volumes(render, values_file):
    docs = render(values_file)
    spec, api = pod_spec(docs), container(docs)
    assert api["lifecycle"]["preStop"]["exec"]["command"] == ["/bin/sh", "-c", "sleep 10"]
    assert spec["terminationGracePeriodSeconds"] == 60
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["tmp"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "100Mi"}
    assert volumes["cache"]["emptyDir"] == {"sizeLimit": "500Mi"}
    assert {m["name"]: m["mountPath"] for m in api["volumeMounts"]} == {"tmp": "/tmp", "cache": "/app/.cache"}
    assert api["securityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_pods_land_on_general_nodes_spread_over_zones(render, values_file):
    spec = pod_spec(render(values_file))
    assert spec["nodeSelector"] == {"workload-type": "general"}
    assert spec["tolerations"] == []
    assert spec["priorityClassName"] == "triptrip-business-critical"
    spread = {c["topologyKey"]: c for c in spec["topologySpreadConstraints"]}
    zone, host = spread["topology.kubernetes.io/zone"], spread["kubernetes.io/hostname"]
    # Skew at most 1 over the zones is a guarantee only with DoNotSchedule (the spec's ScheduleAnyway prefers).
    assert (zone["maxSkew"], zone["whenUnsatisfiable"]) == (1, "DoNotSchedule")
    assert (host["maxSkew"], host["whenUnsatisfiable"]) == (2, "ScheduleAnyway")
    for constraint in spread.values():
        assert constraint["labelSelector"] == {"matchLabels": {"app": "triptrip-api"}}
    terms = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert {t["podAffinityTerm"]["topologyKey"]: t["weight"] for t in terms} == {
        "kubernetes.io/hostname": 100,
        "topology.kubernetes.io/zone": 50,
    }


def test_zone_spread_and_affinity_follow_their_values(render):
    docs = render("values.yaml", "--set", "topologySpread.zone.whenUnsatisfiable=ScheduleAnyway",
                  "--set", "podAntiAffinity.zoneWeight=0")  # fmt: skip
    spec = pod_spec(docs)
    zone = next(c for c in spec["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone")
    assert zone["whenUnsatisfiable"] == "ScheduleAnyway"
    terms = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert [t["podAffinityTerm"]["topologyKey"] for t in terms] == ["kubernetes.io/hostname"]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_pod_meets_pod_security_restricted(render, values_file):
    docs = render(values_file)
    specs = all_pod_specs(docs)
    assert "Pod/triptrip-api-test-connection" in specs
    assert [c["name"] for c in pod_spec(docs)["initContainers"]] == ["wait-for-db"]
    for where, spec in specs.items():
        assert restricted_violations(spec) == [], where
        for c in [*(spec.get("initContainers") or []), *spec["containers"]]:
            assert c["resources"]["requests"] and c["resources"]["limits"], f"{where} {c['name']}: no resources"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("securityContext", "runAsUser"), 0, "pod: runAsUser 0"),
        (("containers", 0, "securityContext", "allowPrivilegeEscalation"), True, "allowPrivilegeEscalation"),
        (("containers", 0, "securityContext", "capabilities"), {"add": ["NET_ADMIN"]}, "capabilities"),
        (("containers", 0, "securityContext", "seccompProfile"), {"type": "Unconfined"}, "seccomp Unconfined"),
        (("containers", 0, "securityContext", "privileged"), True, "privileged"),
        (("initContainers", 0, "securityContext", "runAsNonRoot"), False, "runAsNonRoot"),
        (("hostNetwork",), True, "hostNetwork"),
        (("hostPID",), True, "hostPID"),
        (("volumes",), [{"name": "logs", "hostPath": {"path": "/var/log"}}], "hostPath"),
    ],
)
def test_restricted_checker_refuses_what_pod_security_refuses(render, path, value, expected):
    spec = pod_spec(render("values.yaml"))
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    violations = restricted_violations(spec)
    assert any(expected in v for v in violations), violations


# --- HPA (spec 4.1.1) and PDB ---------------------------------------------------------------------------------------


def test_production_hpa_matches_production_values_and_the_spec(root, render):
    values = merged_values(root, "values-production.yaml")["autoscaling"]
    hpa = one(render("values-production.yaml"), "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "triptrip-api"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (values["minReplicas"], values["maxReplicas"]) == (5, 100)
    assert hpa["behavior"] == values["behavior"] == SPEC_BEHAVIOR
    resource = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["metrics"] if m["type"] == "Resource"}
    assert resource == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }
    assert hpa["metrics"][2:] == values["extraMetrics"]
    assert [m["type"] for m in hpa["metrics"][2:]] == ["Pods", "External"]
    assert hpa["metrics"][3]["external"]["metric"]["selector"] == {"matchLabels": {"queue_name": "triptrip-task-queue"}}


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_hpa_behavior_is_the_values_behavior_verbatim(root, render, values_file):
    values = merged_values(root, values_file)["autoscaling"]
    hpa = one(render(values_file), "HorizontalPodAutoscaler")["spec"]
    assert hpa["behavior"] == values["behavior"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (values["minReplicas"], values["maxReplicas"])
    assert hpa["minReplicas"] <= hpa["maxReplicas"]


def test_changing_a_behavior_policy_changes_the_rendered_hpa(render):
    policies = [{"type": "Pods", "value": 4, "periodSeconds": 60}]
    docs = render("values-production.yaml",
                  "--set-json", f"autoscaling.behavior.scaleUp.policies={json.dumps(policies)}",
                  "--set", "autoscaling.behavior.scaleDown.stabilizationWindowSeconds=120")  # fmt: skip
    behavior = one(docs, "HorizontalPodAutoscaler")["spec"]["behavior"]
    assert behavior["scaleUp"]["policies"] == policies
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 120
    assert behavior["scaleDown"]["policies"] == SPEC_BEHAVIOR["scaleDown"]["policies"]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_deployment_leaves_replicas_to_the_hpa(render, values_file):
    assert "replicas" not in one(render(values_file), "Deployment")["spec"]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_without_autoscaling_replicas_is_replica_count_and_no_hpa(root, render, values_file):
    docs = render(values_file, "--set", "autoscaling.enabled=false")
    assert one(docs, "Deployment")["spec"]["replicas"] == merged_values(root, values_file)["replicaCount"]
    assert objects(docs, "HorizontalPodAutoscaler") == []


def test_production_sizes_are_the_spec(render):
    docs = render("values-production.yaml")
    assert container(docs)["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "2000m", "memory": "2Gi"},
    }
    assert one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"][0] == {
        "name": "NODE_ENV",
        "value": "production",
    }
    fixed = render("values-production.yaml", "--set", "autoscaling.enabled=false")
    assert one(fixed, "Deployment")["spec"]["replicas"] == 5


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_pdb_keeps_half_the_pods(render, values_file):
    pdb = one(render(values_file), "PodDisruptionBudget")["spec"]
    assert pdb["minAvailable"] == "50%"
    assert "maxUnavailable" not in pdb
    assert pdb["selector"] == {"matchLabels": {"app": "triptrip-api"}}


# --- Service, ServiceAccount, secrets -------------------------------------------------------------------------------


def test_service_is_cluster_ip_with_istio_named_ports(render):
    service = one(render("values-production.yaml"), "Service")["spec"]
    assert service["type"] == "ClusterIP"
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["ports"]}
    assert ports == {"http-api": (80, "http"), "http-metrics": (9090, "metrics")}


def test_production_service_account_carries_the_irsa_role(render):
    account = one(render("values-production.yaml"), "ServiceAccount")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert pod_spec(render("values-production.yaml"))["serviceAccountName"] == "triptrip-api"
    docs = render("values-production.yaml", "--set", "serviceAccount.create=false",
                  "--set", "serviceAccount.name=shared")  # fmt: skip
    assert objects(docs, "ServiceAccount") == []
    assert pod_spec(docs)["serviceAccountName"] == "shared"


@pytest.mark.parametrize(
    ("values_file", "environment"), [("values-staging.yaml", "staging"), ("values-production.yaml", "production")]
)
def test_credentials_come_from_the_environments_external_secret(root, render, values_file, environment):
    docs = render(values_file)
    secret = one(docs, "ExternalSecret", "triptrip-api-secrets")
    assert_valid_custom_resource(root, secret, "tests/charts/external-secrets/crds/crds.yaml")
    spec = secret["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
    assert spec["target"]["name"] == "triptrip-api-secrets"
    assert [d["extract"]["key"] for d in spec["dataFrom"]] == [
        f"triptrip/{environment}/database",
        f"triptrip/{environment}/redis",
    ]
    # Both remote secrets hold `password`: distinct prefixes keep one from overwriting the other.
    targets = [d["rewrite"][0]["regexp"]["target"] for d in spec["dataFrom"]]
    assert len(set(targets)) == 2
    assert container(docs)["envFrom"] == [
        {"secretRef": {"name": "triptrip-api-secrets"}},
        {"configMapRef": {"name": "triptrip-api-config"}},
    ]


def test_without_external_secrets_the_api_reads_existing_secret_or_none(render):
    docs = render("values.yaml")
    assert objects(docs, "ExternalSecret") == []
    assert container(docs)["envFrom"] == [{"configMapRef": {"name": "triptrip-api-config"}}]
    docs = render("values.yaml", "--set", "existingSecret=api-dev")
    assert {"secretRef": {"name": "api-dev"}} in container(docs)["envFrom"]


# --- NetworkPolicy ------------------------------------------------------------------------------------------------


def _peers_and_ports(rules: list[dict], key: str) -> dict[str, set[int]]:
    """{namespace (or "same"): ports} of a policy's rules."""
    out: dict[str, set[int]] = {}
    for rule in rules:
        for peer in rule[key]:
            ns = (peer.get("namespaceSelector") or {}).get("matchLabels", {}).get("kubernetes.io/metadata.name", "same")
            out.setdefault(ns, set()).update(p["port"] for p in rule["ports"])
    return out


def test_network_policy_admits_gateway_and_prometheus_and_reaches_db_cache_dns(render):
    policy = one(render("values-production.yaml"), "NetworkPolicy")["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app": "triptrip-api"}}
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    ingress = _peers_and_ports(policy["ingress"], "from")
    assert 3000 in ingress["istio-system"]
    assert 9090 in ingress["monitoring"]
    assert 9090 not in ingress["istio-system"]
    egress = _peers_and_ports(policy["egress"], "to")
    assert egress["triptrip-db"] == {5432}
    assert egress["triptrip-cache"] == {6379}
    assert egress["kube-system"] == {53}
    assert 15012 in egress["istio-system"]  # the sidecar's istiod


def test_network_policy_can_be_turned_off(render):
    docs = render("values.yaml", "--set", "networkPolicy.enabled=false")
    assert [p["metadata"]["name"] for p in objects(docs, "NetworkPolicy")] == ["triptrip-api-test-connection"]


# --- Istio, ServiceMonitor, chart test ----------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_virtual_service_and_destination_rule_are_left_to_the_platform_by_default(render, values_file):
    docs = render(values_file)
    assert objects(docs, "VirtualService") == []
    assert objects(docs, "DestinationRule") == []
    annotations = one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/inject"] == "true"


def test_virtual_service_and_destination_rule_when_enabled(root, render):
    docs = render("values-production.yaml", "--set", "istio.virtualService.enabled=true",
                  "--set", "istio.destinationRule.enabled=true")  # fmt: skip
    vs = one(docs, "VirtualService")
    assert_valid_custom_resource(root, vs, "tests/charts/base/crds/networking.istio.io_virtualservices.yaml")
    spec = vs["spec"]
    assert spec["hosts"][0] == "triptrip-api"
    assert spec["gateways"] == ["istio-system/triptrip-gateway"]
    canary, default = spec["http"]
    assert canary["match"] == [{"headers": {"x-canary": {"exact": "true"}}}]
    assert [(r["destination"]["subset"], r["weight"]) for r in default["route"]] == [("stable", 95), ("canary", 5)]
    assert default["timeout"] == "30s"
    assert default["retries"]["attempts"] == 3
    dr = one(docs, "DestinationRule")
    assert_valid_custom_resource(root, dr, "tests/charts/base/crds/networking.istio.io_destinationrules.yaml")
    assert dr["spec"]["host"] == "triptrip-api"
    assert {s["name"]: s["labels"] for s in dr["spec"]["subsets"]} == {
        "stable": {"version": "v1.2.3"},
        "canary": {"version": "canary"},
    }


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_service_monitor_only_where_the_crd_is_served(render, values_file):
    assert objects(render(values_file), "ServiceMonitor") == []
    monitor = one(render(values_file, "--api-versions", SERVICE_MONITOR_API), "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["port"] == "http-metrics"
    assert monitor["spec"]["selector"] == {"matchLabels": {"app": "triptrip-api"}}


def test_production_scrapes_every_15_seconds(render):
    monitor = one(render("values-production.yaml", "--api-versions", SERVICE_MONITOR_API), "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0]["interval"] == "15s"
    docs = render("values-production.yaml", "--api-versions", SERVICE_MONITOR_API,
                  "--set", "monitoring.serviceMonitor.enabled=false")  # fmt: skip
    assert objects(docs, "ServiceMonitor") == []


def test_chart_test_gets_health_ready_through_the_service(render):
    docs = render("values-production.yaml")
    pod = one(docs, "Pod", "triptrip-api-test-connection")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["containers"][0]["command"][-1] == "http://triptrip-api:80/health/ready"
    policy = one(docs, "NetworkPolicy", "triptrip-api-test-connection")
    assert policy["metadata"]["annotations"]["helm.sh/hook"] == "test"
    selected = policy["spec"]["podSelector"]["matchLabels"]
    assert selected.items() <= pod["metadata"]["labels"].items()
