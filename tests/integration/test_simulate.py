"""The capacity simulation (playbooks/simulate.yml) for production and staging on a control plane of its own: kwok
nodes at every node group's maximum, the platform and the workloads at their maximum replicas, placed by the real
scheduler. The report's figures are checked against an independent count from the API server."""

from __future__ import annotations

import collections
import json
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
import yaml
from localplatform import start_platform
from podresources import effective, meshed, sidecar_of

LIMIT_SECONDS = 600  # the bound for production sizes


def node_groups(root, environment):
    """Each node group's max_size as the inventories state it: the shared defaults, then the environment's overrides."""
    base = yaml.safe_load((root / "group_vars/all/node_groups.yml").read_text())["platform_node_groups_base"]
    overrides = yaml.safe_load((root / f"inventories/{environment}/group_vars/all/main.yml").read_text()).get(
        "platform_node_groups_overrides", {})
    return {name: overrides.get(name, {}).get("scaling", {}).get("max_size", group["scaling"]["max_size"])
            for name, group in base.items()}


@pytest.fixture(scope="module", params=["production", "staging"])
def simulation(request, root, tool_env, tmp_path_factory):
    """A fresh control plane per environment (as scripts/simulate does: a StatefulSet's claim templates cannot
    change in place, so one environment's Redis cannot become another's), simulated, read back, stopped."""
    for platform in start_platform(root, tool_env, tmp_path_factory, "simulate"):
        yield simulate(root, platform, request.param, tmp_path_factory)


def simulate(root, platform, environment, tmp_path_factory):
    reports = tmp_path_factory.mktemp(f"simulate-{environment}")
    started = time.monotonic()
    run = subprocess.run(["ansible-playbook", "playbooks/simulate.yml", "-i", "inventories/local",
                          "-e", f"simulate_environment={environment}", "-e", f"simulate_report_dir={reports}"],
                         env=platform["env"], cwd=root, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    pods = json.loads(subprocess.run(["kubectl", "get", "pods", "-A", "-o", "json"], env=platform["env"],
                                     capture_output=True, text=True, check=True).stdout)["items"]
    nodes = json.loads(subprocess.run(["kubectl", "get", "nodes", "-o", "json"], env=platform["env"],
                                      capture_output=True, text=True, check=True).stdout)["items"]
    namespaces = json.loads(subprocess.run(["kubectl", "get", "namespaces", "-o", "json"], env=platform["env"],
                                           capture_output=True, text=True, check=True).stdout)["items"]
    return {"environment": environment, "seconds": seconds, "dir": reports, "pods": pods, "nodes": nodes,
            "namespaces": namespaces,
            "report": json.loads((reports / "capacity.json").read_text()), "output": run.stdout}


def api_max_replicas(root, environment):
    """The API HPA's maxReplicas in the chart's values file of the environment's profile."""
    values = yaml.safe_load((root / f"charts/triptrip-api/values-{environment}.yaml").read_text())
    return values["autoscaling"]["maxReplicas"]


def live(pods):
    return [p for p in pods if "deletionTimestamp" not in p["metadata"]
            and p["status"].get("phase") not in ("Succeeded", "Failed")]


def test_runs_within_ten_minutes(simulation):
    assert simulation["seconds"] < LIMIT_SECONDS, simulation["seconds"]


def test_every_node_group_is_at_its_maximum_size(root, simulation):
    wanted = node_groups(root, simulation["environment"])
    counts = collections.Counter(n["metadata"]["labels"].get("triptrip.io/kwok-node-group") for n in simulation["nodes"])
    assert {g: counts.get(g, 0) for g in wanted} == wanted
    assert simulation["report"]["totals"]["nodes"] == sum(wanted.values())


def test_pods_per_node_match_the_api_server(simulation):
    bound = collections.Counter(p["spec"]["nodeName"] for p in live(simulation["pods"]) if p["spec"].get("nodeName"))
    reported = {n["name"]: n["pods"] for n in simulation["report"]["nodes"]}
    assert reported == {n["metadata"]["name"]: bound.get(n["metadata"]["name"], 0) for n in simulation["nodes"]}
    assert sum(reported.values()) > 0


def test_the_pending_count_matches_the_api_server(simulation):
    pending = [p for p in live(simulation["pods"]) if not p["spec"].get("nodeName")]
    assert simulation["report"]["pending_count"] == len(pending)
    assert {(p["namespace"], p["name"]) for p in simulation["report"]["pending"]} == {
        (p["metadata"]["namespace"], p["metadata"]["name"]) for p in pending}


def test_the_workloads_ran_at_their_maximum_or_the_report_says_why_not(root, simulation):
    shortfall = {(s["namespace"], s["name"]): s for s in simulation["report"]["shortfall"]}
    api = shortfall[("triptrip-api", "triptrip-api")]
    assert api["desired"] == api_max_replicas(root, simulation["environment"])
    created = len([p for p in live(simulation["pods"]) if p["metadata"]["namespace"] == "triptrip-api"
                   and p["metadata"].get("labels", {}).get("app") == "triptrip-api"])
    assert api["created"] == created
    if api["missing"]:
        # The namespace's quota stops the API short of the HPA's maximum, and the report says so.
        assert "exceeded quota" in api["reason"] or api["quota_used_up"], api
    assert shortfall[("triptrip-workers", "triptrip-queue-worker")]["desired"] == 50


def test_the_hard_spread_and_anti_affinity_rules_held(simulation):
    rules = simulation["report"]["spread"]
    assert any(r["owner"].endswith("redis-cluster") and r["hard"] for r in rules), rules
    assert simulation["report"]["spread_all_hard_held"], [r for r in rules if r["hard"] and not r["held"]]


def test_the_meshed_pods_carry_the_sidecar_and_the_report_counts_it(root, simulation):
    """Where Istio injects (the test-double istiod's stand-in for its webhook), every pod has the native sidecar with
    the inventory's proxy resources, and the report's requested CPU and memory per node include it."""
    proxy = yaml.safe_load((root / "roles/addon_istio/defaults/main.yml").read_text())["addon_istio_proxy_resources"]
    injected = {n["metadata"]["name"] for n in simulation["namespaces"] if meshed(n)}
    pods = live(simulation["pods"])
    opted_out = [p for p in pods if "false" in (p["metadata"].get("labels", {}).get("sidecar.istio.io/inject"),
                                                p["metadata"].get("annotations", {}).get("sidecar.istio.io/inject"))]
    in_mesh = [p for p in pods if p["metadata"]["namespace"] in injected and p not in opted_out]
    assert len(in_mesh) > 10, len(in_mesh)
    for pod in in_mesh:
        sidecar = sidecar_of(pod)
        assert sidecar is not None and sidecar.get("restartPolicy") == "Always", pod["metadata"]["name"]
        assert sidecar["resources"] == proxy
    assert not [p["metadata"]["name"] for p in pods if sidecar_of(p) is not None and p not in in_mesh]
    wanted, without = collections.Counter(), collections.Counter()
    for pod in pods:
        if pod["spec"].get("nodeName"):
            node = pod["spec"]["nodeName"]
            wanted[node, "cpu"] += round(effective(pod, "requests", "cpu") * 1000)
            wanted[node, "memory"] += round(effective(pod, "requests", "memory"))
            bare = {**pod, "spec": {**pod["spec"], "initContainers": [
                c for c in pod["spec"].get("initContainers", []) if c["name"] != "istio-proxy"]}}
            without[node, "cpu"] += round(effective(bare, "requests", "cpu") * 1000)
    reported = collections.Counter()
    for node in simulation["report"]["nodes"]:
        reported[node["name"], "cpu"] += node["cpu_requested_m"]
        reported[node["name"], "memory"] += node["memory_requested_bytes"]
    assert +reported == +wanted
    # Not vacuous: without the sidecars the nodes would have had less requested.
    assert sum(v for (_node, r), v in wanted.items() if r == "cpu") > sum(without.values())


def test_the_report_has_its_table_and_picture(root, simulation):
    markdown = (simulation["dir"] / "capacity.md").read_text()
    for group in ("general", "compute", "memory", "spot", "gpu"):
        assert group in markdown
    svg = ET.fromstring((simulation["dir"] / "capacity.svg").read_text())
    assert svg.tag.endswith("svg")
    timeline = json.loads((simulation["dir"] / "timeline.json").read_text())
    assert timeline["max_replicas"] == api_max_replicas(root, simulation["environment"])
