"""The spec's workloads on the converged local platform (site.yml ends with playbooks/workloads.yml): the API
(charts/triptrip-api), the Redis cluster (charts/triptrip-redis) and the queue workers (charts/triptrip-workers),
installed from the charts of this repository with the production profile; placed by the real scheduler on the kwok
nodes, and admitted by the real Pod Security, quota and validation code."""

from __future__ import annotations

import collections
import json
import subprocess
import time

import pytest
import yaml

ZONE = "topology.kubernetes.io/zone"


def wait_for(check, timeout=90, interval=2):
    """Poll check() until it returns a truthy value; return the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def pods(addons, namespace, selector):
    res = addons.kubectl("get", "pods", "-n", namespace, "-l", selector, "-o", "json")
    assert res.returncode == 0, res.stderr
    return [p for p in json.loads(res.stdout)["items"] if "deletionTimestamp" not in p["metadata"]]


def nodes(addons):
    res = addons.kubectl("get", "nodes", "-o", "json")
    assert res.returncode == 0, res.stderr
    return {n["metadata"]["name"]: n["metadata"]["labels"] for n in json.loads(res.stdout)["items"]}


def test_the_three_releases_are_deployed_from_the_repository_charts(addons):
    releases = addons.releases()
    for release, namespace, chart in [("triptrip-api", "triptrip-api", "triptrip-api"),
                                      ("redis-cluster", "triptrip-cache", "triptrip-redis"),
                                      ("triptrip-workers", "triptrip-workers", "triptrip-workers")]:
        assert releases[release]["namespace"] == namespace
        assert releases[release]["status"] == "deployed"
        assert releases[release]["chart"].startswith(chart + "-"), releases[release]


def test_api_pods_land_only_on_general_nodes_spread_over_three_zones(addons):
    hpa = addons.get("hpa", "triptrip-api", "triptrip-api")
    minimum = hpa["spec"]["minReplicas"]
    assert minimum == 5  # the production profile (spec 4.1.1)
    # The HPA controller (the real kube-controller-manager) raises the Deployment to minReplicas.
    bound = wait_for(lambda: [p for p in pods(addons, "triptrip-api", "app=triptrip-api") if p["spec"].get("nodeName")]
                     if len([p for p in pods(addons, "triptrip-api", "app=triptrip-api")
                             if p["spec"].get("nodeName")]) >= minimum else None)
    assert bound, "the API never reached minReplicas bound pods"
    labels = nodes(addons)
    assert {labels[p["spec"]["nodeName"]]["workload-type"] for p in bound} == {"general"}
    per_zone = collections.Counter(labels[p["spec"]["nodeName"]][ZONE] for p in bound)
    general_zones = {lab[ZONE] for lab in labels.values() if lab.get("workload-type") == "general"}
    counts = [per_zone.get(zone, 0) for zone in general_zones]
    assert len(general_zones) == 3 and max(counts) - min(counts) <= 1, per_zone


def test_redis_pods_are_on_six_distinct_hosts_of_memory_or_general_nodes(addons):
    def six_bound():
        ps = pods(addons, "triptrip-cache", "app=redis-cluster")
        return ps if len(ps) == 6 and all(p["spec"].get("nodeName") for p in ps) else None

    bound = wait_for(six_bound)
    assert bound, "six Redis pods never got bound"
    hosts = [p["spec"]["nodeName"] for p in bound]
    assert len(set(hosts)) == 6
    labels = nodes(addons)
    assert {labels[h]["workload-type"] for h in hosts} <= {"memory", "general"}
    claims = json.loads(addons.kubectl("get", "pvc", "-n", "triptrip-cache", "-o", "json").stdout)["items"]
    assert sorted(c["metadata"]["name"] for c in claims) == [f"data-redis-cluster-{i}" for i in range(6)]
    assert {c["status"]["phase"] for c in claims} == {"Bound"}
    assert {c["spec"]["storageClassName"] for c in claims} == {"gp3-encrypted"}


def test_deleting_the_statefulset_keeps_its_claims_and_a_new_one_reuses_them(addons, root):
    before = {c["metadata"]["name"]: c["metadata"]["uid"]
              for c in json.loads(addons.kubectl("get", "pvc", "-n", "triptrip-cache", "-o", "json").stdout)["items"]}
    assert len(before) == 6
    res = addons.kubectl("delete", "statefulset", "redis-cluster", "-n", "triptrip-cache", "--wait=true")
    assert res.returncode == 0, res.stderr
    gone = wait_for(lambda: not pods(addons, "triptrip-cache", "app=redis-cluster"), timeout=60)
    assert gone, "the Redis pods were not deleted with their StatefulSet"
    after = {c["metadata"]["name"]: c["metadata"]["uid"]
             for c in json.loads(addons.kubectl("get", "pvc", "-n", "triptrip-cache", "-o", "json").stdout)["items"]}
    assert after == before
    # Put the StatefulSet back the way Helm knows it; its pods bind to the same claims.
    res = addons.helm("upgrade", "redis-cluster", str(root / "charts/triptrip-redis"), "-n", "triptrip-cache",
                      "--reuse-values", "--wait", "--timeout", "120s")
    assert res.returncode == 0, res.stderr
    restored = json.loads(addons.kubectl("get", "pvc", "-n", "triptrip-cache", "-o", "json").stdout)["items"]
    assert {c["metadata"]["name"]: c["metadata"]["uid"] for c in restored} == before
    assert wait_for(lambda: len([p for p in pods(addons, "triptrip-cache", "app=redis-cluster")
                                 if p["spec"].get("nodeName")]) == 6)


def test_the_queue_worker_is_the_deployment_the_scaled_object_targets(addons):
    target = addons.get("scaledobject.keda.sh", "triptrip-queue-worker", "triptrip-workers")["spec"]["scaleTargetRef"]
    worker = addons.get("deployment", target["name"], "triptrip-workers")
    assert worker["metadata"]["name"] == "triptrip-queue-worker"
    spec = worker["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "triptrip-queue-worker"


@pytest.mark.parametrize("profile", ["production", "staging"])
def test_every_rendered_object_passes_a_server_side_dry_run_without_pod_security_warnings(addons, root, profile):
    """helm template of each chart with the profile's values, then kubectl apply --dry-run=server: admission (Pod
    Security warn=restricted on every workload namespace), schema validation and quotas, without storing anything."""
    for chart, release, namespace in [("triptrip-api", "triptrip-api", "triptrip-api"),
                                      ("triptrip-redis", "redis-cluster", "triptrip-cache"),
                                      ("triptrip-workers", "triptrip-workers", "triptrip-workers")]:
        rendered = subprocess.run(
            ["helm", "template", release, str(root / "charts" / chart), "-n", namespace, "--kube-version", "1.35.0",
             "-f", str(root / "charts" / chart / f"values-{profile}.yaml"), "--set", "serviceAccount.create=false"],
            env=addons.env, capture_output=True, text=True, check=False)
        assert rendered.returncode == 0, rendered.stderr
        docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
        assert any(d["kind"] in ("Deployment", "StatefulSet") for d in docs), [d["kind"] for d in docs]
        # New names: each object is a creation (the installed production release's StatefulSet could not take
        # staging's claim templates in place), admitted in the real namespace with its Pod Security labels.
        for doc in docs:
            doc["metadata"]["name"] += "-dry"
        res = addons.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", "-",
                             stdin=yaml.safe_dump_all(docs))
        assert res.returncode == 0, res.stderr
        assert "PodSecurity" not in res.stderr, res.stderr
        assert "Warning" not in res.stderr, res.stderr
