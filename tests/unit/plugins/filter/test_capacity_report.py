"""capacity_report, capacity_markdown and capacity_svg: request arithmetic, density and utilisation against the
spec's targets, pending reasons, and topology spread and anti-affinity checked as kube-scheduler counts them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter import capacity_markdown as markdown_plugin
from ansible_collections.triptrip.platform.plugins.filter import capacity_report as report_plugin
from ansible_collections.triptrip.platform.plugins.filter import capacity_svg as svg_plugin
from ansible_collections.triptrip.platform.plugins.module_utils.capacity import (
    capacity_markdown,
    capacity_report,
    capacity_svg,
    cpu_millis,
    node_matches_pod,
    parse_quantity,
    pod_requests,
    quantity_value,
    scheduler_predicates,
    selector_matches,
    tolerates,
)

GROUP_LABEL = "triptrip.io/kwok-node-group"
SVG = "{http://www.w3.org/2000/svg}"
COMPUTE_TAINT = {"key": "workload-type", "value": "compute", "effect": "NoSchedule"}


def node(name, group="general", zone="zone-a", cpu="4", memory="16Gi", pods="110", taints=None, **labels):
    return {
        "metadata": {"name": name, "labels": {GROUP_LABEL: group, "workload-type": group,
                                              "topology.kubernetes.io/zone": zone, "kubernetes.io/hostname": name,
                                              **labels}},
        "spec": {"taints": taints or []},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
                   "capacity": {"cpu": cpu, "memory": memory, "pods": pods}},
    }


def container(cpu=None, memory=None, restart_policy=None, limits=None):
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    out = {"name": "c", "resources": {"requests": requests, **({"limits": limits} if limits else {})}}
    if restart_policy:
        out["restartPolicy"] = restart_policy
    return out


def pod(name, node_name=None, app="web", namespace="shop", cpu="100m", memory="128Mi", phase="Running",
        owner=("ReplicaSet", "web-5d9f8c7b6"), spread=None, anti=None, preferred_anti=None, node_selector=None,
        tolerations=None, containers=None, init=None, overhead=None, scheduled=None):
    labels = {"app": app}
    refs = []
    if owner:
        kind, owner_name = owner
        refs = [{"kind": kind, "name": owner_name, "controller": True}]
        if kind == "ReplicaSet":
            labels["pod-template-hash"] = owner_name.rsplit("-", 1)[-1]
    spec = {"containers": containers if containers is not None else [container(cpu, memory)]}
    if node_name:
        spec["nodeName"] = node_name
    for key, value in (("initContainers", init), ("overhead", overhead), ("nodeSelector", node_selector),
                       ("tolerations", tolerations), ("topologySpreadConstraints", spread)):
        if value is not None:
            spec[key] = value
    if anti or preferred_anti:
        spec["affinity"] = {"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": anti or [],
            "preferredDuringSchedulingIgnoredDuringExecution": preferred_anti or []}}
    status = {"phase": phase if node_name or phase != "Running" else "Pending"}
    if scheduled:
        reason, message = scheduled
        status["conditions"] = [{"type": "PodScheduled", "status": "False", "reason": reason, "message": message}]
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels, "ownerReferences": refs},
            "spec": spec, "status": status}


def zone_spread(max_skew=1, when="DoNotSchedule", key="topology.kubernetes.io/zone", **extra):
    return [{"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
             "labelSelector": {"matchLabels": {"app": "web"}}, **extra}]


def placed(counts, **kwargs):
    """Pods of app web spread as {node name: how many}."""
    return [pod(f"web-{node_name}-{i}", node_name, **kwargs)
            for node_name, count in counts.items() for i in range(count)]


def three_zones(**kwargs):
    return [node("n-a", zone="zone-a"), node("n-b", zone="zone-b"), node("n-c", zone="zone-c", **kwargs)]


def only(results, kind="topologySpread"):
    found = [r for r in results if r["kind"] == kind]
    assert len(found) == 1, results
    return found[0]


# ------------------------------------------------------------------------------------------------- quantities

@pytest.mark.parametrize(("text", "value"), [
    ("100m", Decimal("0.1")), ("2", Decimal(2)), ("0.5", Decimal("0.5")), (".5", Decimal("0.5")),
    ("1k", Decimal(1000)), ("129M", Decimal(129_000_000)), ("1G", Decimal(10**9)), ("2T", Decimal(2 * 10**12)),
    ("1P", Decimal(10**15)), ("1E", Decimal(10**18)), ("1Ki", Decimal(1024)), ("123Mi", Decimal(123 * 2**20)),
    ("1.5Gi", Decimal(3 * 2**29)), ("1Ti", Decimal(2**40)), ("1Pi", Decimal(2**50)), ("1Ei", Decimal(2**60)),
    ("1e3", Decimal(1000)), ("1E3", Decimal(1000)), ("12e-3", Decimal("0.012")), ("500u", Decimal("0.0005")),
    ("250n", Decimal("0.00000025")), (3, Decimal(3)), (0.25, Decimal("0.25")), (" 64Mi ", Decimal(64 * 2**20)),
])
def test_quantities_parse_exactly(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "Mi", "1.2.3", "12 Mi", "1e", "1mi", "1KiB", "abc", True])
def test_a_malformed_quantity_is_refused(text):
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        parse_quantity(text)


def test_cpu_is_millicores_and_memory_bytes_rounded_up():
    assert cpu_millis("1.5") == 1500
    assert cpu_millis("250m") == 250
    assert cpu_millis("500u") == 1  # Kubernetes rounds MilliValue up
    assert quantity_value("1.5Gi") == 1610612736
    assert quantity_value("100m") == 1


# --------------------------------------------------------------------------------------------------- requests

def test_app_containers_requests_are_summed():
    spec_pod = pod("p", containers=[container("100m", "64Mi"), container("250m", "128Mi")])
    assert pod_requests(spec_pod) == {"cpu": 350, "memory": 192 * 2**20}


def test_the_largest_init_container_wins_when_larger_than_the_app_sum():
    spec_pod = pod("p", containers=[container("100m", "64Mi")],
                   init=[container("500m", "32Mi"), container("200m", "1Gi")])
    assert pod_requests(spec_pod) == {"cpu": 500, "memory": 2**30}


def test_sidecars_count_with_the_app_and_under_later_init_containers():
    spec_pod = pod("p", containers=[container("300m", "100Mi")],
                   init=[container("50m", "10Mi", restart_policy="Always"), container("400m", "50Mi")])
    # app 300 + sidecar 50 = 350; the plain init container runs beside the sidecar: 400 + 50 = 450
    assert pod_requests(spec_pod) == {"cpu": 450, "memory": 110 * 2**20}


def test_an_init_container_before_the_sidecar_does_not_run_beside_it():
    spec_pod = pod("p", containers=[container("300m")],
                   init=[container("320m"), container("50m", restart_policy="Always")])
    assert pod_requests(spec_pod)["cpu"] == 350


def test_overhead_is_added_after_the_maximum():
    spec_pod = pod("p", containers=[container("100m", "64Mi")], init=[container("500m")],
                   overhead={"cpu": "10m", "memory": "1Mi"})
    assert pod_requests(spec_pod) == {"cpu": 510, "memory": 65 * 2**20}


def test_a_limit_without_a_request_is_the_request():
    spec_pod = pod("p", containers=[container(limits={"cpu": "1", "memory": "1Gi"})])
    assert pod_requests(spec_pod) == {"cpu": 1000, "memory": 2**30}


def test_pod_level_requests_replace_the_containers_sum():
    spec_pod = pod("p", containers=[container("100m", "64Mi"), container("100m", "64Mi")],
                   overhead={"cpu": "10m"})
    spec_pod["spec"]["resources"] = {"requests": {"cpu": "1"}}
    assert pod_requests(spec_pod) == {"cpu": 1010, "memory": 128 * 2**20}


# ------------------------------------------------------------------------------------- density and utilisation

def test_pods_per_node_and_group_percentages():
    nodes = [node("g1", cpu="4", memory="16Gi"), node("g2", cpu="4", memory="16Gi"),
             node("m1", group="memory", cpu="4", memory="32Gi")]
    pods = ([pod(f"a{i}", "g1", cpu="80m", memory="256Mi") for i in range(35)]
            + [pod(f"b{i}", "g2", cpu="80m", memory="256Mi") for i in range(25)]
            + [pod("done", "g2", phase="Succeeded", cpu="4", memory="16Gi"),
               pod("failed", "g1", phase="Failed", cpu="4", memory="16Gi")])
    report = capacity_report(nodes, pods)

    g1 = next(n for n in report["nodes"] if n["name"] == "g1")
    assert g1 == {"name": "g1", "group": "general", "zone": "zone-a", "pods": 35,
                  "cpu_requested_m": 2800, "cpu_allocatable_m": 4000,
                  "memory_requested_bytes": 35 * 256 * 2**20, "memory_allocatable_bytes": 16 * 2**30,
                  "cpu_pct": 70.0, "memory_pct": 54.7, "pods_in_target": True}
    g2 = next(n for n in report["nodes"] if n["name"] == "g2")
    assert (g2["pods"], g2["pods_in_target"], g2["cpu_pct"]) == (25, False, 50.0)

    general = report["groups"]["general"]
    assert general["nodes"] == 2
    assert general["pods"] == 60
    assert (general["pods_per_node_min"], general["pods_per_node_avg"], general["pods_per_node_max"]) == (25, 30.0, 35)
    assert general["pods_per_node_in_target"] is True
    assert general["nodes_in_pod_target"] == 1
    assert general["cpu_pct"] == 60.0 and general["cpu_in_target"] is True
    assert general["memory_pct"] == 46.9 and general["memory_in_target"] is False
    assert general["nodes_with_pods"] == 2
    memory = report["groups"]["memory"]
    assert (memory["pods"], memory["nodes_with_pods"], memory["cpu_pct"], memory["cpu_in_target"]) == (0, 0, 0.0, False)
    assert list(report["groups"]) == ["general", "memory"]
    assert report["totals"] == {"nodes": 3, "pods": 60, "pending": 0, "targets": {
        "pods_per_node": [30, 50], "cpu_pct": [60, 70], "memory_pct": [70, 80]}}


def test_pods_being_deleted_are_left_out():
    leaving = pod("leaving", "g1", cpu="1")
    leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    gone = pod("gone")
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    report = capacity_report([node("g1")], [leaving, gone, pod("staying", "g1")])
    assert (report["nodes"][0]["pods"], report["nodes"][0]["cpu_requested_m"]) == (1, 100)
    assert report["pending_count"] == 0


def test_custom_targets_replace_only_the_bands_given():
    report = capacity_report([node("g1")], [pod(f"p{i}", "g1") for i in range(25)], {"pods_per_node": [20, 30]})
    assert report["totals"]["targets"]["pods_per_node"] == [20, 30]
    assert report["totals"]["targets"]["cpu_pct"] == [60, 70]
    assert report["nodes"][0]["pods_in_target"] is True


@pytest.mark.parametrize("targets", [{"pods": [1, 2]}, {"cpu_pct": [70, 60]}, {"cpu_pct": 65}, {"cpu_pct": ["a", 1]}])
def test_bad_targets_are_refused(targets):
    with pytest.raises(ValueError, match="capacity target"):
        capacity_report([], [], targets)


def test_nodes_without_the_group_label_are_reported_unlabelled():
    bare = node("cp")
    del bare["metadata"]["labels"][GROUP_LABEL]
    assert list(capacity_report([bare], [])["groups"]) == ["(unlabelled)"]


# ---------------------------------------------------------------------------------------------------- pending

MSG_CPU = ("0/125 nodes are available: 50 Insufficient cpu, 75 node(s) had untolerated taint "
           "{workload-type: compute}. preemption: 0/125 nodes are available: 50 No preemption victims found for "
           "incoming pod, 75 Preemption is not helpful for scheduling.")
MSG_CPU_OTHER_COUNTS = ("0/125 nodes are available: 48 Insufficient cpu, 77 node(s) had untolerated taint "
                        "{workload-type: compute}. preemption: 0/125 nodes are available: 48 No preemption "
                        "victims found for incoming pod, 77 Preemption is not helpful for scheduling.")
MSG_SPREAD = "0/125 nodes are available: 125 node(s) didn't match pod topology spread constraints."


def test_scheduler_messages_condense_to_their_predicates():
    assert scheduler_predicates(MSG_CPU) == ["Insufficient cpu",
                                             "node(s) had untolerated taint {workload-type: compute}"]
    assert scheduler_predicates(MSG_SPREAD) == ["node(s) didn't match pod topology spread constraints"]
    assert scheduler_predicates("no nodes available to schedule pods") == ["no nodes available to schedule pods"]
    assert scheduler_predicates("") == []


def test_pending_pods_are_listed_with_owner_reason_and_grouped():
    pods = ([pod(f"web-{i}", scheduled=("Unschedulable", MSG_CPU)) for i in range(11)]
            + [pod("web-x", scheduled=("Unschedulable", MSG_CPU_OTHER_COUNTS)),
               pod("db-0", app="db", owner=("StatefulSet", "db"), scheduled=("Unschedulable", MSG_SPREAD)),
               pod("fresh", owner=None),
               pod("bound", "g1")])
    report = capacity_report([node("g1")], pods)

    assert report["pending_count"] == 14
    assert report["totals"]["pending"] == 14 and report["totals"]["pods"] == 1
    db = next(p for p in report["pending"] if p["name"] == "db-0")
    assert db == {"namespace": "shop", "name": "db-0", "owner": "StatefulSet/db", "reason": "Unschedulable",
                  "message": MSG_SPREAD}
    assert next(p for p in report["pending"] if p["name"] == "web-0")["owner"] == "Deployment/web"
    assert next(p for p in report["pending"] if p["name"] == "fresh")["reason"] == "Unknown"

    by_reason = report["pending_by_reason"]
    assert [(r["reason"], r["count"]) for r in by_reason] == [
        ("Unschedulable", 12), ("Unknown", 1), ("Unschedulable", 1)]
    assert by_reason[0]["summary"] == "Insufficient cpu; node(s) had untolerated taint {workload-type: compute}"
    assert len(by_reason[0]["examples"]) == 10
    assert by_reason[0]["examples"][0] == "shop/web-0"
    assert by_reason[2]["predicates"] == ["node(s) didn't match pod topology spread constraints"]


# ----------------------------------------------------------------------------------------------------- spread

def test_zone_skew_within_max_skew_holds():
    pods = placed({"n-a": 2, "n-b": 2, "n-c": 1}, spread=zone_spread())
    result = only(capacity_report(three_zones(), pods)["spread"])
    assert result["owner"] == "Deployment/web" and result["namespace"] == "shop"
    assert result["rule"] == "topologySpread zone maxSkew=1 DoNotSchedule"
    assert (result["hard"], result["held"], result["skew"]) == (True, True, 1)
    assert result["counts"] == {"zone-a": 2, "zone-b": 2, "zone-c": 1}
    assert "zone-a=2, zone-b=2, zone-c=1; skew 1" in result["detail"]


def test_zone_skew_beyond_max_skew_is_violated():
    pods = placed({"n-a": 3, "n-b": 1, "n-c": 1}, spread=zone_spread())
    report = capacity_report(three_zones(), pods)
    result = only(report["spread"])
    assert (result["held"], result["skew"], result["max_skew"]) == (False, 2, 1)
    assert report["spread_all_hard_held"] is False


def test_an_empty_eligible_zone_counts_as_zero():
    pods = placed({"n-a": 1, "n-b": 1}, spread=zone_spread())
    result = only(capacity_report(three_zones(), pods)["spread"])
    assert result["counts"] == {"zone-a": 1, "zone-b": 1, "zone-c": 0}
    assert result["held"] is True
    pods = placed({"n-a": 2, "n-b": 1}, spread=zone_spread())
    assert only(capacity_report(three_zones(), pods)["spread"])["held"] is False


def test_schedule_anyway_is_reported_soft_and_does_not_fail_the_hard_verdict():
    pods = placed({"n-a": 4, "n-b": 1, "n-c": 1}, spread=zone_spread(when="ScheduleAnyway"))
    report = capacity_report(three_zones(), pods)
    result = only(report["spread"])
    assert result["rule"] == "topologySpread zone maxSkew=1 ScheduleAnyway"
    assert (result["hard"], result["held"]) == (False, False)
    assert report["spread_all_hard_held"] is True
    pods = placed({"n-a": 4, "n-b": 1, "n-c": 1}, spread=zone_spread(when="DoNotSchedule"))
    assert capacity_report(three_zones(), pods)["spread_all_hard_held"] is False


def test_only_pods_the_selector_matches_are_counted():
    others = [pod(f"api-{i}", "n-a", app="api", owner=("ReplicaSet", "api-7c4b9")) for i in range(5)]
    pods = placed({"n-a": 1, "n-b": 1, "n-c": 1}, spread=zone_spread()) + others
    result = next(r for r in capacity_report(three_zones(), pods)["spread"] if r["owner"] == "Deployment/web")
    assert result["counts"] == {"zone-a": 1, "zone-b": 1, "zone-c": 1}


def test_pods_in_other_namespaces_are_not_counted():
    pods = (placed({"n-a": 1, "n-b": 1, "n-c": 1}, spread=zone_spread())
            + [pod(f"web-other-{i}", "n-a", namespace="other") for i in range(3)])
    result = next(r for r in capacity_report(three_zones(), pods)["spread"] if r["namespace"] == "shop")
    assert result["held"] is True


def test_node_selector_removes_zones_without_matching_nodes():
    nodes = [node("n-a", zone="zone-a"), node("n-b", zone="zone-b"), node("c-c", group="compute", zone="zone-c")]
    selected = placed({"n-a": 2, "n-b": 2}, spread=zone_spread(), node_selector={"workload-type": "general"})
    result = only(capacity_report(nodes, selected)["spread"])
    assert result["counts"] == {"zone-a": 2, "zone-b": 2}
    assert result["held"] is True
    unselected = placed({"n-a": 2, "n-b": 2}, spread=zone_spread())
    assert only(capacity_report(nodes, unselected)["spread"])["held"] is False


def test_required_node_affinity_expressions_limit_the_domains():
    nodes = [node("n-a", zone="zone-a"), node("n-b", zone="zone-b"), node("c-c", group="compute", zone="zone-c")]
    pods = placed({"n-a": 2, "n-b": 2}, spread=zone_spread())
    for p in pods:
        p["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "workload-type", "operator": "NotIn",
                                                         "values": ["compute", "memory"]}]}]}}}
    assert only(capacity_report(nodes, pods)["spread"])["counts"] == {"zone-a": 2, "zone-b": 2}


def test_node_affinity_policy_ignore_counts_every_zone():
    nodes = [node("n-a", zone="zone-a"), node("n-b", zone="zone-b"), node("c-c", group="compute", zone="zone-c")]
    pods = placed({"n-a": 2, "n-b": 2}, spread=zone_spread(nodeAffinityPolicy="Ignore"),
                  node_selector={"workload-type": "general"})
    assert only(capacity_report(nodes, pods)["spread"])["held"] is False


def test_a_zone_of_only_tainted_nodes_is_not_eligible_when_taints_are_honoured():
    nodes = three_zones(taints=[COMPUTE_TAINT])
    pods = placed({"n-a": 2, "n-b": 2}, spread=zone_spread(nodeTaintsPolicy="Honor"))
    result = only(capacity_report(nodes, pods)["spread"])
    assert result["counts"] == {"zone-a": 2, "zone-b": 2}
    assert result["held"] is True
    assert "nodeTaintsPolicy Honor" in result["detail"]


def test_a_tolerated_taint_keeps_the_zone_eligible():
    nodes = three_zones(taints=[COMPUTE_TAINT])
    pods = placed({"n-a": 2, "n-b": 2}, spread=zone_spread(nodeTaintsPolicy="Honor"),
                  tolerations=[{"key": "workload-type", "operator": "Equal", "value": "compute",
                                "effect": "NoSchedule"}])
    result = only(capacity_report(nodes, pods)["spread"])
    assert result["counts"] == {"zone-a": 2, "zone-b": 2, "zone-c": 0}
    assert result["held"] is False


def test_taints_are_ignored_by_default_as_kube_scheduler_does():
    # nodeTaintsPolicy defaults to Ignore: a zone of tainted nodes is a domain with no pods.
    nodes = three_zones(taints=[COMPUTE_TAINT])
    result = only(capacity_report(nodes, placed({"n-a": 2, "n-b": 2}, spread=zone_spread()))["spread"])
    assert result["counts"] == {"zone-a": 2, "zone-b": 2, "zone-c": 0}
    assert result["held"] is False


def test_min_domains_takes_the_minimum_as_zero_when_domains_are_missing():
    pods = placed({"n-a": 1, "n-b": 1, "n-c": 1}, spread=zone_spread(minDomains=4))
    result = only(capacity_report(three_zones(), pods)["spread"])
    assert result["rule"] == "topologySpread zone maxSkew=1 DoNotSchedule minDomains=4"
    assert (result["skew"], result["held"]) == (1, True)
    pods = placed({"n-a": 2, "n-b": 2, "n-c": 2}, spread=zone_spread(minDomains=4))
    assert only(capacity_report(three_zones(), pods)["spread"])["held"] is False


def test_match_label_keys_narrow_the_selector_to_the_pods_revision():
    old = [pod(f"web-old-{i}", "n-a", owner=("ReplicaSet", "web-1111")) for i in range(3)]
    new = placed({"n-a": 1, "n-b": 1, "n-c": 1}, owner=("ReplicaSet", "web-2222"),
                 spread=zone_spread(matchLabelKeys=["pod-template-hash"]))
    result = only(capacity_report(three_zones(), new + old)["spread"])
    assert result["counts"] == {"zone-a": 1, "zone-b": 1, "zone-c": 1}


def test_daemonset_pods_are_counted_but_not_spread():
    pods = [pod(f"ds-{n}", n, app="agent", owner=("DaemonSet", "agent"), spread=zone_spread())
            for n in ("n-a", "n-b")]
    report = capacity_report(three_zones(), pods)
    assert report["spread"] == []
    assert report["totals"]["pods"] == 2
    assert report["spread_all_hard_held"] is True


# ----------------------------------------------------------------------------------------------- anti-affinity

HOST_ANTI = [{"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]


def test_required_anti_affinity_holds_when_no_two_pods_share_a_node():
    report = capacity_report(three_zones(), placed({"n-a": 1, "n-b": 1, "n-c": 1}, anti=HOST_ANTI))
    result = only(report["spread"], "podAntiAffinity")
    assert result["rule"] == "podAntiAffinity hostname required"
    assert (result["hard"], result["held"]) == (True, True)
    assert result["detail"] == "3 pods in 3 hostname domains, none shares one"


def test_required_anti_affinity_is_violated_when_two_pods_share_a_node():
    report = capacity_report(three_zones(), placed({"n-a": 2, "n-b": 1}, anti=HOST_ANTI))
    result = only(report["spread"], "podAntiAffinity")
    assert result["held"] is False
    assert result["counts"] == {"n-a": 2}
    assert report["spread_all_hard_held"] is False


def test_anti_affinity_against_another_app_is_violated_by_sharing_with_it():
    anti = [{"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]},
             "topologyKey": "topology.kubernetes.io/zone"}]
    pods = placed({"n-a": 1, "n-b": 1}, anti=anti) + [pod("db-0", "n-b", app="db", owner=("StatefulSet", "db"))]
    result = only(capacity_report(three_zones(), pods)["spread"], "podAntiAffinity")
    assert (result["held"], result["counts"]) == (False, {"zone-b": 1})


def test_preferred_anti_affinity_is_reported_soft():
    preferred = [{"weight": 100, "podAffinityTerm": HOST_ANTI[0]}]
    report = capacity_report(three_zones(), placed({"n-a": 2, "n-b": 1}, preferred_anti=preferred))
    result = only(report["spread"], "podAntiAffinity")
    assert result["rule"] == "podAntiAffinity hostname preferred weight=100"
    assert (result["hard"], result["held"]) == (False, False)
    assert report["spread_all_hard_held"] is True


# ------------------------------------------------------------------------------------------ selectors and taints

@pytest.mark.parametrize(("expression", "matches"), [
    ({"key": "app", "operator": "In", "values": ["web", "api"]}, True),
    ({"key": "app", "operator": "In", "values": ["db"]}, False),
    ({"key": "app", "operator": "NotIn", "values": ["db"]}, True),
    ({"key": "tier", "operator": "NotIn", "values": ["db"]}, True),
    ({"key": "app", "operator": "NotIn", "values": ["web"]}, False),
    ({"key": "app", "operator": "Exists"}, True),
    ({"key": "tier", "operator": "Exists"}, False),
    ({"key": "tier", "operator": "DoesNotExist"}, True),
    ({"key": "app", "operator": "DoesNotExist"}, False),
])
def test_label_selector_expressions(expression, matches):
    assert selector_matches({"matchExpressions": [expression]}, {"app": "web"}) is matches


def test_a_missing_selector_matches_nothing_and_an_empty_one_everything():
    assert selector_matches(None, {"app": "web"}) is False
    assert selector_matches({}, {"app": "web"}) is True


def test_an_unknown_operator_is_refused():
    with pytest.raises(ValueError, match="unsupported selector operator 'Near'"):
        selector_matches({"matchExpressions": [{"key": "app", "operator": "Near"}]}, {"app": "web"})


def test_node_affinity_terms_are_ored_and_expressions_anded():
    general = node("n-a")
    term_general = {"matchExpressions": [{"key": "workload-type", "operator": "In", "values": ["general"]},
                                         {"key": "topology.kubernetes.io/zone", "operator": "Exists"}]}
    term_compute = {"matchExpressions": [{"key": "workload-type", "operator": "In", "values": ["compute"]}]}

    def spec(*terms):
        return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": list(terms)}}}}

    assert node_matches_pod(general, spec(term_compute, term_general)) is True
    assert node_matches_pod(general, spec(term_compute)) is False
    assert node_matches_pod(general, spec({})) is False
    assert node_matches_pod(general, {"nodeSelector": {"workload-type": "memory"}}) is False


@pytest.mark.parametrize(("toleration", "tolerated"), [
    ({"operator": "Exists"}, True),
    ({"key": "workload-type", "operator": "Exists"}, True),
    ({"key": "workload-type", "operator": "Equal", "value": "compute", "effect": "NoSchedule"}, True),
    ({"key": "workload-type", "value": "compute"}, True),
    ({"key": "workload-type", "operator": "Equal", "value": "memory"}, False),
    ({"key": "workload-type", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "other", "operator": "Exists"}, False),
])
def test_tolerations(toleration, tolerated):
    assert tolerates([toleration], COMPUTE_TAINT) is tolerated


# ------------------------------------------------------------------------------------------- markdown and svg

def sample_report():
    nodes = [node("g1"), node("g2", zone="zone-b"),
             node("c1", group="compute", zone="zone-c", cpu="8", memory="16Gi", taints=[COMPUTE_TAINT])]
    pods = (placed({"g1": 2, "g2": 1}, anti=HOST_ANTI, spread=zone_spread(when="ScheduleAnyway"))
            + [pod(f"api-{i}", "g1", app="api", cpu="500m", memory="1Gi", owner=("ReplicaSet", "api-7c4b9"))
               for i in range(4)]
            + [pod("batch-0", app="batch", owner=("Job", "batch"), scheduled=("Unschedulable", MSG_CPU))])
    return capacity_report(nodes, pods)


def test_markdown_shows_the_groups_numbers_against_the_targets():
    text = capacity_markdown(sample_report())
    general = next(line for line in text.splitlines() if line.startswith("| general |"))
    # g1: 2 web + 4 api, g2: 1 web; CPU 300m + 2000m of 8000m = 28.8 %; memory 384Mi + 4Gi of 32Gi = 13.7 %
    assert general == ("| general | 2 | 7 | 1 / 3.5 / 6 ✗ below | 0/2 | 28.8 ✗ below | 13.7 ✗ below |")
    compute = next(line for line in text.splitlines() if line.startswith("| compute |"))
    assert compute == "| compute | 1 | 0 | 0 / 0.0 / 0 ✗ below | 0/1 | 0.0 ✗ below | 0.0 ✗ below |"
    assert "Pods/node min / avg / max (target 30-50)" in text
    assert "CPU % (target 60-70)" in text and "Memory % (target 70-80)" in text
    assert "## Pending pods: 1" in text
    assert ("| 1 | Unschedulable | Insufficient cpu; node(s) had untolerated taint {workload-type: compute} "
            "| shop/batch-0 |") in text
    assert "| shop | batch-0 | Job/batch | Unschedulable |" in text
    assert "## Topology spread and anti-affinity: a hard rule is broken" in text
    assert "| shop/Deployment/web | podAntiAffinity hostname required | hard | ✗ broken | " in text
    assert "| shop/Deployment/web | topologySpread zone maxSkew=1 ScheduleAnyway | soft | ✗ broken | " in text


def test_markdown_marks_values_within_and_above_the_band():
    report = capacity_report([node("g1", cpu="1", memory="1Gi")],
                             [pod(f"p{i}", "g1", cpu="20m", memory="20Mi") for i in range(40)])
    line = next(x for x in capacity_markdown(report).splitlines() if x.startswith("| general |"))
    assert line == "| general | 1 | 40 | 40 / 40.0 / 40 ✓ within | 1/1 | 80.0 ✗ above | 78.1 ✓ within |"


def test_markdown_escapes_table_cells():
    report = capacity_report([node("g1")], [pod("p", scheduled=("Unschedulable", "a|b\nc"), owner=None)])
    assert "| 1 | Unschedulable | a\\|b c | shop/p |" in capacity_markdown(report)


def test_svg_is_xml_with_one_bar_group_per_node_group():
    svg = capacity_svg(sample_report(), title="Capacity <max> & \"spot\"")
    tree = ET.fromstring(svg.split("\n", 1)[1])
    assert tree.tag == f"{SVG}svg"
    groups = [g for g in tree.iter(f"{SVG}g") if g.get("class") == "node-group"]
    assert [g.get("data-group") for g in groups] == ["compute", "general"]
    for group in groups:
        bars = [r.get("class") for r in group.iter(f"{SVG}rect") if (r.get("class") or "").startswith("bar")]
        bands = [r for r in group.iter(f"{SVG}rect") if r.get("class") == "target-band"]
        assert bars == ["bar pods", "bar cpu", "bar memory"]
        assert len(bands) == 3
        assert len([x for x in group.iter(f"{SVG}line") if x.get("class") == "whisker"]) == 1
    assert tree.find(f"{SVG}title").text == "Capacity <max> & \"spot\""
    texts = [t.text for t in tree.iter(f"{SVG}text")]
    assert "Pods per node" in texts and "Requested / allocatable (%)" in texts
    assert any("target 30-50" in (t or "") for t in texts)


def test_svg_is_deterministic_and_has_a_default_title():
    report = sample_report()
    assert capacity_svg(report) == capacity_svg(sample_report())
    assert "<title>Capacity by node group</title>" in capacity_svg(report)


def test_svg_without_nodes_is_still_valid():
    tree = ET.fromstring(capacity_svg(capacity_report([], [])).split("\n", 1)[1])
    assert not [g for g in tree.iter(f"{SVG}g") if g.get("class") == "node-group"]


# ---------------------------------------------------------------------------------------------- plugin wiring

@pytest.mark.parametrize(("plugin", "name"), [(report_plugin, "capacity_report"),
                                              (markdown_plugin, "capacity_markdown"),
                                              (svg_plugin, "capacity_svg")])
def test_each_filter_is_documented_under_its_own_name(plugin, name):
    assert yaml.safe_load(plugin.DOCUMENTATION)["name"] == name
    yaml.safe_load(plugin.EXAMPLES)
    assert "_value" in yaml.safe_load(plugin.RETURN)
    assert list(plugin.FilterModule().filters()) == [name]
