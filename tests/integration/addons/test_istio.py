"""Istio on the converged local platform (spec 5.1.2, 5.2.1, 5.3.1): the releases base -> istiod -> gateways at one
version, the spec's mesh config and sizes in the releases' values and on the workloads, and the mesh-wide
PeerAuthentication and Telemetry, the Gateway, VirtualService and DestinationRule exactly as the spec declares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible_collections.triptrip.platform.plugins.filter.k8s_quantity import k8s_quantity
from conftest import recap
from podresources import effective, meshed, sidecar_of

NS = "istio-system"
VERSION = "1.30.7"
RELEASES = ["istio-base", "istio-cni", "istiod", "istio-ingressgateway", "istio-egressgateway"]
# The spec's access log format (spec 5.1.2 meshConfig.accessLogFormat), its lines joined: Envoy writes the format
# as it is, so the spec's line breaks made 7 log lines per request; one newline ends each request's line.
ACCESS_LOG_FORMAT = " ".join([
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"',
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT%",
    '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%"',
    '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%"',
    '"%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS%',
    "%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%",
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%",
]) + "\n"
OURS = {"app.kubernetes.io/part-of": "triptrip", "app.kubernetes.io/managed-by": "triptrip-platform"}


def hpa_bounds(addons, name: str) -> tuple[int, int]:
    hpa = addons.get("horizontalpodautoscaler", name, NS)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    return hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]


def container_resources(addons, deployment: str) -> dict:
    return addons.get("deployment", deployment, NS)["spec"]["template"]["spec"]["containers"][0]["resources"]


def test_the_releases_are_installed_base_first_then_cni_then_istiod_then_the_gateways(addons):
    releases = addons.releases()
    for name, chart in zip(RELEASES, ["base", "cni", "istiod", "gateway", "gateway"]):
        assert releases[name]["namespace"] == NS
        assert releases[name]["chart"] == f"{chart}-{VERSION}"
        assert releases[name]["status"] == "deployed"
    updated = [releases[name]["updated"] for name in RELEASES]
    assert updated[0] < updated[1] < updated[2] < updated[3] <= updated[4], updated


def test_injection_goes_through_istio_cni_so_workload_namespaces_stay_restricted(addons):
    assert addons.values("istiod", NS)["pilot"]["cni"] == {"enabled": True}
    values = addons.values("istio-cni", NS)
    assert values["excludeNamespaces"] == ["kube-system", "istio-system"]
    node_agent = addons.get("daemonset", "istio-cni-node", NS)
    assert node_agent["spec"]["template"]["spec"]["tolerations"] == [{"operator": "Exists"}]
    assert node_agent["status"]["numberReady"] == node_agent["status"]["desiredNumberScheduled"] > 0
    for ns in ["triptrip-api", "triptrip-workers"]:
        labels = addons.get("namespace", ns)["metadata"]["labels"]
        assert labels["istio-injection"] == "enabled"
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_istiod_gets_the_mesh_config_of_spec_5_1_2(addons):
    mesh = addons.values("istiod", NS)["meshConfig"]
    assert mesh["accessLogFile"] == "/dev/stdout"
    assert mesh["accessLogFormat"] == ACCESS_LOG_FORMAT
    assert mesh["defaultConfig"] == {"holdApplicationUntilProxyStarts": True}
    assert mesh["enableAutoMtls"] is True
    assert mesh["trustDomain"] == "cluster.local"
    assert mesh["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    # The spec's zipkin address jaeger-collector.monitoring:9411, as the extension provider the Telemetry selects.
    assert mesh["extensionProviders"] == [
        {"name": "jaeger", "zipkin": {"service": "jaeger-collector.monitoring.svc.cluster.local", "port": 9411}}]
    # What istiod reads: the chart's mesh ConfigMap carries the same settings.
    served = yaml.safe_load(addons.get("configmap", "istio", NS)["data"]["mesh"])
    assert served["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    assert served["accessLogFormat"] == ACCESS_LOG_FORMAT


def test_istiod_and_the_sidecars_are_sized_as_the_spec_says(addons):
    values = addons.values("istiod", NS)
    assert values["pilot"]["autoscaleEnabled"] is True
    assert (values["pilot"]["autoscaleMin"], values["pilot"]["autoscaleMax"]) == (2, 5)
    assert values["pilot"]["replicaCount"] == 2
    assert values["global"]["proxy"]["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    assert values["global"]["priorityClassName"] == "triptrip-platform-critical"
    assert hpa_bounds(addons, "istiod") == (2, 5)
    assert container_resources(addons, "istiod") == {
        "requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}


def test_the_ingress_gateway_is_a_cluster_ip_service_behind_the_alb_scaling_from_3_to_10(addons):
    values = addons.values("istio-ingressgateway", NS)
    assert values["service"] == {"type": "ClusterIP"}
    assert values["autoscaling"]["enabled"] is True
    assert (values["autoscaling"]["minReplicas"], values["autoscaling"]["maxReplicas"]) == (3, 10)
    assert addons.get("service", "istio-ingressgateway", NS)["spec"]["type"] == "ClusterIP"
    assert hpa_bounds(addons, "istio-ingressgateway") == (3, 10)
    assert container_resources(addons, "istio-ingressgateway") == {
        "requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}


def test_the_egress_gateway_has_the_spec_resources(addons):
    assert addons.get("service", "istio-egressgateway", NS)["spec"]["type"] == "ClusterIP"
    assert container_resources(addons, "istio-egressgateway") == {
        "requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}


def test_mutual_tls_is_strict_mesh_wide(addons):
    pa = addons.get("peerauthentications.security.istio.io", "default", NS)
    assert pa["apiVersion"] == "security.istio.io/v1"
    assert pa["spec"] == {"mtls": {"mode": "STRICT"}}
    assert OURS.items() <= pa["metadata"]["labels"].items()


def test_the_telemetry_of_spec_5_3_1_tags_traces_with_the_environment(addons):
    tel = addons.get("telemetries.telemetry.istio.io", "triptrip-telemetry", NS)
    assert tel["apiVersion"] == "telemetry.istio.io/v1"
    assert OURS.items() <= tel["metadata"]["labels"].items()
    assert tel["spec"]["accessLogging"] == [
        {"providers": [{"name": "envoy"}], "filter": {"expression": "response.code >= 400 || duration > 1000"}}]
    assert tel["spec"]["tracing"] == [{
        "providers": [{"name": "jaeger"}],
        "randomSamplingPercentage": 100,
        "customTags": {
            "environment": {"literal": {"value": "local"}},  # platform_environment of inventories/local
            "version": {"header": {"name": "x-api-version", "defaultValue": "unknown"}},
        },
    }]
    remove_protocol = {"request_protocol": {"operation": "REMOVE"}}
    assert tel["spec"]["metrics"] == [{
        "providers": [{"name": "prometheus"}],
        "overrides": [{"match": {"metric": "REQUEST_COUNT"}, "tagOverrides": remove_protocol},
                      {"match": {"metric": "REQUEST_DURATION"}, "tagOverrides": remove_protocol}],
    }]


def test_the_gateway_selects_the_ingress_gateway_pods_and_takes_plain_http(addons):
    gw = addons.get("gateways.networking.istio.io", "triptrip-gateway", NS)
    assert gw["apiVersion"] == "networking.istio.io/v1"
    assert gw["spec"]["servers"] == [
        {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["api.triptrip.com"]}]
    pod_labels = addons.get("deployment", "istio-ingressgateway", NS)["spec"]["template"]["metadata"]["labels"]
    assert gw["spec"]["selector"] == {"istio": "ingressgateway"}
    assert gw["spec"]["selector"].items() <= pod_labels.items()


def test_the_api_virtual_service_sends_canary_headers_to_canary_and_splits_the_rest_95_5(addons):
    vs = addons.get("virtualservices.networking.istio.io", "triptrip-api", "triptrip-api")
    assert vs["apiVersion"] == "networking.istio.io/v1"
    assert vs["spec"]["hosts"] == ["triptrip-api", "api.triptrip.com"]
    assert vs["spec"]["gateways"] == ["istio-system/triptrip-gateway"]
    canary, default = vs["spec"]["http"]
    assert canary["match"] == [{"headers": {"x-canary": {"exact": "true"}}}]
    assert canary["route"] == [{"destination": {"host": "triptrip-api", "subset": "canary"}, "weight": 100}]
    assert default["route"] == [{"destination": {"host": "triptrip-api", "subset": "stable"}, "weight": 95},
                                {"destination": {"host": "triptrip-api", "subset": "canary"}, "weight": 5}]
    assert "match" not in default
    assert default["timeout"] == "30s"
    assert default["retries"] == {
        "attempts": 3, "perTryTimeout": "10s", "retryRemoteLocalities": True,
        "retryOn": "connect-failure,refused-stream,unavailable,cancelled,retriable-4xx,5xx"}


def test_the_api_destination_rule_balances_by_locality_and_ejects_outliers(addons):
    dr = addons.get("destinationrules.networking.istio.io", "triptrip-api", "triptrip-api")
    assert dr["apiVersion"] == "networking.istio.io/v1"
    policy = dr["spec"]["trafficPolicy"]
    assert policy["connectionPool"] == {
        "tcp": {"maxConnections": 1000, "connectTimeout": "10s"},
        "http": {"h2UpgradePolicy": "UPGRADE", "http1MaxPendingRequests": 1000, "http2MaxRequests": 1000,
                 "maxRequestsPerConnection": 100, "maxRetries": 3}}
    # Zone failover is Envoy's locality order (same zone, then the region's other zones); Istio's `failover`
    # takes regions only, so the spec's zone pairs are not rendered (region_failover is empty here).
    assert policy["loadBalancer"] == {"simple": "LEAST_REQUEST", "localityLbSetting": {"enabled": True}}
    assert policy["outlierDetection"] == {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s",
                                          "maxEjectionPercent": 50, "minHealthPercent": 30}
    assert policy["tls"] == {"mode": "ISTIO_MUTUAL"}
    assert dr["spec"]["subsets"] == [{"name": "stable", "labels": {"version": "stable"}},
                                     {"name": "canary", "labels": {"version": "canary"}}]


def test_no_service_monitor_without_the_prometheus_operator(addons):
    # platform_addons_service_monitors is false here: the ServiceMonitor (and its CRD) is not Istio's to create.
    assert not addons.exists("servicemonitors.monitoring.coreos.com", "istio-mesh", "monitoring")


DEFAULTS = yaml.safe_load((Path(__file__).resolve().parents[3] / "roles/addon_istio/defaults/main.yml").read_text())


@pytest.mark.parametrize("override, variable", [
    ({"addon_istio_mtls_mode": "STRICTLY"}, "addon_istio_mtls_mode"),
    ({"addon_istio_traffic": {**DEFAULTS["addon_istio_traffic"], "load_balancer": "LEAST_REQUESTS"}}, "addon_istio_traffic"),
])
def test_a_misspelt_setting_stops_the_run_naming_the_variable(addons, override, variable):
    before = {n: r["revision"] for n, r in addons.releases().items()}
    res = addons.playbook("--tags", "istio", "-e", json.dumps(override), playbook="playbooks/addons.yml")
    assert res.returncode != 0
    assert variable in res.stdout, res.stdout[-3000:]
    assert recap(res.stdout)["changed"] == 0
    assert {n: r["revision"] for n, r in addons.releases().items()} == before


# --- sidecar injection, live ------------------------------------------------------------------------------------
# Locally istiod is a test double that runs no webhook; its chart's MutatingAdmissionPolicy stands in for istiod's
# injection (tests/charts/istiod/templates/sidecar-injector.yaml), so the quotas and the scheduler see the sidecar.

PROXY = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
QUOTA_KEYS = [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")]
APP = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
# A pod's own init container, larger than its app: where it runs beside the sidecar, the pod's peak is there.
SETUP = {"requests": {"cpu": "300m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "512Mi"}}
# Probe namespaces of this module, by name: their labels (removed at the end).
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.35"}
PROBES = {
    "sidecar-probe-injected": {"istio-injection": "enabled", **RESTRICTED},
    "sidecar-probe-plain": dict(RESTRICTED),
    "sidecar-probe-revision": {"istio.io/rev": "default", **RESTRICTED},
    # istio-injection decides where both are set: disabled wins over the revision label.
    "sidecar-probe-disabled": {"istio-injection": "disabled", "istio.io/rev": "default", **RESTRICTED},
    # hostNetwork pods are never injected; restricted would refuse them before that could be seen.
    "sidecar-probe-host": {"istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "privileged"},
}


def probe_pod(name: str, *, annotations=None, labels=None, init=False, host_network=False, **security) -> dict:
    """A pod that Pod Security restricted admits (unless `security` overrides the container's context)."""
    container_security = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, **security}
    spec = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10", "resources": APP,
                        "securityContext": container_security}],
    }
    if init:
        spec["initContainers"] = [{"name": "setup", "image": "registry.k8s.io/pause:3.10", "resources": SETUP,
                                   "securityContext": container_security}]
    if host_network:
        spec["hostNetwork"] = True
    metadata = {"name": name, "annotations": annotations or {}, "labels": labels or {}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def create(addons, namespace: str, pod: dict):
    """kubectl create with strict field validation: the API server refuses unknown or duplicate fields."""
    return addons.kubectl("create", "--validate=strict", "-n", namespace, "-f", "-", stdin=json.dumps(pod))


def quota_used(addons, namespace: str, name: str) -> dict[str, float]:
    used = addons.get("resourcequota", name, namespace).get("status", {}).get("used", {})
    return {f"{kind}.{resource}": k8s_quantity(used.get(f"{kind}.{resource}", 0)) for kind, resource in QUOTA_KEYS}


@pytest.fixture(scope="module")
def probes(addons):
    """The probe namespaces, each with a ResourceQuota `probe`; deleted (and waited for) when the module ends."""
    for name, labels in PROBES.items():
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
        quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "probe", "namespace": name},
                 "spec": {"hard": {"requests.cpu": "2", "requests.memory": "2Gi", "limits.cpu": "8",
                                   "limits.memory": "8Gi", "pods": "10"}}}
        for obj in (namespace, quota):
            res = addons.kubectl("create", "-f", "-", stdin=json.dumps(obj))
            assert res.returncode == 0, res.stderr
    try:
        yield addons
    finally:
        addons.kubectl("delete", "namespace", *PROBES, "--ignore-not-found", "--wait=true", "--timeout=120s")


def test_the_injection_stand_in_ships_only_with_the_test_double_istiod(addons):
    # The binding's selectors are istiod's webhook's; the resources are the release's values, as istiod reads them.
    assert addons.values("istiod", NS)["global"]["proxy"]["resources"] == PROXY
    policy = addons.get("mutatingadmissionpolicies.admissionregistration.k8s.io", "istio-sidecar-injector-test-double")
    assert policy["metadata"]["annotations"]["meta.helm.sh/release-name"] == "istiod"
    selectors = {b: addons.get("mutatingadmissionpolicybindings.admissionregistration.k8s.io",
                               f"istio-sidecar-injector-test-double-{b}")["spec"]["matchResources"]["namespaceSelector"]
                 for b in ("namespace", "revision")}
    assert selectors["namespace"] == {"matchExpressions": [
        {"key": "istio-injection", "operator": "In", "values": ["enabled"]}]}
    assert selectors["revision"] == {"matchExpressions": [
        {"key": "istio.io/rev", "operator": "In", "values": ["default"]},
        {"key": "istio-injection", "operator": "DoesNotExist"}]}


def test_a_pod_in_an_injected_namespace_gets_the_native_sidecar_and_its_quota_is_charged_with_it(probes):
    addons, namespace = probes, "sidecar-probe-injected"
    before = quota_used(addons, namespace, "probe")
    res = create(addons, namespace, probe_pod("meshed"))
    assert res.returncode == 0, res.stderr
    # Pod Security warns before it refuses: the injected pod raised no warning either.
    assert "violate" not in res.stderr, res.stderr
    pod = addons.get("pod", "meshed", namespace)
    proxy = sidecar_of(pod)
    assert proxy is not None, pod["spec"]
    # Istio 1.30 on Kubernetes 1.35 injects a native sidecar: an init container that keeps running.
    assert pod["spec"]["initContainers"][0] is proxy and proxy["restartPolicy"] == "Always"
    assert [c["name"] for c in pod["spec"]["containers"]] == ["app"]
    assert proxy["resources"] == PROXY
    assert {"runAsNonRoot": True, "runAsUser": 1337, "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]}}.items() <= proxy["securityContext"].items()
    after = quota_used(addons, namespace, "probe")
    for kind, resource in QUOTA_KEYS:
        charged = after[f"{kind}.{resource}"] - before[f"{kind}.{resource}"]
        wanted = k8s_quantity(APP[kind][resource]) + k8s_quantity(PROXY[kind][resource])
        assert charged == pytest.approx(wanted), (kind, resource, charged, wanted)
        assert charged == pytest.approx(effective(pod, kind, resource))


def test_the_sidecar_goes_before_the_pods_own_init_containers(probes):
    addons, namespace = probes, "sidecar-probe-injected"
    before = quota_used(addons, namespace, "probe")
    res = create(addons, namespace, probe_pod("with-init", init=True))
    assert res.returncode == 0, res.stderr
    pod = addons.get("pod", "with-init", namespace)
    assert [(c["name"], c.get("restartPolicy")) for c in pod["spec"]["initContainers"]] == [
        ("istio-proxy", "Always"), ("setup", None)]
    # setup runs beside the started sidecar, so the pod peaks there: 300m + 50m requested, 2 + 0.5 CPU of limits
    # (with the sidecar after setup it would be 300m and 2).
    after = quota_used(addons, namespace, "probe")
    assert after["requests.cpu"] - before["requests.cpu"] == pytest.approx(0.35)
    assert after["limits.cpu"] - before["limits.cpu"] == pytest.approx(2.5)


@pytest.mark.parametrize("how", ["annotation", "label"])
def test_a_pod_that_opts_out_gets_no_sidecar_and_is_charged_only_for_itself(probes, how):
    addons, namespace, name = probes, "sidecar-probe-injected", f"opted-out-{how}"
    before = quota_used(addons, namespace, "probe")
    opt_out = {"sidecar.istio.io/inject": "false"}
    pod = probe_pod(name, **({"annotations": opt_out} if how == "annotation" else {"labels": opt_out}))
    res = create(addons, namespace, pod)
    assert res.returncode == 0, res.stderr
    pod = addons.get("pod", name, namespace)
    assert sidecar_of(pod) is None, pod["spec"]
    assert "initContainers" not in pod["spec"]
    after = quota_used(addons, namespace, "probe")
    for kind, resource in QUOTA_KEYS:
        charged = after[f"{kind}.{resource}"] - before[f"{kind}.{resource}"]
        assert charged == pytest.approx(k8s_quantity(APP[kind][resource])), (kind, resource)


@pytest.mark.parametrize("namespace, injected", [
    ("sidecar-probe-plain", False),
    ("sidecar-probe-revision", True),
    ("sidecar-probe-disabled", False),
])
def test_the_namespace_labels_decide_as_istiod_does(probes, namespace, injected):
    res = create(probes, namespace, probe_pod("probe"))
    assert res.returncode == 0, res.stderr
    pod = probes.get("pod", "probe", namespace)
    assert (sidecar_of(pod) is not None) is injected, pod["spec"]
    charged = quota_used(probes, namespace, "probe")["requests.cpu"]
    assert charged == pytest.approx(0.1 + (0.05 if injected else 0))


def test_a_pod_on_the_host_network_gets_no_sidecar(probes):
    namespace = "sidecar-probe-host"
    res = create(probes, namespace, probe_pod("host", host_network=True))
    assert res.returncode == 0, res.stderr
    assert sidecar_of(probes.get("pod", "host", namespace)) is None
    res = create(probes, namespace, probe_pod("pod-network"))
    assert res.returncode == 0, res.stderr
    assert sidecar_of(probes.get("pod", "pod-network", namespace)) is not None


def test_pod_security_and_strict_validation_are_live_in_the_injected_namespace(probes):
    """The injected pods above passed both; here each gate refuses what it must, so their passing meant something."""
    namespace = "sidecar-probe-injected"
    res = create(probes, namespace, probe_pod("may-escalate", allowPrivilegeEscalation=True))
    assert res.returncode != 0 and "violates PodSecurity" in res.stderr, res.stderr
    misspelt = probe_pod("misspelt")
    misspelt["spec"]["containers"][0]["resource"] = APP
    res = create(probes, namespace, misspelt)
    assert res.returncode != 0 and "unknown field" in res.stderr, res.stderr
    assert not probes.exists("pod", "may-escalate", namespace) and not probes.exists("pod", "misspelt", namespace)


def test_the_workloads_run_with_their_sidecars_within_their_quotas(addons):
    """Every pod of a meshed workload namespace has the sidecar, every controller has all its replicas (the quota
    admitted them with their sidecars), and the quota's used equals the pods' effective requests and limits."""
    namespaces = json.loads(addons.kubectl("get", "namespaces", "-o", "json").stdout)["items"]
    injected = {n["metadata"]["name"] for n in namespaces if meshed(n)}
    assert {"triptrip-api", "triptrip-workers", "triptrip-cache"} <= injected
    pods = [p for p in json.loads(addons.kubectl("get", "pods", "-A", "-o", "json").stdout)["items"]
            if "deletionTimestamp" not in p["metadata"] and p["status"].get("phase") not in ("Succeeded", "Failed")]
    for namespace in ("triptrip-api", "triptrip-workers", "triptrip-cache"):
        mine = [p for p in pods if p["metadata"]["namespace"] == namespace]
        assert mine, namespace
        for pod in mine:
            proxy = sidecar_of(pod)
            assert proxy is not None and proxy["restartPolicy"] == "Always", pod["metadata"]["name"]
            assert proxy["resources"] == PROXY
        for kind in ("deployments", "statefulsets"):
            for controller in json.loads(addons.kubectl("get", kind, "-n", namespace, "-o", "json").stdout)["items"]:
                status = controller.get("status", {})
                assert status.get("replicas", 0) == controller["spec"]["replicas"], (namespace, controller["status"])
                assert not [c for c in status.get("conditions", []) if c["type"] == "ReplicaFailure"], status
        quota = quota_used(addons, namespace, "triptrip-quota")
        for kind, resource in QUOTA_KEYS:
            assert quota[f"{kind}.{resource}"] == pytest.approx(sum(effective(p, kind, resource) for p in mine)), (
                namespace, kind, resource)
    # Nothing outside the injected namespaces got one (the gateways' istio-proxy is their own app container).
    assert not [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods
                if p["metadata"]["namespace"] not in injected and sidecar_of(p) is not None]
