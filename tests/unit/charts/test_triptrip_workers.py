"""The triptrip-workers chart renders the Deployment the platform's KEDA ScaledObject scales (Doc-IA-002 4.4.1), leaves
its replica count to KEDA, and meets Pod Security `restricted` for every values file."""

from __future__ import annotations

import re

import pytest
import yaml
from chartlib import KUBE_VERSION, VALUES_FILES, one, pod_specs, restricted_violations

CHART = "charts/triptrip-workers"
RELEASE = "triptrip-workers"
NAMESPACE = "triptrip-workers"
WORKER = "triptrip-queue-worker"


def quantity(value: str | int | float) -> float:
    """A Kubernetes CPU or memory quantity as a number (cores, bytes)."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    assert match, text
    number, unit = match.groups()
    return float(number) * units.get(unit, 1)


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_chart_passes_strict_lint(helm, values_file):
    result = helm("lint", "--strict", CHART, "-f", f"{CHART}/{values_file}")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_deployment_is_the_one_the_platforms_scaled_object_targets(root, render, values_file):
    keda = yaml.safe_load((root / "roles/addon_keda/defaults/main.yml").read_text())
    (scaled,) = [s for s in keda["addon_keda_scaled_objects"] if s["name"] == WORKER]
    assert scaled["namespace"] == NAMESPACE
    assert scaled["target"]["kind"] == "Deployment"
    deployment = one(render(values_file), "Deployment", scaled["target"]["name"])
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": WORKER}
    assert deployment["spec"]["template"]["metadata"]["labels"]["app"] == WORKER


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_keda_owns_the_replica_count(render, values_file):
    assert "replicas" not in one(render(values_file), "Deployment", WORKER)["spec"]


def test_replicas_are_fixed_when_keda_does_not_scale(render):
    deployment = one(
        render("values-production.yaml", "queueWorker.scaledByKeda=false", "queueWorker.replicaCount=50"),
        "Deployment", WORKER,
    )
    assert deployment["spec"]["replicas"] == 50


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_pod_meets_pod_security_restricted(render, values_file):
    specs = pod_specs(render(values_file))
    assert specs
    for name, spec in specs:
        assert restricted_violations(spec) == [], name


def test_restricted_checker_flags_what_restricted_refuses():
    bad = {
        "hostPID": True,
        "volumes": [{"name": "sock", "hostPath": {"path": "/var/run"}}],
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}},
        "initContainers": [{"name": "init", "securityContext": {"allowPrivilegeEscalation": True}}],
        "containers": [{
            "name": "app",
            "securityContext": {"allowPrivilegeEscalation": False, "runAsUser": 0, "capabilities": {"drop": ["NET_RAW"]}},
        }],
    }
    found = " | ".join(restricted_violations(bad))
    for expected in ("hostPID", "hostPath", "init: allowPrivilegeEscalation", "seccomp Unconfined",
                     "app: runAsUser 0", "app: capabilities do not drop ALL"):
        assert expected in found


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_worker_pod_is_shaped_for_interruptible_queue_work(render, values_file):
    pod = one(render(values_file), "Deployment", WORKER)["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == WORKER
    assert pod["automountServiceAccountToken"] is False
    assert pod["priorityClassName"] == "triptrip-business-standard"
    # Inside AWS's two-minute spot notice, long enough for a message.
    assert 60 <= pod["terminationGracePeriodSeconds"] < 120
    (worker,) = pod["containers"]
    assert worker["name"] == "worker"
    assert worker["lifecycle"]["preStop"]
    assert worker["livenessProbe"]["httpGet"]["port"] == "health"
    assert worker["readinessProbe"]["httpGet"]["port"] == "health"
    assert {"name": "tmp", "mountPath": "/tmp"} in worker["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in pod["volumes"]
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["whenUnsatisfiable"] == "ScheduleAnyway"


def test_workers_prefer_spot_nodes_and_fall_back_to_general(root, render):
    groups = yaml.safe_load((root / "group_vars/all/node_groups.yml").read_text())["platform_node_groups_base"]
    pod = one(render(), "Deployment", WORKER)["spec"]["template"]["spec"]
    for taint in groups["spot"]["taints"]:
        assert {**taint, "operator": "Equal"} in pod["tolerations"], taint
    node = pod["affinity"]["nodeAffinity"]
    (term,) = node["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["values"] == [
        groups["spot"]["labels"]["workload-type"], groups["general"]["labels"]["workload-type"],
    ]
    (preferred,) = node["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred["preference"]["matchExpressions"][0]["values"] == ["spot"]


def test_production_fits_forty_workers_in_the_spec_quota(root, render):
    """values.yaml and the README say 40 of KEDA's 50 fit in Appendix A's quota: keep that true or update both."""
    quota = yaml.safe_load((root / "group_vars/all/quotas.yml").read_text())["platform_resource_quotas_base"][NAMESPACE]
    keda = yaml.safe_load((root / "roles/addon_keda/defaults/main.yml").read_text())
    (scaled,) = [s for s in keda["addon_keda_scaled_objects"] if s["name"] == WORKER]
    (worker,) = one(render("values-production.yaml"), "Deployment", WORKER)["spec"]["template"]["spec"]["containers"]
    res = worker["resources"]
    per_pod = {
        "requests.cpu": res["requests"]["cpu"], "limits.cpu": res["limits"]["cpu"],
        "requests.memory": res["requests"]["memory"], "limits.memory": res["limits"]["memory"], "pods": 1,
    }
    fit = min(int(quantity(quota[k]) // quantity(v)) for k, v in per_pod.items())
    assert scaled["max_replicas"] == 50
    assert fit == 40


def test_image_must_be_a_pinned_release(helm):
    for tag in ("latest", ""):
        result = helm("template", RELEASE, CHART, "-n", NAMESPACE, "--kube-version", KUBE_VERSION,
                      "--set", f"queueWorker.image.tag={tag}")
        assert result.returncode != 0
        assert "must name a release" in result.stderr


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_network_policy_allows_only_redis_kafka_and_https(render, values_file):
    policy = one(render(values_file), "NetworkPolicy", WORKER)["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app": WORKER}
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["ingress"] == []
    redis, kafka, https = policy["egress"]
    assert redis == {
        "to": [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "triptrip-cache"}},
            "podSelector": {"matchLabels": {"app": "redis-cluster"}},
        }],
        "ports": [{"protocol": "TCP", "port": 6379}],
    }
    assert kafka["ports"] == [{"protocol": "TCP", "port": 9092}]
    assert kafka["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": NAMESPACE}
    assert https == {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}


def test_kafka_by_cidr_becomes_an_ip_block(render):
    policy = one(
        render("values.yaml", "connections.kafka[0].host=b-1.msk", "connections.kafka[0].port=9098",
               "connections.kafka[0].cidrs={10.0.0.0/16}"),
        "NetworkPolicy", WORKER,
    )["spec"]
    assert {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 9098}]} in policy[
        "egress"
    ]


def test_connection_settings_reach_the_worker(render):
    (worker,) = one(render(), "Deployment", WORKER)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in worker["env"]}
    assert env["REDIS_ADDRESS"] == "redis-cluster.triptrip-cache.svc.cluster.local:6379"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka-cluster:9092"
    assert env["AWS_REGION"] == "ap-northeast-1"


def test_service_account_is_left_to_the_platform_by_default(root, render):
    accounts = yaml.safe_load((root / "group_vars/all/rbac.yml").read_text())["platform_service_accounts"]
    assert WORKER in accounts[NAMESPACE]
    assert not [d for d in render() if d["kind"] == "ServiceAccount"]


def test_service_account_when_created_mounts_no_token(render):
    account = one(render("values.yaml", "serviceAccount.create=true"), "ServiceAccount", WORKER)
    assert account["automountServiceAccountToken"] is False


def test_disruption_budget_never_pins_the_last_worker(render):
    pdb = one(render(), "PodDisruptionBudget", WORKER)["spec"]
    assert "minAvailable" not in pdb
    assert pdb["maxUnavailable"] == "25%"
    assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_chart_stays_in_its_namespace(render):
    docs = render("values.yaml", "queueWorker.scaledByKeda=false")
    # Every object names the release's namespace, so the rendered manifests apply as they are (kubectl, scans).
    assert {d["metadata"]["namespace"] for d in docs} == {NAMESPACE}
    assert not [d for d in docs if d["kind"] in ("ScaledJob", "ScaledObject", "Job", "CronJob")]
