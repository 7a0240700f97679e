"""Istio on the converged local platform (spec 5.1.2, 5.2.1, 5.3.1): the releases base -> istiod -> gateways at one
version, the spec's mesh config and sizes in the releases' values and on the workloads, and the mesh-wide
PeerAuthentication and Telemetry, the Gateway, VirtualService and DestinationRule exactly as the spec declares."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import recap

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


@pytest.mark.parametrize("override, variable", [
    ({"mtls_mode": "STRICTLY"}, "addon_istio_mtls_mode"),
    ({"traffic": {"load_balancer": "LEAST_REQUESTS"}}, "addon_istio_traffic"),
])
def test_a_misspelt_setting_stops_the_run_naming_the_variable(addons, override, variable):
    before = {n: r["revision"] for n, r in addons.releases().items()}
    res = addons.playbook("--tags", "istio", "-e", json.dumps({"platform_addons_overrides": {"istio": override}}),
                          playbook="playbooks/addons.yml")
    assert res.returncode != 0
    assert variable in res.stdout, res.stdout[-3000:]
    assert recap(res.stdout)["changed"] == 0
    assert {n: r["revision"] for n, r in addons.releases().items()} == before
