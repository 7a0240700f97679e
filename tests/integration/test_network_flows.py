"""Traffic really flows, proven by an engine that is not ours.

playbooks/render.yml renders production's and staging's Kubernetes layer (no cluster, no AWS) with the flow catalog
beside it (flows.catalog.json). Every NetworkPolicy of the render (ours and the workload charts') and every flow
are handed to netpol-check (tests/netpol: cyclonus's policy matcher, github.com/mattfenwick/cyclonus/pkg/matcher,
with standard NetworkPolicy semantics, which the VPC CNI enforces with enableNetworkPolicy on). Each catalog flow
must be allowed both ways (egress at its source, ingress at its target), and each flow of FORBIDDEN denied.
A policy taken out on purpose must make its flow fail, by name.

Pods are placed as the VPC CNI places them: their addresses are in the VPC's private subnets, so an ipBlock for
the VPC (the control plane's ENIs) also matches pods, as on EKS."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess

import pytest
import yaml
from ansible_collections.triptrip.platform.plugins.filter.k8s_quantity import k8s_quantity

from renders import documents, render
from summary import record

HOSTS = {"production": "triptrip-production", "staging": "triptrip-staging"}
# Outside the VPC: an address of AWS's public ranges (what a regional endpoint resolves to), another public host,
# and the instance metadata service.
PUBLIC_AWS = "52.119.160.10"
PUBLIC_HOST = "93.184.215.14"
IMDS = "169.254.169.254"


def run(cmd, env, cwd, timeout=900, stdin=None):
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, input=stdin,
                          check=False)


@pytest.fixture(scope="module", params=sorted(HOSTS))
def rendered(request, root, tool_env, tmp_path_factory):
    env_name = request.param
    folder = render(root, tool_env, tmp_path_factory, env_name)
    catalog = json.loads((folder / "flows.catalog.json").read_text())
    policies = []
    for path in sorted(folder.glob("*.yaml")):
        if not path.name.endswith(".release.yaml"):
            policies += [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "NetworkPolicy"]
    return env_name, catalog, policies, folder


class Addresses:
    """Pod addresses in the private subnets, one per namespace and labels, stable within a render."""

    def __init__(self, catalog):
        self.subnet = ipaddress.ip_network(catalog["vpc_cidr"])
        self.given = {}

    def pod(self, namespace, labels):
        key = (namespace, tuple(sorted(labels.items())))
        if key not in self.given:
            self.given[key] = str(self.subnet.network_address + 100 + len(self.given))
        return self.given[key]


def peers(peer, catalog, addresses, side):
    """The concrete peers a catalog peer stands for: one per namespace, or the address it reaches."""
    if "namespace" in peer or "namespaces" in peer:
        names = peer.get("namespaces") or [peer["namespace"]]
        # A selector of every pod (no `pods`) is met by any pod: one of an application that no flow names.
        labels = peer.get("pods") or {"app": f"any-{side}"}
        return [{"namespace": ns, "podLabels": labels, "ip": addresses.pod(ns, labels)} for ns in names]
    vpc = ipaddress.ip_network(catalog["vpc_cidr"])
    if peer.get("vpc"):
        # An ALB node in a public subnet of the VPC.
        return [{"ip": str(vpc.network_address + 96 * 256 + 10)}]
    if peer.get("control_plane"):
        # An EKS control plane ENI in a private subnet.
        return [{"ip": str(vpc.network_address + 40 * 256 + 10)}]
    if "cidr" in peer:
        return [{"ip": str(ipaddress.ip_network(peer["cidr"]).network_address + 11)}]
    if "aws" in peer and catalog["egress"] == "endpoints":
        return [{"ip": str(ipaddress.ip_network(catalog["endpoint_cidrs"][0]).network_address + 20)}]
    return [{"ip": PUBLIC_AWS if "aws" in peer else PUBLIC_HOST}]


def catalog_flows(catalog, addresses):
    flows = []
    for flow in catalog["flows"]:
        for source in peers(flow["from"], catalog, addresses, "from"):
            for target in peers(flow["to"], catalog, addresses, "to"):
                name = f"{flow['component']}/{flow['name']}"
                if len(flow["from"].get("namespaces", [])) > 1:
                    name += f" ({source['namespace']})"
                flows.append({"name": name, "from": source, "to": target, "port": flow["port"],
                              "protocol": flow.get("protocol", "TCP")})
    return flows


def pod(namespace, app, addresses):
    labels = {"app": app}
    return {"namespace": namespace, "podLabels": labels, "ip": addresses.pod(namespace, labels)}


def forbidden_flows(catalog, addresses):
    """What must never pass: tenant to tenant, workloads to kube-system beyond DNS, cache and db to the internet,
    anything to the instance metadata address."""
    flows = [
        ("web to api (tenant to tenant)", pod("triptrip-web", "triptrip-web", addresses),
         pod("triptrip-api", "triptrip-api", addresses), 3000),
        ("workers to api (tenant to tenant)", pod("triptrip-workers", "triptrip-queue-worker", addresses),
         pod("triptrip-api", "triptrip-api", addresses), 3000),
        ("batch to db (tenant to tenant)", pod("triptrip-batch", "triptrip-batch-processor", addresses),
         pod("triptrip-db", "postgres", addresses), 5432),
        ("ml to cache (tenant to tenant)", pod("triptrip-ml", "triptrip-ml", addresses),
         pod("triptrip-cache", "redis-cluster", addresses), 6379),
        ("web to workers' kafka (tenant to tenant)", pod("triptrip-web", "triptrip-web", addresses),
         pod("triptrip-workers", "kafka-cluster", addresses), 9092),
        ("api to kube-system metrics-server", pod("triptrip-api", "triptrip-api", addresses),
         {"namespace": "kube-system", "podLabels": {"k8s-app": "metrics-server"}, "ip": "10.0.3.5"}, 10250),
        ("workers to kube-dns metrics (not DNS)", pod("triptrip-workers", "triptrip-queue-worker", addresses),
         {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}, "ip": "10.0.3.6"}, 9153),
        ("cache to the internet", pod("triptrip-cache", "redis-cluster", addresses), {"ip": PUBLIC_HOST}, 443),
        ("db to the internet", pod("triptrip-db", "postgres", addresses), {"ip": PUBLIC_HOST}, 443),
        ("db to an AWS API", pod("triptrip-db", "postgres", addresses), {"ip": PUBLIC_AWS}, 443),
        ("api to the internet on 80", pod("triptrip-api", "triptrip-api", addresses), {"ip": PUBLIC_HOST}, 80),
    ]
    for namespace in catalog["namespaces"]:
        for port in (80, 443):
            flows.append((f"{namespace} to the instance metadata address :{port}",
                          pod(namespace, "any-from", addresses), {"ip": IMDS}, port))
    return [{"name": name, "from": source, "to": target, "port": port, "protocol": "TCP"}
            for name, source, target, port in flows]


def evaluate(tool_env, policies, flows):
    """netpol-check's verdicts by flow name."""
    binary = shutil.which("netpol-check", path=tool_env["PATH"])
    assert binary, "netpol-check is not on PATH: run scripts/setup (it builds tests/netpol)"
    res = subprocess.run([binary], input=json.dumps({"policies": policies, "flows": flows}), capture_output=True,
                         text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    return {v["name"]: v for v in json.loads(res.stdout)}


def test_every_catalog_flow_is_allowed_and_every_forbidden_flow_denied(rendered, tool_env):
    env_name, catalog, policies, _folder = rendered
    addresses = Addresses(catalog)
    allowed = catalog_flows(catalog, addresses)
    denied = forbidden_flows(catalog, addresses)
    verdicts = evaluate(tool_env, policies, allowed + denied)
    blocked = [f"{f['name']} (egress by {verdicts[f['name']]['egressBy']}, ingress by {verdicts[f['name']]['ingressBy']})"
               for f in allowed if not verdicts[f["name"]]["allowed"]]
    leaking = [f"{f['name']} (allowed by {verdicts[f['name']]['egressBy']} {verdicts[f['name']]['ingressBy']})"
               for f in denied if verdicts[f["name"]]["allowed"]]
    passed = len(allowed) - len(blocked)
    stopped = len(denied) - len(leaking)
    record("network flows", f"{env_name}: catalog flows allowed", f"{len(allowed)} flows of the catalog through "
           f"{len(policies)} NetworkPolicies (cyclonus matcher)", not blocked, f"{passed}/{len(allowed)} allowed")
    record("network flows", f"{env_name}: forbidden flows denied", f"{len(denied)} flows that must not pass",
           not leaking, f"{stopped}/{len(denied)} denied")
    assert not blocked, "catalog flows the policies block:\n" + "\n".join(blocked)
    assert not leaking, "forbidden flows the policies let through:\n" + "\n".join(leaking)
    # Least privilege: every allow policy traces to one catalog entry.
    names = {f"{f['component']}/{f['name']}" for f in catalog["flows"]}
    for policy in policies:
        meta = policy["metadata"]
        if meta["name"] == "default-deny-all":
            assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        elif meta.get("labels", {}).get("helm.sh/chart", "").startswith("triptrip-api") and "test" in meta["name"]:
            continue  # the chart's `helm test` pod's own policy, present only while the test runs
        else:
            assert meta.get("annotations", {}).get("triptrip.io/flow") in names, meta


def test_taking_one_policy_away_fails_naming_its_flow(rendered, tool_env):
    """The check bites: without the policy that admits the injection webhook, that flow is reported blocked."""
    env_name, catalog, policies, _folder = rendered
    addresses = Addresses(catalog)
    allowed = catalog_flows(catalog, addresses)
    kept = [p for p in policies if p["metadata"]["name"] != "flow-istio-injection-webhook-in"]
    assert len(kept) == len(policies) - 1
    verdicts = evaluate(tool_env, kept, allowed)
    blocked = sorted(name for name, v in verdicts.items() if not v["allowed"])
    assert blocked == ["istio/injection-webhook"], blocked
    assert verdicts["istio/injection-webhook"]["egress"] is True
    assert "istio-system/default-deny-all" in verdicts["istio/injection-webhook"]["ingressBy"]
    # And a forbidden flow let through by a careless rule (all egress allowed in triptrip-db) is caught.
    careless = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "allow-all-egress", "namespace": "triptrip-db"},
                "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}}
    verdicts = evaluate(tool_env, policies + [careless], forbidden_flows(catalog, addresses))
    leaking = sorted(name for name, v in verdicts.items() if v["allowed"])
    assert leaking == ["db to an AWS API", "db to the internet", "triptrip-db to the instance metadata address :443",
                       "triptrip-db to the instance metadata address :80"], leaking
    record("network flows", f"{env_name}: the check bites", "one allow policy removed; one allow-all added",
           True, "the removed flow and the four leaks are named")


# Defects found by reading the rendered objects (issue #24), each checked where it shows.
SCALER_ADDRESS_KEYS = ("bootstrapServers", "addresses", "address", "host")


def release_values(folder, release):
    return yaml.safe_load((folder / f"{release}.release.yaml").read_text())["values"]


def test_keda_scalers_reach_services_by_full_name_through_a_catalog_flow(rendered):
    """KEDA's scalers run in the operator, in KEDA's namespace: a short service name there resolves to nothing
    (kafka-cluster:9092 did). Each in-cluster address names its namespace, and a flow lets the operator reach it."""
    env_name, catalog, _policies, folder = rendered
    operator_flows = {(f["to"].get("namespace"), f["port"]) for f in catalog["flows"]
                      if f["component"] == "keda" and f["from"].get("pods", {}).get("app") == "keda-operator"}
    checked = []
    for obj in documents(folder):
        if obj["kind"] not in ("ScaledObject", "ScaledJob"):
            continue
        for trigger in obj["spec"]["triggers"]:
            for key in SCALER_ADDRESS_KEYS:
                for address in filter(None, str(trigger["metadata"].get(key, "")).split(",")):
                    host, _colon, port = address.strip().rpartition(":")
                    parts = host.split(".")
                    assert len(parts) >= 3 and parts[2] == "svc", (
                        f"{obj['metadata']['name']} trigger {trigger['type']}: {key}={address} is not "
                        "<service>.<namespace>.svc[.cluster.local]: it would resolve in KEDA's namespace")
                    assert (parts[1], int(port)) in operator_flows, f"no flow lets keda-operator reach {address}"
                    checked.append(address)
    assert len(checked) >= 2, checked
    record("network flows", f"{env_name}: KEDA scaler addresses", "every in-cluster scaler address", True,
           ", ".join(sorted(set(checked))))


def test_the_mesh_logs_one_line_per_request(rendered):
    _env_name, _catalog, _policies, folder = rendered
    log_format = release_values(folder, "istiod")["meshConfig"]["accessLogFormat"]
    assert log_format.count("\n") == 1 and log_format.endswith("\n"), repr(log_format)
    assert "%RESPONSE_CODE%" in log_format


def test_the_vpa_release_sets_no_value_its_chart_lacks(rendered):
    """The official VPA chart has no PodMonitor template: `podMonitor` values render nothing."""
    _env_name, _catalog, _policies, folder = rendered
    values = release_values(folder, "vertical-pod-autoscaler")
    for component in ("recommender", "updater", "admissionController"):
        assert "podMonitor" not in values.get(component, {}), component


def test_the_meshed_workloads_reach_their_aws_apis_through_service_entries(rendered):
    """REGISTRY_ONLY: a meshed workload's flow to an AWS API has its ServiceEntry, or the sidecar drops it."""
    _env_name, catalog, _policies, folder = rendered
    mesh = release_values(folder, "istiod")["meshConfig"]
    assert mesh["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    hosts = {h for d in documents(folder) if d["kind"] == "ServiceEntry" for h in d["spec"]["hosts"]}
    workloads = set(catalog["namespaces"]) - {"monitoring", "istio-system", "argocd", "keda", "external-secrets"}
    needed = {f"{f['to']['aws']}.ap-northeast-1.amazonaws.com" for f in catalog["flows"]
              if "aws" in f["to"] and workloads.intersection(f["from"].get("namespaces") or [f["from"].get("namespace")])}
    assert needed == {"sqs.ap-northeast-1.amazonaws.com", "sts.ap-northeast-1.amazonaws.com"}
    assert needed <= hosts, hosts


def test_the_quotas_admit_the_workloads_replicas_with_their_sidecars(rendered):
    """Each workload namespace's ResourceQuota admits its workloads at their replicas (the HPA's minimum where one
    scales them), each pod with the Istio sidecar the namespace's injection adds (global.proxy.resources)."""
    env_name, catalog, _policies, folder = rendered
    docs = documents(folder)
    proxy = release_values(folder, "istiod")["global"]["proxy"]["resources"]
    meshed = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"
              and d["metadata"].get("labels", {}).get("istio-injection") == "enabled"}
    assert meshed, "no namespace has sidecar injection"
    minimum = {(d["metadata"]["namespace"], d["spec"]["scaleTargetRef"]["name"]): d["spec"]["minReplicas"]
               for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    used = {}
    for d in docs:
        if d["kind"] not in ("Deployment", "StatefulSet"):
            continue
        namespace = d["metadata"]["namespace"]
        replicas = d["spec"].get("replicas", minimum.get((namespace, d["metadata"]["name"]), 1))
        containers = d["spec"]["template"]["spec"]["containers"] + ([{"resources": proxy}] if namespace in meshed else [])
        total = used.setdefault(namespace, {"pods": 0.0})
        total["pods"] += replicas
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                per_pod = sum(k8s_quantity(c.get("resources", {}).get(kind, {}).get(resource, 0)) for c in containers)
                total[f"{kind}.{resource}"] = total.get(f"{kind}.{resource}", 0.0) + replicas * per_pod
    quotas = {d["metadata"]["namespace"]: d["spec"]["hard"] for d in docs if d["kind"] == "ResourceQuota"}
    over = [f"{ns} {key}: {value:g} needed, quota {quotas[ns][key]}" for ns, totals in sorted(used.items())
            for key, value in totals.items() if key in quotas.get(ns, {}) and value > k8s_quantity(quotas[ns][key])]
    record("network flows", f"{env_name}: quotas with sidecars", f"{len(used)} workload namespaces at their replicas "
           "with the sidecar's resources", not over, "; ".join(over) or "every quota admits them")
    assert not over, over


def test_no_service_account_carries_an_irsa_annotation_under_pod_identity(rendered):
    """Both environments run on EKS Pod Identity (platform_aws_identity): the workers reach SQS and STS (their flows)
    with the role their pod identity association gives (iam.yml, workload: true), so no service account of the render
    names a role: an IRSA annotation would come first in the SDKs' credential chain and bypass the association
    (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html). The workloads' service accounts are
    there, for the associations to name."""
    _env_name, _catalog, _policies, folder = rendered
    accounts = {(d["metadata"]["namespace"], d["metadata"]["name"]): d for d in documents(folder)
                if d["kind"] == "ServiceAccount"}
    assert {("triptrip-api", "triptrip-api"), ("triptrip-workers", "triptrip-queue-worker")} <= set(accounts)
    annotated = sorted(k for k, d in accounts.items()
                       if "eks.amazonaws.com/role-arn" in (d["metadata"].get("annotations") or {}))
    assert annotated == [], annotated
